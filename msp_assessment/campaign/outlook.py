"""Outlook for Windows' .msg files (what a user gets dragging a message out of Outlook), read by
extract-msg into the MIME message every other source gives, so collect has one path.

A .msg is a Compound File (OLE) that a client's mail program made, so it is read like any other
third-party input: apart (``run_apart``), with a memory cap and a deadline, after its size is
checked. What cannot be read is a Problem, and the rest of the folder is collected.
"""

from __future__ import annotations

from pathlib import Path

from msp_assessment.problems import Code, Problem, problem
from msp_assessment.processing.returns.apart import Stopped, run_apart
from msp_assessment.processing.returns.intake import Limits

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What converting a message costs beyond its size: extract-msg holds the streams, the MIME
# message its base64 text.
MEMORY_PER_BYTE = 6


def msg_as_mime(path: Path, limits: Limits) -> bytes | Problem:
    """The message in ``path`` (an Outlook .msg) as MIME bytes, or why it cannot be read."""
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(len(OLE_SIGNATURE))
    except OSError as err:
        return problem(Code.MAIL_UNREADABLE, detail=err.strerror or type(err).__name__)
    if size > limits.max_message_bytes:
        return message_too_large(size, limits)
    if head != OLE_SIGNATURE:
        return problem(Code.MAIL_UNREADABLE, detail="no es un mensaje de Outlook (.msg)")
    result = run_apart(
        _convert,
        str(path),
        memory=limits.reader_memory_bytes + MEMORY_PER_BYTE * size,
        seconds=limits.reader_seconds,
    )
    if isinstance(result, Stopped):
        return problem(Code.MAIL_UNREADABLE, detail=f"el lector de .msg {result.why}")
    if isinstance(result, str):
        return problem(Code.MAIL_UNREADABLE, detail=result)
    return result


def message_too_large(size: int, limits: Limits) -> Problem:
    return problem(
        Code.MAIL_TOO_LARGE,
        detail=f"{size / 2**20:.0f} MB; el límite es {limits.max_message_bytes / 2**20:.0f} MB",
    )


# MAPI properties that hold the sender's SMTP address, best first: Outlook keeps an Exchange
# (X.500) address in the sender's e-mail property when the sender is in the same organisation.
SENDER_SMTP = ("5D01", "0C1F", "5D02", "0065")


def _convert(path: str) -> bytes | str:
    """In the child: the MIME bytes, or what went wrong (in Spanish)."""
    import logging
    from email.utils import formataddr, parseaddr

    import extract_msg
    from extract_msg.msg_classes import MessageBase

    logging.getLogger("extract_msg").setLevel(logging.CRITICAL)  # its warnings are not ours
    try:
        with extract_msg.openMsg(path, delayAttachments=False) as message:
            if not isinstance(message, MessageBase):
                return f"es un elemento de Outlook que no es un mensaje ({type(message).__name__})"
            mime = message.asEmailMessage()
            # The transport headers Outlook keeps (or extract-msg's stand-in for them) may name
            # the sender without an address, or lack the subject: the properties have them.
            name, address = parseaddr(str(mime.get("From", "")))
            if "@" not in address:
                found = (message.getStringStream(f"__substg1.0_{tag}") for tag in SENDER_SMTP)
                smtp = next((a for a in found if isinstance(a, str) and "@" in a), None)
                if smtp:
                    del mime["From"]
                    mime["From"] = formataddr((name or address, smtp))
            if not mime.get("Subject") and message.subject:
                mime["Subject"] = message.subject
            try:
                return bytes(mime.as_bytes())
            except (AttributeError, TypeError):  # a message/* part holding text, not messages
                for part in mime.walk():
                    payload = part.get_payload()
                    if part.get_content_maintype() == "message" and isinstance(payload, str):
                        part.set_type("text/plain")  # (a delivery status kept as text)
                return bytes(mime.as_bytes())
    except Exception as err:  # a client's file: whatever its reader raises is this file's
        return f"{type(err).__name__}: {str(err)[:80] or 'sin detalle'}"
