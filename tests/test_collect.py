"""collect: the returns straight from a real IMAP mailbox (Dovecot), read-only, and the same
replies exported as .eml files, as an .mbox and as Outlook .msg files (real ones from a public
corpus among them): every workbook once, bounces noticed, what to ask fed into the reminders,
hostile messages reported while the rest is collected."""

from __future__ import annotations

import hashlib
import mailbox
import os
import shutil
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from aspose.email_foss.msg import MapiMessage

from msp_assessment.campaign.collect import collect, from_files
from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_filled
from msp_assessment.processing.returns.intake import Limits
from tests.support import imap_server, msg_corpus
from tests.support.hostile import zip_bomb_ratio
from tests.support.imap_server import IMAP_PASSWORD, IMAP_USER, ImapServer
from tests.support.mail import campaign_in, invoke, invoke_json, write_list
from tests.support.replies import (
    XLSX,
    apple_mail_reply,
    automatic_reply,
    bounce,
    forwarded,
    gmail_reply,
    reply,
    zipped,
)
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


def body_of(draft: Path) -> str:
    msg = BytesParser(policy=policy.default).parsebytes(draft.read_bytes())
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return " ".join(str(body.get_content()).replace("\r\n", "\n").split(" "))


def as_msg(raw: bytes) -> bytes:
    """The message as an Outlook .msg, written by an independent writer (aspose-email-foss)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return bytes(MapiMessage.from_email_message(msg).to_bytes())


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def collect_imap(imap: ImapServer, *args: str) -> tuple[int, dict[str, Any]]:
    return invoke_json(
        "collect",
        *args,
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
    # What each message lacked: on the status line, and in the client's reminder.
    assert "su mensaje del 25/11/2026 trae un archivo de Numbers" in lines["E-1"]
    assert invoke("status", "--reminders").exit_code == 0
    drafts = {p.name[:3]: p for p in (campaign / "2026" / "recordatorios-1").glob("*.eml")}
    assert sorted(drafts) == ["d-1", "e-1", "k-1"]  # never to an address that bounced
    said = {key: body_of(path) for key, path in drafts.items()}
    assert (
        "Gracias por su mensaje «Aquí lo tiene» del 25/11/2026; nos llegó un archivo de "
        "Numbers, que no podemos leer: en Numbers, elija Archivo > Exportar a > Excel… y "
        "envíenos el .xlsx.\n\nTodavía no hemos recibido"
    ) in said["e-1"]
    assert "del 25/11/2026; nos llegó sin el libro adjunto." in said["d-1"]
    assert "el libro que nos envió no se puede abrir" in said["k-1"]


def test_collect__the_same_replies_exported_as_eml_mbox_and_msg__the_same_result(
    tmp_path: Path,
) -> None:
    messages = replies(tmp_path / "libros")
    clients = write_list(tmp_path / "lista.csv", LIST)
    folders = {"eml": tmp_path / "correos", "msg": tmp_path / "outlook"}
    for kind, folder in folders.items():
        folder.mkdir()
        for n, raw in enumerate(messages):
            (folder / f"{n:02d}.{kind}").write_bytes(raw if kind == "eml" else as_msg(raw))
    box = mailbox.mbox(tmp_path / "buzon.mbox")
    for raw in messages:
        box.add(raw)
    box.close()
    results = {}
    for source in (folders["eml"], tmp_path / "buzon.mbox", folders["msg"]):
        out = tmp_path / f"recibidos-{source.name}"
        code, report = invoke_json(
            "collect", str(source), "-o", str(out), "--clients", str(clients)
        )
        assert code == 1  # the bomb, reported
        results[source.name] = (
            sorted(s["sha256"] for s in report["saved"]),
            sorted((s["sender"], s["attachment"], s["sent"]) for s in report["saved"]),
            sorted((b["client"], b["reason"]) for b in report["bounces"]),
            sorted((w["client"] or "", w["what"]) for w in report["without_workbook"]),
            [p["code"] for p in report["problems"]],
        )
    assert results["correos"] == results["buzon.mbox"] == results["outlook"]
    assert len(results["correos"][0]) == 3
    assert results["correos"][2] == [("F-1", "el buzón no existe"), ("H-1", "el buzón está lleno")]


def test_collect__real_outlook_msg_files__read_as_outlook_wrote_them(tmp_path: Path) -> None:
    """Outlook-made .msg files of a public corpus: a Microsoft 365 message with a document, a
    text, a PDF, a photo and six embedded messages; a delivery failure that is not RFC 3464,
    saved from Outlook; a message whose only attachment is a message. And that Microsoft 365
    message with the client's workbook attached (by an independent writer: no public .msg made
    by Outlook carries a spreadsheet), and a damaged .msg."""
    corpus = msg_corpus.require()
    folder = tmp_path / "outlook"
    folder.mkdir()
    for name in msg_corpus.FILES:
        shutil.copy(corpus / name, folder / name)
    fegraph = Client("M-1", "Fegraph", "Vikram Arsid", "admin@fegraph.onmicrosoft.com")
    book = write_filled(tmp_path / "m.xlsx", FOURS, client=fegraph).read_bytes()
    answered = MapiMessage.from_file(corpus / "complete.msg")
    answered.add_attachment("Autoevaluación MSP - Fegraph.xlsx", book, mime_type="/".join(XLSX))
    (folder / "respuesta.msg").write_bytes(answered.to_bytes())
    (folder / "dañado.msg").write_bytes((corpus / "outer.msg").read_bytes()[:4096])
    before = digests(folder)
    clients = write_list(
        tmp_path / "lista.csv",
        [
            ("M-1", "Fegraph", "Vikram Arsid", "admin@fegraph.onmicrosoft.com"),
            ("T-1", "Tianjin", "Hou", "hp_lsz@tjdpf.org.cn"),
        ],
    )
    out = tmp_path / "recibidos"
    code, report = invoke_json("collect", str(folder), "-o", str(out), "--clients", str(clients))
    assert code == 1  # the damaged one is reported; the rest was collected
    (saved,) = report["saved"]
    assert saved["sender"] == "admin@fegraph.onmicrosoft.com"
    assert saved["attachment"] == "Autoevaluación MSP - Fegraph.xlsx"
    assert saved["sent"] == "2018-10-29T18:12:29+00:00"
    assert saved["message_id"].startswith("<BL0PR1701MB26411CF32259103CC8B78AD8EEF30@")
    assert (out / Path(saved["path"]).name).read_bytes() == book
    without = {Path(w["where"]).name: w for w in report["without_workbook"]}
    assert set(without) == {"complete.msg", "outer.msg"}
    # Its attachments are a .docx, a .txt, a PDF and a photo: the PDF is what to ask about.
    assert without["complete.msg"]["client"] == "M-1"
    assert without["complete.msg"]["what"].startswith("trae un PDF")
    assert without["outer.msg"]["what"].startswith("no trae ningún adjunto")
    (bounced,) = report["bounces"]
    assert (bounced["client"], bounced["recipient"]) == ("T-1", "hp_lsz@tjdpf.org.cn")
    assert "aviso sin formato estándar" in bounced["reason"]
    (damaged,) = report["problems"]
    assert damaged["code"] == "mail_unreadable" and damaged["where"].endswith("dañado.msg")
    assert digests(folder) == before  # the user's files as they were
    status = invoke("status", str(clients), str(out))
    fegraph_line = next(line for line in status.output.splitlines() if " · M-1 · " in line)
    assert fegraph_line.startswith("RECIBIDO Y PUNTUADO")


def test_collect__automatic_replies_and_old_style_bounces__not_mistaken_for_answers(
    tmp_path: Path,
) -> None:
    work = tmp_path / "libros"
    work.mkdir()
    plain_bounce = (
        b"From: MAILER-DAEMON@mx.beta.es\r\nTo: canal@fabricante.es\r\nReturn-Path: <>\r\n"
        b"Subject: Returned mail: see transcript for details\r\n"
        b"Date: Sat, 21 Nov 2026 08:00:00 +0000\r\n\r\n"
        b"The original message was received at Sat, 21 Nov 2026.\r\n\r\n"
        b"   ----- The following addresses had permanent fatal errors -----\r\n"
        b"<bea@beta.es>\r\n    (reason: 552 5.2.2 Mailbox full)\r\n"
    )
    out_of_office = automatic_reply("Ana <ana@alfa.es>", "Respuesta automática: Autoevaluación")
    clients = list(LIST[:2])
    report, _ = collect(
        [
            from_files_mail(tmp_path, "fuera.eml", out_of_office),
            from_files_mail(tmp_path, "rebote.eml", plain_bounce),
        ],
        tmp_path / "recibidos",
        [Client(*c) for c in clients],
    )
    (bounced,) = report.bounces
    assert (bounced.recipient, bounced.status, bounced.reason) == (
        "bea@beta.es",
        "5.2.2",
        "el buzón está lleno",
    )
    (auto,) = report.unusable
    assert auto.what.startswith("es una respuesta automática") and auto.tell == ""


def from_files_mail(folder: Path, name: str, raw: bytes) -> Any:
    (folder / name).write_bytes(raw)
    (mail,) = from_files(folder / name)
    return mail


def test_collect__messages_over_the_size_limit__reported_unread__in_every_source(
    tmp_path: Path,
) -> None:
    """An .eml, a message of an .mbox and an .msg over the limit: each is its problem, nothing
    of it is read whole, and the message beside it is collected."""
    limits = Limits(max_message_bytes=1024 * 1024)
    small = write_filled(tmp_path / "a.xlsx", THREES, client=Client(*LIST[0])).read_bytes()
    good = reply("Ana <ana@alfa.es>", "RE", [("a.xlsx", small)]).as_bytes()
    large = reply("Bea <bea@beta.es>", "RE", [("b.xlsx", os.urandom(1024 * 1024))]).as_bytes()
    folder = tmp_path / "correos"
    folder.mkdir()
    (folder / "1.eml").write_bytes(good)
    (folder / "2.eml").write_bytes(large)
    (folder / "3.msg").write_bytes(as_msg(large))
    box = mailbox.mbox(folder / "buzon.mbox")
    box.add(large)
    box.add(good)
    box.close()
    report, _ = collect(from_files(folder, limits), tmp_path / "recibidos", limits=limits)
    assert [(Path(w).name, p.code) for w, p in report.problems] == [
        ("2.eml", "mail_too_large"),
        ("3.msg", "mail_too_large"),
        ("buzon.mbox #1", "mail_too_large"),
    ]
    assert len(report.saved) == 1 and report.already == 1  # Ana's, in 1.eml and in the mbox


def test_collect__a_200_mb_attachment_in_the_mailbox__reported_not_downloaded(
    imap: ImapServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server says how large each message is: one with a 200 MB attachment is reported
    without being downloaded, and Ana's reply after it is collected."""
    huge = reply("Kim <kim@kappa.es>", "Adjunto", [("kappa.xlsx", b"\0" * (200 * 1024 * 1024))])
    imap.append(huge.as_bytes())
    del huge
    imap.append(replies(tmp_path / "libros")[0])  # Ana's reply
    clients = write_list(tmp_path / "lista.csv", LIST)
    monkeypatch.setenv("MSP_IMAP_PASSWORD", IMAP_PASSWORD)
    start = time.monotonic()
    code, report = collect_imap(imap, "-o", str(tmp_path / "recibidos"), "--clients", str(clients))
    assert code == 1
    (too_large,) = report["problems"]
    assert too_large["code"] == "mail_too_large" and too_large["where"] == "INBOX UID 1"
    assert "supera el límite de tamaño (274 MB; el límite es 100 MB)" in too_large["message"]
    assert [s["sender"] for s in report["saved"]] == ["ana@alfa.es"]
    assert time.monotonic() - start < 60  # not downloaded: a download and a parse take longer


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
    """Thirty replies: plain, forwarded, two attachments, zipped, renamed, none, Apple Mail's
    and Gmail's shapes, a winmail.dat, and two bounces."""
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
        elif i in (11, 17):  # Apple Mail's and Gmail's shapes
            shape = apple_mail_reply if i == 11 else gmail_reply
            imap.append(shape(f"<{email}>", "Re: Autoevaluación", "Autoevaluación MSP.xlsx", book))
            expected[client_id] = "RECIBIDO Y PUNTUADO"
            continue
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
