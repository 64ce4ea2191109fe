"""Pure, exact scoring as the document says: integers and fractions only, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from msp_assessment.instrument import Area, Instrument, Stage


@dataclass(frozen=True)
class AreaScore:
    area: Area
    total: int
    average: Fraction
    stage: Stage


@dataclass(frozen=True)
class Score:
    areas: tuple[AreaScore, ...]
    average: Fraction
    stage: Stage


def stage_for(instrument: Instrument, value: Fraction) -> Stage:
    """The stage whose range holds ``value``: [1, 2) Reactivo … [4, 5] Escalable."""
    for stage in instrument.stages:
        if stage.contains(value):
            return stage
    raise ValueError(f"score {value} is outside every stage")


def score(instrument: Instrument, answers: Mapping[str, int]) -> Score:
    """Score complete answers (statement id → 1-5).

    Area total = sum of its answers; area average = total ÷ 5;
    global = sum of the area averages ÷ 4.
    """
    areas = []
    for area in instrument.areas:
        total = sum(answers[st.id] for st in area.statements)
        average = Fraction(total, len(area.statements))
        areas.append(AreaScore(area, total, average, stage_for(instrument, average)))
    overall = sum((a.average for a in areas), Fraction(0)) / len(areas)
    return Score(tuple(areas), overall, stage_for(instrument, overall))


def to_decimal(value: Fraction) -> Decimal:
    """The exact decimal of a fraction whose denominator has only the factors 2 and 5."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(exact) != value:
        raise ValueError(f"{value} has no exact decimal form")
    return exact


def format_es(value: Fraction, min_places: int = 1) -> str:
    """Spanish decimal text as in the document: 4,6 · 3,55 · 4,0."""
    text = format(to_decimal(value).normalize(), "f")
    whole, _, places = text.partition(".")
    places = places.ljust(min_places, "0")
    return f"{whole},{places}" if places else whole
