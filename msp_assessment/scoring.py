"""Pure, exact scoring as the document says: integers and fractions only, no I/O; and how a
score is explained to a person (the Resultados sheet and the PDF report say it the same way)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from msp_assessment.instrument import Area, Instrument, Stage
from msp_assessment.text import format_es

CHART_TITLE = "Media por área (escala 1-5)"  # the radar of the area averages, in every output


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


def computation(score: Score) -> str:
    """This workbook's arithmetic in one line, as the document writes it (the Resultados sheet
    and the PDF report say it the same way)."""
    averages = " + ".join(format_es(a.average) for a in score.areas)
    return (
        f"media ({averages}) ÷ {len(score.areas)} = {format_es(score.average)}, que corresponde "
        f"a la etapa {score.stage.name}."
    )
