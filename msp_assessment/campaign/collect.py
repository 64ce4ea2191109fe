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
from msp_assessment.campaign.outlook import message_too_large, msg_as_mime
from msp_assessment.campaign.security import Security
from msp_assessment.campaign.send import oauth_token
from msp_assessment.client import Client
from msp_assessment.errors import CampaignError
from msp_assessment.problems import Problem
from msp_assessment.processing.returns.intake import (
    OTHER_SPREADSHEET_SUFFIXES,
    WORKBOOK_SUFFIXES,
    Format,
    Limits,
    sniff,
)
from msp_assessment.processing.run.one_file import file_sha256


@dataclass(frozen=True)
class Instead:
    """What a message brought instead of a workbook: what our user should ask for (``ask``),
    and what the client reads in their reminder (``tell``: empty for nothing to tell)."""

    ask: str
    tell: str


# By the attachment's name, in order: the first that matches says what to ask.
NOT_A_WORKBOOK = (
    (
        re.compile(r"\.numbers$", re.I),
        Instead(
            "trae un archivo de Numbers: pídale que lo exporte a Excel (.xlsx)",
            "nos llegó un archivo de Numbers, que no podemos leer: en Numbers, elija Archivo > "
            "Exportar a > Excel… y envíenos el .xlsx",
        ),
    ),
    (
        re.compile(r"\.pdf$", re.I),
        Instead(
            "trae un PDF: pídale el libro de Excel relleno, no una impresión",
            "nos llegó un PDF: necesitamos el libro de Excel relleno, no una impresión",
        ),
    ),
    (
        re.compile(r"\.(jpe?g|png|heic|gif|tiff?)$", re.I),
        Instead(
            "trae una foto o imagen: pídale el libro de Excel relleno",
            "nos llegó una foto o imagen: necesitamos el libro de Excel relleno",
        ),
    ),
    (
        re.compile(r"^winmail\.dat$", re.I),
        Instead(
            "trae un winmail.dat de Outlook (formato TNEF, que no se puede leer): pídale que lo "
            "envíe de nuevo con formato HTML o de texto",
            "el adjunto nos llegó como «winmail.dat» (un formato de Outlook que no podemos leer): "
            "envíelo de nuevo con el mensaje en formato HTML o de texto",
        ),
    ),
)
# A spreadsheet by its name whose reading fails (a bomb, a broken one) is reported; a .numbers is
# not read at all: it is what to ask about.
SPREADSHEET_NAMES = tuple(
    s for s in WORKBOOK_SUFFIXES + OTHER_SPREADSHEET_SUFFIXES if s != ".numbers"
)
UNOPENED = Instead(
    "trae un libro que no se puede abrir (véase «no guardado»): pídale que lo guarde de nuevo "
    "como Libro de Excel (.xlsx) y lo envíe",
    "el libro que nos envió no se puede abrir: guárdelo de nuevo como «Libro de Excel (.xlsx)» "
    "y envíenoslo",
)
NOTHING_ATTACHED = Instead(
    "no trae ningún adjunto: pídale que responda con el libro adjunto",
    "nos llegó sin el libro adjunto",
)
AUTOMATIC = Instead("es una respuesta automática (fuera de la oficina o similar)", "")
AUTOMATIC_SUBJECT = re.compile(
    r"^(respuesta automática|automatic reply|auto[- ]?reply|out of (the )?office|fuera de la "
    r"oficina|abwesenheit|réponse automatique)",
    re.I,
)


@dataclass(frozen=True)
class Mail:
    """One message, as it came (its bytes) and where from, for the report."""

    raw: bytes
    where: str
    problem: Problem | None = None  # what kept it from being read (then raw is empty)


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
    what: str  # what to ask them for
    client: Client | None = None
    tell: str = ""  # what their reminder says about this message
    sent: str = ""  # the message's date, ISO


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
            "without_workbook": [_by_client_id(u) for u in self.unusable],
            "bounces": [_by_client_id(b) for b in self.bounces],
            "senders_not_on_list": list(self.strangers),
            "problems": [{"where": w, **p.to_dict()} for w, p in self.problems],
        }


def _by_client_id(item: Unusable | Bounce) -> dict[str, Any]:
    """``item``'s fields as the JSON gives them: its client by id."""
    return vars(item) | {"client": item.client.id if item.client else None}


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


def from_imap(
    settings: ImapSettings, since: date | None = None, limits: Limits | None = None
) -> Iterator[Mail]:
    """Every message of the folder (since ``since``), read-only: EXAMINE and BODY.PEEK, so no
    message is deleted, moved or flagged (not even as seen). A message over the size limit is
    not downloaded: it comes as its problem."""
    limits = limits or Limits()
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
        uids = (found[0] or b"").decode().split()
        sizes = _sizes(connection, uids)
        for number in uids:
            where = f"{settings.folder} UID {number}"
            size = sizes.get(number, 0)
            if size > limits.max_message_bytes:
                yield Mail(b"", where, message_too_large(size, limits))
                continue
            _, data = connection.uid("FETCH", number, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), b"")
            yield Mail(raw, where)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()


IMAP_SIZE = re.compile(rb"UID (\d+)|RFC822\.SIZE (\d+)")


def _sizes(connection: imaplib.IMAP4, uids: list[str]) -> dict[str, int]:
    """UID → the message's size, as the server tells it (RFC822.SIZE), without downloading."""
    sizes: dict[str, int] = {}
    for start in range(0, len(uids), 500):
        _, data = connection.uid("FETCH", ",".join(uids[start : start + 500]), "(RFC822.SIZE)")
        for line in data:
            text = line[0] if isinstance(line, tuple) else line
            if not isinstance(text, bytes):
                continue
            uid = size = None
            for match in IMAP_SIZE.finditer(text):
                uid = match.group(1) or uid
                size = match.group(2) or size
            if uid is not None and size is not None:
                sizes[uid.decode()] = int(size)
    return sizes


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def from_files(source: Path, limits: Limits | None = None) -> Iterator[Mail]:
    """The messages a user exported: .eml files (Thunderbird, Apple Mail, Outlook on the web),
    .msg files (Outlook for Windows), a folder of them, and .mbox files. A file that cannot be
    read comes as its problem, and the others follow."""
    limits = limits or Limits()
    files = sorted(source.rglob("*")) if source.is_dir() else [source]
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".eml":
            size = path.stat().st_size
            if size > limits.max_message_bytes:
                yield Mail(b"", str(path), message_too_large(size, limits))
            else:
                yield Mail(path.read_bytes(), str(path))
        elif suffix == ".msg":
            converted = msg_as_mime(path, limits)
            if isinstance(converted, Problem):
                yield Mail(b"", str(path), converted)
            else:
                yield Mail(converted, str(path))
        elif suffix == ".mbox" or (suffix == "" and path.is_file() and _is_mbox(path)):
            yield from _mbox(path, limits)


def _is_mbox(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(5) == b"From "


def _mbox(path: Path, limits: Limits) -> Iterator[Mail]:
    """The messages of an .mbox, read as a stream (the standard library's reader holds each
    message whole, however large): one over the size limit comes as its problem."""
    number, size, lines = 0, 0, list[bytes]()

    def message() -> Mail:
        where = f"{path} #{number}"
        if size > limits.max_message_bytes:
            return Mail(b"", where, message_too_large(size, limits))
        return Mail(b"".join(lines).removesuffix(b"\n"), where)

    with path.open("rb") as stream:
        for line in stream:
            if line.startswith(b"From "):  # a message starts (as mailbox.mbox splits them)
                if number:
                    yield message()
                number, size, lines = number + 1, 0, []
                continue
            size += len(line)
            if size <= limits.max_message_bytes:
                lines.append(line)
            else:
                lines = []
        if number:
            yield message()


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
    held = (file_sha256(p) for p in target.iterdir() if p.is_file())
    seen = set(known or set()) | {digest for digest in held if digest}
    by_email = {c.email.casefold(): c for c in clients if c.email}
    saved: list[tuple[Path, Saved]] = []
    unusable: list[Unusable] = []
    bounces: list[Bounce] = []
    strangers: list[str] = []
    problems: list[tuple[str, Problem]] = []
    already = 0
    for mail in mails:
        if mail.problem is not None:
            problems.append((mail.where, mail.problem))
            continue
        msg = BytesParser(policy=policy.default).parsebytes(mail.raw)
        assert isinstance(msg, EmailMessage)
        sender = parseaddr(str(msg.get("From", "")))[1]
        client = by_email.get(sender.casefold())
        bounce = _bounce(msg, mail.where, by_email) or _plain_bounce(
            msg, sender, mail.where, by_email
        )
        if bounce is not None:
            bounces.append(bounce)
            continue
        when = _sent(msg)
        subject = str(msg.get("Subject", ""))
        if _automatic(msg, subject):
            unusable.append(_unusable(sender, subject, mail.where, AUTOMATIC, client, when))
            continue
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
                path = _name_for(target, when, sender, inner, f".{kind.value}")
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
            instead = UNOPENED if refused else _what_instead(others)
            unusable.append(_unusable(sender, subject, mail.where, instead, client, when))
    report = CollectReport(
        tuple(s for _, s in saved),
        already,
        tuple(unusable),
        tuple(bounces),
        tuple(strangers),
        tuple(problems),
    )
    return report, saved


def _unusable(
    sender: str, subject: str, where: str, instead: Instead, client: Client | None, when: datetime
) -> Unusable:
    return Unusable(sender, subject, where, instead.ask, client, instead.tell, when.isoformat())


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


def _what_instead(names: list[str]) -> Instead:
    for name in names:
        for pattern, instead in NOT_A_WORKBOOK:
            if pattern.search(name.rsplit("/", 1)[-1]):
                return instead
    if names:
        listed = ", ".join(names[:3])
        return Instead(
            f"trae adjuntos que no son un libro de Excel ({listed})",
            f"los adjuntos que nos envió ({listed}) no son el libro de Excel de la autoevaluación",
        )
    return NOTHING_ATTACHED


def _automatic(msg: EmailMessage, subject: str) -> bool:
    """An automatic reply (out of office): RFC 3834's header, or the subjects mail programs
    give them."""
    submitted = str(msg.get("Auto-Submitted", "no")).strip().lower()
    return (
        submitted.startswith("auto-replied")
        or bool(msg.get("X-Autoreply"))
        or bool(AUTOMATIC_SUBJECT.match(subject.strip()))
    )


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


def _reason(status: str) -> str | None:
    """A delivery status code (RFC 3463) in Spanish words, for the ones a user can act on."""
    return next((words for pattern, words in REASONS if pattern.match(status)), None)


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
        reason = _reason(status)
        if reason is None:
            detail = fields.get("diagnostic-code", "").split(";", 1)[-1].strip()
            reason = f"el servidor de destino no lo entregó ({status or detail or 'sin motivo'})"
        return Bounce(recipient, status, reason, where, by_email.get(recipient.casefold()))
    return None


DAEMON = re.compile(r"^(mailer[-_]?daemon|postmaster|mail[-_]?daemon)$", re.I)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|not (be )?delivered|delivery (status|failure|notification)|failure notice|"
    r"returned mail|no se (ha )?(podido|pudo) entregar|no entregad|non remis|unzustellbar",
    re.I,
)
ADDRESS_IN_TEXT = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
STATUS_IN_TEXT = re.compile(r"\b([45]\.\d{1,3}\.\d{1,3})\b")


def _plain_bounce(
    msg: EmailMessage, sender: str, where: str, by_email: dict[str, Client]
) -> Bounce | None:
    """A delivery failure that is not a standard report (older servers; a notification saved
    from Outlook as a .msg): from the mailer daemon or postmaster, or with an empty return path
    and a bounce's subject. The failed address is the first client address its text names (or
    else its first address); the reason, from a status code in the text if it has one."""
    empty_return = str(msg.get("Return-Path", "")).strip() == "<>"
    subject = str(msg.get("Subject", ""))
    if not (
        DAEMON.match(sender.partition("@")[0]) or (empty_return and BOUNCE_SUBJECT.search(subject))
    ):
        return None
    body = msg.get_body(preferencelist=("plain", "html"))
    text = str(body.get_content()) if isinstance(body, EmailMessage) else ""
    addresses = [a.strip(".'") for a in ADDRESS_IN_TEXT.findall(text)]
    recipient = next((a for a in addresses if a.casefold() in by_email), None) or next(
        (a for a in addresses if a.casefold() != sender.casefold()), ""
    )
    found = STATUS_IN_TEXT.search(text)
    status = found.group(1) if found else ""
    reason = _reason(status)
    return Bounce(
        recipient,
        status,
        reason
        or "el servidor de destino no lo entregó (aviso sin formato estándar; véalo en el buzón)",
        where,
        by_email.get(recipient.casefold()),
    )
