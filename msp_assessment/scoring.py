"""Pure, exact scoring as the document says: integers and fractions only, no I/O; and how a
score is explained to a person (the Resultados sheet and the PDF report say it the same way)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from msp_assessment.instrument import Area, Instrument, Stage, Statement
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
    totals = tuple(sum(answers[st.id] for st in area.statements) for area in instrument.areas)
    known = _SCORES.get((id(instrument), totals))
    if known is not None and known[0] is instrument:
        return known[1]
    areas = []
    for area, total in zip(instrument.areas, totals, strict=True):
        average = Fraction(total, len(area.statements))
        areas.append(AreaScore(area, total, average, stage_for(instrument, average)))
    overall = sum((a.average for a in areas), Fraction(0)) / len(areas)
    found = Score(tuple(areas), overall, stage_for(instrument, overall))
    if len(_SCORES) >= _SCORES_KEPT:
        _SCORES.clear()
    _SCORES[(id(instrument), totals)] = (instrument, found)
    return found


# A score depends only on the area totals: each one is worked out once (in Fractions, which
# cost) per process. The instrument is kept with it, so its id names no other while it is here.
_SCORES: dict[tuple[int, tuple[int, ...]], tuple[Instrument, Score]] = {}
_SCORES_KEPT = 4096


@dataclass(frozen=True)
class NextStage:
    """What separates a score from the next stage, in answer points (each answer raised by one
    is one point). At the top stage: ``stage`` is None and ``points`` 0."""

    stage: Stage | None
    points: int
    # For an area: the statements that hold it back, lowest answer first (document order on a
    # tie): every statement with the lowest answer, and the next lowest ones while the points
    # they can still give fall short of ``points``.
    holding: tuple[Statement, ...] = ()

    @property
    def top(self) -> bool:
        return self.stage is None


def _next(instrument: Instrument, stage: Stage) -> Stage | None:
    stages = instrument.stages
    i = stages.index(stage)
    return stages[i + 1] if i + 1 < len(stages) else None


def _points_to(lower: Fraction, statements: int, total: int) -> int:
    """Answer points that take ``total`` over ``statements`` answers to an average of at least
    ``lower``: the smallest whole total at or above ``lower × statements``, less ``total``."""
    return math.ceil(lower * statements) - total


def area_next_stage(
    instrument: Instrument, area_score: AreaScore, answers: Mapping[str, int]
) -> NextStage:
    """How many points the area needs for its next stage (10, 15, 20 of 25 for Estable,
    Proactivo, Escalable), and the statements that hold it back."""
    following = _next(instrument, area_score.stage)
    if following is None:
        return NextStage(None, 0)
    statements = area_score.area.statements
    points = _points_to(following.lower, len(statements), area_score.total)
    ranked = sorted(statements, key=lambda st: (answers[st.id], st.number))
    holding: list[Statement] = []
    room = 0
    for st in ranked:
        value = answers[st.id]
        if holding and value > answers[holding[-1].id] and room >= points:
            break
        holding.append(st)
        room += instrument.max_value - value
    return NextStage(following, points, tuple(holding))


def global_next_stage(instrument: Instrument, score: Score) -> NextStage:
    """How many points, over the four areas, the global score needs for its next stage: the
    global average is the sum of the four totals over 20, so 40, 60 and 80 points for Estable,
    Proactivo and Escalable."""
    following = _next(instrument, score.stage)
    if following is None:
        return NextStage(None, 0)
    sizes = {len(a.area.statements) for a in score.areas}
    assert len(sizes) == 1, "areas of different sizes: the global is not the totals' sum"
    (size,) = sizes
    total = sum(a.total for a in score.areas)
    return NextStage(following, _points_to(following.lower, size * len(score.areas), total))


def computation(score: Score) -> str:
    """This workbook's arithmetic in one line, as the document writes it (the Resultados sheet
    and the PDF report say it the same way)."""
    averages = " + ".join(format_es(a.average) for a in score.areas)
    return (
        f"media ({averages}) ÷ {len(score.areas)} = {format_es(score.average)}, que corresponde "
        f"a la etapa {score.stage.name}."
    )
