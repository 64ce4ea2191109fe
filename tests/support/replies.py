"""Replies as mail programs really write them: attachments named in RFC 2231 and in RFC 2047
encoded words, nested multiparts, forwarded messages (message/rfc822), zips, things that are not
a workbook, and delivery status notifications from Postfix and from Exchange."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
CAMPAIGN = "canal@fabricante.es"


def reply(
    sender: str,
    subject: str,
    attachments: Sequence[tuple[str, bytes]] = (),
    *,
    when: datetime | None = None,
    encoded_word_names: bool = False,
) -> EmailMessage:
    """A reply with an HTML and a text body (Outlook's and Gmail's shape) and ``attachments``."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = CAMPAIGN
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when or datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "example.com")
    msg.set_content("Le envío el cuestionario relleno.\n\nUn saludo")
    msg.add_alternative("<p>Le envío el cuestionario relleno.</p><p>Un saludo</p>", subtype="html")
    for name, data in attachments:
        kind = XLSX if name.endswith(".xlsx") else ("application", "octet-stream")
        msg.add_attachment(data, maintype=kind[0], subtype=kind[1], filename=name)
        if encoded_word_names:  # Outlook's older habit: the name as an RFC 2047 encoded word
            part = list(msg.iter_attachments())[-1]
            encoded = "=?utf-8?b?" + base64.b64encode(name.encode()).decode() + "?="
            del part["Content-Disposition"]
            part["Content-Disposition"] = f'attachment; filename="{encoded}"'
            part.set_param("name", encoded, header="Content-Type")
    return msg


def apple_mail_reply(sender: str, subject: str, name: str, data: bytes) -> bytes:
    """Apple Mail's shape: the text alternative, then a mixed part in which the workbook sits
    inline between two pieces of HTML (x-unix-mode on its type, disposition inline)."""
    body = base64.encodebytes(data).decode()
    when = format_datetime(datetime(2026, 11, 25, 11, 0, tzinfo=UTC))
    return (
        f"From: {sender}\r\nTo: {CAMPAIGN}\r\nSubject: {subject}\r\nDate: {when}\r\n"
        f"Message-Id: {make_msgid(domain='icloud.com')}\r\nMime-Version: 1.0 (Mac OS X Mail "
        "16.0 \\(3774.600.62\\))\r\n"
        'Content-Type: multipart/alternative; boundary="Apple-Mail=_ALT"\r\n\r\n'
        "--Apple-Mail=_ALT\r\nContent-Transfer-Encoding: 7bit\r\n"
        "Content-Type: text/plain;\r\n\tcharset=us-ascii\r\n\r\nHola,\r\n\r\n\r\n\r\n"
        "Un saludo\r\n\r\n"
        "--Apple-Mail=_ALT\r\n"
        'Content-Type: multipart/mixed;\r\n\tboundary="Apple-Mail=_MIX"\r\n\r\n'
        "--Apple-Mail=_MIX\r\nContent-Transfer-Encoding: 7bit\r\n"
        "Content-Type: text/html;\r\n\tcharset=us-ascii\r\n\r\n<html><body>Hola,<br>"
        "</body></html>\r\n"
        "--Apple-Mail=_MIX\r\nContent-Disposition: inline;\r\n"
        f'\tfilename="{name}"\r\nContent-Type: application/vnd.openxmlformats-officedocument.'
        f'spreadsheetml.sheet;\r\n\tx-unix-mode=0644;\r\n\tname="{name}"\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n"
        "--Apple-Mail=_MIX\r\nContent-Transfer-Encoding: 7bit\r\n"
        "Content-Type: text/html;\r\n\tcharset=us-ascii\r\n\r\n<html><body><br>Un saludo"
        "</body></html>\r\n--Apple-Mail=_MIX--\r\n\r\n--Apple-Mail=_ALT--\r\n"
    ).encode()


def gmail_reply(sender: str, subject: str, name: str, data: bytes) -> bytes:
    """Gmail's shape: the alternatives first, then the attachment named in an RFC 2047 encoded
    word, with its X-Attachment-Id and Content-ID."""
    msg = reply(sender, subject, [(name, data)])
    part = list(msg.iter_attachments())[-1]
    encoded = "=?UTF-8?B?" + base64.b64encode(name.encode()).decode() + "?="
    del part["Content-Disposition"]
    part["Content-Disposition"] = f'attachment; filename="{encoded}"'
    part.set_param("name", encoded, header="Content-Type")
    part["X-Attachment-Id"] = "f_mhq2k1a70"
    part["Content-ID"] = "<f_mhq2k1a70>"
    return msg.as_bytes()


def automatic_reply(sender: str, subject: str) -> bytes:
    """An out-of-office reply, as Exchange writes it (RFC 3834's Auto-Submitted)."""
    msg = reply(sender, subject)
    msg["Auto-Submitted"] = "auto-replied"
    return msg.as_bytes()


def forwarded(by: str, original: EmailMessage) -> EmailMessage:
    """A colleague forwards the client's reply as an attachment (message/rfc822)."""
    msg = EmailMessage()
    msg["From"] = by
    msg["To"] = CAMPAIGN
    msg["Subject"] = f"RV: {original['Subject']}"
    msg["Date"] = format_datetime(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("Te reenvío lo que mandó mi compañera.")
    msg.add_attachment(original)
    return msg


def zipped(name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return out.getvalue()


def bounce(recipient: str, status: str, diagnostic: str, *, exchange: bool = False) -> bytes:
    """A delivery status notification (RFC 3464) as Postfix, or Exchange Online, writes it."""
    sender = (
        "Microsoft Outlook <postmaster@outlook.com>"
        if exchange
        else "Mail Delivery System <MAILER-DAEMON@mx.example.com>"
    )
    subject = "No se puede entregar:" if exchange else "Undelivered Mail Returned to Sender"
    when = format_datetime(datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
    return (
        f"From: {sender}\r\nTo: {CAMPAIGN}\r\nSubject: {subject}\r\nDate: {when}\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.com')}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="LIMITE"\r\n\r\n'
        "--LIMITE\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"<{recipient}>: {diagnostic}\r\n\r\n"
        "--LIMITE\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n\r\n"
        "--LIMITE--\r\n"
    ).encode()
