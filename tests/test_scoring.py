"""Exact scoring: the document's worked example and property-based checks of the stage."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.scoring import score, stage_for
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
