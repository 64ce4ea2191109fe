"""Consolidate a run's outcomes into the summary tables and the Resumen CSV.

Everything here works on the small per-file outcomes, never on workbooks. Numbers stay exact: area
and statement figures are integer sums turned into ``Fraction`` at the end; floats appear only
when a value is written out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from statistics import median

from msp_assessment._files import write_atomic
from msp_assessment.benchmark import Band, Benchmark, NoBenchmark, band
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument, Stage
from msp_assessment.outcome import FileOutcome, Status, Tally
from msp_assessment.problems import Code, Problem, problem
from msp_assessment.processing.portfolio.counting import Superseded, resolve_clients
from msp_assessment.processing.portfolio.roster import ClientStatus, State, match_clients
from msp_assessment.processing.portfolio.rounds import Round, round_date_of
from msp_assessment.scoring import Score, stage_for
from msp_assessment.text import count, date_text, day_label, fold, format_es, parse_date, printable

STATUS_LABELS = {
    Status.SCORED: "Puntuado",
    Status.INVALID: "Para revisar",
    Status.UNREADABLE: "Ilegible",
}
SUPERSEDED_LABEL = "Sustituido"
# Leading characters that make a spreadsheet read a CSV field as a formula (OWASP ASVS 1.2.10).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class CsvDialect(StrEnum):
    SPANISH = "es"  # ; separator, decimal comma, DD/MM/YYYY, UTF-8 with BOM: Spanish Excel
    STANDARD = "standard"  # , separator, decimal point, ISO dates, UTF-8


@dataclass(frozen=True)
class StatementMean:
    area_number: int
    area_name: str
    number: int
    text: str
    mean: Fraction


@dataclass(frozen=True)
class Consolidation:
    """The whole summary as values: the workbook and the CSV are both written from this."""

    counted: tuple[FileOutcome, ...]  # scored, newest per client, highest global average first
    superseded: tuple[Superseded, ...]
    issues: tuple[FileOutcome, ...]  # invalid and unreadable, in run order
    tally: Tally  # the run's numbers, as the terminal and the JSON give them
    stage_counts: tuple[tuple[Stage, int], ...]
    area_means: tuple[tuple[str, Fraction], ...]
    # Each area's (then the global) P25, median and P75 over the counted clients, as the
    # benchmark computes a band (PERCENTIL.INC).
    area_bands: tuple[tuple[str, Band], ...]
    statement_means: tuple[StatementMean, ...]  # weakest first
    mean: Fraction | None  # of the counted clients' global averages
    median: Fraction | None
    mean_stage: Stage | None
    # With a client list (process --clients): every client and their state, and the workbooks
    # of no client on the list.
    roster: tuple[ClientStatus, ...] | None = None
    outside: tuple[FileOutcome, ...] = ()
    rounds: tuple[Round, ...] = ()  # earlier rounds to compare with (process --previous)
    round_name: str | None = None  # a campaign's round, as it is named

    @property
    def round_date(self) -> date | None:
        """This round's date: the newest answer date in it."""
        return round_date_of([o.date for o in self.counted])

    @property
    def round_label(self) -> str:
        """«Esta ronda («2027»)», or with its date when it has no name."""
        named = f"«{self.round_name}»" if self.round_name else day_label(self.round_date)
        return f"Esta ronda ({named})"

    @property
    def response(self) -> str | None:
        """«Han respondido 5 de 6 clientes (83 %): 4 puntuados y 1 con problemas; falta 1.»"""
        if self.roster is None:
            return None
        total = len(self.roster)
        scored = sum(1 for c in self.roster if c.state is State.SCORED)
        problems = sum(1 for c in self.roster if c.state is State.PROBLEMS)
        answered, missing = scored + problems, total - scored - problems
        share = round(Fraction(100 * answered, total)) if total else 0
        lacking = f"falta {missing}" if missing == 1 else f"faltan {missing}"
        return (
            f"Han respondido {answered} de {count(total, 'cliente')} ({share} %): "
            f"{count(scored, 'puntuado')} y {problems} con problemas; {lacking}."
        )


def consolidate(
    outcomes: Sequence[FileOutcome],
    instrument: Instrument,
    clients: Sequence[Client] | None = None,
    rounds: Sequence[Round] = (),
    round_name: str | None = None,
) -> Consolidation:
    """Keep the newest scored workbook per client and compute the portfolio statistics; with
    ``clients``, say where each client of the list stands."""
    counted, superseded = resolve_clients(outcomes, clients or ())
    counted.sort(key=_ranking)
    replaced = {id(entry.outcome) for entry in superseded}
    summary = Consolidation(
        counted=tuple(counted),
        superseded=tuple(superseded),
        issues=tuple(
            o for o in outcomes if o.status is not Status.SCORED and id(o) not in replaced
        ),
        tally=Tally.of(outcomes, {entry.outcome.path for entry in superseded}),
        stage_counts=tuple(
            (stage, sum(1 for o in counted if o.score and o.score.stage.id == stage.id))
            for stage in instrument.stages
        ),
        area_means=(),
        area_bands=(),
        statement_means=(),
        mean=None,
        median=None,
        mean_stage=None,
    )
    summary = replace(summary, rounds=tuple(rounds), round_name=round_name)
    if clients is not None:
        roster, outside = match_clients(clients, outcomes)
        summary = replace(summary, roster=tuple(roster), outside=tuple(outside))
    if not counted:
        return summary

    n = len(counted)
    sums = {st.id: sum(o.answers[st.id] for o in counted) for _, st in instrument.statements}
    statement_means = sorted(
        (
            StatementMean(area.number, area.name, st.number, st.text, Fraction(sums[st.id], n))
            for area in instrument.areas
            for st in area.statements
        ),
        key=lambda m: (m.mean, m.area_number, m.number),
    )
    area_means = tuple(
        (
            area.name,
            Fraction(sum(sums[st.id] for st in area.statements), n * len(area.statements)),
        )
        for area in instrument.areas
    )
    per_client = [o.score.average for o in counted if o.score]
    mean = sum(per_client, Fraction(0)) / n
    scores = [o.score for o in counted if o.score]
    area_bands = (
        *(
            (area.name, band([s.areas[i].average for s in scores]))
            for i, area in enumerate(instrument.areas)
        ),
        ("Puntuación global", band(per_client)),
    )
    return replace(
        summary,
        area_means=area_means,
        area_bands=area_bands,
        statement_means=tuple(statement_means),
        mean=mean,
        median=Fraction(median(per_client)),
        mean_stage=stage_for(instrument, mean),
    )


def _ranking(outcome: FileOutcome) -> tuple[Fraction, str, str]:
    """Highest global average first; ties by company, then file, so the order is stable."""
    average = outcome.score.average if outcome.score else Fraction(0)
    return (-average, fold(outcome.client.company or ""), outcome.path)


def outside_problem(outcome: FileOutcome) -> Problem:
    found = outcome.client
    return problem(Code.NOT_ON_LIST, id=found.id or "—", company=found.company or "—")


def superseded_problem(entry: Superseded) -> Problem:
    winner = entry.by
    if entry.outcome.sha256 and winner.corrects == entry.outcome.sha256:
        return problem(Code.CORRECTED, winner=winner.file_name)
    when = date_text(winner.date) or "sin fecha"
    return problem(Code.SUPERSEDED, winner=winner.file_name, date=when)


# --- The Resumen table, shared by the workbook and the CSV ------------------------------------


def resumen_headers(instrument: Instrument, with_list: bool = False) -> list[str]:
    """Resumen's columns; ``with_list`` (a client list): «Situación» last."""
    return [
        "Id. cliente",
        "Empresa",
        "Contacto",
        "Email",
        "Archivo",
        "Fecha",
        *(f"Total · {a.name}" for a in instrument.areas),
        *(f"Media · {a.name}" for a in instrument.areas),
        "Media global",
        "Etapa",
        *COMPARISON_HEADERS,
        *([SITUATION_HEADER] if with_list else []),
    ]


SITUATION_HEADER = "Situación"
OUTSIDE_LABEL = "Fuera de la lista"
SITUATION = {
    State.SCORED: "Puntuado",
    State.PROBLEMS: "Con problemas (ver Incidencias)",
    State.PENDING: "Pendiente",
}


@dataclass(frozen=True)
class ResumenRow:
    """One row of Resumen (and of its CSV): a counted client's result, or, with a client list, a
    client of the list without one (``outcome`` then the workbook with problems, if any)."""

    client: Client
    outcome: FileOutcome | None
    situation: str | None  # with a client list

    @property
    def score(self) -> Score | None:
        return self.outcome.score if self.outcome is not None else None


def resumen_rows(cons: Consolidation) -> list[ResumenRow]:
    """The counted clients, highest first; with a client list, then every client of it without a
    result, in the list's order."""
    if cons.roster is None:
        return [ResumenRow(o.client, o, None) for o in cons.counted]
    outside = {id(o) for o in cons.outside}
    rows = [
        ResumenRow(o.client, o, OUTSIDE_LABEL if id(o) in outside else SITUATION[State.SCORED])
        for o in cons.counted
    ]
    rows += [
        ResumenRow(entry.client, entry.outcome, SITUATION[entry.state])
        for entry in cons.roster
        if entry.state is not State.SCORED
    ]
    return rows


COMPARISON_HEADERS = ("Percentil global", "Comparado con")


def comparison(outcome: FileOutcome) -> tuple[int | None, str]:
    """What a client was compared with (the same figures as their results copy): their global
    percentile, and the reference, with how many MSPs it held; why none, when none was shown."""
    found = outcome.benchmark
    if isinstance(found, Benchmark):
        return found.overall.position.percentile, f"{found.reference} ({found.size} MSP)"
    if isinstance(found, NoBenchmark):
        return None, (
            f"{found.reference}: {found.size} MSP, no se muestra (mínimo {found.minimum})"
        )
    return None, ""


def safe_csv_text(value: str) -> str:
    """Client text for a CSV cell that no spreadsheet will run (a leading quote before a
    trigger) and no terminal that shows it will act on (control characters escaped)."""
    value = printable(value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def write_csv(
    consolidation: Consolidation,
    instrument: Instrument,
    target: Path,
    dialect: CsvDialect = CsvDialect.SPANISH,
) -> None:
    """Write the Resumen table as CSV, atomically."""
    spanish = dialect is CsvDialect.SPANISH

    def number(value: Fraction) -> str:
        text = format_es(value, 2)
        return text if spanish else text.replace(",", ".")

    def when(text: str | None) -> str:
        parsed = parse_date(text)
        if parsed is None:
            return safe_csv_text(text or "")
        return parsed.strftime("%d/%m/%Y") if spanish else parsed.isoformat()

    with_list = consolidation.roster is not None
    rows = []
    for row in resumen_rows(consolidation):
        client, o, score = row.client, row.outcome, row.score
        fields = [
            *(safe_csv_text(v or "") for v in (client.id, client.company, client.contact)),
            safe_csv_text(client.email or ""),
            safe_csv_text(o.file_name if o is not None else ""),
        ]
        if score is not None and o is not None:
            percentile, against = comparison(o)
            fields += [
                when(o.date),
                *(str(a.total) for a in score.areas),
                *(number(a.average) for a in score.areas),
                number(score.average),
                score.stage.name,
                "" if percentile is None else str(percentile),
                safe_csv_text(against),
            ]
        else:
            fields += [""] * (2 * len(instrument.areas) + 5)
        rows.append(fields + ([row.situation or ""] if with_list else []))
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=";" if spanish else ",", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL
    )
    writer.writerow(resumen_headers(instrument, with_list))
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8-sig" if spanish else "utf-8")
    write_atomic(target, lambda fh: fh.write(data))
