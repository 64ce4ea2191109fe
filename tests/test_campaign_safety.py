"""Nobody ever gets another client's data: texts in the client list that would add recipients,
a stale report beside another client's results, a company two clients share, a workbook claiming
an id; and the mail details that used to stop a campaign (a password with ñ, a very long name,
an internationalised domain, a name Windows reserves)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from email.headerregistry import Address
from pathlib import Path
from typing import Any

import pytest

from msp_assessment.campaign.messages import build_draft, invitation_text, write_draft
from msp_assessment.client import Client
from msp_assessment.client_list import read_client_list
from msp_assessment.errors import CampaignError
from msp_assessment.examples import uniform_answers, write_filled
from tests.support import smtp_server
from tests.support.mail import invoke, parse_eml, send_args, write_list
from tests.support.smtp_server import OAUTH_TOKEN, SmtpServer

SENDER = "Canal <canal@fabricante.es>"
INJECTED = "=?utf-8?q?x=0D=0ABcc:_evil@attacker.example?="
HIGH = uniform_answers(
    {1: [5, 5, 5, 4, 4], 2: [3, 3, 3, 4, 3], 3: [4, 4, 4, 3, 4], 4: [3, 3, 2, 2, 3]}
)
MIDDLE = uniform_answers({a: [3] * 5 for a in range(1, 5)})  # 3,00
LOW = uniform_answers({a: [1, 2, 1, 2, 1] for a in range(1, 5)})  # 1,40


def deliver(clients: Path, results: Path, out: Path) -> tuple[int, dict[str, Any]]:
    done = invoke("deliver", str(clients), str(results), "-o", str(out), "--from", SENDER, "--json")
    return done.exit_code, json.loads(done.stdout)


@pytest.mark.parametrize("column", [0, 1, 2])
def test_list_field_with_an_encoded_word_or_control_character__refused_with_its_line(
    tmp_path: Path, column: int
) -> None:
    rows = [["C-1", "Uno", "Ana", "ana@uno.es"], ["C-2", "Dos", "Luis", "luis@dos.es"]]
    rows[1][column] = INJECTED
    rows[0][column] += "\x1b[2K"
    clients = write_list(tmp_path / "clientes.csv", [tuple(r) for r in rows])
    listing = read_client_list(clients)
    found = [(p.code, p.line) for p in listing.problems]
    assert found == [("list_text_unsafe", 2), ("list_text_unsafe", 3)]
    assert "palabra codificada de correo" in listing.problems[1].message
    assert "caracteres de control" in listing.problems[0].message
    assert "\x1b" not in listing.problems[0].message  # shown escaped
    result = invoke("prepare", str(clients), "-o", str(tmp_path / "o"), "--from", SENDER)
    assert result.exit_code == 1
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").glob("*.eml"))


def test_draft_with_another_recipient__never_written(tmp_path: Path) -> None:
    client = Client("C-1", "Uno", "Ana", "ana@uno.es")
    sender = Address("Canal", "canal", "fabricante.es")
    msg = build_draft(client, sender, invitation_text(None), None, [])
    msg["Bcc"] = "evil@attacker.example"
    with pytest.raises(CampaignError, match=re.escape("evil@attacker.example")):
        write_draft(msg, tmp_path / "x.eml", "ana@uno.es")
    assert not (tmp_path / "x.eml").exists()
    # However this Python handles an encoded line break (CVE-2024-6923), a draft built from one
    # is either refused or addressed to the client alone.
    hostile = Client("C-1", INJECTED, INJECTED, "ana@uno.es")
    msg = build_draft(hostile, sender, invitation_text(None), None, [])
    try:
        write_draft(msg, tmp_path / "y.eml", "ana@uno.es")
    except CampaignError:
        assert not (tmp_path / "y.eml").exists()
    else:
        draft = parse_eml(tmp_path / "y.eml")
        assert draft["Bcc"] is None and [a.addr_spec for a in draft["To"].addresses] == [
            "ana@uno.es"
        ]


def test_stale_report_of_another_client__never_attached__earlier_results_kept(
    tmp_path: Path,
) -> None:
    clients = write_list(
        tmp_path / "clientes.csv",
        [("A-1", "Alfa", "Ana", "ana@alfa.es"), ("G-1", "Gamma", "Gil", "gil@gamma.es")],
    )
    alfa, gamma = tmp_path / "alfa", tmp_path / "gamma"
    write_filled(
        alfa / "autoevaluacion.xlsx", HIGH, client=Client("A-1", "Alfa", "Ana", "ana@alfa.es")
    )
    write_filled(
        gamma / "autoevaluacion.xlsx", MIDDLE, client=Client("G-1", "Gamma", "Gil", "gil@gamma.es")
    )
    results = tmp_path / "resultados"
    assert invoke("process", str(alfa), "-o", str(results), "--pdf").exit_code == 0
    alfa_copy = (results / "autoevaluacion-resultados.xlsx").read_bytes()
    assert invoke("process", str(gamma), "-o", str(results)).exit_code == 0
    assert (results / "autoevaluacion-resultados.xlsx").read_bytes() == alfa_copy  # kept
    code, report = deliver(clients, results, tmp_path / "entrega")
    assert code == 0, report
    drafts = {d["client"]["id"]: d for d in report["delivered"]}
    assert sorted(drafts) == ["A-1", "G-1"]
    assert (drafts["A-1"]["average"], drafts["G-1"]["average"]) == (3.55, 3.0)
    assert drafts["A-1"]["report"] == str(results / "autoevaluacion-informe.pdf")  # its own
    assert drafts["G-1"]["report"] is None  # made for Gamma, not Alfa's
    from msp_assessment.report.pdf import report_stamp

    stamps = {}
    for client_id, draft in drafts.items():
        msg = parse_eml(Path(draft["draft"]))
        pdf = next(a for a in msg.iter_attachments() if a.get_content_type() == "application/pdf")
        stamps[client_id] = report_stamp(pdf.get_content())
        body = msg.get_body(("plain",))
        assert body is not None
        expected = "3,55" if client_id == "A-1" else "3,00"
        assert f"Su puntuación global es {expected}" in body.get_content().replace("\r\n", " ")
    assert stamps["A-1"] == report_stamp((results / "autoevaluacion-informe.pdf").read_bytes())
    assert stamps["G-1"] not in (None, stamps["A-1"])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_copy_named_for_its_client__never_another_inputs_own_name(
    tmp_path: Path, jobs: str
) -> None:
    """Gamma's copy cannot take «autoevaluacion» (Alfa's copy of an earlier run is there): its
    name of Gamma's would be the one of another workbook of the run, Delta's. Each copy holds
    its own client, whatever the order the files are done in (Gamma's first, here)."""
    from msp_assessment.client import file_stem
    from msp_assessment.instrument import load_instrument
    from msp_assessment.processing.ooxml.package import unzip
    from msp_assessment.processing.ooxml.read import read_package
    from msp_assessment.processing.returns.locate import read_book

    gamma = Client("G-1", "Gamma", "Gil", "gil@gamma.es")
    delta = Client("D-1", "Delta", "Dora", "dora@delta.es")
    alfa_in, inbox = tmp_path / "alfa", tmp_path / "recibidos"
    write_filled(alfa_in / "autoevaluacion.xlsx", HIGH, client=Client("A-1", "Alfa", "Ana"))
    write_filled(inbox / "a" / "autoevaluacion.xlsx", MIDDLE, client=gamma)
    write_filled(inbox / "b" / f"autoevaluacion-{file_stem(gamma)}.xlsx", LOW, client=delta)
    results = tmp_path / "resultados"
    assert invoke("process", str(alfa_in), "-o", str(results)).exit_code == 0
    done = invoke("process", str(inbox / "a"), str(inbox / "b"), "-o", str(results), "--jobs", jobs)
    assert done.exit_code == 0, done.output
    instrument = load_instrument()

    def holder(name: str) -> str | None:
        parts = unzip((results / f"{name}-resultados.xlsx").read_bytes())
        assert parts is not None
        book = read_package(parts)
        assert book is not None
        return read_book(book, instrument).client.id

    assert holder("autoevaluacion") == "A-1"  # kept
    assert holder(f"autoevaluacion-{file_stem(gamma)}") == "D-1"  # Delta's own name
    assert holder(f"autoevaluacion-{file_stem(gamma)}-2") == "G-1"


def test_company_two_clients_share__and_a_claimed_id__delivered_to_nobody_and_reported(
    tmp_path: Path,
) -> None:
    clients = write_list(
        tmp_path / "clientes.csv",
        [
            ("B-1", "Redes Martínez", "Ana", "ana@bilbao.es"),
            ("S-1", "Redes Martínez", "Luis", "luis@sevilla.es"),
            ("G-1", "Gamma, S.L.", "Gil", "gil@gamma.es"),
        ],
    )
    inbox = tmp_path / "recibidos"
    # Sevilla returns the generic template: no id, a company two clients share.
    write_filled(inbox / "sevilla.xlsx", HIGH, client=Client(None, "Redes Martínez", "Luis"))
    # Gamma's own workbook («Gamma» without its legal form is still Gamma) ...
    real = Client("G-1", "GAMMA", "Gil", "gil@gamma.es")
    write_filled(inbox / "gamma.xlsx", LOW, client=real, date="20/11/2026")
    # ... and a newer one claiming Gamma's id under a company that is no client of the list.
    claim = Client("G-1", "Gama Hackers SL", "X", "x@evil.example")
    write_filled(inbox / "reclamado.xlsx", HIGH, client=claim, date="25/11/2026")
    results = tmp_path / "resultados"
    processed = invoke(
        "process", str(inbox), "-o", str(results), "--clients", str(clients), "--json"
    )
    superseded = json.loads(processed.stdout)["superseded"]
    assert not any(old.endswith("gamma.xlsx") for old, _ in superseded)  # the claim wins nothing
    code, report = deliver(clients, results, tmp_path / "entrega")
    assert code == 1
    delivered = {d["client"]["id"]: d["average"] for d in report["delivered"]}
    assert delivered == {"G-1": 1.4}  # Gamma's own answers, to Gamma
    held = {Path(c["path"]).name: c["message"] for c in report["contradictions"]}
    assert set(held) == {"sevilla-resultados.xlsx", "reclamado-resultados.xlsx"}
    assert "es la de varios clientes de la lista («B-1», «S-1»)" in held["sevilla-resultados.xlsx"]
    assert "no es la de ningún cliente de la lista" in held["reclamado-resultados.xlsx"]
    status = invoke("status", str(clients), str(inbox))
    assert "POR CONFIRMAR" in status.output and "reclamado.xlsx" in status.output
    gamma_line = next(line for line in status.output.splitlines() if "G-1" in line)
    assert "1,40" in gamma_line


@contextlib.contextmanager
def own_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str, **kwargs: Any
) -> Iterator[SmtpServer]:
    """A local SMTP server of this test's own (a password, a refusal), its CA trusted."""
    server = smtp_server.start(tmp_path, password=password, **kwargs)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
    monkeypatch.setenv("MSP_SMTP_PASSWORD", password)
    try:
        yield server
    finally:
        server.controller.stop()


def one_draft(tmp_path: Path) -> Path:
    """A folder with one invitation, to Ana of «Uno»."""
    clients = write_list(tmp_path / "c.csv", [("C-1", "Uno", "Ana", "ana@uno.es")])
    drafts = tmp_path / "borradores"
    assert invoke("prepare", str(clients), "-o", str(drafts), "--from", SENDER).exit_code == 0
    return drafts


def test_send__password_with_n_tilde__logs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with own_server(tmp_path, monkeypatch, "contraseña-ñ") as server:
        sent = invoke(*send_args(one_draft(tmp_path), server))
        assert sent.exit_code == 0, sent.output
        assert "Traceback" not in sent.output
        assert [r.recipients for r in server.recorder.received] == [["ana@uno.es"]]


def test_long_contact_idn_domain_and_reserved_id__drafts_every_server_accepts(
    tmp_path: Path, server: SmtpServer
) -> None:
    clients = write_list(
        tmp_path / "c.csv",
        [
            ("C-1", "Uno", "Ana" + "n" * 2000, "ana@uno.es"),
            ("C-2", "Dos", "Luis", "luis@españa.example"),
            ("CON", "", "Eva", "eva@tres.es"),
        ],
    )
    clients.write_bytes(clients.read_bytes().replace(b"CON;;", b"CON;Tres;"))
    drafts = tmp_path / "borradores"
    prepared = invoke("prepare", str(clients), "-o", str(drafts), "--from", SENDER)
    assert prepared.exit_code == 0, prepared.output
    names = sorted(p.name for p in drafts.iterdir() if p.suffix in (".eml", ".xlsx"))
    assert "con.eml" not in names and "con-tres.eml" in names
    for draft in drafts.glob("*.eml"):
        assert max(len(line) for line in draft.read_bytes().split(b"\r\n")) <= 998
    sent = invoke(*send_args(drafts, server))
    assert sent.exit_code == 0, sent.output
    got = sorted(r.recipients[0] for r in server.recorder.received)
    assert got == ["ana@uno.es", "eva@tres.es", "luis@xn--espaa-rta.example"]
    idn = next(r.message for r in server.recorder.received if "xn--" in r.recipients[0])
    assert idn["To"].addresses[0].domain == "xn--espaa-rta.example"


def test_reserved_windows_name__never_a_file_stem() -> None:
    from msp_assessment.client import file_stem

    assert file_stem(Client("CON")) == "con-cliente"
    assert file_stem(Client("lpt1")) == "lpt1-cliente"
    assert file_stem(Client("CON", "Tres")) == "con-tres"


def test_utf16_client_list__read_like_any_other(tmp_path: Path) -> None:
    text = "ID\tEmpresa\tEmail\r\nC-1\tÑandú Sistemas\tlucia@nandu.es\r\n"
    path = tmp_path / "clientes.csv"
    path.write_bytes(text.encode("utf-16"))  # Excel's «Texto Unicode»: BOM, tabs
    listing = read_client_list(path)
    assert listing.ok, listing.problems
    assert listing.clients == (Client("C-1", "Ñandú Sistemas", None, "lucia@nandu.es"),)
    path.write_bytes(text.encode("utf-16-le"))  # no BOM
    assert read_client_list(path).clients == listing.clients


def test_send__microsoft_365_without_password_logins__explained_in_spanish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusal = (
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
        "Tenant."
    )
    with own_server(tmp_path, monkeypatch, "lo-que-sea", refuse_logins=refusal) as server:
        sent = invoke(*send_args(one_draft(tmp_path), server))
        assert sent.exit_code == 1
        assert "ya no admite entrar con contraseña" in sent.output
        assert "SMTP autenticado" in sent.output and "No se ha enviado nada" in sent.output
        assert server.recorder.count() == 0


def test_send__oauth2_token_command__xoauth2_login__a_bad_token_or_command_said_clearly(
    tmp_path: Path, server: SmtpServer
) -> None:
    drafts = one_draft(tmp_path)
    wrong = invoke(*send_args(drafts, server, "--oauth-token-command", "echo caducado"))
    assert wrong.exit_code == 1 and "rechazó" in wrong.output
    broken = invoke(*send_args(drafts, server, "--oauth-token-command", "exit 3"))
    assert broken.exit_code == 1 and "La orden del token OAuth no dio un token" in broken.output
    assert server.recorder.count() == 0
    good = invoke(*send_args(drafts, server, "--oauth-token-command", f"echo {OAUTH_TOKEN}"))
    assert good.exit_code == 0, good.output
    assert [r.recipients for r in server.recorder.received] == [["ana@uno.es"]]
