"""deliver: one draft per client with their own results: the -resultados workbook and the
one-page PDF report, and a Spanish message with their score, stage and weakest area's tip.

Results are matched to the client list exactly as ``status`` matches returns (the client id
stored in the workbook, then the company), whatever the files are called, and the newest scored
workbook of each client counts. The recipient is always the list's address, never one read from
a workbook. A workbook whose identity is in doubt (``ClientIndex.doubt``: its company is another
client's than its stored id's, or no client's, or, without an id, several clients') is reported
and delivered to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from fractions import Fraction
from pathlib import Path
from typing import Any

from msp_assessment._files import flush_to_disk
from msp_assessment.benchmark import Benchmark
from msp_assessment.campaign.lock import folder_lock
from msp_assessment.campaign.messages import (
    PLACEHOLDERS,
    REFERENCE_HEADER,
    RESULT_HEADER,
    MessageText,
    attachment_name,
    build_draft,
    parse_sender,
    refuse_existing_drafts,
    render,
    write_draft,
)
from msp_assessment.campaign.send import JOURNAL_NAME, Journal
from msp_assessment.client import Client, ClientIndex, file_stems
from msp_assessment.client_list import read_client_list
from msp_assessment.errors import CampaignError
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.outcome import FileOutcome, PastResult, change, result_stamp
from msp_assessment.problems import Problem
from msp_assessment.processing.portfolio.roster import ClientStatus, State, match_clients
from msp_assessment.processing.returns.intake import collect
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from msp_assessment.scoring import AreaScore, Score, area_next_stage
from msp_assessment.text import count, day_label, format_es, parse_date, signed_es
from msp_assessment.workbook_templates import contract

RESULTS_NAME = "Resultados autoevaluación MSP"
DELIVERY_PLACEHOLDERS = (
    *PLACEHOLDERS,
    "puntuacion",
    "etapa",
    "area_mas_debil",
    "consejo",
    "sustituye",
    "siguiente_paso",
    "posicion",
    "cambio",
)
# {sustituye}: empty, or this paragraph when earlier results went to the same client.
REPLACES = (
    "Estos resultados sustituyen a los que le enviamos el {fecha}: nos ha enviado después un "
    "libro con otras respuestas, y es el que cuenta.\n\n"
)
DELIVERY_TEXT = MessageText(
    "Sus resultados de la autoevaluación del desarrollo como MSP ({empresa})",
    """\
Hola, {contacto}:

{sustituye}Gracias por completar la autoevaluación del desarrollo como MSP de {empresa}. Su \
puntuación global es {puntuacion}, que corresponde a la etapa {etapa}.{posicion}

{cambio}{siguiente_paso}

Le adjuntamos:
- un informe de una página (PDF) con su etapa, la media de cada área y un consejo para cada una;
- su libro de Excel con los puntos calculados y la hoja «Resultados».

Un saludo,
{firma}
""",
)
WHAT_TO_DO = {
    State.PENDING: "no ha respondido: envíele un recordatorio con «status --reminders»",
    State.PROBLEMS: (
        "su libro tiene problemas: envíele la copia -revisar con «status --reminders» y vuelva "
        "a procesar cuando la devuelva"
    ),
}


@dataclass(frozen=True)
class DeliverOptions:
    sender: str
    message: MessageText | None = None  # None: the default Spanish message
    force: bool = False  # replace drafts already in the folder
    journal: Journal | None = None  # the folder's sending journal (default: its envios.jsonl)
    # A campaign's record: each copy's sha256 → when its original arrived (RunOptions.arrived).
    arrived: Mapping[str, float] | None = None
    previous: tuple[Path, ...] = ()  # earlier rounds' summaries: {cambio} says what moved


@dataclass(frozen=True)
class Delivered:
    client: Client
    draft: str
    workbook: str  # the -resultados copy attached
    report: str | None  # the PDF written by process --pdf, or None when made here
    average: Fraction
    stage: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client.to_dict(),
            "draft": self.draft,
            "workbook": self.workbook,
            "report": self.report,
            "average": float(self.average),
            "stage": self.stage,
        }


@dataclass(frozen=True)
class Contradiction:
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class DeliverReport:
    delivered: tuple[Delivered, ...]
    without_results: tuple[ClientStatus, ...]
    contradictions: tuple[Contradiction, ...]
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and not self.contradictions

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivered": [d.to_dict() for d in self.delivered],
            "without_results": [
                {**c.to_dict(), "what_to_do": WHAT_TO_DO[c.state]} for c in self.without_results
            ],
            "contradictions": [c.to_dict() for c in self.contradictions],
            "list_problems": [p.to_dict() for p in self.problems],
        }


def deliver(
    clients_path: Path, results: Path, out_dir: Path, options: DeliverOptions
) -> DeliverReport:
    """Write a results draft (.eml with the workbook and the PDF) for every client with a result.

    ``results`` is a folder ``process`` wrote. Raises CampaignError for a sender, message or folder
    that cannot be used.
    """
    sender = parse_sender(options.sender)
    text = options.message or DELIVERY_TEXT
    listing = read_client_list(clients_path)
    if not listing.ok:
        return DeliverReport((), (), (), listing.problems)
    with folder_lock(out_dir, "escribiendo borradores"):
        return _deliver(listing.clients, results, out_dir, options, text, sender)


def _deliver(
    clients: tuple[Client, ...],
    results: Path,
    out_dir: Path,
    options: DeliverOptions,
    text: MessageText,
    sender: Address,
) -> DeliverReport:
    _check_folder(out_dir, results, options.force)
    instrument = load_instrument()
    # The -revisar copies tell a client with problems from one who never answered.
    copies = sorted(
        [*results.glob(f"*{contract.RESULTS_SUFFIX}"), *results.glob(f"*{contract.REVIEW_SUFFIX}")]
    )
    if not copies:  # never «no ha respondido» for a client whose workbook is still unprocessed
        raise CampaignError(_no_results(results))
    read = RunOptions(
        jobs=1, results_copies=True, arrived=options.arrived, previous=options.previous
    )
    outcomes = list(run(copies, read).files)
    index = ClientIndex(clients)
    contradictions = [
        Contradiction(o.path, found) for o in outcomes if (found := index.doubt(o.client))
    ]
    wrong = {c.path for c in contradictions}
    matched, _ = match_clients(clients, [o for o in outcomes if o.path not in wrong])
    journal = options.journal or Journal(out_dir / JOURNAL_NAME)
    sent = journal.sent_results()  # what went out from this folder
    for entry in matched:  # every placeholder problem before anything is written
        if entry.state is State.SCORED:
            render(
                text.subject + text.body,
                entry.client,
                None,
                extra=_fill(entry.outcome, instrument, []),
                placeholders=DELIVERY_PLACEHOLDERS,
            )
    delivered = []
    stems = file_stems([entry.client for entry in matched])  # as prepare named them
    for entry, stem in zip(matched, stems, strict=True):
        if entry.state is State.SCORED and entry.outcome is not None:
            draft = out_dir / f"{stem}.eml"
            earlier = sent.get(entry.client.id or "", [])
            delivered.append(
                _draft(entry.client, entry.outcome, instrument, text, sender, draft, earlier)
            )
    without = tuple(entry for entry in matched if entry.state is not State.SCORED)
    flush_to_disk(Path(d.draft) for d in delivered)
    return DeliverReport(tuple(delivered), without, tuple(contradictions))


def _no_results(results: Path) -> str:
    """Why there is nothing to deliver from ``results``, and what to run first."""
    where = (
        f"En {results} no hay resultados de «process» (archivos -resultados.xlsx o -revisar.xlsx)"
    )
    if not results.is_dir():
        where = f"{results} no existe o no es una carpeta"
    elif (results / contract.SUMMARY_NAME).exists():
        return (
            f"En {results} «process» no puntuó ningún libro ni dejó ninguno para revisar: no hay "
            "resultados que entregar. Vea su resumen.xlsx (hoja Incidencias)."
        )
    returns = sorted(collect([results])[0]) if results.is_dir() else []
    found = f": hay {count(len(returns), 'libro')} sin procesar" if returns else ""
    return (
        f"{where}{found}. Ejecute primero «msp-assessment process RECIBIDOS -o {results}» y luego "
        "vuelva a ejecutar deliver con esa carpeta."
    )


def _check_folder(out_dir: Path, results: Path, force: bool) -> None:
    if out_dir.resolve() == results.resolve():
        raise CampaignError(
            "La carpeta de borradores no puede ser la de resultados: elija otra con -o."
        )
    refuse_existing_drafts(out_dir, force)


def _weakest(score: Score) -> list[AreaScore]:
    """The areas with the lowest average: every one of them when they tie (none is invented
    as the weakest)."""
    lowest = min(a.average for a in score.areas)
    return [a for a in score.areas if a.average == lowest]


def _by_area(score: Score, shown: Benchmark) -> str:
    """Each area's percentile, in one sentence (the copy and the report have the bands)."""
    each = "; ".join(
        f"{a.area.name}, percentil {s.position.percentile}"
        for a, s in zip(score.areas, shown.areas, strict=True)
    )
    return f"Por áreas: {each}."


def next_step(instrument: Instrument, score: Score, answers: Mapping[str, int]) -> str:
    """The client's closest next step in one sentence: the fewest points that take an area to
    its next stage, and every area that ties for it; congratulations when every area is at the
    top stage."""
    steps = [(a, area_next_stage(instrument, a, answers)) for a in score.areas]
    open_steps = [(a, n) for a, n in steps if not n.top]
    if not open_steps:
        if score.average == instrument.max_value:
            return (
                "¡Enhorabuena! Ha obtenido la puntuación máxima, "
                f"{format_es(score.average, 2)} en las cuatro áreas."
            )
        return (
            "¡Enhorabuena! Sus cuatro áreas están ya en la etapa más alta, "
            f"{score.stage.name}: el reto ahora es mantenerlas ahí."
        )
    fewest = min(n.points for _, n in open_steps)
    closest = [(a, n) for a, n in open_steps if n.points == fewest]
    points = count(fewest, "punto más", "puntos más")
    places = " o ".join(
        f"en {a.area.name} (pasaría a {n.stage.name})" for a, n in closest if n.stage
    )
    lead = "Sus pasos más cercanos" if len(closest) > 1 else "Su paso más cercano"
    return f"{lead}: {points} {places}. En la hoja «Resultados» tiene el consejo para cada área."


def _fill(
    outcome: FileOutcome | None,
    instrument: Instrument,
    earlier: list[tuple[str | None, str]],
) -> dict[str, str]:
    """What the results message's placeholders say for a scored ``outcome``, ``earlier`` the
    (result stamp, time) of the results sent to the client before."""
    assert outcome is not None and outcome.score is not None
    score = outcome.score
    weakest = _weakest(score)
    shown = outcome.benchmark if isinstance(outcome.benchmark, Benchmark) else None
    stamp = result_stamp(outcome.client, outcome.answers, outcome.date)
    others = [when for sent, when in earlier if sent != stamp]
    replaces = ""
    if others and stamp not in {sent for sent, _ in earlier}:
        day = parse_date(others[-1][:10])
        replaces = REPLACES.format(fecha=day_label(day))
    return {
        "puntuacion": format_es(score.average, 2),
        "etapa": score.stage.name,
        "area_mas_debil": " y ".join(a.area.name for a in weakest),
        "consejo": " ".join(instrument.tip(a.area, a.stage) for a in weakest),
        "sustituye": replaces,
        "siguiente_paso": next_step(instrument, score, outcome.answers),
        "posicion": f" {shown.sentence} {_by_area(score, shown)}" if shown else "",
        "cambio": _change_line(score, outcome.previous[-1]) + "\n\n" if outcome.previous else "",
    }


def _change_line(score: Score, past: PastResult) -> str:
    """One line on what moved since the client's latest earlier round."""
    moved = change(score, past)
    return (
        f"Desde {past.since}, su puntuación global ha pasado de "
        f"{format_es(past.score.average, 2)} a {format_es(score.average, 2)} "
        f"({signed_es(moved.average)}) y {moved.stage_words('la etapa ')}."
    )


def _draft(
    client: Client,
    outcome: FileOutcome,
    instrument: Instrument,
    text: MessageText,
    sender: Address,
    draft: Path,
    earlier: list[tuple[str | None, str]],
) -> Delivered:
    from msp_assessment.report.pdf import outcome_report, report_stamp

    score = outcome.score
    assert score is not None
    workbook = Path(outcome.path)
    report_path = workbook.with_name(
        workbook.name[: -len(contract.RESULTS_SUFFIX)] + contract.REPORT_SUFFIX
    )
    # The PDF process wrote beside the workbook is attached only when it was made from this very
    # result (its stamp says so): one left by an earlier run, of another client's file of the
    # same name or of older answers, never is.
    stamp = result_stamp(outcome.client, outcome.answers, outcome.date)
    found = report_path.read_bytes() if report_path.is_file() else None
    if found is not None and report_stamp(found) == stamp:
        report: bytes = found
        written: str | None = str(report_path)
    else:
        report, written = outcome_report(instrument, outcome, stamp), None
    attachments = [
        (attachment_name(client.company, RESULTS_NAME, ".pdf"), report),
        (attachment_name(client.company, RESULTS_NAME, ".xlsx"), workbook.read_bytes()),
    ]
    extra = _fill(outcome, instrument, earlier)
    msg = build_draft(client, sender, text, None, attachments, extra=extra)
    msg[RESULT_HEADER] = stamp  # a newer result is a new message: send sends it once
    if outcome.benchmark is not None:
        msg[REFERENCE_HEADER] = outcome.benchmark.reference_id
    write_draft(msg, draft, client.email or "")
    return Delivered(client, str(draft), str(workbook), written, score.average, score.stage.name)
