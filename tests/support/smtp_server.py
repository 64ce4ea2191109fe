"""A real SMTP server on 127.0.0.1 for the tests: aiosmtpd with STARTTLS and AUTH required.

The certificate comes from a throw-away CA made by trustme; clients trust it through
SSL_CERT_FILE, exactly as they would trust a company CA.
"""

from __future__ import annotations

import base64
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "canal", "secreto-de-prueba"
OAUTH_TOKEN = "token-de-prueba-0123456789"  # what a token command prints in the tests


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        msg = BytesParser(policy=policy.default).parsebytes(self.raw)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class Recorder:
    """The handler: keeps every accepted message; refuses the recipients in ``reject``."""

    reject: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in self.reject:
            return "550 5.1.1 Buzón inexistente"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw))
        return "250 Mensaje aceptado"

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> Any:  # noqa: N802 (aiosmtpd)
        """SASL XOAUTH2 as Microsoft 365 and Gmail take it: «user=U^Aauth=Bearer T^A^A»."""
        encoded = args[1] if len(args) > 1 else ""
        try:
            text = base64.b64decode(encoded).decode()
        except ValueError:
            return AuthResult(success=False, handled=False)
        fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
        ok = fields.get("user") == USER and fields.get("auth") == f"Bearer {OAUTH_TOKEN}"
        return AuthResult(success=ok, handled=False, auth_data=fields.get("user"))

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def _authenticator(password: str, refuse: str | None = None) -> Any:
    """Accept USER with ``password``, both compared as UTF-8 bytes; or (``refuse``) answer every
    login with that line, as Exchange Online does when password logins are off."""

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        if refuse is not None:
            return AuthResult(success=False, handled=False, message=refuse)
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535

    return authenticate


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    port: int
    ca_file: Path
    recorder: Recorder
    controller: Controller


def start(
    tmp: Path,
    *,
    implicit_tls: bool = False,
    password: str = PASSWORD,
    refuse_logins: str | None = None,
) -> SmtpServer:
    """STARTTLS on a plain port, or (``implicit_tls``) TLS from the first byte as for --ssl."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    recorder = Recorder()
    port = free_port()
    tls: dict[str, Any] = (
        {"ssl_context": context}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True}
    )
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator(password, refuse_logins),
        auth_require_tls=not implicit_tls,
        **tls,
    )
    controller.start()
    return SmtpServer(port, ca_file, recorder, controller)
