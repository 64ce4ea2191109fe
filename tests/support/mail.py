"""What the mail tests share: a client list on disk, the CLI, reading drafts back."""

from __future__ import annotations

import json
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from msp_assessment.cli import cli
from tests.support.smtp_server import USER, SmtpServer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CLIENTS = [
    ("C-001", "Taller Informático Ruiz", "Marta Ruiz", "marta@tallerruiz.es"),
    ("C-002", "Soporte Levante", "Jordi Puig", "jordi@soportelevante.es"),
    ("C-003", "Redes del Norte, S.L.", "Iker Etxeberria", "iker@redesdelnorte.es"),
    ("C-004", "Cloud Ibérica", "", "info@cloudiberica.es"),
    ("C-005", "Ñandú Sistemas", "Lucía Gómez", "lucia@nandu.es"),
]


def write_list(
    path: Path,
    rows: list[tuple[str, ...]],
    *,
    sep: str = ";",
    bom: bool = True,
    header: tuple[str, ...] = ("ID", "Empresa", "Contácto", "E-mail"),
) -> Path:
    lines = [sep.join(header)] + [sep.join(f'"{v}"' if sep in v else v for v in r) for r in rows]
    data = "\r\n".join(lines) + "\r\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return path


def parse_eml(path: Path) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(msg, EmailMessage)
    return msg


def plain_text(msg: EmailMessage) -> str:
    """The text body; .eml files are written with CRLF (RFC 5322), compared here with \\n."""
    body = msg.get_body(("plain",))
    assert body is not None
    text: str = body.get_content()
    return text.replace("\r\n", "\n")


def invoke(*args: str, **env: str) -> Any:
    return CliRunner().invoke(cli, list(args), env=env or None)


def invoke_json(*args: str) -> tuple[int, dict[str, Any]]:
    """The command with --json: its exit code and what it printed, parsed."""
    done = invoke(*args, "--json")
    return done.exit_code, json.loads(done.stdout)


def send_args(folder: Path, server: SmtpServer, *extra: str) -> list[str]:
    return [
        "send",
        str(folder),
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(server.port),
        "--starttls",
        "--user",
        USER,
        *extra,
    ]


def campaign_in(
    tmp_path: Path,
    server: SmtpServer,
    rows: list[tuple[str, ...]],
    monkeypatch: Any,
    *extra: str,
    name: str = "campaña",
    sender: str = "Canal MSP <canal@fabricante.es>",
) -> Path:
    """A campaign folder made by init for ``rows``, sending through ``server``; the test runs
    inside it from then on."""
    clients = write_list(tmp_path / f"{name}.csv", rows)
    root = tmp_path / name
    smtp = ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port), "--user", USER]
    made = invoke("init", str(root), "--clients", str(clients), "--from", sender, *smtp, *extra)
    assert made.exit_code == 0, made.output
    monkeypatch.chdir(root)
    return root
