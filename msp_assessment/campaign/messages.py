"""Email texts and drafts: Spanish subject and body with placeholders, a workbook attached.

A draft is a standard .eml file with ``X-Unsent: 1``, so Outlook and Thunderbird open it as a
message ready to send; ``send`` delivers the same file through SMTP. ``X-MSP-Client-Id`` says whom a
draft is for, which is what the sending journal counts (never the file name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from msp_assessment._files import write_bytes
from msp_assessment.client import Client
from msp_assessment.errors import CampaignError, UsageError
from msp_assessment.text import EMAIL, spanish_date

CLIENT_HEADER = "X-MSP-Client-Id"
# In a results draft: the stamp of the result it carries (outcome.result_stamp), so that a newer
# result of the same client is a new message, sent once, and status knows which one went out.
RESULT_HEADER = "X-MSP-Result"  # the result a results message carries (outcome.result_stamp)
# The reference its figures were compared with (benchmark.Reference.id): recorded when sent, so
# that status can say when it has changed since; never part of what «sent once» is about (a
# late reply changes everybody's reference, not their results).
REFERENCE_HEADER = "X-MSP-Reference"


XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PDF_TYPE = ("application", "pdf")
PLACEHOLDERS = ("empresa", "contacto", "fecha_limite")

INVITATION_SUBJECT = "Autoevaluación del desarrollo como MSP: {empresa}"
INVITATION_BODY = """\
Hola, {contacto}:

Le enviamos la autoevaluación del desarrollo como MSP para {empresa}. Son veinte afirmaciones \
sobre procesos, tecnología, clientes e ingresos que se responden del 1 (completamente en \
desacuerdo) al 5 (completamente de acuerdo).

1. Abra el libro adjunto con Excel, LibreOffice, Google Sheets o Numbers.
2. Complete los datos de la empresa y elija una respuesta en la lista desplegable de cada \
afirmación.
3. Guárdelo como libro de Excel (.xlsx) y envíenoslo respondiendo a este correo{plazo}.

Con sus respuestas le devolveremos su etapa de desarrollo (Reactivo, Estable, Proactivo o \
Escalable) y un consejo práctico para cada área.

Un saludo,
{firma}
"""
DEADLINE_CLAUSE = " antes del {fecha_limite}"


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str

    @classmethod
    def from_file(cls, path: Path) -> MessageText:
        """Line 1 is the subject (``Asunto:`` optional); the body follows a blank line."""
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise CampaignError(f"No se pudo leer el mensaje {path}: {err}.") from err
        subject, _, body = text.replace("\r\n", "\n").partition("\n")
        subject = re.sub(r"^\s*asunto\s*:\s*", "", subject, flags=re.IGNORECASE).strip()
        if not subject or not body.strip():
            raise CampaignError(
                f"{path}: la primera línea debe ser el asunto y, tras una línea en blanco, el "
                "cuerpo del mensaje."
            )
        return cls(subject, body.lstrip("\n"))


def with_deadline(text: MessageText, deadline: date | None) -> MessageText:
    """Our default texts say «antes del <fecha>» only when there is a deadline."""
    clause = DEADLINE_CLAUSE if deadline else ""
    return MessageText(text.subject, text.body.replace("{plazo}", clause))


def invitation_text(deadline: date | None) -> MessageText:
    return with_deadline(MessageText(INVITATION_SUBJECT, INVITATION_BODY), deadline)


def parse_sender(text: str) -> Address:
    name, address = parseaddr(text)
    if not EMAIL.match(address):
        raise UsageError(
            f"Remitente no válido: «{text}». Use --from 'Nombre <nombre@empresa.com>'."
        )
    user, _, domain = address.rpartition("@")
    return Address(display_name=name, username=user, domain=domain)


def render(
    template: str,
    client: Client,
    deadline: date | None,
    signature: str = "",
    extra: dict[str, str] | None = None,
    placeholders: tuple[str, ...] = PLACEHOLDERS,
) -> str:
    """Fill {empresa}, {contacto}, {fecha_limite} (and our own {firma}, ``extra``) in one pass.

    An unknown placeholder is an error that lists ``placeholders``, the ones a user's own text
    may use. Filled-in text is never scanned again, so braces in a company name or a problem
    message stay as they are.
    """
    values: dict[str, str | None] = {
        "empresa": client.company or "",
        "contacto": client.contact or f"equipo de {client.company}",
        "fecha_limite": spanish_date(deadline) if deadline else None,
        "firma": signature,
        **(extra or {}),
    }

    def fill(match: re.Match[str]) -> str:
        key = match[1]
        if key not in values:
            known = ", ".join("{" + name + "}" for name in placeholders)
            raise CampaignError(f"Marcador desconocido {{{key}}} en el mensaje; use {known}.")
        value = values[key]
        if value is None:
            raise UsageError("El mensaje usa {fecha_limite}: indique la fecha con --deadline.")
        if value.endswith(".") and match.string.startswith(".", match.end()):
            return value[:-1]  # «… S.L.» ending a sentence: one dot, not two
        return value

    return re.sub(r"\{([^{}\s]*)\}", fill, template)


def attachment_name(
    company: str | None, prefix: str = "Autoevaluación MSP", suffix: str = ".xlsx"
) -> str:
    """A file name with the company that every mail program and file system accepts."""
    safe = " ".join(re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", company or "").split())
    # The name's own final dot stays («S.L.»: the suffix follows it); a leading one would hide
    # the file on Linux and macOS.
    safe = safe[:80].strip(" ").lstrip(".").strip(" ")
    return f"{prefix} - {safe}{suffix}" if safe else f"{prefix}{suffix}"


MAX_DISPLAY_NAME = 64  # characters of the name before an address: a word longer than a header
# line cannot be folded, and a line over 998 bytes is refused by mail servers («Line too long»)


def recipient_address(name: str, email: str) -> Address:
    """``name <email>`` as a header holds it: the name cut to a foldable length, the domain in
    IDNA («españa.example» is «xn--espaa-rta.example»), as every mail server expects."""
    user, _, domain = email.rpartition("@")
    return Address(display_name=name[:MAX_DISPLAY_NAME].strip(), username=user, domain=idna(domain))


def idna(domain: str) -> str:
    """An internationalised domain in its ASCII form; ASCII domains as they are."""
    if domain.isascii():
        return domain
    return domain.encode("idna").decode("ascii")


def build_draft(
    client: Client,
    sender: Address,
    text: MessageText,
    deadline: date | None,
    attachments: list[tuple[str, bytes]],
    extra: dict[str, str] | None = None,
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    name = client.contact or client.company or ""
    msg["To"] = recipient_address(name, client.email or "")
    msg["Subject"] = render(text.subject, client, deadline, extra=extra)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.domain)
    msg["X-Unsent"] = "1"
    msg[CLIENT_HEADER] = client.id or ""
    msg.set_content(render(text.body, client, deadline, sender.display_name, extra))
    for name, data in attachments:
        kind = PDF_TYPE if name.lower().endswith(".pdf") else XLSX_TYPE
        msg.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
    return msg


def refuse_existing_drafts(folder: Path, force: bool) -> None:
    """CampaignError when ``folder`` holds drafts already and ``force`` was not asked."""
    if any(folder.glob("*.eml")) and not force:
        raise CampaignError(
            f"{folder} ya contiene borradores. Use --force para sustituirlos (los ya enviados "
            "no se vuelven a enviar) o elija otra carpeta."
        )


RECIPIENT_HEADERS = ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc")


def write_draft(msg: EmailMessage, target: Path, recipient: str) -> None:
    """Write ``msg`` as a draft, after checking that, read back as a mail program reads it, it is
    addressed to ``recipient`` and nobody else, whatever the texts in its headers held (some
    Python versions let an encoded line break in a header become a header: CVE-2024-6923)."""
    data = msg.as_bytes(policy=SMTP)
    found = recipients(data)
    user, _, domain = recipient.rpartition("@")
    if found != [f"{user}@{idna(domain)}".casefold()]:
        raise CampaignError(
            f"El borrador para {recipient} saldría dirigido a {', '.join(found) or 'nadie'}: no "
            "se escribe. Revise los textos de la lista de clientes y del mensaje."
        )
    if max(len(line) for line in data.split(b"\r\n")) > MAX_LINE_BYTES:
        raise CampaignError(
            f"El borrador para {recipient} tiene una línea de más de {MAX_LINE_BYTES} bytes, que "
            "los servidores de correo rechazan: no se escribe. Acorte los textos de la lista."
        )
    write_bytes(data, target)  # the caller flushes them to disk: _files.flush_to_disk


MAX_LINE_BYTES = 998  # RFC 5322, 2.1.1


def recipients(data: bytes) -> list[str]:
    """Every address a message's bytes are sent to, as a mail program parses them."""
    parsed = BytesParser(policy=default).parsebytes(data, headersonly=True)
    found = []
    for name in RECIPIENT_HEADERS:
        for value in parsed.get_all(name, []):
            found += [address.addr_spec.casefold() for address in getattr(value, "addresses", ())]
            if not getattr(value, "addresses", ()):
                found.append(str(value))
    return found
