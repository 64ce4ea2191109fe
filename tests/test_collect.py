"""collect: the returns straight from a real IMAP mailbox (Dovecot), read-only, and the same
replies exported as .eml files and as an .mbox: every workbook once, bounces noticed."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_filled
from tests.support import imap_server
from tests.support.hostile import zip_bomb_ratio
from tests.support.imap_server import IMAP_PASSWORD, IMAP_USER, ImapServer
from tests.support.mail import campaign_in, invoke, invoke_json, write_list
from tests.support.replies import bounce, forwarded, reply, zipped
from tests.support.smtp_server import OAUTH_TOKEN, SmtpServer

LIST = [
    ("A-1", "Alfa", "Ana", "ana@alfa.es"),
    ("B-1", "Beta", "Bea", "bea@beta.es"),
    ("G-1", "Gamma", "Gil", "gil@gamma.es"),
    ("D-1", "Delta", "Dani", "dani@delta.es"),
    ("E-1", "Épsilon", "Eva", "eva@epsilon.es"),
    ("F-1", "Fi", "Fede", "fede@fi.es"),
    ("H-1", "Eta", "Hugo", "hugo@eta.es"),
    ("K-1", "Kappa", "Kim", "kim@kappa.es"),
]
THIRTY = [(f"T-{i:02d}", f"Empresa {i}", "X", f"persona{i}@empresa{i}.es") for i in range(30)]
THREES = uniform_answers({a: [3] * 5 for a in range(1, 5)})
FOURS = uniform_answers({a: [4] * 5 for a in range(1, 5)})


@pytest.fixture
def imap() -> Iterator[ImapServer]:
    imap_server.require_dovecot()
    server = imap_server.start()
    yield server
    server.stop()


def replies(work: Path) -> list[bytes]:
    """What the mailbox holds: eight clients' answers, two bounces and a hostile attachment."""
    work.mkdir(parents=True, exist_ok=True)

    def workbook(i: int, answers: dict[tuple[int, int], object]) -> bytes:
        path = write_filled(work / f"{LIST[i][0]}.xlsx", answers, client=Client(*LIST[i]))
        return path.read_bytes()

    alfa = workbook(0, THREES)
    beta_reply = reply(
        "Bea <bea@beta.es>",
        "RE: Autoevaluación",
        [("Autoevaluación MSP - Beta.xlsx", workbook(1, FOURS))],
        encoded_word_names=True,
    )
    bomb = zip_bomb_ratio(work) and (work / "bomba-ratio.xlsx").read_bytes()
    messages: list[EmailMessage | bytes] = [
        reply(
            "Ana <ana@alfa.es>", "RE: Autoevaluación", [("Autoevaluación MSP - Alfa.xlsx", alfa)]
        ),
        forwarded("Colega <colega@beta.es>", beta_reply),  # forwarded by someone not on the list
        reply(
            "Gil <gil@gamma.es>",
            "Cuestionario",
            [
                ("impreso.pdf", b"%PDF-1.4 impreso"),
                ("respuestas.zip", zipped("g.xlsx", workbook(2, FOURS))),
            ],
        ),
        reply("Dani <dani@delta.es>", "Lo miro la semana que viene"),
        reply(
            "Eva <eva@epsilon.es>",
            "Aquí lo tiene",
            [("autoevaluación.numbers", b"PK\x03\x04numbers")],
        ),
        bounce("fede@fi.es", "5.1.1", "550 5.1.1 <fede@fi.es>: Recipient address rejected"),
        bounce("hugo@eta.es", "5.2.2", "552 5.2.2 Mailbox full", exchange=True),
        reply("Kim <kim@kappa.es>", "Adjunto", [("kappa.xlsx", bomb)]),
        # Alfa's workbook again, sent by a colleague: the same file, collected once.
        reply("Otro <otro@alfa.es>", "RV: Autoevaluación", [("copia.xlsx", alfa)]),
    ]
    return [m if isinstance(m, bytes) else m.as_bytes() for m in messages]


@pytest.fixture
def campaign(tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    return invited(campaign_in(tmp_path, server, LIST, monkeypatch, "--round", "2026"), monkeypatch)


def invited(root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The campaign with its invitations sent and the mailbox's password at hand."""
    monkeypatch.setenv("MSP_IMAP_PASSWORD", IMAP_PASSWORD)
    assert invoke("prepare").exit_code == 0
    assert invoke("send").exit_code == 0
    return root


@pytest.fixture
def campaign_of_thirty(tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = campaign_in(tmp_path, server, THIRTY, monkeypatch, "--round", "2026", name="treinta")
    return invited(root, monkeypatch)


def collect_imap(imap: ImapServer) -> tuple[int, dict[str, Any]]:
    return invoke_json(
        "collect",
        "--imap-host",
        "127.0.0.1",
        "--imap-port",
        str(imap.port),
        "--imap-user",
        IMAP_USER,
        "--imap-security",
        "ninguno",
    )


def test_collect__from_a_real_mailbox__every_workbook_once__mailbox_untouched__status_right(
    campaign: Path, imap: ImapServer, tmp_path: Path
) -> None:
    for raw in replies(tmp_path / "libros"):
        imap.append(raw)
    before = imap.state()
    code, first = collect_imap(imap)
    assert code == 1  # the hostile attachment is reported; the run went on
    senders = sorted(s["sender"] for s in first["saved"])
    assert senders == ["ana@alfa.es", "colega@beta.es", "gil@gamma.es"]
    names = {s["attachment"] for s in first["saved"]}
    assert "Autoevaluación MSP - Beta.xlsx" in names  # an RFC 2047 name, decoded
    assert "respuestas.zip/g.xlsx" in names
    assert first["already_collected"] == 1  # Alfa's workbook, sent twice
    without = {w["client"]: w["what"] for w in first["without_workbook"]}
    assert "no trae ningún adjunto" in without["D-1"]
    assert "Numbers" in without["E-1"]
    assert "no se puede abrir" in without["K-1"]  # its attachment was the bomb
    assert "PDF" not in str(without.get("G-1"))  # Gamma's workbook came with its PDF
    bounced = {b["client"]: b["reason"] for b in first["bounces"]}
    assert bounced == {"F-1": "el buzón no existe", "H-1": "el buzón está lleno"}
    (hostile,) = first["problems"]
    assert "kappa.xlsx" in hostile["where"] and hostile["code"] == "file_too_large"
    # Beta's came forwarded by a colleague: reported, and still Beta's (its workbook says so).
    assert first["senders_not_on_list"] == ["colega@beta.es"]
    # Again: nothing new, and the mailbox is as it was (same UIDs, same flags).
    code, again = collect_imap(imap)
    assert again["saved"] == [] and again["already_collected"] == 4
    assert imap.state() == before
    received = sorted(p.name for p in (campaign / "2026" / "recibidos").iterdir())
    assert len(received) == 3 and all(name.startswith("2026-11-2") for name in received)
    human = invoke("status")
    lines = {line.split(" · ")[1]: line for line in human.output.splitlines() if " · " in line}
    assert lines["A-1"].startswith("RECIBIDO Y PUNTUADO")
    assert lines["B-1"].startswith("RECIBIDO Y PUNTUADO")
    assert lines["G-1"].startswith("RECIBIDO Y PUNTUADO")
    assert lines["D-1"].startswith("PENDIENTE")
    assert lines["F-1"].startswith("REBOTADO") and "el buzón no existe" in lines["F-1"]
    assert lines["H-1"].startswith("REBOTADO") and "el buzón está lleno" in lines["H-1"]
    assert invoke("status", "--reminders").exit_code == 0
    reminded = sorted(p.name[:3] for p in (campaign / "2026" / "recordatorios-1").glob("*.eml"))
    assert reminded == ["d-1", "e-1", "k-1"]  # never to an address that bounced


def test_collect__the_same_replies_exported_as_eml_and_mbox__the_same_workbooks(
    tmp_path: Path,
) -> None:
    messages = replies(tmp_path / "libros")
    clients = write_list(tmp_path / "lista.csv", LIST)
    folder = tmp_path / "correos"
    folder.mkdir()
    for n, raw in enumerate(messages):
        (folder / f"{n:02d}.eml").write_bytes(raw)
    box = mailbox.mbox(tmp_path / "buzon.mbox")
    for raw in messages:
        box.add(raw)
    box.close()
    results = {}
    for source in (folder, tmp_path / "buzon.mbox"):
        out = tmp_path / f"recibidos-{source.suffix or 'eml'}"
        _, report = invoke_json("collect", str(source), "-o", str(out), "--clients", str(clients))
        results[source.suffix] = (
            sorted(s["sha256"] for s in report["saved"]),
            sorted((b["client"], b["reason"]) for b in report["bounces"]),
            sorted(w["client"] or "" for w in report["without_workbook"]),
        )
    assert results[""] == results[".mbox"]
    assert len(results[""][0]) == 3


def test_collect__oauth2_token_command__xoauth2_against_dovecot(
    imap: ImapServer, tmp_path: Path
) -> None:
    imap.append(replies(tmp_path / "libros")[0])  # Alfa's reply
    clients = write_list(tmp_path / "lista.csv", LIST)
    base = ["collect", "-o", str(tmp_path / "recibidos"), "--clients", str(clients)]
    imap_args = ["--imap-host", "127.0.0.1", "--imap-port", str(imap.port)]
    imap_args += ["--imap-user", IMAP_USER, "--imap-security", "ninguno"]
    refused = invoke(*base, *imap_args, "--imap-oauth-token-command", "echo caducado")
    assert refused.exit_code == 1 and "No se pudo entrar en el buzón" in refused.output
    good = f"echo {OAUTH_TOKEN}"
    code, report = invoke_json(*base, *imap_args, "--imap-oauth-token-command", good)
    assert code == 0, report
    assert [s["sender"] for s in report["saved"]] == ["ana@alfa.es"]


def test_collect__thirty_replies_of_every_shape__collected_twice__status_for_every_client(
    campaign_of_thirty: Path, imap: ImapServer, tmp_path: Path
) -> None:
    """Thirty replies: plain, forwarded, two attachments, zipped, renamed, none, and two bounces."""
    work = tmp_path / "libros"
    work.mkdir()
    expected: dict[str, str] = {}
    for i, (client_id, company, _, email) in enumerate(THIRTY):
        kind = i % 6
        if i in (28, 29):  # two bounces
            imap.append(bounce(email, "5.1.1", "550 5.1.1 User unknown"))
            expected[client_id] = "REBOTADO"
            continue
        book = write_filled(
            work / f"{client_id}.xlsx", THREES, client=Client(client_id, company, "X", email)
        ).read_bytes()
        attachments: list[tuple[str, bytes]] = [("Autoevaluación.xlsx", book)]
        if kind == 1:  # forwarded by a colleague
            original = reply(f"<{email}>", "RE", attachments)
            imap.append(forwarded(f"Colega <colega{i}@otro.es>", original).as_bytes())
            expected[client_id] = "RECIBIDO Y PUNTUADO"
            continue
        if kind == 2:  # two attachments: a PDF and the workbook
            attachments = [("firmado.pdf", b"%PDF-1.4"), *attachments]
        elif kind == 3:  # zipped and renamed
            attachments = [("respuesta.zip", zipped("cuestionario.dat", book))]
        elif kind == 4:  # none
            attachments = []
        elif i == 5:  # Outlook's rich text: the workbook hidden in a winmail.dat (TNEF)
            attachments = [("winmail.dat", b"\x78\x9f\x3e\x22" + book[:100])]
        imap.append(reply(f"<{email}>", "RE: Autoevaluación", attachments).as_bytes())
        expected[client_id] = "PENDIENTE" if kind == 4 or i == 5 else "RECIBIDO Y PUNTUADO"
    before = imap.state()
    assert len(before) == 30
    code, first = collect_imap(imap)
    assert code == 0, first["problems"]
    code, again = collect_imap(imap)
    assert again["saved"] == [] and again["already_collected"] == len(first["saved"])
    assert imap.state() == before
    tnef = next(w for w in first["without_workbook"] if w["client"] == "T-05")
    assert "winmail.dat" in tnef["what"]
    human = invoke("status").output
    seen = {
        line.split(" · ")[1]: line.split(" · ")[0].strip()
        for line in human.splitlines()
        if " · " in line and line.split(" · ")[1] in expected
    }
    assert seen == expected
