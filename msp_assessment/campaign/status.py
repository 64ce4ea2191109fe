"""status: who has answered, matched by the client id inside each workbook, and reminder drafts."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from msp_assessment import problems
from msp_assessment._files import flush_to_disk
from msp_assessment.campaign.lock import folder_lock
from msp_assessment.campaign.messages import (
    MessageText,
    attachment_name,
    build_draft,
    parse_sender,
    with_deadline,
    write_draft,
)
from msp_assessment.campaign.send import JOURNAL_NAME, Journal
from msp_assessment.client import Client, ClientIndex, file_stems, id_key
from msp_assessment.client_list import read_client_list
from msp_assessment.errors import CampaignError, UsageError
from msp_assessment.instrument import load_instrument
from msp_assessment.outcome import FileOutcome, Status, result_stamp
from msp_assessment.problems import Code, Problem, grouped, shorten
from msp_assessment.processing.portfolio.roster import (
    LABELS,
    Asked,
    ClientStatus,
    State,
    match_clients,
)
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from msp_assessment.text import count, format_es
from msp_assessment.workbook_templates.personalize import Personalizer

PENDING_TEXT = MessageText(
    "Recordatorio: autoevaluación del desarrollo como MSP ({empresa})",
    """\
Hola, {contacto}:

{aviso}Todavía no hemos recibido la autoevaluación del desarrollo como MSP de {empresa}. \
Le adjuntamos de nuevo el libro por si no lo tiene a mano: complete los datos de la empresa, elija \
una respuesta del 1 al 5 en cada afirmación, guárdelo como libro de Excel (.xlsx) y envíenoslo \
respondiendo a este correo{plazo}.

Un saludo,
{firma}
""",
)
PROBLEMS_TEXT = MessageText(
    "Autoevaluación del desarrollo como MSP: falta corregir algunos datos ({empresa})",
    """\
Hola, {contacto}:

Gracias por enviarnos la autoevaluación de {empresa}. Antes de poder puntuarla, necesitamos que \
corrija lo siguiente:

{problemas}

{adjunto}Cuando lo haya corregido, guarde el libro como .xlsx y envíenoslo respondiendo a este \
correo{plazo}.

Un saludo,
{firma}
""",
)
# What a pending client's reminder says of their message that brought no workbook (collect).
ASKED_LINE = "Gracias por su mensaje «{asunto}» del {fecha}; {falta}.\n\n"
REVIEW_ATTACHED = (
    "Le adjuntamos su libro con las celdas que hay que corregir marcadas en color y una hoja "
    "«Revisión» con esta misma lista. "
)


# Problems whose message is advice to our user (send the template again), not a cell to fix.
NOT_FIXABLE_IN_CELLS = frozenset(
    {Code.NOT_ASSESSMENT, Code.UNKNOWN_INSTRUMENT, Code.UNKNOWN_VERSION, Code.STATEMENT_MISSING}
)
UNREADABLE_LINE = (
    "Hemos recibido su archivo «{archivo}», pero no podemos leerlo ({motivo}). Le adjuntamos de "
    "nuevo el libro: ábralo con Excel, LibreOffice, Google Sheets o Numbers, complételo y "
    "guárdelo como libro de Excel (.xlsx); en Numbers, con Archivo > Exportar a > Excel."
)
NEW_TEMPLATE = (
    "El libro que nos envió no es la plantilla actual completa del cuestionario. Le adjuntamos de "
    "nuevo la plantilla: rellénela y envíenosla."
)


@dataclass(frozen=True)
class StatusReport:
    clients: tuple[ClientStatus, ...]
    unmatched: tuple[FileOutcome, ...]  # returned files that belong to no client of the list
    problems: tuple[Problem, ...] = ()  # the client list's own problems (then nothing else)
    reminders: tuple[str, ...] = ()
    # Unmatched files whose identity is in doubt (client.ClientIndex.doubt): path → why.
    held: dict[str, str] = field(default_factory=dict)

    def count(self, state: State) -> int:
        """How many clients of the list are in ``state``."""
        return sum(1 for c in self.clients if c.state is state)

    @property
    def counts(self) -> dict[str, int]:
        """Each state's count and the files of no client, keyed as the JSON writes them."""
        return {s.value: self.count(s) for s in State} | {"unmatched": len(self.unmatched)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "clients": [c.to_dict() for c in self.clients],
            "unmatched": [o.to_dict() | {"held": self.held.get(o.path)} for o in self.unmatched],
            "counts": self.counts,
            "list_problems": [prob.to_dict() for prob in self.problems],
            "reminders": list(self.reminders),
        }


@dataclass(frozen=True)
class StatusOptions:
    recursive: bool = False
    reminders: Path | None = None  # write reminder drafts into this folder
    sender: str | None = None  # required with reminders
    deadline: date | None = None
    delivered: tuple[Path, ...] = ()  # folders of results drafts (deliver), read by their journal
    arrived: Mapping[str, float] | None = None  # a campaign's arrival times (RunOptions.arrived)
    journals: tuple[Journal, ...] = ()  # a campaign's results journals, kept in its record
    bounced: Mapping[str, str] = field(default_factory=dict)  # address → why its mail bounced
    # Client id (id_key) → their latest message without a workbook (the campaign's record).
    asked: Mapping[str, Asked] = field(default_factory=dict)
    # A returned file's sha256 → the reference process last compared it with (the record).
    references: Mapping[str, str] = field(default_factory=dict)


def status(
    clients_path: Path, paths: Sequence[Path], options: StatusOptions = StatusOptions()
) -> StatusReport:
    """Match returned workbooks to the client list and, if asked, write reminder drafts.

    Raises UsageError without a sender or with one that cannot be used, CampaignError for a
    reminders folder that cannot be used.
    """
    sender = None
    if options.reminders is not None:
        if options.sender is None:
            raise UsageError("Para escribir recordatorios indique el remitente con --from.")
        sender = parse_sender(options.sender)
        _check_reminders_folder(options.reminders)  # early: before the workbooks are read
    listing = read_client_list(clients_path)
    if not listing.ok:
        return StatusReport((), (), listing.problems)
    with tempfile.TemporaryDirectory(prefix="msp-status-") as scratch:
        # Review copies are written (to a scratch folder) only when they will be attached.
        output = Path(scratch) if options.reminders is not None else None
        report = run(
            list(paths),
            RunOptions(
                output_dir=output,
                recursive=options.recursive,
                review_only=True,
                arrived=options.arrived,
            ),
        )
        clients, unmatched = match_clients(listing.clients, report.files)
        clients = [
            replace(
                c,
                bounced=options.bounced.get((c.client.email or "").casefold()),
                asked=options.asked.get(id_key(c.client.id or "")),
            )
            for c in clients
        ]
        index = ClientIndex(listing.clients)
        held = {o.path: why for o in unmatched if (why := index.doubt(o.client))}
        # A client whose id a workbook held for confirmation claims gets no reminder: they may
        # have answered; the user confirms first.
        claimed = {id_key(o.client.id) for o in unmatched if o.path in held and o.client.id}
        journals = [*delivery_journals(options.delivered), *options.journals]
        if journals:
            sent = results_sent(journals)
            compared: dict[str, dict[str, str]] = {}
            for journal in journals:
                for client_id, by_stamp in journal.sent_references().items():
                    compared.setdefault(id_key(client_id), {}).update(by_stamp)
            clients = [with_results_sent(c, sent, compared, options.references) for c in clients]
        reminders: list[str] = []
        if options.reminders is not None and sender is not None:
            with folder_lock(options.reminders, "escribiendo recordatorios"):
                _check_reminders_folder(options.reminders)
                reminders = _write_reminders(
                    clients, options.reminders, sender, options.deadline, claimed
                )
    return StatusReport(tuple(clients), tuple(unmatched), (), tuple(reminders), held)


def results_sent(journals: Sequence[Journal]) -> dict[str, list[str | None]]:
    """Client id (as ``id_key`` compares them) → the stamps of the results ``send`` delivered to
    them, per ``journals`` (None for a message sent before drafts carried one)."""
    sent: dict[str, list[str | None]] = {}
    for journal in journals:
        for client_id, messages in journal.sent_results().items():
            sent.setdefault(id_key(client_id), []).extend(stamp for stamp, _ in messages)
    return sent


def delivery_journals(folders: Sequence[Path]) -> list[Journal]:
    """The sending journals of the results folders named with --delivered."""
    for folder in folders:
        if not (folder / JOURNAL_NAME).exists():
            raise CampaignError(
                f"{folder} no tiene registro de envíos ({JOURNAL_NAME}): indique con --delivered "
                "la carpeta de borradores de «deliver» desde la que envió los resultados."
            )
    return [Journal(folder / JOURNAL_NAME) for folder in folders]


def with_results_sent(
    entry: ClientStatus,
    sent: dict[str, list[str | None]],
    compared: Mapping[str, Mapping[str, str]] | None = None,
    references: Mapping[str, str] | None = None,
) -> ClientStatus:
    """``entry`` with what was delivered of its result: sent, never, or an earlier result only
    (the client has sent a newer workbook since); and whether the reference its figures were
    compared with has changed since it was sent (``compared``: client → stamp → the reference
    sent; ``references``: sha256 → the reference process last used)."""
    key = id_key(entry.client.id or "")
    stamps = sent.get(key, [])
    outcome = entry.outcome
    if entry.state is not State.SCORED or outcome is None or not stamps:
        return replace(entry, results_sent=bool(stamps))
    current = result_stamp(outcome.client, outcome.answers, outcome.date)
    if current in stamps or not any(stamps):  # (messages from before drafts carried a stamp)
        then = (compared or {}).get(key, {}).get(current)
        now = (references or {}).get(outcome.sha256 or "")
        moved = then is not None and now is not None and then != now
        return replace(entry, results_sent=True, reference_changed=moved)
    return replace(entry, results_sent=False, results_updated=True)


def _check_reminders_folder(folder: Path) -> None:
    if folder.is_dir() and (any(folder.glob("*.eml")) or (folder / JOURNAL_NAME).exists()):
        raise CampaignError(
            f"{folder} ya contiene recordatorios. Use una carpeta nueva para cada ronda, para que "
            "«send» no confunda esta ronda con la anterior."
        )


def _write_reminders(
    clients: Sequence[ClientStatus],
    folder: Path,
    sender: Address,
    deadline: date | None,
    claimed: set[str],
) -> list[str]:
    """A reminder for every client that has not answered or has problems, except the ``claimed``
    (their ids, as ``id_key`` compares them)."""
    instrument = load_instrument()
    templates = Personalizer(instrument)  # a client's template, as prepare made it
    written = []
    stems = file_stems([entry.client for entry in clients])  # as prepare named them
    for entry, stem in zip(clients, stems, strict=True):
        client = entry.client
        if entry.state is State.SCORED or id_key(client.id or "") in claimed or entry.bounced:
            continue  # a bounced address gets nothing until the list has the right one
        if entry.state is State.PENDING:
            text, extra = PENDING_TEXT, {"aviso": ""}
            if entry.asked and entry.asked.tell:
                asked = entry.asked
                extra["aviso"] = ASKED_LINE.format(
                    asunto=shorten(asked.subject, 80), fecha=asked.day, falta=asked.tell
                )
            attachments = [(attachment_name(client.company), templates.workbook(client))]
        else:
            assert entry.outcome is not None
            text, extra, attachments = _problems_reminder(entry.outcome, client, templates)
        text = with_deadline(text, deadline)
        msg = build_draft(client, sender, text, deadline, attachments, extra=extra)
        target = folder / f"{stem}.eml"
        write_draft(msg, target, client.email or "")
        written.append(str(target))
    flush_to_disk(Path(w) for w in written)
    return written


def _problems_reminder(
    outcome: FileOutcome, client: Client, templates: Personalizer
) -> tuple[MessageText, dict[str, str], list[tuple[str, bytes]]]:
    """The text, its fillings and attachments for a client whose workbook has problems.

    Problems the client can fix in the cells are listed as they are, with the -revisar copy.
    When the workbook is not (all of) our questionnaire, those messages speak to our user, not
    to the client: the client is told to fill in the fresh template attached instead.
    """
    if outcome.status is Status.UNREADABLE:  # a file we cannot read: the template again
        (prob,) = outcome.problems
        line = UNREADABLE_LINE.format(
            archivo=Path(outcome.path).name, motivo=problems.LABELS[prob.code].lower()
        )
        template = [(attachment_name(client.company), templates.workbook(client))]
        return PROBLEMS_TEXT, {"problemas": line, "adjunto": ""}, template
    fixable = [prob for prob in outcome.problems if prob.code not in NOT_FIXABLE_IN_CELLS]
    each = grouped(fixable, templates.instrument)
    lines = [f"{i}. {line.message}" for i, line in enumerate(each, start=1)]
    attachments: list[tuple[str, bytes]] = []
    note = ""
    if len(fixable) < len(outcome.problems):
        lines.append(f"{len(lines) + 1}. {NEW_TEMPLATE}")
        attachments.append((attachment_name(client.company), templates.workbook(client)))
    elif outcome.output and Path(outcome.output).exists():
        name = attachment_name(client.company).replace(".xlsx", " - revisar.xlsx")
        attachments.append((name, Path(outcome.output).read_bytes()))
        note = REVIEW_ATTACHED
    return PROBLEMS_TEXT, {"problemas": "\n".join(lines), "adjunto": note}, attachments


def describe(entry: ClientStatus) -> str:
    """One line for a person."""
    client = entry.client
    label = "REBOTADO" if entry.bounced and entry.state is State.PENDING else None
    parts = [
        f"{label or LABELS[entry.state].upper():<24}",
        shorten(client.id or "—", 40),
        client.display_name,
    ]
    outcome = entry.outcome
    if outcome is not None and outcome.score is not None:
        parts.append(f"{format_es(outcome.score.average, 2)} {outcome.score.stage.name}")
    elif outcome is not None:
        n = len(outcome.problems)
        parts.append(count(n, "problema"))
    else:
        parts.append(client.email or "—")
    if outcome is not None:
        parts.append(outcome.path)
    if entry.bounced:
        parts.append(f"el correo a {client.email} rebotó: {entry.bounced}; corrija la lista")
    elif entry.asked and entry.state is State.PENDING:
        parts.append(f"su mensaje del {entry.asked.day} {entry.asked.what}")
    if entry.results_updated:
        parts.append("resultados actualizados sin enviar")
    elif entry.reference_changed:
        parts.append(
            "resultados enviados; desde entonces ha cambiado la referencia con la que se le "
            "compara (lo enviado no cambia; «round freeze» la deja fija)"
        )
    elif entry.results_sent is not None and entry.state is State.SCORED:
        parts.append("resultados enviados" if entry.results_sent else "resultados sin enviar")
    return " · ".join(parts)
