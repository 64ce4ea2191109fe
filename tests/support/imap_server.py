"""A real IMAP server for the tests: Dovecot (Debian's dovecot-imapd) on 127.0.0.1, with its own
configuration, one test user and a Maildir, all in a temporary folder; started and stopped by the
test that needs it."""

from __future__ import annotations

import grp
import http.server
import imaplib
import json
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.programs import skip_unless_ci
from tests.support.smtp_server import OAUTH_TOKEN, free_port

IMAP_USER, IMAP_PASSWORD = "canal", "secreto-imap"
# Dovecot refuses to run its login and mail processes as root: they run as its own users.
SERVICE_USER, LOGIN_USER = "dovecot", "dovenull"


def dovecot_missing_reason() -> str | None:
    if shutil.which("dovecot") is None:
        return "falta Dovecot (paquete dovecot-imapd)"
    try:
        pwd.getpwnam(SERVICE_USER)
        pwd.getpwnam(LOGIN_USER)
    except KeyError:
        return f"faltan los usuarios {SERVICE_USER} y {LOGIN_USER} de Dovecot"
    return None


def require_dovecot() -> None:
    reason = dovecot_missing_reason()
    if reason is not None:
        skip_unless_ci(reason)


@dataclass
class ImapServer:
    port: int
    folder: Path
    process: subprocess.Popen[bytes]
    tokens: http.server.ThreadingHTTPServer  # where Dovecot checks an OAuth token

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.port)
        connection.login(IMAP_USER, IMAP_PASSWORD)
        return connection

    def append(self, message: bytes, mailbox: str = "INBOX") -> None:
        connection = self.connect()
        try:
            status, _ = connection.append(mailbox, None, None, message)
            assert status == "OK"
        finally:
            connection.logout()

    def state(self, mailbox: str = "INBOX") -> list[tuple[str, tuple[str, ...]]]:
        """(UID, flags) of every message: what a read-only reader must leave as it was
        (\\Recent aside: it belongs to each session)."""
        connection = self.connect()
        try:
            connection.select(mailbox, readonly=True)
            _, data = connection.uid("FETCH", "1:*", "(FLAGS)")
        finally:
            connection.logout()
        found = []
        for line in data:
            text = line.decode() if isinstance(line, bytes) else ""
            uid = re.search(r"UID (\d+)", text)
            flags = re.search(r"FLAGS \(([^)]*)\)", text)
            if uid and flags:
                kept = tuple(sorted(f for f in flags[1].split() if f != "\\Recent"))
                found.append((uid[1], kept))
        return sorted(found)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.tokens.shutdown()
        shutil.rmtree(self.folder, ignore_errors=True)


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
default_internal_user = {service}
default_internal_group = {service_group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = {base}/passwd
}}
passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {base}/oauth2.conf
}}
userdb {{
  driver = static
  args = uid={service} gid={service_group} home={base}/home/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


OAUTH2_CONFIG = """\
tokeninfo_url = http://127.0.0.1:{port}/tokeninfo?access_token=
introspection_mode = get
introspection_url = http://127.0.0.1:{port}/introspect?access_token=
username_attribute = username
force_introspection = yes
"""


class _TokenInfo(http.server.BaseHTTPRequestHandler):
    """The identity provider Dovecot asks about a token: OAUTH_TOKEN is IMAP_USER's."""

    def do_GET(self) -> None:
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        if query.get("access_token") == [OAUTH_TOKEN]:
            body, code = json.dumps({"username": IMAP_USER, "active": True}).encode(), 200
        else:
            body, code = b'{"error": "invalid_token"}', 401
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # the test's output is for the test
        pass


def start() -> ImapServer:
    """Dovecot in the foreground, in a folder of its own (its users must reach it, so not under
    pytest's private temporary folders); ready when it accepts a login."""
    base = Path(tempfile.mkdtemp(prefix="msp-dovecot-"))
    for part in ("run", "state", "home"):
        (base / part).mkdir(parents=True, exist_ok=True)
    service = pwd.getpwnam(SERVICE_USER)
    group = grp.getgrgid(service.pw_gid).gr_name
    os.chown(base / "home", service.pw_uid, service.pw_gid)
    base.chmod(0o755)
    (base / "passwd").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    tokens = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TokenInfo)
    threading.Thread(target=tokens.serve_forever, daemon=True).start()
    (base / "oauth2.conf").write_text(OAUTH2_CONFIG.format(port=tokens.server_address[1]))
    port = free_port()
    config = base / "dovecot.conf"
    config.write_text(
        CONFIG.format(
            base=base, port=port, service=SERVICE_USER, service_group=group, login=LOGIN_USER
        )
    )
    process = subprocess.Popen(
        ["dovecot", "-F", "-c", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = ImapServer(port, base, process, tokens)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.connect().logout()
            return server
        except (OSError, imaplib.IMAP4.error):
            if time.monotonic() > deadline or process.poll() is not None:
                server.stop()
                log = (base / "dovecot.log").read_text() if (base / "dovecot.log").exists() else ""
                raise AssertionError(f"Dovecot did not start: {log[-2000:]}") from None
            time.sleep(0.1)
