"""A file's outcome as a value: what the batch, the JSON, the summary and the CLI all read.

With it, the values it carries from elsewhere: a file passed over (``Skipped``) and a client's
result in an earlier round (``PastResult``) with the change since (``Change``). Imports only leaves.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from pathlib import PurePath
from typing import Any, TypeVar

from msp_assessment.benchmark import Benchmark, NoBenchmark
from msp_assessment.client import Client
from msp_assessment.instrument import Stage
from msp_assessment.problems import Problem
from msp_assessment.scoring import Score
from msp_assessment.text import day_label, parse_date, signed_es, to_decimal


def result_stamp(client: Client, answers: Mapping[str, int], when: str | None) -> str:
    """What one result is, as a short id: the same client block, answers and date give the same
    stamp. A PDF report carries its result's stamp, so that a report is attached to the result it
    was made from, never to another client's workbook of the same file name."""
    content = json.dumps([client.to_dict(), sorted(answers.items()), when], ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()[:24]


class Status(StrEnum):
    SCORED = "scored"
    INVALID = "invalid"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class PastResult:
    """One client's result in an earlier round."""

    round_date: date | None
    summary: str  # the resumen.xlsx it comes from
    client: Client
    score: Score
    round_name: str | None = None  # a campaign's round, as it was named
    answered: date | None = None  # the client's own date in that round (its Fecha)

    @property
    def label(self) -> str:
        """The round as a client knows it: by its name, else by the day they answered (never
        by the newest answer of anyone else)."""
        if self.round_name:
            return f"ronda «{self.round_name}»"
        return day_label(self.answered or self.round_date)

    @property
    def since(self) -> str:
        """After «desde»: «la ronda «2026»», «el 22/11/2026»."""
        return f"la {self.label}" if self.round_name else f"el {self.label}"

    @property
    def when(self) -> str:
        """After a result: «en la ronda «2026»», «el 22/11/2026»."""
        return f"en la {self.label}" if self.round_name else f"el {self.label}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round_date.isoformat() if self.round_date else None,
            "round_name": self.round_name,
            "answered": self.answered.isoformat() if self.answered else None,
            "summary": self.summary,
            "average": float(self.score.average),
            "stage": self.score.stage.name,
            "areas": [
                {"id": a.area.id, "average": float(a.average), "stage": a.stage.name}
                for a in self.score.areas
            ],
        }


@dataclass(frozen=True)
class Change:
    """This round against the latest earlier one: exact differences and the stages."""

    average: Fraction
    areas: tuple[tuple[str, Fraction], ...]  # area id → change of its average
    stage_before: Stage
    stage_now: Stage

    @property
    def stage_text(self) -> str:
        if self.stage_before.id == self.stage_now.id:
            return f"{self.stage_now.name} (sin cambio)"
        return f"{self.stage_before.name} → {self.stage_now.name}"

    def stage_words(self, noun: str = "", moved: str = "pasa de") -> str:
        """The stages in words, for fonts and e-mails without «→» (``noun``: «la etapa »;
        ``moved``: the verb when the stage changed): «sigue en Proactivo», «pasa de Estable a
        Proactivo»."""
        if self.stage_before.id == self.stage_now.id:
            return f"sigue en {noun}{self.stage_now.name}"
        return f"{moved} {noun}{self.stage_before.name} a {self.stage_now.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "average": float(self.average),
            "average_text": signed_es(self.average),
            "areas": [{"id": i, "change": float(c), "text": signed_es(c)} for i, c in self.areas],
            "stage": {"before": self.stage_before.name, "now": self.stage_now.name},
        }


def change(current: Score, past: PastResult) -> Change:
    return Change(
        current.average - past.score.average,
        tuple(
            (now.area.id, now.average - before.average)
            for now, before in zip(current.areas, past.score.areas, strict=True)
        ),
        past.score.stage,
        current.stage,
    )


# Where a workbook's Puntos and TOTAL DE PUNTOS cells are: (sheet, cell, what it shows), what
# being a statement's id (its answer) or an area's number (its total). The workbooks of one
# template share one such tuple (``shared``), whatever the number of files.
PointsCells = tuple[tuple[str, str, str | int], ...]


def kept(outcome: FileOutcome, score: Score | None = None) -> FileOutcome:
    """``outcome`` as a run keeps it until its report (with ``score``, when given: a worker sends
    none): its answers' ids and its cells' places the same objects as every other outcome's (an
    outcome from a worker arrives with copies of its own), so that what a run holds per file
    stays small."""
    if not outcome.answers and outcome.copy_cells is None and score is None:
        return outcome
    answers = {_one(_SHARED_IDS, k): v for k, v in outcome.answers.items()}
    cells = shared(outcome.copy_cells) if outcome.copy_cells is not None else None
    scored = score if score is not None else outcome.score
    return replace(outcome, answers=answers, copy_cells=cells, score=scored)


def shared(cells: PointsCells) -> PointsCells:
    """The one tuple of these places kept for every workbook that has them (a few templates and
    programs in a campaign)."""
    return _one(_SHARED_CELLS, cells)


Kept = TypeVar("Kept", str, PointsCells)


def _one(store: dict[Kept, Kept], value: Kept) -> Kept:
    """The object equal to ``value`` that ``store`` keeps (``value``, the first time); a store
    full of all-different values (a hostile batch) starts again."""
    if len(store) >= _SHARED_MAX:
        store.clear()
    return store.setdefault(value, value)


_SHARED_CELLS: dict[PointsCells, PointsCells] = {}
_SHARED_IDS: dict[str, str] = {}  # a statement id → the one string of it (ids are few)
_SHARED_MAX = 256


@dataclass(frozen=True)
class FileOutcome:
    path: str
    status: Status
    client: Client = Client()
    score: Score | None = None
    problems: tuple[Problem, ...] = ()
    output: str | None = None
    answers: dict[str, int] = field(default_factory=dict)
    date: str | None = None  # the workbook's Fecha as read (ISO when it was a date cell)
    modified: float | None = None  # the input's modification time, to order a client's workbooks
    arrived: float | None = None  # when it arrived, per a campaign's record: that orders first
    # Why openpyxl re-saved the workbook before our sheet was added (None: the copy is the
    # client's own package, spliced). Measured by benchmarks/routes.py; not in the JSON.
    resaved: str | None = None
    previous: tuple[PastResult, ...] = ()  # the client's results in earlier rounds, oldest first
    change: Change | None = None  # against the latest of them
    # The file as the user knows it: relative to the folder they passed (run() sets it).
    relative_name: str | None = None
    sha256: str | None = None  # of the file's bytes, as it arrived
    # For a -revisar copy the client corrected: the sha256 of the workbook it was made from (the
    # copy carries it), which it supersedes whatever the dates say.
    corrects: str | None = None
    # Where the client stands among the reference's MSPs (a run that writes results copies).
    benchmark: Benchmark | NoBenchmark | None = None
    # A scored workbook whose copy waits for the reference (run.pipeline's first pass): where
    # its Puntos and TOTAL DE PUNTOS cells are (their numbers are its answers'), or None when
    # its copy takes the whole way again.
    pending: bool = False
    copy_cells: PointsCells | None = None

    @property
    def file_name(self) -> str:
        """What the summary calls the file: never a path that depends on where it lies."""
        return self.relative_name or PurePath(self.path).name

    def to_dict(self) -> dict[str, Any]:
        areas = []
        if self.score is not None:
            areas = [
                {
                    "id": a.area.id,
                    "name": a.area.name,
                    "total": a.total,
                    "average": float(to_decimal(a.average)),
                    "stage": a.stage.name,
                }
                for a in self.score.areas
            ]
        return {
            "path": self.path,
            "status": self.status.value,
            "output": self.output,
            "client": self.client.to_dict(),
            "areas": areas,
            "average": float(to_decimal(self.score.average)) if self.score else None,
            "stage": self.score.stage.name if self.score else None,
            "problems": [prob.to_dict() for prob in self.problems],
            "previous": [past.to_dict() for past in self.previous],
            "change": self.change.to_dict() if self.change else None,
            "benchmark": self.benchmark.to_dict() if self.benchmark else None,
        }


def recency(outcome: FileOutcome) -> tuple[float, date, float, str]:
    """How recent a workbook is: when it arrived (a campaign's record knows; files that arrived
    together, or outside a campaign, tie), then its Fecha (none counts as oldest), then file
    mtime, then path."""
    when = parse_date(outcome.date) or date.min
    return (outcome.arrived or 0.0, when, outcome.modified or 0.0, outcome.path)


@dataclass(frozen=True)
class Tally:
    """The numbers of a run, the same on the terminal, in Estadísticas and in the JSON: every
    file once, as scored, superseded (by a newer or corrected workbook of its client: it does not
    count), to review or unreadable. ``scored`` includes the superseded scored ones."""

    files: int
    scored: int
    superseded: int
    to_review: int
    unreadable: int

    @classmethod
    def of(cls, outcomes: Sequence[FileOutcome], superseded: set[str]) -> Tally:
        """``superseded``: the paths of the superseded workbooks."""
        return cls(
            files=len(outcomes),
            scored=sum(1 for o in outcomes if o.status is Status.SCORED),
            superseded=len(superseded),
            to_review=sum(
                1 for o in outcomes if o.status is Status.INVALID and o.path not in superseded
            ),
            unreadable=sum(1 for o in outcomes if o.status is Status.UNREADABLE),
        )

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class Report:
    files: tuple[FileOutcome, ...]
    skipped: tuple[Skipped, ...] = ()
    summary: str | None = None  # the summary workbook written for this run, if any
    csv: str | None = None
    superseded: tuple[tuple[str, str], ...] = ()  # (workbook, the newer one that counts instead)
    # With a client list: the response rate as the summary says it, the clients still pending
    # (in the list's order) and the workbooks of no client on the list.
    response: str | None = None
    pending: tuple[Client, ...] = ()
    outside: tuple[str, ...] = ()

    def count(self, status: Status) -> int:
        """How many files ended with ``status``."""
        return sum(1 for f in self.files if f.status is status)

    @property
    def counts(self) -> dict[str, int]:
        """Every status's count, keyed by its stable text (as the JSON writes it)."""
        return {s.value: self.count(s) for s in Status}

    @property
    def tally(self) -> Tally:
        return Tally.of(self.files, {old for old, _ in self.superseded})

    @property
    def ok(self) -> bool:
        """Every workbook is resolved: scored, or superseded by a newer scored one of its client.

        A workbook to review or a file that cannot be read, with no newer scored workbook of the
        same client, keeps the run from being ok (the command exits with 1).
        """
        resolved = {old for old, _ in self.superseded}
        return all(f.status is Status.SCORED or f.path in resolved for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        replaced_by = dict(self.superseded)
        return {
            "files": [f.to_dict() | {"superseded_by": replaced_by.get(f.path)} for f in self.files],
            "counts": self.counts,
            "tally": self.tally.to_dict(),
            "skipped": [s.to_dict() for s in self.skipped],
            "superseded": [{"path": old, "by": new} for old, new in self.superseded],
            "summary": self.summary,
            "csv": self.csv,
            "response": self.response,
            "pending": [client.to_dict() for client in self.pending],
            "outside": list(self.outside),
        }
