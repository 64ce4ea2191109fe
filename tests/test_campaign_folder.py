"""A whole campaign in a folder made by init: no path and no SMTP option after it, and every
command and every sheet telling the same story."""

from __future__ import annotations

import os
import sqlite3
import tomllib
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_filled
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell
from tests.support.mail import campaign_in, invoke, invoke_json
from tests.support.smtp_server import USER, SmtpServer

LIST = [
    ("A-1", "Alfa", "Ana", "ana@alfa.es"),
    ("B-1", "Beta", "Bea", "bea@beta.es"),
    ("G-1", "Gamma", "Gil", "gil@gamma.es"),
    ("D-1", "Delta", "Dani", "dani@delta.es"),
]
TWOS = uniform_answers({a: [2] * 5 for a in range(1, 5)})
THREES = uniform_answers({a: [3] * 5 for a in range(1, 5)})
FOURS = uniform_answers({a: [4] * 5 for a in range(1, 5)})


def client(i: int) -> Client:
    return Client(*LIST[i])


def states(status: dict[str, Any]) -> dict[str, tuple[str, float | None]]:
    return {c["client"]["id"]: (c["status"], c["average"]) for c in status["clients"]}


def situation(summary: Path) -> dict[str, str]:
    ws = openpyxl.load_workbook(summary, data_only=True)["Resumen"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    at_id, at_state = head.index("Id. cliente"), head.index("Situación")
    return {str(r[at_id]): str(r[at_state]) for r in rows[1:] if r[at_id] and r[at_state]}


def estadisticas(summary: Path) -> dict[str, Any]:
    ws = openpyxl.load_workbook(summary, data_only=True)["Estadísticas"]
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] and r[1] is not None}


@pytest.fixture
def campaign(tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    return campaign_in(
        tmp_path,
        server,
        LIST,
        monkeypatch,
        "--security",
        "starttls",
        "--round",
        "2026",
        "--deadline",
        "15/12/2026",
    )


def test_init__config_a_person_reads__layout__never_the_password(campaign: Path) -> None:
    config = tomllib.loads((campaign / "campaña.toml").read_text(encoding="utf-8"))
    assert config["remitente"] == "Canal MSP <canal@fabricante.es>"
    assert config["smtp"]["servidor"] == "127.0.0.1" and config["smtp"]["usuario"] == USER
    assert config["rondas"] == [{"nombre": "2026", "fecha_limite": "2026-12-15"}]
    assert "secreto" not in (campaign / "campaña.toml").read_text(encoding="utf-8")
    assert (campaign / "clientes.csv").exists()
    assert sorted(p.name for p in (campaign / "2026").iterdir()) == [
        "entrega",
        "invitaciones",
        "recibidos",
        "resultados",
    ]
    again = invoke("init", str(campaign), "--clients", "clientes.csv", "--from", "a@b.es")
    assert again.exit_code == 2 and "ya es una carpeta de campaña" in again.output


def test_whole_campaign__two_rounds__no_path_no_smtp_option__every_command_agrees(
    campaign: Path, server: SmtpServer
) -> None:
    round1 = campaign / "2026"
    inbox = round1 / "recibidos"
    # Invitations, prepared and sent with what init wrote down.
    assert invoke("prepare").exit_code == 0
    assert len(list((round1 / "invitaciones").glob("*.eml"))) == 4
    sent = invoke("send")
    assert sent.exit_code == 0, sent.output
    assert server.recorder.count() == 4
    assert "Siguiente paso: recoja las respuestas con «msp-assessment collect»" in sent.output
    # Returns, dropped in by hand. Alfa's first workbook arrives, is seen by status...
    write_filled(inbox / "alfa.xlsx", THREES, client=client(0), date="20/11/2026")
    assert states(invoke_json("status")[1])["A-1"] == ("scored", 3.0)
    # ... then its second one, saved by a mail program with an older file date (newest first).
    second = write_filled(inbox / "alfa (2).xlsx", FOURS, client=client(0), date="20/11/2026")
    os.utime(second, (1_600_000_000, 1_600_000_000))
    # Beta returns a workbook with problems; Gamma a good one; Delta nothing.
    broken = dict(FOURS)
    del broken[(3, 2)]
    write_filled(inbox / "beta.xlsx", broken, client=client(1), date="21/11/2026")
    write_filled(inbox / "gamma.xlsx", TWOS, client=client(2), date="21/11/2026")
    code, status = invoke_json("status")
    assert code == 0
    assert states(status) == {
        "A-1": ("scored", 4.0),  # its latest arrival, whatever the file dates say
        "B-1": ("problems", None),
        "G-1": ("scored", 2.0),
        "D-1": ("pending", None),
    }
    # Reminders to Beta and Delta, in the round's next reminders folder; sent.
    reminded = invoke("status", "--reminders")
    assert reminded.exit_code == 0, reminded.output
    assert len(list((round1 / "recordatorios-1").glob("*.eml"))) == 2
    assert invoke("send").exit_code == 0
    assert server.recorder.count() == 6  # the invitations are not sent again
    # Process; Beta sends back its -revisar copy, corrected, with an older file date.
    assert invoke("process").exit_code == 1
    wb = openpyxl.load_workbook(round1 / "resultados" / f"beta{contract.REVIEW_SUFFIX}")
    named_cell(wb, contract.answer_name(3, 2)).value = 4
    corrected = inbox / f"beta{contract.REVIEW_SUFFIX}"
    wb.save(corrected)
    os.utime(corrected, (1_600_000_000, 1_600_000_000))
    code, report = invoke_json("process")
    assert code == 0, report
    summary = round1 / "resultados" / contract.SUMMARY_NAME
    code, status = invoke_json("status")
    assert states(status) == {
        "A-1": ("scored", 4.0),
        "B-1": ("scored", 4.0),
        "G-1": ("scored", 2.0),
        "D-1": ("pending", None),
    }
    # Every command and every sheet: the same statuses and numbers.
    assert situation(summary) == {
        "A-1": "Puntuado",
        "B-1": "Puntuado",
        "G-1": "Puntuado",
        "D-1": "Pendiente",
    }
    numbers = estadisticas(summary)
    tally = report["tally"]
    assert tally == {"files": 5, "scored": 4, "superseded": 2, "to_review": 0, "unreadable": 0}
    assert numbers["Archivos procesados"] == tally["files"]
    assert numbers["Libros sustituidos por uno más reciente"] == tally["superseded"]
    assert numbers["Clientes puntuados (cuentan en el resumen)"] == 3
    # Results, delivered and sent: each client's as status and the summary count it (Alfa's
    # latest arrival, whatever the dates of the copies process wrote).
    code, delivered = invoke_json("deliver")
    assert code == 0
    averages = {d["client"]["id"]: d["average"] for d in delivered["delivered"]}
    assert averages == {"A-1": 4.0, "B-1": 4.0, "G-1": 2.0}
    sent = invoke("send")
    assert sent.exit_code == 0
    assert server.recorder.count() == 9
    # Results went out: not «save the returned workbooks» again, but who got them.
    assert sent.output.splitlines()[-1] == (
        "Siguiente paso: vea a quién le han llegado sus resultados con «msp-assessment status»; "
        "para la ronda siguiente, «msp-assessment round new NOMBRE»."
    )
    # Gamma sends a new workbook after its results went out: status says so; sent once.
    write_filled(inbox / "gamma-nuevo.xlsx", THREES, client=client(2), date="28/11/2026")
    assert invoke("process").exit_code == 0
    human = invoke("status").output
    gamma = next(line for line in human.splitlines() if "G-1" in line)
    assert "3,00" in gamma and "resultados actualizados sin enviar" in gamma
    assert invoke("deliver").exit_code == 0
    resent = invoke("send")
    assert "1 enviado" in resent.output, resent.output
    assert server.recorder.count() == 10
    newest = server.recorder.received[-1].message
    assert newest["X-MSP-Client-Id"] == "G-1"
    # The record: every file that arrived, once, with its outcome.
    with sqlite3.connect(campaign / "registro.sqlite") as db:
        arrived = db.execute("SELECT COUNT(*) FROM arrivals WHERE round = '2026'").fetchone()
        outcomes = dict(db.execute("SELECT status, COUNT(*) FROM outcomes GROUP BY status"))
        events = dict(db.execute("SELECT event, COUNT(*) FROM messages GROUP BY event"))
        gamma_results = db.execute(
            "SELECT COUNT(DISTINCT result) FROM messages WHERE client_id = 'G-1' AND event = "
            "'sent' AND result IS NOT NULL"
        ).fetchone()
    assert arrived == (6,)
    assert outcomes == {"scored": 5, "invalid": 1}
    assert events == {"attempt": 10, "sent": 10}  # every message once, in the one record
    assert gamma_results == (2,)  # its first results, then the new ones
    assert not list(campaign.rglob("envios.jsonl"))
    # A second round: its own folders; process compares with the first without --previous.
    assert invoke("round", "new", "2027", "--deadline", "15/12/2027").exit_code == 0
    assert invoke("prepare").exit_code == 0
    assert (campaign / "2027" / "invitaciones").is_dir()
    write_filled(
        campaign / "2027" / "recibidos" / "alfa.xlsx", TWOS, client=client(0), date="30/11/2026"
    )
    code, later = invoke_json("process")
    (alfa,) = later["files"]
    assert [p["average"] for p in alfa["previous"]] == [4.0]
    assert alfa["change"]["average_text"] == "-2,00"


def test_outside_a_campaign__commands_without_paths_say_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (["prepare"], ["process"], ["status"], ["deliver"], ["send"], ["forget", "X"]):
        done = invoke(*args)
        assert done.exit_code == 2, (args, done.output)
        assert "carpeta de campaña" in done.output and "msp-assessment init" in done.output


def test_forget__a_client_erased_everywhere__summaries_made_again_without_them(
    campaign: Path, server: SmtpServer
) -> None:
    inbox = campaign / "2026" / "recibidos"
    assert invoke("prepare").exit_code == 0
    assert invoke("send").exit_code == 0
    write_filled(inbox / "alfa.xlsx", THREES, client=client(0), date="20/11/2026")
    write_filled(inbox / "respuesta beta.xlsx", FOURS, client=client(1), date="20/11/2026")
    assert invoke("process", "--pdf").exit_code == 0
    assert invoke("deliver").exit_code == 0
    assert invoke("send").exit_code == 0
    code, report = invoke_json("forget", "b-1")
    assert code == 0, report
    names = {Path(p).name for p in report["files"]}
    assert {"respuesta beta.xlsx", "respuesta beta-resultados.xlsx"} <= names
    assert {"b-1-beta.eml", "b-1-beta.xlsx", "respuesta beta-informe.pdf"} <= names
    assert report["journal_lines"] == 4  # invitation and results: attempt and sent
    leftovers = [p for p in campaign.rglob("*") if "beta" in p.name.lower()]
    assert leftovers == []
    journals = "".join(p.read_text() for p in campaign.rglob("envios.jsonl"))
    assert "B-1" not in journals and "bea@beta.es" not in journals
    assert "Beta" not in (campaign / "clientes.csv").read_text(encoding="utf-8-sig")
    summary = campaign / "2026" / "resultados" / contract.SUMMARY_NAME
    assert set(situation(summary)) == {"A-1", "G-1", "D-1"}
    assert estadisticas(summary)["Clientes puntuados (cuentan en el resumen)"] == 1
    with sqlite3.connect(campaign / "registro.sqlite") as db:
        companies = {row[0] for row in db.execute("SELECT company FROM outcomes")}
        recipients = {row[0] for row in db.execute("SELECT recipient FROM messages")}
    assert companies == {"Alfa"}
    assert not any("beta" in str(r) for r in recipients) and recipients
