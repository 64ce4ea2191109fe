"""prepare, send and status end to end: client lists, .eml drafts, a real SMTP server, reminders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.campaign.security import Security
from msp_assessment.campaign.send import SmtpSettings, send
from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.client_list import read_client_list
from msp_assessment.examples import write_filled
from msp_assessment.processing.ooxml.read import from_workbook
from msp_assessment.processing.returns.locate import open_workbook, read_book
from msp_assessment.workbook_templates.cells import named_cell
from tests.support import smtp_server
from tests.support.mail import CLIENTS, XLSX, invoke, parse_eml, plain_text, send_args, write_list
from tests.support.smtp_server import PASSWORD, USER, SmtpServer

# --- client lists ---------------------------------------------------------------------------


@pytest.fixture
def prepared(tmp_path: Path) -> Path:
    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    out = tmp_path / "envio"
    result = invoke(
        "prepare",
        str(clients),
        "-o",
        str(out),
        "--from",
        "Canal MSP <canal@fabricante.es>",
        "--deadline",
        "15/12/2026",
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize(
    ("sep", "bom", "encoding"),
    [(";", True, "utf-8"), (",", False, "utf-8"), (";", False, "cp1252")],
    ids=["excel-es-utf8-bom", "comma-no-bom", "excel-es-windows-1252"],
)
def test_prepare__csv_dialects__every_client_read(
    tmp_path: Path, sep: str, bom: bool, encoding: str
) -> None:
    lines = [sep.join(("id", "EMPRESA", "contacto", "Correo electrónico"))]
    lines += [sep.join(f'"{v}"' if sep in v else v for v in row) for row in CLIENTS]
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    path = tmp_path / "clientes.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    result = invoke(
        "prepare", str(path), "-o", str(tmp_path / "o"), "--from", "canal@fabricante.es", "--json"
    )
    assert result.exit_code == 0, result.output
    got = [tuple(p["client"].values()) for p in json.loads(result.stdout)["prepared"]]
    assert got == [(i, e, c or None, m) for i, e, c, m in CLIENTS]


def test_prepare__xlsx_list_with_numeric_ids(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Id", "Empresa", "Contacto", "Email"])
    ws.append([1001, "Alfa", "Ana", "ana@alfa.es"])
    ws.append([None, None, None, None])
    ws.append([1002, "Beta", None, "b@beta.es"])
    wb.save(tmp_path / "clientes.xlsx")
    result = invoke(
        "prepare",
        str(tmp_path / "clientes.xlsx"),
        "-o",
        str(tmp_path / "o"),
        "--from",
        "c@f.es",
        "--json",
    )
    assert result.exit_code == 0, result.output
    ids = [p["client"]["id"] for p in json.loads(result.stdout)["prepared"]]
    assert ids == ["1001", "1002"]


def test_prepare__bad_rows__all_reported_by_line_and_nothing_written(tmp_path: Path) -> None:
    rows = [
        ("C-1", "Alfa", "Ana", "ana@alfa.es"),
        ("C-2", "", "Bea", "bea@beta.es"),  # line 3: no company
        ("c-1", "Gamma", "", "sin-arroba.es"),  # line 4: duplicate id, bad email
        ("", "Delta", "Dani", ""),  # line 5: no id, no email
    ]
    path = write_list(tmp_path / "clientes.csv", rows)
    out = tmp_path / "o"
    result = invoke("prepare", str(path), "-o", str(out), "--from", "c@f.es")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Línea 3: falta la empresa. Escriba el nombre de la empresa.",
        "Línea 4: el id. «c-1» ya está en la línea 2. Cada cliente necesita un id. distinto.",
        "Línea 4: «sin-arroba.es» no parece un email válido. Escriba una dirección como "
        "nombre@empresa.com.",
        "Línea 5: falta el id. del cliente. Dé a cada cliente un id. único.",
        "Línea 5: falta el email. Escriba la dirección del contacto.",
        f"No se ha escrito nada: corrija {path} y vuelva a ejecutar la orden.",
    ]
    assert not out.exists()


def test_prepare__missing_columns__named_with_the_spellings_that_would_do(tmp_path: Path) -> None:
    path = write_list(tmp_path / "c.csv", [("Alfa", "a@a.es")], header=("Empresa", "Teléfono"))
    result = invoke("prepare", str(path), "-o", str(tmp_path / "o"), "--from", "c@f.es")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "Línea 1: faltan las columnas id (vale también: «Id. cliente», «Código cliente», «Cód. "
        "cliente», «Código», «Nº cliente», «Número de cliente», «Referencia», «Ref.»); email "
        "(vale también: «E-mail», «Correo electrónico», «Correo», «Mail», «Email de contacto») "
        "(se han encontrado: «Empresa», «Teléfono»). La primera fila debe tener las columnas id, "
        "empresa, contacto y email."
    )


@pytest.mark.parametrize(
    "header",
    [
        ("Código cliente", "Razón social", "Persona de contacto", "Correo electrónico"),
        ("Cód. cliente", "Empresa", "Nombre y apellidos", "E-mail"),
        ("Nº cliente", "Compañía", "Contacto", "Mail"),
        ("REFERENCIA", "nombre de la empresa", "Responsable", "EMAIL DE CONTACTO"),
    ],
)
def test_client_list__header_spellings_people_write__all_read(
    tmp_path: Path, header: tuple[str, ...]
) -> None:
    path = write_list(tmp_path / "c.csv", [("A-1", "Alfa", "Ana", "a@alfa.es")], header=header)
    listing = read_client_list(path)
    assert listing.ok, listing.problems
    assert listing.clients[0] == Client("A-1", "Alfa", "Ana", "a@alfa.es")


# --- drafts ---------------------------------------------------------------------------------


def test_prepare__draft__spanish_headers_attachment_and_personalized_workbook(
    prepared: Path, instrument: Any
) -> None:
    drafts = sorted(prepared.glob("*.eml"))
    assert [d.name for d in drafts] == [
        "c-001-taller-informatico-ruiz.eml",
        "c-002-soporte-levante.eml",
        "c-003-redes-del-norte-s-l.eml",
        "c-004-cloud-iberica.eml",
        "c-005-nandu-sistemas.eml",
    ]
    msg = parse_eml(prepared / "c-005-nandu-sistemas.eml")
    assert msg["X-Unsent"] == "1"
    assert msg["Subject"] == "Autoevaluación del desarrollo como MSP: Ñandú Sistemas"
    assert msg["To"].addresses[0].addr_spec == "lucia@nandu.es"
    assert msg["To"].addresses[0].display_name == "Lucía Gómez"
    assert str(msg["From"]) == "Canal MSP <canal@fabricante.es>"
    assert msg["X-MSP-Client-Id"] == "C-005"
    text = plain_text(msg)
    assert text.startswith("Hola, Lucía Gómez:\n\nLe enviamos la autoevaluación")
    assert "respondiendo a este correo antes del 15 de diciembre de 2026." in text
    assert text.rstrip().endswith("Un saludo,\nCanal MSP")
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == XLSX
    assert attachment.get_filename() == "Autoevaluación MSP - Ñandú Sistemas.xlsx"
    data = attachment.get_content()
    workbook = prepared / "c-005-nandu-sistemas.xlsx"
    assert data == workbook.read_bytes()
    reading = read_book(from_workbook(open_workbook(workbook)), instrument)
    assert reading.client == Client("C-005", "Ñandú Sistemas", "Lucía Gómez", "lucia@nandu.es")
    # No contact: greeted as the company's team; a comma in the company survives the file name.
    other = plain_text(parse_eml(prepared / "c-004-cloud-iberica.eml"))
    assert other.startswith("Hola, equipo de Cloud Ibérica:")
    redes = next(parse_eml(prepared / "c-003-redes-del-norte-s-l.eml").iter_attachments())
    # The company's own final dot stays: «S.L.» then «.xlsx».
    assert redes.get_filename() == "Autoevaluación MSP - Redes del Norte, S.L..xlsx"


def test_prepare__own_message_with_placeholders(tmp_path: Path) -> None:
    clients = write_list(tmp_path / "c.csv", CLIENTS[:1])
    message = tmp_path / "mensaje.txt"
    message.write_text(
        "Asunto: {empresa}, su autoevaluación\n\nHola {nombre}.\n",
        encoding="utf-8",
    )
    args = ["prepare", str(clients), "-o", str(tmp_path / "o"), "--from", "c@f.es"]
    result = invoke(*args, "--message", str(message))
    assert result.exit_code == 1 and "Marcador desconocido {nombre}" in result.output
    message.write_text(
        "Asunto: {empresa}, su autoevaluación\n\nEstimada {contacto}: plazo {fecha_limite}.\n",
        encoding="utf-8",
    )
    result = invoke(*args, "--message", str(message))
    assert result.exit_code == 2  # an option is missing: the command line is to fix
    assert "El mensaje usa {fecha_limite}: indique la fecha con --deadline." in result.output
    result = invoke(*args, "--message", str(message), "--deadline", "2027-01-08")
    assert result.exit_code == 0, result.output
    msg = parse_eml(tmp_path / "o" / "c-001-taller-informatico-ruiz.eml")
    assert msg["Subject"] == "Taller Informático Ruiz, su autoevaluación"
    assert plain_text(msg) == "Estimada Marta Ruiz: plazo 8 de enero de 2027.\n"


def test_prepare__existing_drafts__needs_force(prepared: Path, tmp_path: Path) -> None:
    clients = write_list(tmp_path / "c2.csv", CLIENTS)
    args = ["prepare", str(clients), "-o", str(prepared), "--from", "c@f.es"]
    result = invoke(*args)
    assert result.exit_code == 1 and "ya contiene borradores" in result.output
    assert invoke(*args, "--force").exit_code == 0


# --- sending --------------------------------------------------------------------------------


def test_send__starttls_and_auth__each_client_once_attachment_byte_for_byte(
    prepared: Path, server: SmtpServer
) -> None:
    result = invoke(*send_args(prepared, server))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2] == (
        "Total: 5 enviados · 0 ya enviados antes · 0 fallidos · 0 desconocidos"
    )
    received = server.recorder.received
    assert sorted(r.recipients[0] for r in received) == sorted(c[3] for c in CLIENTS)
    assert all(r.sender == "canal@fabricante.es" and len(r.recipients) == 1 for r in received)
    for item in received:
        msg = item.message
        assert msg["X-Unsent"] is None
        client_id = msg["X-MSP-Client-Id"]
        draft = next(
            p for p in prepared.glob("*.eml") if parse_eml(p)["X-MSP-Client-Id"] == client_id
        )
        assert msg["Subject"] == parse_eml(draft)["Subject"]
        assert msg["Message-ID"] == parse_eml(draft)["Message-ID"]
        (attachment,) = list(msg.iter_attachments())
        assert attachment.get_content() == draft.with_suffix(".xlsx").read_bytes()
    nandu = next(r.message for r in received if r.recipients == ["lucia@nandu.es"])
    assert nandu["Subject"] == "Autoevaluación del desarrollo como MSP: Ñandú Sistemas"
    journal = [json.loads(line) for line in (prepared / "envios.jsonl").read_text().splitlines()]
    assert [e["event"] for e in journal] == ["attempt", "sent"] * 5
    # Running again sends nothing.
    again = invoke(*send_args(prepared, server))
    assert again.exit_code == 0
    assert again.output.splitlines()[-2].startswith("Total: 0 enviados · 5 ya enviados antes")
    assert server.recorder.count() == 5


def test_send__one_recipient_rejected__others_delivered_and_only_it_retried(
    prepared: Path, server: SmtpServer
) -> None:
    server.recorder.reject.add("jordi@soportelevante.es")
    result = invoke(*send_args(prepared, server))
    assert result.exit_code == 1
    failed = [line for line in result.output.splitlines() if line.startswith("FALLIDO")]
    assert len(failed) == 1 and "jordi@soportelevante.es" in failed[0]
    assert "550" in failed[0] and "Buzón inexistente" in failed[0]
    assert server.recorder.count() == 4
    server.recorder.reject.clear()
    retry = invoke(*send_args(prepared, server))
    assert retry.exit_code == 0
    assert retry.output.splitlines()[-2].startswith("Total: 1 enviado · 4 ya enviados antes")
    assert sorted(r.recipients[0] for r in server.recorder.received) == sorted(
        c[3] for c in CLIENTS
    )


def sending_slowly(prepared: Path, server: SmtpServer) -> subprocess.Popen[bytes]:
    """``send`` at 120 messages a minute, in its own process, once two messages went out: it
    has written its journal and waits for the next slot (0.5 s)."""
    env = {**os.environ, "SSL_CERT_FILE": str(server.ca_file), "MSP_SMTP_PASSWORD": PASSWORD}
    args = [sys.executable, "-m", "msp_assessment", *send_args(prepared, server, "--rate", "120")]
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while server.recorder.count() < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(0.1)
    return proc


def test_send__killed_mid_run__second_run_sends_the_rest_without_duplicates(
    prepared: Path, server: SmtpServer
) -> None:
    proc = sending_slowly(prepared, server)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = server.recorder.count()
    assert 2 <= first < 5, proc.stderr.read() if proc.stderr else ""
    result = invoke(*send_args(prepared, server))
    assert result.exit_code == 0, result.output
    assert f"Total: {5 - first} enviados · {first} ya enviados antes" in result.output
    recipients = [r.recipients[0] for r in server.recorder.received]
    assert sorted(recipients) == sorted(c[3] for c in CLIENTS)  # each exactly once


def test_send__ctrl_c__says_what_was_sent_exits_130_and_a_rerun_sends_the_rest(
    prepared: Path, server: SmtpServer
) -> None:
    proc = sending_slowly(prepared, server)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    text = stderr.decode()
    assert proc.returncode == 130, text  # as process: the shell's code for Ctrl-C
    assert "Interrumpido. Cada mensaje enviado consta en el registro de envíos" in text
    assert "solo se envía lo pendiente" in text and "Traceback" not in text
    first = server.recorder.count()
    result = invoke(*send_args(prepared, server))
    assert result.exit_code == 0, result.output
    assert f"Total: {5 - first} enviados · {first} ya enviados antes" in result.output
    recipients = [r.recipients[0] for r in server.recorder.received]
    assert sorted(recipients) == sorted(c[3] for c in CLIENTS)


def test_send__ssl_from_the_first_byte(
    prepared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = smtp_server.start(tmp_path, implicit_tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(running.ca_file))
    try:
        args = ["send", str(prepared), "--smtp-host", "127.0.0.1", "--smtp-port", str(running.port)]
        result = invoke(*args, "--ssl", "--user", USER, MSP_SMTP_PASSWORD=PASSWORD)
        assert result.exit_code == 0, result.output
        assert running.recorder.count() == 5
    finally:
        running.controller.stop()


def test_send__dry_run__sends_nothing_and_needs_no_password(
    prepared: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MSP_SMTP_PASSWORD")
    result = invoke(*send_args(prepared, server, "--dry-run"))
    assert result.exit_code == 0, result.output
    assert sum(line.startswith("SE ENVIARÍA") for line in result.output.splitlines()) == 5
    assert server.recorder.count() == 0 and not (prepared / "envios.jsonl").exists()


def test_send__wrong_password__clear_error_and_nothing_sent(
    prepared: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSP_SMTP_PASSWORD", "otra")
    result = invoke(*send_args(prepared, server))
    assert result.exit_code == 1
    assert "rechazó el usuario o la contraseña" in result.output
    assert "No se ha enviado nada." in result.output and "Traceback" not in result.output
    assert server.recorder.count() == 0


def test_send__password_prompted_when_not_in_environment(
    prepared: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MSP_SMTP_PASSWORD")
    result = CliRunner().invoke(cli, send_args(prepared, server), input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert server.recorder.count() == 5


def test_send__plain_connection_to_a_starttls_server__refused_before_sending(
    prepared: Path, server: SmtpServer
) -> None:
    args = ["send", str(prepared), "--smtp-host", "127.0.0.1", "--smtp-port", str(server.port)]
    result = invoke(*args, "--user", USER)
    assert result.exit_code == 1 and "No se ha enviado nada." in result.output
    assert server.recorder.count() == 0


def test_send__rate__waits_between_messages(prepared: Path, server: SmtpServer) -> None:
    waits: list[float] = []
    settings = SmtpSettings("127.0.0.1", server.port, Security.STARTTLS, USER, PASSWORD)
    report = send(prepared, settings, rate=30, sleep=waits.append)
    assert report.ok and server.recorder.count() == 5
    assert waits == [2.0] * 4


# --- status and reminders ---------------------------------------------------------------------


EXAMPLE = [[5, 5, 5, 4, 4], [3, 3, 3, 4, 3], [4, 4, 4, 3, 4], [3, 3, 2, 2, 3]]


def answers(grid: list[list[int]]) -> dict[tuple[int, int], object]:
    return {(a + 1, n + 1): v for a, row in enumerate(grid) for n, v in enumerate(row)}


@pytest.fixture
def returned(tmp_path: Path) -> Path:
    inbox = tmp_path / "recibidos"
    # C-001 renamed its file and wrote its company its own way (case, accents, legal form);
    # C-002 left answers blank; C-003 lost its id but kept the company; C-004 and C-005 have not
    # answered; one workbook is from a company not in the list.
    write_filled(
        inbox / "respuestas finales.xlsx",
        answers(EXAMPLE),
        client=Client("C-001", "TALLER INFORMATICO RUIZ, S.L."),
    )
    write_filled(
        inbox / "levante.xlsx", answers(EXAMPLE[:3]), client=Client("C-002", "Soporte Levante")
    )
    write_filled(
        inbox / "norte.xlsx", answers(EXAMPLE), client=Client(None, "redes del norte, s.l.")
    )
    write_filled(inbox / "otro.xlsx", answers(EXAMPLE), client=Client("X-9", "Desconocida"))
    return inbox


def test_status__matches_by_embedded_id_then_company(tmp_path: Path, returned: Path) -> None:
    clients = write_list(tmp_path / "c.csv", CLIENTS)
    result = invoke("status", str(clients), str(returned), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    states = {
        c["client"]["id"]: (c["status"], c["stage"], len(c["problems"])) for c in report["clients"]
    }
    assert states == {
        "C-001": ("scored", "Proactivo", 0),
        "C-002": ("problems", None, 5),
        "C-003": ("scored", "Proactivo", 0),
        "C-004": ("pending", None, 0),
        "C-005": ("pending", None, 0),
    }
    assert [Path(u["path"]).name for u in report["unmatched"]] == ["otro.xlsx"]
    assert report["counts"] == {"pending": 2, "scored": 2, "problems": 1, "unmatched": 1}
    human = invoke("status", str(clients), str(returned)).output.splitlines()
    assert human[0] == (
        f"RECIBIDO Y PUNTUADO      · C-001 · Taller Informático Ruiz · 3,55 Proactivo · "
        f"{returned / 'respuestas finales.xlsx'}"
    )
    assert human[1].startswith("RECIBIDO CON PROBLEMAS   · C-002 · Soporte Levante · 5 problemas")
    assert human[3] == "PENDIENTE                · C-004 · Cloud Ibérica · info@cloudiberica.es"
    assert human[-2] == (
        "Clientes: 5 · 2 puntuados · 1 con problemas · 2 pendientes · 1 libro sin cliente"
    )
    assert human[-1].startswith("Siguiente paso: escriba recordatorios con --reminders")


def test_status__reminders__pending_and_problems_with_review_copy(
    tmp_path: Path, returned: Path, instrument: Any
) -> None:
    clients = write_list(tmp_path / "c.csv", CLIENTS)
    folder = tmp_path / "recordatorios"
    before = {p.name: p.read_bytes() for p in returned.iterdir()}
    result = invoke(
        "status",
        str(clients),
        str(returned),
        "--reminders",
        str(folder),
        "--from",
        "Canal <canal@fabricante.es>",
        "--deadline",
        "2026-12-20",
    )
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in returned.iterdir()} == before
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        "c-002-soporte-levante.eml",
        "c-004-cloud-iberica.eml",
        "c-005-nandu-sistemas.eml",
    ]
    pending = parse_eml(folder / "c-004-cloud-iberica.eml")
    assert pending["X-Unsent"] == "1" and pending["X-MSP-Client-Id"] == "C-004"
    assert (
        pending["Subject"] == "Recordatorio: autoevaluación del desarrollo como MSP (Cloud Ibérica)"
    )
    (blank,) = list(pending.iter_attachments())
    reading = read_book(
        from_workbook(open_workbook_bytes(blank.get_content(), tmp_path)), instrument
    )
    assert reading.client.id == "C-004"
    fix = parse_eml(folder / "c-002-soporte-levante.eml")
    text = plain_text(fix)
    # The five missing answers, on one line.
    assert "1. Faltan 5 respuestas: Ingresos y crecimiento 1–5. Elija un número entero" in text
    assert "2. " not in text
    assert "antes del 20 de diciembre de 2026." in text
    (review,) = list(fix.iter_attachments())
    assert review.get_filename() == "Autoevaluación MSP - Soporte Levante - revisar.xlsx"
    wb = open_workbook_bytes(review.get_content(), tmp_path)
    assert wb.sheetnames[0] == "Revisión"
    again = invoke(
        "status", str(clients), str(returned), "--reminders", str(folder), "--from", "c@f.es"
    )
    assert again.exit_code == 1 and "Use una carpeta nueva para cada ronda" in again.output


def open_workbook_bytes(data: bytes, tmp_path: Path) -> Any:
    path = tmp_path / f"adjunto-{len(list(tmp_path.glob('adjunto-*')))}.xlsx"
    path.write_bytes(data)
    return open_workbook(path)


def test_status__reminder_for_a_workbook_missing_part_of_the_questionnaire__sends_template(
    tmp_path: Path, instrument: Any
) -> None:
    inbox = tmp_path / "recibidos"
    client = Client("C-001", "Taller Informático Ruiz")
    path = write_filled(inbox / "recortado.xlsx", answers(EXAMPLE), client=client)
    wb = openpyxl.load_workbook(path)
    answer = named_cell(wb, "resp_1_1")
    del wb.defined_names["resp_1_1"]
    answer.parent.cell(row=answer.row, column=1).value = "Fila borrada por el cliente"
    wb.save(path)
    clients = write_list(tmp_path / "c.csv", CLIENTS[:1])
    folder = tmp_path / "recordatorios"
    result = invoke(
        "status", str(clients), str(inbox), "--reminders", str(folder), "--from", "c@f.es"
    )
    assert result.exit_code == 0, result.output
    msg = parse_eml(folder / "c-001-taller-informatico-ruiz.eml")
    text = plain_text(msg)
    assert "1. El libro que nos envió no es la plantilla actual completa" in text
    assert "pida al cliente" not in text.lower()
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "Autoevaluación MSP - Taller Informático Ruiz.xlsx"
    fresh = open_workbook_bytes(attachment.get_content(), tmp_path)
    assert "Revisión" not in fresh.sheetnames
    assert read_book(from_workbook(fresh), instrument).client.id == "C-001"
