"""collect: the returned workbooks, straight from the mailbox (IMAP, read-only) or from the mail a
user exported (.eml files, an .mbox), into a folder of returns.

Every attachment that is a spreadsheet by its content (also inside a .zip) is saved once, under a
name that says who sent it and when, whatever it was called; the same attachment twice (forwarded,
sent again) is one file. Who a workbook belongs to is what it says (status and process decide);
the sender only says whom to ask. Messages without a workbook are listed with what they carried,
and delivery failures (bounces) with the address and the reason, in Spanish.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import io
import mailbox
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any

from msp_assessment.campaign.messages import attachment_name
from msp_assessment.campaign.send import Security, oauth_token
from msp_assessment.client import Client
from msp_assessment.errors import CampaignError
from msp_assessment.problems import Problem
from msp_assessment.processing.returns.intake import Format, Limits, sniff

WORKBOOK_SUFFIX = {
    Format.OOXML: ".xlsx",
    Format.ODS: ".ods",
    Format.XLS: ".xls",
    Format.XLSB: ".xlsb",
}
# What a message carried instead of a workbook, by the attachment's name or type, and what to ask.
NOT_A_WORKBOOK = (
    (
        re.compile(r"\.numbers$", re.I),
        "trae un archivo de Numbers: pídale que lo exporte a Excel (.xlsx)",
    ),
    (
        re.compile(r"\.pdf$", re.I),
        "trae un PDF: pídale el libro de Excel relleno, no una impresión",
    ),
    (
        re.compile(r"\.(jpe?g|png|heic|gif|tiff?)$", re.I),
        "trae una foto o imagen: pídale el libro de Excel relleno",
    ),
    (
        re.compile(r"^winmail\.dat$", re.I),
        "trae un winmail.dat de Outlook (formato TNEF, que no se puede leer): pídale que lo "
        "envíe de nuevo con formato HTML o de texto",
    ),
)
SPREADSHEET_NAMES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")  # a problem with one is reported
UNOPENED = (
    "trae un libro que no se puede abrir (véase «no guardado»): pídale que lo guarde de nuevo "
    "como Libro de Excel (.xlsx) y lo envíe"
)
NOTHING_ATTACHED = "no trae ningún adjunto: pídale que responda con el libro adjunto"


@dataclass(frozen=True)
class Mail:
    """One message, as it came (its bytes) and where from, for the report."""

    raw: bytes
    where: str


@dataclass(frozen=True)
class Saved:
    path: str
    sender: str
    sent: str  # the message's date, ISO
    attachment: str
    message_id: str
    sha256: str


@dataclass(frozen=True)
class Unusable:
    """A message that brought no workbook: whom it came from and what to ask them for."""

    sender: str
    subject: str
    where: str
    what: str
    client: Client | None = None


@dataclass(frozen=True)
class Bounce:
    """A delivery failure: the address that failed and why, in Spanish."""

    recipient: str
    status: str
    reason: str
    where: str
    client: Client | None = None


@dataclass(frozen=True)
class CollectReport:
    saved: tuple[Saved, ...] = ()
    already: int = 0  # attachments collected before (the same bytes)
    unusable: tuple[Unusable, ...] = ()
    bounces: tuple[Bounce, ...] = ()
    strangers: tuple[str, ...] = ()  # senders with a workbook who are not on the client list
    problems: tuple[tuple[str, Problem], ...] = field(default_factory=tuple)  # (where, problem)

    def to_dict(self) -> dict[str, Any]:
        return {
            "saved": [vars(s) for s in self.saved],
            "already_collected": self.already,
            "without_workbook": [
                {
                    "sender": u.sender,
                    "subject": u.subject,
                    "where": u.where,
                    "what": u.what,
                    "client": u.client.id if u.client else None,
                }
                for u in self.unusable
            ],
            "bounces": [
                {
                    "recipient": b.recipient,
                    "status": b.status,
                    "reason": b.reason,
                    "where": b.where,
                    "client": b.client.id if b.client else None,
                }
                for b in self.bounces
            ],
            "senders_not_on_list": list(self.strangers),
            "problems": [{"where": w, **p.to_dict()} for w, p in self.problems],
        }


# --- Where messages come from ----------------------------------------------------------------


@dataclass(frozen=True)
class ImapSettings:
    host: str
    user: str
    password: str
    port: int | None = None
    # TLS from the first byte (993), STARTTLS (143), or none (a local server, in the tests).
    security: Security = Security.SSL
    folder: str = "INBOX"
    token_command: str | None = None  # OAuth 2.0 (XOAUTH2) instead of the password
    token: Callable[[], str] | None = None  # or where a token comes from (Microsoft 365's login)


def from_imap(settings: ImapSettings, since: date | None = None) -> Iterator[Mail]:
    """Every message of the folder (since ``since``), read-only: EXAMINE and BODY.PEEK, so no
    message is deleted, moved or flagged (not even as seen)."""
    try:
        if settings.security is Security.SSL:
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(settings.host, settings.port or 993)
        else:
            connection = imaplib.IMAP4(settings.host, settings.port or 143)
            if settings.security is Security.STARTTLS:
                connection.starttls()
        if settings.token or settings.token_command:  # XOAUTH2, as Microsoft 365 and Gmail take
            token = (
                settings.token() if settings.token else oauth_token(settings.token_command or "")
            )
            proof = f"user={settings.user}\x01auth=Bearer {token}\x01\x01".encode()
            connection.authenticate("XOAUTH2", lambda _: proof)
        else:
            connection.login(settings.user, settings.password)
    except (OSError, imaplib.IMAP4.error) as err:
        raise CampaignError(
            f"No se pudo entrar en el buzón {settings.user} de {settings.host}: {err}. Compruebe "
            "el servidor, el puerto, el cifrado, el usuario y la contraseña."
        ) from err
    try:
        status, _ = connection.select(_quoted(settings.folder), readonly=True)
        if status != "OK":
            raise CampaignError(f"El buzón no tiene la carpeta «{settings.folder}».")
        criteria = ["SINCE", since.strftime("%d-%b-%Y")] if since else ["ALL"]
        _, found = connection.uid("SEARCH", *criteria)
        for uid in (found[0] or b"").split():
            number = uid.decode()
            _, data = connection.uid("FETCH", number, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), b"")
            yield Mail(raw, f"{settings.folder} UID {number}")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def from_files(source: Path) -> Iterator[Mail]:
    """The messages a user exported: .eml files (a folder of them, or one) and .mbox files."""
    files = sorted(source.rglob("*")) if source.is_dir() else [source]
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".eml":
            yield Mail(path.read_bytes(), str(path))
        elif suffix == ".mbox" or (suffix == "" and path.is_file() and _is_mbox(path)):
            box = mailbox.mbox(path, create=False)
            try:
                for n, message in enumerate(box, start=1):
                    yield Mail(message.as_bytes(), f"{path} #{n}")
            finally:
                box.close()


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(5) == b"From "


# --- What a message holds --------------------------------------------------------------------


def collect(
    mails: Iterable[Mail],
    target: Path,
    clients: Sequence[Client] = (),
    known: set[str] | None = None,
    limits: Limits | None = None,
) -> tuple[CollectReport, list[tuple[Path, Saved]]]:
    """Save every new workbook attached to ``mails`` into ``target``; ``known``: the sha256 of
    what was collected before (and what target holds). Returns the report and, for the record,
    each saved file with where it came from."""
    limits = limits or Limits()
    target.mkdir(parents=True, exist_ok=True)
    seen = set(known or set()) | {_sha(p.read_bytes()) for p in target.iterdir() if p.is_file()}
    by_email = {c.email.casefold(): c for c in clients if c.email}
    saved: list[tuple[Path, Saved]] = []
    unusable: list[Unusable] = []
    bounces: list[Bounce] = []
    strangers: list[str] = []
    problems: list[tuple[str, Problem]] = []
    already = 0
    for mail in mails:
        msg = BytesParser(policy=policy.default).parsebytes(mail.raw)
        assert isinstance(msg, EmailMessage)
        sender = parseaddr(str(msg.get("From", "")))[1]
        client = by_email.get(sender.casefold())
        bounce = _bounce(msg, mail.where, by_email)
        if bounce is not None:
            bounces.append(bounce)
            continue
        when = _sent(msg)
        found, others = _attachments(msg)
        workbooks = refused = 0
        for name, data in found:
            for inner, content in _unzipped(name, data, limits):
                kind = _kind(content, limits)
                if isinstance(kind, Problem) and inner.lower().endswith(SPREADSHEET_NAMES):
                    problems.append((f"{mail.where} · {inner}", kind))  # a bomb, a broken one
                    refused += 1
                    continue
                if not isinstance(kind, Format):
                    others.append(inner)
                    continue
                workbooks += 1
                digest = _sha(content)
                if digest in seen:
                    already += 1
                    continue
                seen.add(digest)
                path = _name_for(target, when, sender, inner, WORKBOOK_SUFFIX[kind])
                path.write_bytes(content)
                item = Saved(
                    str(path),
                    sender,
                    when.isoformat(),
                    inner,
                    str(msg.get("Message-ID", "")),
                    digest,
                )
                saved.append((path, item))
                if client is None and sender and sender not in strangers:
                    strangers.append(sender)
        if not workbooks:
            what = UNOPENED if refused else _what_instead(others)
            unusable.append(Unusable(sender, str(msg.get("Subject", "")), mail.where, what, client))
    report = CollectReport(
        tuple(s for _, s in saved),
        already,
        tuple(unusable),
        tuple(bounces),
        tuple(strangers),
        tuple(problems),
    )
    return report, saved


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sent(msg: Message) -> datetime:
    try:
        when = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _attachments(msg: EmailMessage) -> tuple[list[tuple[str, bytes]], list[str]]:
    """Every attached file (name, bytes), forwarded messages included, and the names of the
    parts that are not files we could read."""
    found: list[tuple[str, bytes]] = []
    others: list[str] = []
    for part in msg.walk():
        if part.is_multipart() or part.get_content_maintype() == "message":
            continue
        name = part.get_filename()
        if not name and part.get_content_disposition() != "attachment":
            continue  # the body
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            found.append((name or "adjunto", payload))
        else:
            others.append(name or "adjunto")
    return found, others


def _unzipped(name: str, data: bytes, limits: Limits) -> Iterator[tuple[str, bytes]]:
    """``data`` itself, or, for a plain .zip (not a workbook package), each file inside it,
    within the same limits as a returned workbook."""
    if not (data.startswith(b"PK") and name.lower().endswith(".zip")):
        yield name, data
        return
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) > limits.max_entries:
                return
            total = 0
            for member in members:
                total += member.file_size
                if (
                    member.file_size > limits.max_file_bytes
                    or total > limits.max_uncompressed_bytes
                ):
                    return
                yield f"{name}/{member.filename}", archive.read(member)
    except (zipfile.BadZipFile, OSError, ValueError):
        yield name, data


def _kind(data: bytes, limits: Limits) -> Format | Problem | None:
    """The spreadsheet format of ``data`` by its content; a Problem for a spreadsheet beyond the
    limits (a bomb, too large); None for anything else."""
    with tempfile.TemporaryDirectory(prefix="msp-adjunto-") as scratch:
        path = Path(scratch) / "adjunto"
        path.write_bytes(data)
        found = sniff(path, limits)
    if isinstance(found, Format):
        return found
    if found.code in ("file_not_workbook", "file_empty"):
        return None
    return found


def _what_instead(names: list[str]) -> str:
    for name in names:
        for pattern, what in NOT_A_WORKBOOK:
            if pattern.search(name.rsplit("/", 1)[-1]):
                return what
    if names:
        return f"trae adjuntos que no son un libro de Excel ({', '.join(names[:3])})"
    return NOTHING_ATTACHED


def _name_for(target: Path, when: datetime, sender: str, attachment: str, suffix: str) -> Path:
    """«2026-11-20 ana@alfa.es - Autoevaluación MSP - Alfa.xlsx», distinct in ``target``."""
    stem = attachment.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    base = attachment_name(f"{when:%Y-%m-%d} {sender or 'remitente desconocido'}", "", "")
    safe = attachment_name(stem, base.strip(" -"), suffix)
    path = target / safe
    n = 2
    while path.exists():
        path = target / f"{safe[: -len(suffix)]} ({n}){suffix}"
        n += 1
    return path


# --- Bounces ---------------------------------------------------------------------------------

REASONS = (
    (re.compile(r"^5\.1\.(1|10)$"), "el buzón no existe"),
    (re.compile(r"^5\.1\.2$"), "el dominio no existe"),
    (re.compile(r"^[45]\.2\.2$"), "el buzón está lleno"),
    (
        re.compile(r"^5\.7\."),
        "el servidor de destino rechazó el mensaje (política o correo no deseado)",
    ),
    (re.compile(r"^4\."), "un fallo temporal del servidor de destino"),
)


def _bounce(msg: EmailMessage, where: str, by_email: dict[str, Client]) -> Bounce | None:
    """A delivery status notification (RFC 3464): the failed address and why; None otherwise."""
    if msg.get_content_type() != "multipart/report":
        return None
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        fields: dict[str, str] = {}
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if isinstance(block, Message):
                for key, value in block.items():
                    fields.setdefault(key.lower(), str(value))
        recipient = fields.get("final-recipient") or fields.get("original-recipient") or ""
        recipient = recipient.split(";", 1)[-1].strip()
        status = fields.get("status", "").strip()
        reason = next((text for pattern, text in REASONS if pattern.match(status)), None)
        if reason is None:
            detail = fields.get("diagnostic-code", "").split(";", 1)[-1].strip()
            reason = f"el servidor de destino no lo entregó ({status or detail or 'sin motivo'})"
        return Bounce(recipient, status, reason, where, by_email.get(recipient.casefold()))
    return None
