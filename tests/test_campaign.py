"""A campaign a busy channel manager runs without help: never a duplicate email even when two runs
overlap, forgiving client lists, Spanish messages instead of tracebacks, grouped problems."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from msp_assessment.client import Client
from tests.support import smtp_server
from tests.support.mail import CLIENTS, invoke, parse_eml, plain_text, send_args, write_list
from tests.support.smtp_server import PASSWORD, SmtpServer

ROOT = Path(__file__).parents[1]
SENDER = "Canal MSP <canal@fabricante.es>"


@pytest.fixture
def drafts(tmp_path: Path) -> Path:
    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    out = tmp_path / "envio"
    assert invoke("prepare", str(clients), "-o", str(out), "--from", SENDER).exit_code == 0
    return out


def send_process(folder: Path, server: SmtpServer, *extra: str) -> subprocess.Popen[str]:
    """``msp-assessment send`` as its own process, as a second terminal would start it."""
    args = [sys.executable, "-m", "msp_assessment", *send_args(folder, server, *extra)]
    env = {**os.environ, "SSL_CERT_FILE": str(server.ca_file), "MSP_SMTP_PASSWORD": PASSWORD}
    return subprocess.Popen(
        args, cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def test_two_sends_at_once__each_client_gets_one_message__second_run_says_why(
    drafts: Path, server: SmtpServer
) -> None:
    first = send_process(drafts, server, "--rate", "150")  # 0,4 s between messages: it lasts
    deadline = time.monotonic() + 30
    while server.recorder.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)  # the first run holds the folder and is sending
    second = send_process(drafts, server)
    out_second, _ = second.communicate(timeout=60)
    out_first, _ = first.communicate(timeout=60)
    assert first.returncode == 0, out_first
    assert second.returncode == 1
    assert "Otra ejecución de msp-assessment está enviando" in out_second
    assert "Traceback" not in out_second
    assert server.recorder.count() == len(CLIENTS)
    assert sorted(r.recipients[0] for r in server.recorder.received) == sorted(
        c[3] for c in CLIENTS
    )


def test_lock_of_a_killed_run__never_blocks_the_next(drafts: Path, server: SmtpServer) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            (
                "import sys, time; from pathlib import Path; "
                "from msp_assessment.campaign.lock import folder_lock; "
                "cm = folder_lock(Path(sys.argv[1]), 'enviando'); cm.__enter__(); "
                "print('held', flush=True); time.sleep(60)"
            ),
            str(drafts),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    blocked = send_process(drafts, server)
    assert blocked.wait(timeout=60) == 1 and server.recorder.count() == 0
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    after = send_process(drafts, server)
    out, _ = after.communicate(timeout=60)
    assert after.returncode == 0, out
    assert server.recorder.count() == len(CLIENTS)


# --- messages, not tracebacks -----------------------------------------------------------------


def test_send__nothing_listening__spanish_message_saying_what_to_check(drafts: Path) -> None:
    port = smtp_server.free_port()
    result = invoke("send", str(drafts), "--smtp-host", "127.0.0.1", "--smtp-port", str(port))
    assert result.exit_code == 1
    assert "el servidor rechazó la conexión; compruebe --smtp-host y --smtp-port" in result.output
    assert "Connection refused" not in result.output and "Traceback" not in result.output


def test_send__starttls_on_a_server_without_it__spanish_message(
    drafts: Path, tmp_path: Path
) -> None:
    from aiosmtpd.controller import Controller

    port = smtp_server.free_port()
    plain = Controller(smtp_server.Recorder(), hostname="127.0.0.1", port=port)
    plain.start()
    try:
        result = invoke(
            "send", str(drafts), "--smtp-host", "127.0.0.1", "--smtp-port", str(port), "--starttls"
        )
    finally:
        plain.stop()
    assert result.exit_code == 1
    assert "el servidor no admite STARTTLS; pruebe con --ssl (puerto 465) o sin cifrado" in (
        result.output
    )
    assert "extension not supported" not in result.output


@pytest.mark.parametrize("command", ["prepare", "reminders", "deliver"])
def test_folder_that_cannot_be_written__one_spanish_line_no_traceback(
    command: str, tmp_path: Path
) -> None:
    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    blocker = tmp_path / "no-es-carpeta"
    blocker.write_text("un archivo donde debería ir la carpeta")
    target = str(blocker / "envio")
    args = {
        "prepare": ["prepare", str(clients), "-o", target, "--from", SENDER],
        "reminders": [
            "status",
            str(clients),
            str(tmp_path),
            "--reminders",
            target,
            "--from",
            SENDER,
        ],
        "deliver": ["deliver", str(clients), str(tmp_path), "-o", target, "--from", SENDER],
    }[command]
    result = invoke(*args)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: No se pudo escribir o leer {target}")
    assert "Compruebe que la carpeta existe" in result.output
    assert "Traceback" not in result.output and "Errno" not in result.output


# --- grouped problems ----------------------------------------------------------------------


def test_blank_workbook__one_line_saying_nothing_was_answered(tmp_path: Path) -> None:
    from msp_assessment.examples import write_filled

    write_filled(tmp_path / "in" / "vacio.xlsx", {}, client=Client("V-1", "Vacía", "", "v@v.es"))
    result = invoke("process", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--json")
    review = openpyxl.load_workbook(tmp_path / "out" / "vacio-revisar.xlsx")["Revisión"]
    lines = [r[4] for r in review.iter_rows(min_row=6, values_only=True)]
    assert lines == [
        "No ha respondido ninguna de las 20 afirmaciones. Elija un número entero del 1 al 5 en "
        "la lista desplegable de cada una."
    ]
    assert result.exit_code == 1


# --- status sees every file a client sent ----------------------------------------------------


def test_status__unreadable_files_tied_by_the_names_we_gave__reminder_asks_the_right_thing(
    tmp_path: Path,
) -> None:
    import zipfile

    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    # C-004 answered in Numbers, keeping the attachment's name; C-002 sent our workbook's name
    # with something that is not a workbook at all.
    with zipfile.ZipFile(inbox / "Autoevaluación MSP - Cloud Ibérica.numbers", "w") as numbers:
        numbers.writestr("Index/Document.iwa", b"\x00\x01")
    (inbox / "c-002-soporte-levante.xlsx").write_text("Empresa;Respuesta\n", encoding="utf-8")
    reminders = tmp_path / "recordatorios"
    result = invoke(
        "status",
        str(clients),
        str(inbox),
        "--json",
        "--reminders",
        str(reminders),
        "--from",
        SENDER,
    )
    report = json.loads(result.stdout)
    by_id = {c["client"]["id"]: c for c in report["clients"]}
    assert by_id["C-004"]["status"] == "problems" and by_id["C-002"]["status"] == "problems"
    assert by_id["C-004"]["files"] == [str(inbox / "Autoevaluación MSP - Cloud Ibérica.numbers")]
    assert report["unmatched"] == []
    text = plain_text(parse_eml(reminders / "c-004-cloud-iberica.eml"))
    assert "Todavía no hemos recibido" not in text
    assert (
        "Hemos recibido su archivo «Autoevaluación MSP - Cloud Ibérica.numbers», pero no "
        "podemos leerlo (libro de numbers)" in text
    )
    assert "Archivo > Exportar a > Excel" in text
    (attachment,) = list(parse_eml(reminders / "c-004-cloud-iberica.eml").iter_attachments())
    assert attachment.get_filename() == "Autoevaluación MSP - Cloud Ibérica.xlsx"


def test_counts__spanish_plurals(tmp_path: Path) -> None:
    from msp_assessment.examples import write_filled

    write_filled(tmp_path / "uno" / "a.xlsx", {}, client=Client("X-9", "Ajena", "", "x@x.es"))
    one = invoke("process", str(tmp_path / "uno"), "-o", str(tmp_path / "o"))
    assert "Total: 1 archivo · 0 puntuados · 1 para revisar · 0 ilegibles" in one.output
    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    status = invoke("status", str(clients), str(tmp_path / "uno"))
    assert status.output.splitlines()[-2] == (
        "Clientes: 5 · 0 puntuados · 0 con problemas · 5 pendientes · 1 libro sin cliente"
    )


# --- files we write -------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs__mode_of_a_plain_write_under_the_umask(tmp_path: Path, umask: int) -> None:
    script = (
        "import os, sys; os.umask(int(sys.argv[1])); "
        "from msp_assessment.cli import main; sys.argv = sys.argv[:1] + sys.argv[2:]; main()"
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(umask),
            "process",
            str(ROOT / "examples"),
            "-o",
            str(out),
            "--pdf",
            "--jobs",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr
    written = sorted(out.iterdir())
    assert len(written) == 10  # 4 results, 4 reports, 1 review copy, the summary
    for path in written:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path.name
