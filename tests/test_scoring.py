"""Exact scoring: the document's worked example and property-based checks of the stage."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.scoring import area_next_stage, global_next_stage, score, stage_for
from msp_assessment.text import format_es, to_decimal

INSTRUMENT = load_instrument()


def answers_from(values: list[int]) -> dict[str, int]:
    return {s.id: v for (_, s), v in zip(INSTRUMENT.statements, values, strict=True)}


def test_worked_example_from_the_document(instrument: Instrument) -> None:
    values = [5, 5, 5, 4, 4, 3, 3, 3, 4, 3, 4, 4, 4, 3, 4, 3, 3, 2, 2, 3]
    result = score(instrument, answers_from(values))
    assert result.areas[0].total == 23
    assert result.areas[0].average == Fraction(46, 10)
    assert [format_es(a.average) for a in result.areas] == ["4,6", "3,2", "3,8", "2,6"]
    assert result.average == Fraction(355, 100)
    assert format_es(result.average) == "3,55"
    assert result.stage.name == "Proactivo"
    assert [a.stage.name for a in result.areas] == [
        "Escalable",
        "Proactivo",
        "Proactivo",
        "Estable",
    ]


def test_stage_boundaries__as_the_readme_says(instrument: Instrument) -> None:
    def name(text: str) -> str:
        return stage_for(instrument, Fraction(Decimal(text))).name

    assert name("1") == "Reactivo"
    assert name("1.95") == "Reactivo"
    assert name("2") == "Estable"
    assert name("2.95") == "Estable"
    assert name("3") == "Proactivo"
    assert name("3.95") == "Proactivo"
    assert name("4") == "Escalable"
    assert name("5") == "Escalable"


def reference_stage(values: list[int]) -> str:
    """Independent reference: hundredths of the global average, compared as integers."""
    area_totals = [sum(values[i : i + 5]) for i in range(0, 20, 5)]
    hundredths = sum(area_totals) * 5  # (sum of totals / 5 / 4) * 100 = sum * 5
    if hundredths < 200:
        return "Reactivo"
    if hundredths < 300:
        return "Estable"
    if hundredths < 400:
        return "Proactivo"
    return "Escalable"


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=20, max_size=20))
def test_stage__any_answers__matches_exact_reference(values: list[int]) -> None:
    result = score(INSTRUMENT, answers_from(values))
    assert result.stage.name == reference_stage(values)
    assert result.average == Fraction(sum(values), 20)
    for area_score, start in zip(result.areas, range(0, 20, 5), strict=True):
        assert area_score.total == sum(values[start : start + 5])
        assert area_score.average == Fraction(area_score.total, 5)


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=20, max_size=20))
def test_average__json_number__prints_as_the_exact_decimal(values: list[int]) -> None:
    result = score(INSTRUMENT, answers_from(values))
    exact = Decimal(sum(values)) / Decimal(20)
    assert json.dumps(float(to_decimal(result.average))) == str(exact.normalize()) or (
        exact == exact.to_integral() and json.dumps(float(exact)) == f"{exact.normalize()}.0"
    )


def area_with(total_values: list[int], rest: int = 3) -> dict[str, int]:
    """Answers whose first area has ``total_values`` and every other answer ``rest``."""
    return answers_from(total_values + [rest] * 15)


@pytest.mark.parametrize(
    ("values", "stage", "points"),
    [
        ([1, 1, 1, 1, 1], "Estable", 5),
        ([1, 2, 2, 2, 2], "Estable", 1),  # 9 → 10
        ([2, 2, 2, 2, 2], "Proactivo", 5),  # 10: Estable reached
        ([3, 3, 3, 3, 2], "Proactivo", 1),  # 14 → 15
        ([3, 3, 3, 3, 3], "Escalable", 5),
        ([4, 4, 4, 4, 3], "Escalable", 1),  # 19 → 20
        ([4, 4, 4, 4, 4], None, 0),  # 20: the top stage
        ([5, 5, 5, 5, 5], None, 0),
    ],
)
def test_area_next_stage__at_every_boundary(
    values: list[int], stage: str | None, points: int
) -> None:
    answers = area_with(values)
    first = score(INSTRUMENT, answers).areas[0]
    found = area_next_stage(INSTRUMENT, first, answers)
    assert (found.stage.name if found.stage else None, found.points) == (stage, points)
    # The points are exactly what it takes: that many more reach the stage, one fewer does not.
    if found.stage is not None:
        assert Fraction(first.total + points, 5) >= found.stage.lower
        assert Fraction(first.total + points - 1, 5) < found.stage.lower


@pytest.mark.parametrize(
    ("total", "stage", "points"),
    [
        (20, "Estable", 20),
        (39, "Estable", 1),
        (40, "Proactivo", 20),
        (59, "Proactivo", 1),
        (60, "Escalable", 20),
        (79, "Escalable", 1),
        (80, None, 0),
        (100, None, 0),
    ],
)
def test_global_next_stage__at_every_boundary(total: int, stage: str | None, points: int) -> None:
    values = [total // 20] * 20
    for i in range(total % 20):
        values[i] += 1
    result = score(INSTRUMENT, answers_from(values))
    assert sum(a.total for a in result.areas) == total
    found = global_next_stage(INSTRUMENT, result)
    assert (found.stage.name if found.stage else None, found.points) == (stage, points)


def test_area_next_stage__the_statements_that_hold_it_back() -> None:
    # Area 1 at 2, 1, 4, 1, 3 = 11 (Estable): 4 points to Proactivo. The two 1s can give 8: they
    # are the ones; the 2, the 3 and the 4 are not needed.
    answers = area_with([2, 1, 4, 1, 3])
    first = score(INSTRUMENT, answers).areas[0]
    found = area_next_stage(INSTRUMENT, first, answers)
    assert found.points == 4
    assert [st.number for st in found.holding] == [2, 4]
    # 3, 3, 3, 3, 2 = 14: one point; the 2 alone holds it back.
    answers = area_with([3, 3, 3, 3, 2])
    found = area_next_stage(INSTRUMENT, score(INSTRUMENT, answers).areas[0], answers)
    assert [st.number for st in found.holding] == [5]
    # 4, 4, 4, 4, 3 = 19 with a 3 and 4s: the 3 gives two, enough.
    answers = area_with([4, 4, 4, 4, 3])
    found = area_next_stage(INSTRUMENT, score(INSTRUMENT, answers).areas[0], answers)
    assert [st.number for st in found.holding] == [5]
    # Ties are never split: 4, 4, 4, 4, 4 is the top; 3, 3, 3, 3, 3 needs 5 and each 3 gives 2:
    # all five are named (no invented order among equal answers).
    answers = area_with([3, 3, 3, 3, 3])
    found = area_next_stage(INSTRUMENT, score(INSTRUMENT, answers).areas[0], answers)
    assert [st.number for st in found.holding] == [1, 2, 3, 4, 5]


@given(st.lists(st.integers(1, 5), min_size=20, max_size=20))
def test_next_stage__any_answers__raising_the_holding_statements_reaches_it(
    values: list[int],
) -> None:
    answers = answers_from(values)
    result = score(INSTRUMENT, answers)
    for area_score in result.areas:
        found = area_next_stage(INSTRUMENT, area_score, answers)
        if found.top:
            assert area_score.stage.name == "Escalable"
            continue
        room = sum(INSTRUMENT.max_value - answers[s.id] for s in found.holding)
        assert room >= found.points > 0
        lowest = min(answers[s.id] for s in area_score.area.statements)
        assert any(answers[s.id] == lowest for s in found.holding)


def test_same_answers__another_instrument__scored_by_its_own_stages() -> None:
    """Scores are kept per set of area totals (they cost Fractions); an instrument with other
    stages, alive at the same time, gets its own, and the kept one is the same score again."""
    from dataclasses import replace

    values = [3] * 20
    first = score(INSTRUMENT, answers_from(values))
    renamed = tuple(replace(stage, name=f"Otra {stage.name}") for stage in INSTRUMENT.stages)
    other = replace(INSTRUMENT, stages=renamed)
    again = score(other, answers_from(values))
    assert first.stage.name == "Proactivo" and again.stage.name == "Otra Proactivo"
    assert score(INSTRUMENT, answers_from(values)) is first
    assert score(INSTRUMENT, answers_from([3] * 19 + [4])).average == Fraction(61, 20)
