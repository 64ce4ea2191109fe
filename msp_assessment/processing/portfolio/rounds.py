"""Earlier rounds: read back from the resumen.xlsx files we wrote, matched to this round's
clients, and compared with this round exactly.

A summary carries our stamp (the hidden sheet ``_msp``: instrument id and version, and the round's
date, the newest answer date in it), and its Respuestas sheet holds every counted client's
answers, from which each earlier score is recomputed exactly. A summary whose Respuestas no longer
matches its own Resumen totals was edited by hand: it is refused unless the user says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from functools import cached_property
from pathlib import Path
from typing import Any

from msp_assessment.client import Client, ClientIndex
from msp_assessment.errors import RoundError
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import PastResult
from msp_assessment.problems import LABELS, Problem
from msp_assessment.processing.returns.apart import Stopped, run_apart
from msp_assessment.processing.returns.intake import Format, Limits, sniff
from msp_assessment.scoring import score
from msp_assessment.text import cell_text, day_label, parse_date
from msp_assessment.workbook_templates.contract import STAMP_MARK, STAMP_SHEET

INSTRUMENT_ID, INSTRUMENT_VERSION, ROUND_DATE, ROUND_NAME = (
    "msp_instrument_id",
    "msp_instrument_version",
    "msp_round_date",
    "msp_round_name",
)
RESUMEN, RESPUESTAS = "Resumen", "Respuestas"


@dataclass(frozen=True)
class Round:
    path: str
    date: date | None
    results: tuple[PastResult, ...]
    statement_means: dict[str, Fraction]  # statement id → mean over the round's clients
    name: str | None = None  # a campaign's round, as it was named

    @property
    def label(self) -> str:
        """«Ronda «2026»», or by its date when it has no name."""
        return f"Ronda «{self.name}»" if self.name else f"Ronda {day_label(self.date)}"

    @cached_property
    def clients(self) -> ClientIndex:
        """The round's clients, indexed by the identity rule."""
        return ClientIndex([r.client for r in self.results])


def read_round(
    path: Path, instrument: Instrument, *, accept_edited: bool = False, limits: Limits | None = None
) -> Round:
    """The results of an earlier round's summary; RoundError when it cannot be used.

    A summary is read as a return is: within the same size limits, and apart (apart.py), so a
    damaged or hostile file named with --previous costs at most the reader's memory and time.
    """
    limits = limits or Limits()
    found = sniff(path, limits)
    if isinstance(found, Problem) or found is not Format.OOXML:
        detail = (
            f"{LABELS[found.code].lower()}."
            if isinstance(found, Problem)
            else f"es un .{found.value}."
        )
        raise RoundError(
            f"{path} no se puede usar como resumen de una ronda anterior: {detail} Indique con "
            "--previous el resumen.xlsx que escribió «process»."
        )
    read = run_apart(
        _read_round,
        (path, instrument, accept_edited),
        memory=limits.reader_memory_bytes,
        seconds=limits.reader_seconds,
    )
    if isinstance(read, Stopped):
        raise RoundError(
            f"{path} hace que el lector se detenga ({read.why}). Indique con --previous el "
            "resumen.xlsx que escribió «process», sin modificar."
        )
    if isinstance(read, RoundError):
        raise read
    return read


def _read_round(arg: tuple[Path, Instrument, bool]) -> Round | RoundError:
    """read_round's work, in the reader's process: a RoundError is returned, to be raised by the
    parent."""
    try:
        return _read_summary(*arg)
    except RoundError as err:
        return err


def _read_summary(path: Path, instrument: Instrument, accept_edited: bool) -> Round:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True, read_only=True)
    except Exception as err:  # openpyxl raises many kinds on what is not a workbook
        raise RoundError(
            f"{path} no se puede abrir como libro de Excel ({type(err).__name__}). Indique con "
            "--previous el resumen.xlsx de una ronda anterior."
        ) from err
    stamp = _stamp(wb)
    if stamp.get(STAMP_MARK[0]) != STAMP_MARK[1]:
        raise RoundError(
            f"{path} no es un resumen escrito por msp-assessment: le falta su sello (la hoja "
            f"oculta «{STAMP_SHEET}»). Indique con --previous el resumen.xlsx que escribió "
            "«process» en una ronda anterior (si lo guardó con otro programa, use el original)."
        )
    found = (stamp.get(INSTRUMENT_ID), stamp.get(INSTRUMENT_VERSION))
    if found != (instrument.id, instrument.version):
        raise RoundError(
            f"{path} es de otro cuestionario o de otra versión ({found[0]} {found[1]}); esta "
            f"herramienta compara rondas de {instrument.id} {instrument.version}."
        )
    answers = _answers(wb, path, instrument)
    if not accept_edited:
        _check_totals(wb, path, instrument, answers)
    when, name = parse_date(stamp.get(ROUND_DATE)), stamp.get(ROUND_NAME) or None
    answered = _answer_dates(wb)
    results = tuple(
        PastResult(
            when,
            str(path),
            client,
            score(instrument, given),
            name,
            answered.get((client.id or "", client.company or "")),
        )
        for client, given in answers
    )
    means = {
        st.id: Fraction(sum(given[st.id] for _, given in answers), len(answers))
        for _, st in instrument.statements
        if answers
    }
    return Round(str(path), when, results, means, name)


def _answer_dates(wb: Any) -> dict[tuple[str, str], date]:
    """(id, company) → the Fecha of the client's row in Resumen (a summary we wrote: a date)."""
    rows = list(wb[RESUMEN].iter_rows(values_only=True)) if RESUMEN in wb.sheetnames else []
    header = [cell_text(h) for h in rows[0]] if rows else []
    if "Fecha" not in header:
        return {}
    at = header.index("Fecha")
    found = {}
    for row in rows[1:]:
        value = row[at] if len(row) > at else None
        if isinstance(value, datetime | date):
            day = value.date() if isinstance(value, datetime) else value
            found[(cell_text(row[0]) or "", cell_text(row[1]) or "")] = day
    return found


def _stamp(wb: Any) -> dict[str, str]:
    if STAMP_SHEET not in wb.sheetnames:
        return {}
    rows = wb[STAMP_SHEET].iter_rows(max_col=2, values_only=True)
    return {cell_text(k) or "": cell_text(v) or "" for k, v in rows if k is not None}


def _answers(wb: Any, path: Path, instrument: Instrument) -> list[tuple[Client, dict[str, int]]]:
    if RESPUESTAS not in wb.sheetnames:
        raise RoundError(f"{path} no tiene la hoja «{RESPUESTAS}» con las respuestas de la ronda.")
    rows = list(wb[RESPUESTAS].iter_rows(values_only=True))
    header = [cell_text(h) for h in rows[0]] if rows else []
    ids = [st.id for _, st in instrument.statements]
    if not set(ids) <= set(header):
        raise RoundError(
            f"{path}: la hoja «{RESPUESTAS}» no tiene las columnas de las afirmaciones."
        )
    at = {name: header.index(name) for name in ids}
    found = []
    for number, row in enumerate(rows[1:], start=2):
        if all(v is None for v in row[:3]):
            continue  # a note, or a blank line
        given = {}
        for st_id, col in at.items():
            value = row[col] if col < len(row) else None
            if not isinstance(value, int | float) or value != int(value) or not 1 <= value <= 5:
                raise RoundError(
                    f"{path}, hoja «{RESPUESTAS}», fila {number}: «{st_id}» vale «{value}», que "
                    "no es una respuesta del 1 al 5. El resumen se ha editado: use el original."
                )
            given[st_id] = int(value)
        client = Client(cell_text(row[0]) or None, cell_text(row[1]) or None)
        found.append((client, given))
    return found


def _check_totals(
    wb: Any, path: Path, instrument: Instrument, answers: list[tuple[Client, dict[str, int]]]
) -> None:
    """Each client's area totals in Respuestas are the ones its Resumen row shows."""
    rows = list(wb[RESUMEN].iter_rows(values_only=True)) if RESUMEN in wb.sheetnames else []
    header = [cell_text(h) for h in rows[0]] if rows else []
    columns = {
        a.id: header.index(f"Total · {a.name}")
        for a in instrument.areas
        if f"Total · {a.name}" in header
    }
    shown = {
        (cell_text(r[0]) or "", cell_text(r[1]) or ""): r
        for r in rows[1:]
        if len(r) > 1 and r[1] is not None
    }
    for client, given in answers:
        row = shown.get((client.id or "", client.company or ""))
        for area in instrument.areas:
            total = sum(given[st.id] for st in area.statements)
            written = row[columns[area.id]] if row is not None and area.id in columns else None
            if written != total:
                raise RoundError(
                    f"{path}: las respuestas de «{client.company}» ({area.name}: {total}) no "
                    f"coinciden con su hoja {RESUMEN} ({written}); el resumen se ha editado a "
                    "mano. Use el original o, si los cambios son buenos, repita con "
                    "--accept-edited."
                )


def history(client: Client, rounds: Sequence[Round]) -> list[PastResult]:
    """The client's results in earlier rounds, oldest first, matched by the one identity rule
    (``client.find_client``)."""
    found = []
    for past in rounds:
        index = past.clients.find(client)
        if index is not None:
            found.append(past.results[index])
    return sorted(found, key=lambda r: r.round_date or date.min)


def round_date_of(dates: Sequence[str | None]) -> date | None:
    """A round's date: the newest answer date in it."""
    days = [d for d in (parse_date(text) for text in dates) if d is not None]
    return max(days) if days else None
