"""send: deliver a folder of drafts through SMTP, once per client, journaled to survive a crash.

The journal (``envios.jsonl`` in the folder) gets one line per event, flushed to disk before the
next step: ``attempt`` before a message is handed to the server, then ``sent`` or ``failed``. On
the next run a client whose last event is ``sent`` is skipped, ``failed`` is retried, and an
``attempt`` with no outcome (the run died while the server was taking the message) is *not* sent
again but reported as unknown: the user checks the server's sent folder and, if it never left,
runs with ``--resend-unknown``. Never a duplicate is the rule; never a silent loss is the other.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import smtplib
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate
from enum import StrEnum
from pathlib import Path
from typing import Any

from msp_assessment.campaign.lock import folder_lock
from msp_assessment.campaign.messages import CLIENT_HEADER, REFERENCE_HEADER, RESULT_HEADER
from msp_assessment.campaign.security import Security
from msp_assessment.errors import CampaignError

JOURNAL_NAME = "envios.jsonl"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int | None = None  # default: 465 with SSL, else 587 with STARTTLS, else 25
    security: Security = Security.NONE
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    # OAuth 2.0 instead of a password: a command whose output is an access token (msmtp's
    # «passwordeval» convention), sent with SASL XOAUTH2.
    token_command: str | None = None
    token: Callable[[], str] | None = None  # or where a token comes from (Microsoft 365's login)
    timeout: float = 60.0
    context: ssl.SSLContext | None = None  # default: the system's trusted certificates

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return {Security.SSL: 465, Security.STARTTLS: 587, Security.NONE: 25}[self.security]


class Outcome(StrEnum):
    SENT = "sent"
    ALREADY_SENT = "already_sent"
    FAILED = "failed"
    UNKNOWN = "unknown"  # a previous run died while handing it over: not resent
    DRY_RUN = "dry_run"


@dataclass(frozen=True)
class Delivery:
    draft: str
    client_id: str
    recipient: str
    subject: str
    outcome: Outcome
    error: str | None = None
    results: bool = False  # a results message (deliver's), not an invitation or a reminder

    def to_dict(self) -> dict[str, Any]:
        return {
            "draft": self.draft,
            "client_id": self.client_id,
            "recipient": self.recipient,
            "subject": self.subject,
            "outcome": self.outcome.value,
            "error": self.error,
            "results": self.results,
        }


@dataclass(frozen=True)
class SendReport:
    deliveries: tuple[Delivery, ...]

    def count(self, outcome: Outcome) -> int:
        return sum(1 for d in self.deliveries if d.outcome is outcome)

    @property
    def sent_results(self) -> bool:
        """Results messages went out in this run."""
        return any(d.results and d.outcome is Outcome.SENT for d in self.deliveries)

    @property
    def ok(self) -> bool:
        return not any(d.outcome in (Outcome.FAILED, Outcome.UNKNOWN) for d in self.deliveries)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deliveries": [d.to_dict() for d in self.deliveries],
            "counts": {o.value: self.count(o) for o in Outcome},
        }


class Journal:
    """Append-only JSON lines; each line is on disk before the call returns."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def entries(self) -> list[dict[str, Any]]:
        """Every complete entry, oldest first (a line cut short by a crash says nothing)."""
        if not self.path.exists():
            return []
        found = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                str(entry["client_id"]), str(entry["event"])
            except (ValueError, KeyError, TypeError):
                continue
            found.append(entry)
        return found

    def last_events(self) -> dict[str, str]:
        """Message key (``message_key``) → its last event."""
        return {_entry_key(entry): str(entry["event"]) for entry in self.entries()}

    def sent_results(self) -> dict[str, list[tuple[str | None, str]]]:
        """Client id → the (result stamp, time) of every results message sent to them, oldest
        first; the stamp is None for a message written before drafts carried it."""
        sent: dict[str, list[tuple[str | None, str]]] = {}
        for entry in self.entries():
            if entry["event"] == "sent":
                stamp = entry.get("result")
                sent.setdefault(str(entry["client_id"]), []).append(
                    (str(stamp) if stamp else None, str(entry.get("time", "")))
                )
        return sent

    def sent_references(self) -> dict[str, dict[str, str]]:
        """Client id → result stamp → the reference its figures were compared with, when the
        results message that carried it was sent (the latest send of each)."""
        found: dict[str, dict[str, str]] = {}
        for entry in self.entries():
            stamp, reference = entry.get("result"), entry.get("reference")
            if entry["event"] == "sent" and stamp and reference:
                found.setdefault(str(entry["client_id"]), {})[str(stamp)] = str(reference)
        return found

    def record(self, event: str, draft: Path, msg: EmailMessage, error: str | None = None) -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "event": event,
            "client_id": client_key(draft, msg),
            "result": str(msg[RESULT_HEADER] or "") or None,
            "reference": str(msg[REFERENCE_HEADER] or "") or None,
            "recipient": str(msg["To"]),
            "message_id": str(msg["Message-ID"]),
            "draft": draft.name,
        }
        if error:
            entry["error"] = error
        self.write(entry)

    def write(self, entry: dict[str, Any]) -> None:
        """Append ``entry``, on disk before this returns."""
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def exists(self) -> bool:
        return self.path.exists()


def client_key(draft: Path, msg: EmailMessage) -> str:
    return str(msg[CLIENT_HEADER] or "") or f"archivo:{draft.name}"


def message_key(draft: Path, msg: EmailMessage) -> str:
    """What «sent once» is about: the client, and for results the result carried (a newer result
    of the same client is a new message)."""
    stamp = str(msg[RESULT_HEADER] or "")
    return client_key(draft, msg) + (f"#{stamp}" if stamp else "")


def _entry_key(entry: dict[str, Any]) -> str:
    stamp = entry.get("result")
    return str(entry["client_id"]) + (f"#{stamp}" if stamp else "")


Progress = Callable[[int, int, Delivery], None]


def send(
    folder: Path,
    settings: SmtpSettings,
    *,
    dry_run: bool = False,
    rate: float | None = None,
    resend_unknown: bool = False,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    journal: Journal | None = None,
) -> SendReport:
    """Send every draft of ``folder`` not sent yet; ``rate`` caps messages per minute.

    Raises CampaignError when the folder has no drafts or the server cannot be reached or refuses
    the login (nothing is sent in that case; later failures are per message, in the report).
    """
    if not any(folder.glob("*.eml")):
        raise CampaignError(f"{folder} no contiene borradores (.eml). Créelos con «prepare».")
    journal = journal or Journal(folder / JOURNAL_NAME)  # a campaign's is in its record
    with folder_lock(folder, "enviando"):
        return _send(folder, settings, dry_run, rate, resend_unknown, progress, sleep, journal)


def _send(
    folder: Path,
    settings: SmtpSettings,
    dry_run: bool,
    rate: float | None,
    resend_unknown: bool,
    progress: Progress | None,
    sleep: Callable[[float], None],
    journal: Journal,
) -> SendReport:
    """``send``, with the folder's lock held: the journal read here is the last word."""
    drafts = sorted(folder.glob("*.eml"))
    done = journal.last_events()
    interval = 60.0 / rate if rate else 0.0
    connection: smtplib.SMTP | None = None
    lost: str | None = None  # why the server could not be reached again after a dropped link
    deliveries: list[Delivery] = []
    sent = 0  # in this run
    try:
        for index, draft in enumerate(drafts, start=1):
            msg = _load(draft)
            key = client_key(draft, msg)
            last = done.get(message_key(draft, msg))
            if last == "sent":
                outcome, error = Outcome.ALREADY_SENT, None
            elif last == "attempt" and not resend_unknown:
                outcome, error = Outcome.UNKNOWN, UNKNOWN_NOTE
            elif dry_run:
                outcome, error = Outcome.DRY_RUN, None
            elif lost is not None:
                outcome, error = Outcome.FAILED, lost
            else:
                if connection is None:
                    try:
                        connection = _connect(settings)
                    except CampaignError as err:
                        if not sent:
                            raise
                        lost = str(err)
                if connection is None:
                    outcome, error = Outcome.FAILED, lost
                else:
                    if interval and sent:
                        sleep(interval)
                    outcome, error, connection = _deliver(connection, journal, draft, msg)
                    sent += outcome is Outcome.SENT
            delivery = Delivery(
                draft.name,
                key,
                str(msg["To"]),
                str(msg["Subject"]),
                outcome,
                error,
                results=bool(msg[RESULT_HEADER]),
            )
            deliveries.append(delivery)
            if progress is not None:
                progress(index, len(drafts), delivery)
    finally:
        if connection is not None:
            _quit(connection)
    return SendReport(tuple(deliveries))


UNKNOWN_NOTE = (
    "una ejecución anterior se interrumpió mientras se entregaba: compruebe en la carpeta de "
    "enviados del servidor si salió y, si no, vuelva a ejecutar con --resend-unknown"
)


def _load(draft: Path) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(draft.read_bytes())
    assert isinstance(msg, EmailMessage)
    return msg


def _deliver(
    connection: smtplib.SMTP, journal: Journal, draft: Path, msg: EmailMessage
) -> tuple[Outcome, str | None, smtplib.SMTP | None]:
    """Hand one message over; returns None as the connection when the server dropped it."""
    del msg["X-Unsent"]  # a draft marker, not part of the message as it leaves
    del msg["Date"]
    msg["Date"] = formatdate(localtime=True)
    journal.record("attempt", draft, msg)
    try:
        refused = connection.send_message(msg)
    except smtplib.SMTPServerDisconnected as err:
        journal.record("failed", draft, msg, _reason(err))
        return Outcome.FAILED, f"el servidor cerró la conexión: {_reason(err)}", None
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as err:
        journal.record("failed", draft, msg, _reason(err))
        _reset(connection)
        return Outcome.FAILED, _reason(err), connection
    if refused:
        reason = "; ".join(
            f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in refused.items()
        )
        journal.record("failed", draft, msg, reason)
        return Outcome.FAILED, reason, connection
    journal.record("sent", draft, msg)
    return Outcome.SENT, None, connection


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    context = settings.context or ssl.create_default_context()
    port = settings.effective_port
    where = f"{settings.host}:{port}"
    try:
        connection: smtplib.SMTP
        if settings.security is Security.SSL:
            connection = smtplib.SMTP_SSL(
                settings.host, port, timeout=settings.timeout, context=context
            )
        else:
            connection = smtplib.SMTP(settings.host, port, timeout=settings.timeout)
            if settings.security is Security.STARTTLS:
                connection.starttls(context=context)
        if settings.user and (settings.token or settings.token_command):
            token = (
                settings.token() if settings.token else oauth_token(settings.token_command or "")
            )
            _xoauth2(connection, settings.user, token)
        elif settings.user:
            _login(connection, settings.user, settings.password or "")
    except smtplib.SMTPAuthenticationError as err:
        reason = _reason(err)
        if any(code in reason for code in BASIC_AUTH_OFF):
            raise CampaignError(
                f"El servidor {where} ya no admite entrar con contraseña ({reason}): Microsoft 365 "
                "desactiva la autenticación básica de SMTP (desde finales de 2026, en casi todos "
                "los inquilinos). Pida a su administrador que active «SMTP autenticado» para este "
                "buzón, o envíe por otro servidor SMTP que la admita. No se ha enviado nada."
            ) from err
        raise CampaignError(
            f"El servidor {where} rechazó el usuario o la contraseña ({reason}). No se ha "
            "enviado nada."
        ) from err
    except (OSError, smtplib.SMTPException) as err:
        raise CampaignError(
            f"No se pudo conectar con el servidor {where}: {_why(err, settings)}. No se ha "
            "enviado nada."
        ) from err
    return connection


def oauth_token(command: str, timeout: float = 60.0) -> str:
    """The access token ``command`` prints (run by the shell, as msmtp runs «passwordeval»)."""
    try:
        done = subprocess.run(
            command, shell=True, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise CampaignError(f"No se pudo ejecutar la orden del token OAuth: {err}.") from err
    token = done.stdout.strip()
    if done.returncode != 0 or not token:
        detail = (done.stderr.strip() or f"salió con {done.returncode}")[:200]
        raise CampaignError(
            f"La orden del token OAuth no dio un token ({detail}). Compruébela en una terminal."
        )
    return token


def _xoauth2(connection: smtplib.SMTP, user: str, token: str) -> None:
    """SASL XOAUTH2 (what Microsoft 365 and Gmail take instead of a password)."""
    connection.ehlo_or_helo_if_needed()
    if "XOAUTH2" not in connection.esmtp_features.get("auth", "").upper().split():
        raise smtplib.SMTPNotSupportedError("el servidor no ofrece AUTH XOAUTH2 (OAuth 2.0)")
    initial = base64.b64encode(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()).decode()
    code, answer = connection.docmd("AUTH", f"XOAUTH2 {initial}")
    if code == 334:  # the server's error details, as a challenge: answer it empty to end
        code, answer = connection.docmd("")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)


# What Exchange Online answers when SMTP AUTH with a password is off for the tenant or mailbox.
BASIC_AUTH_OFF = ("5.7.30", "5.7.139", "5.7.57")


def _login(connection: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib's login, or, for a user or password beyond ASCII («contraseña»), which smtplib
    cannot encode, AUTH PLAIN (RFC 4616) or LOGIN with the text as UTF-8."""
    if (user + password).isascii():
        connection.login(user, password)
        return
    connection.ehlo_or_helo_if_needed()
    offered = connection.esmtp_features.get("auth", "").upper().split()

    def b64(data: str) -> str:
        return base64.b64encode(data.encode()).decode("ascii")

    if "PLAIN" in offered:
        code, answer = connection.docmd("AUTH", "PLAIN " + b64(f"\0{user}\0{password}"))
    elif "LOGIN" in offered:
        code, answer = connection.docmd("AUTH", "LOGIN " + b64(user))
        if code == 334:
            code, answer = connection.docmd(b64(password))
    else:
        raise smtplib.SMTPNotSupportedError(
            "el servidor no ofrece AUTH PLAIN ni LOGIN, los que admiten una contraseña con "
            "caracteres no ASCII"
        )
    if code not in (235, 503):  # 503: already authenticated
        raise smtplib.SMTPAuthenticationError(code, answer)


def _why(err: BaseException, settings: SmtpSettings) -> str:
    """What went wrong connecting, in Spanish, and what to check."""
    ports = "587 con --starttls, 465 con --ssl, 25 sin cifrado"
    if isinstance(err, smtplib.SMTPNotSupportedError):
        if settings.security is Security.STARTTLS:
            return "el servidor no admite STARTTLS; pruebe con --ssl (puerto 465) o sin cifrado"
        return "el servidor no admite el inicio de sesión; pruebe con --starttls o --ssl"
    if isinstance(err, ssl.SSLCertVerificationError):
        return (
            f"el certificado del servidor no es de confianza ({err.verify_message}); compruebe "
            "el nombre del servidor o, si usa una CA propia, indíquela en SSL_CERT_FILE"
        )
    if isinstance(err, ssl.SSLError):
        return (
            "no se pudo establecer la conexión cifrada; en el puerto 587 use --starttls y en el "
            "465, --ssl"
        )
    if isinstance(err, ConnectionRefusedError):
        return f"el servidor rechazó la conexión; compruebe --smtp-host y --smtp-port ({ports})"
    if isinstance(err, socket.gaierror):
        return (
            f"no se encuentra el servidor «{settings.host}»; compruebe el nombre en --smtp-host "
            "y la conexión a internet"
        )
    if isinstance(err, TimeoutError):
        return (
            "el servidor no responde (tiempo agotado); compruebe el servidor y el puerto, y que "
            "un cortafuegos no lo bloquee"
        )
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return f"el servidor cerró la conexión; compruebe el puerto ({ports})"
    return _reason(err)


def _reset(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError, smtplib.SMTPException):
        connection.rset()


def _quit(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _reason(err: BaseException) -> str:
    if isinstance(err, smtplib.SMTPResponseException):
        return f"{err.smtp_code} {_text(err.smtp_error)}"
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {_text(text)}" for rcpt, (code, text) in err.recipients.items()
        )
    return str(err) or type(err).__name__
