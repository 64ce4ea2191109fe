"""The portfolio across rounds, as values: who moved up or down a stage, each area's mean per
round, the statements whose mean changed most, and who is new or missing. Exact (Fraction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from msp_assessment.client import Client, same_client
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome, PastResult
from msp_assessment.processing.portfolio.rounds import Round, history
from msp_assessment.scoring import Score

TOP_STATEMENTS = 5


@dataclass(frozen=True)
class ClientTrend:
    client: Client
    past: tuple[PastResult, ...]  # oldest first
    score: Score  # this round

    @property
    def change(self) -> Fraction:
        return self.score.average - self.past[-1].score.average

    @property
    def direction(self) -> int:
        """+1 up a stage, 0 the same, -1 down, against the client's latest earlier round."""
        before = self.past[-1].score.stage.lower
        now = self.score.stage.lower
        return (now > before) - (now < before)


@dataclass(frozen=True)
class StatementShift:
    area: str
    number: int
    text: str
    before: Fraction
    now: Fraction

    @property
    def change(self) -> Fraction:
        return self.now - self.before


@dataclass(frozen=True)
class Evolution:
    rounds: tuple[tuple[str, str], ...]  # (summary, label) of the earlier rounds, oldest first
    current: str  # this round's label
    trends: tuple[ClientTrend, ...]  # clients of this round seen in an earlier one
    area_means: tuple[tuple[str, tuple[Fraction | None, ...]], ...]  # area → mean per round + now
    shifts: tuple[StatementShift, ...]  # the statements whose mean changed most
    new: tuple[Client, ...]  # in this round, in no earlier one
    missing: tuple[Client, ...]  # in the latest earlier round, not in this one

    @property
    def moves(self) -> tuple[int, int, int]:
        """How many clients moved up a stage, stayed, moved down."""
        directions = [t.direction for t in self.trends]
        return directions.count(1), directions.count(0), directions.count(-1)


def evolve(
    counted: Sequence[FileOutcome],
    rounds: Sequence[Round],
    instrument: Instrument,
    current: str,
) -> Evolution:
    """This round's counted clients against the earlier ``rounds``."""
    ordered = sorted(rounds, key=lambda r: r.date or date.min)
    trends, new = [], []
    for outcome in counted:
        assert outcome.score is not None
        past = tuple(history(outcome.client, ordered))
        if past:
            trends.append(ClientTrend(outcome.client, past, outcome.score))
        else:
            new.append(outcome.client)
    trends.sort(key=lambda t: (-t.change, t.client.company or ""))
    latest = ordered[-1]
    missing = [
        r.client
        for r in latest.results
        if not any(same_client(o.client, r.client) for o in counted)
    ]
    area_means = []
    for i, area in enumerate(instrument.areas):
        per_round: list[Fraction | None] = [
            _mean([r.score.areas[i].average for r in past.results]) for past in ordered
        ]
        per_round.append(_mean([o.score.areas[i].average for o in counted if o.score]))
        area_means.append((area.name, tuple(per_round)))
    shifts = []
    if counted and latest.statement_means:
        n = len(counted)
        for area in instrument.areas:
            for st in area.statements:
                now = Fraction(sum(o.answers[st.id] for o in counted), n)
                shifts.append(
                    StatementShift(
                        area.name, st.number, st.text, latest.statement_means[st.id], now
                    )
                )
    shifts.sort(key=lambda s: (-abs(s.change), s.area, s.number))
    return Evolution(
        tuple((r.path, r.label) for r in ordered),
        current,
        tuple(trends),
        tuple(area_means),
        tuple(shifts[:TOP_STATEMENTS]),
        tuple(new),
        tuple(missing),
    )


def _mean(values: Sequence[Fraction]) -> Fraction | None:
    return sum(values, Fraction(0)) / len(values) if values else None
