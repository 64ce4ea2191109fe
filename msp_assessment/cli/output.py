"""How the command line shows a report to a person (Spanish), and the terminal progress bar."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import PurePath
from typing import Any

import click

from msp_assessment.instrument.model import load_instrument
from msp_assessment.outcome import FileOutcome, Report, Status, Tally
from msp_assessment.problems import grouped
from msp_assessment.text import count, format_es

LABELS = {
    Status.SCORED: "PUNTUADO",
    Status.INVALID: "REVISAR",
    Status.UNREADABLE: "ILEGIBLE",
}
SUPERSEDED_LABEL = "SUSTITUIDO"
LABEL_WIDTH = max(len(label) for label in [*LABELS.values(), SUPERSEDED_LABEL])
MIN_FILES_FOR_BAR = 5
MAX_LISTED = 10  # pending clients or workbooks of no client named in one line; the JSON has all


def describe(outcome: FileOutcome, superseded_by: str | None = None) -> str:
    """One line: status, file, client, then the global average and stage or the first problem;
    a workbook that a newer one of its client replaces says so, and which one counts."""
    if superseded_by is not None:
        parts = [f"{SUPERSEDED_LABEL:<{LABEL_WIDTH}}", outcome.path, outcome.client.display_name]
        if PurePath(superseded_by).parent == PurePath(outcome.path).parent:
            superseded_by = PurePath(superseded_by).name  # in the same folder: its name says it
        if outcome.score is not None:
            parts.append(f"{format_es(outcome.score.average, 2)} {outcome.score.stage.name}")
            parts.append(f"no cuenta: cuenta el más reciente, {superseded_by}")
        else:
            parts.append(f"corregido en {superseded_by}")
        return " · ".join(parts)
    parts = [f"{LABELS[outcome.status]:<{LABEL_WIDTH}}", outcome.path]
    if outcome.status is not Status.UNREADABLE:
        parts.append(outcome.client.display_name)
    if outcome.score is not None:
        parts.append(f"{format_es(outcome.score.average, 2)} {outcome.score.stage.name}")
    elif outcome.problems:  # grouped as the review copy and the reminder list them
        first, *rest = grouped(outcome.problems, load_instrument())
        more = len(rest)
        parts.append(first.message + (f" (y {count(more, 'problema')} más)" if more else ""))
    return " · ".join(parts)


def render_report(report: Report) -> Iterator[str]:
    replaced_by = dict(report.superseded)
    for outcome in report.files:
        yield describe(outcome, replaced_by.get(outcome.path))
    yield total_line(report.tally)
    if report.response is not None:  # a client list
        yield f"Clientes: {report.response}"
    if report.pending:
        who = [" · ".join(v for v in (c.id, c.company) if v) for c in report.pending]
        yield f"Pendientes: {_first_ones(who)}."
    if report.outside:
        yield (
            f"Sin cliente en la lista: {count(len(report.outside), 'libro')} "
            f"({_first_ones(report.outside)}); no cuentan en la tasa de respuesta: vea la hoja "
            "Incidencias del resumen."
        )
    if report.summary:
        yield f"Resumen: {report.summary}"
    if report.csv:
        yield f"CSV: {report.csv}"


def _first_ones(items: Sequence[str]) -> str:
    """The first MAX_LISTED of ``items``, and how many more there are."""
    more = len(items) - MAX_LISTED
    return ", ".join(items[:MAX_LISTED]) + (f" y {more} más" if more > 0 else "")


def total_line(tally: Tally) -> str:
    """The run's numbers in one line: the same as the summary's Estadísticas sheet."""
    return (
        f"Total: {count(tally.files, 'archivo')} · {count(tally.scored, 'puntuado')} · "
        f"{tally.to_review} para revisar · {count(tally.unreadable, 'ilegible')}"
        + (f" · {count(tally.superseded, 'sustituido')}" if tally.superseded else "")
    )


class ProgressBar:
    """click's bar on stderr, only on a terminal and only for runs worth a bar.

    Shows files done of the total, files per second and the time left.
    """

    def __init__(self, label: str = "Procesando", unit: str = "archivos/s") -> None:
        self._bar: Any = None
        self._started = 0.0
        self._done = 0
        self._label, self._unit = label, unit

    @classmethod
    def for_terminal(
        cls, label: str = "Procesando", unit: str = "archivos/s"
    ) -> ProgressBar | None:
        return cls(label, unit) if sys.stderr.isatty() else None

    def rate_text(self, _item: object = None) -> str:
        elapsed = time.monotonic() - self._started
        rate = self._done / elapsed if elapsed > 0 else 0.0
        return f"{rate:,.1f} {self._unit}".replace(",", " ").replace(".", ",")

    def update(self, done: int, total: int, item: object = None) -> None:
        if total < MIN_FILES_FOR_BAR:
            return
        if self._bar is None:
            self._started = time.monotonic()
            self._bar = click.progressbar(
                length=total,
                label=self._label,
                file=sys.stderr,
                show_pos=True,
                show_eta=True,
                item_show_func=self.rate_text,
            )
            self._bar.__enter__()
        self._done = done
        self._bar.update(1, item)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
