"""The commands tell one story: what a new user found in a two-round campaign, each a test.

deliver run before process; a corrected -revisar copy older on disk than its original; the user's
own files among the returns; three numbers for one thing; client lists as LibreOffice saves them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from msp_assessment.client import Client
from msp_assessment.client_list import read_client_list
from msp_assessment.examples import uniform_answers, write_filled
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell
from tests.support.mail import invoke, invoke_json, send_args, write_list
from tests.support.programs import require_libreoffice, soffice_convert
from tests.support.smtp_server import SmtpServer

SENDER = "Canal <canal@fabricante.es>"
LIST = [
    ("A-1", "Alfa", "Ana", "ana@alfa.es"),
    ("B-1", "Beta", "Bea", "bea@beta.es"),
    ("G-1", "Gamma", "Gil", "gil@gamma.es"),
]
THREES = uniform_answers({a: [3] * 5 for a in range(1, 5)})
FOURS = uniform_answers({a: [4] * 5 for a in range(1, 5)})


def client(i: int) -> Client:
    return Client(*LIST[i])


def sheet(path: Path, title: str) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path, data_only=True)[title]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:] if any(row)]


def statistics(path: Path) -> dict[str, Any]:
    ws = openpyxl.load_workbook(path, data_only=True)["Estadísticas"]
    return {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] and r[1] is not None}


def test_deliver_before_process__says_so_and_fails__never_no_ha_respondido(
    tmp_path: Path,
) -> None:
    clients = write_list(tmp_path / "clientes.csv", LIST)
    inbox = tmp_path / "recibidos"
    write_filled(inbox / "alfa.xlsx", THREES, client=client(0))
    write_filled(inbox / "beta.xlsx", FOURS, client=client(1))
    empty = tmp_path / "resultados"
    empty.mkdir()
    for folder, says in ((inbox, "hay 2 libros sin procesar"), (empty, "no hay resultados")):
        done = invoke(
            "deliver", str(clients), str(folder), "-o", str(tmp_path / "e"), "--from", SENDER
        )
        assert done.exit_code == 1, done.output
        assert says in done.output and "Ejecute primero «msp-assessment process" in done.output
        assert "no ha respondido" not in done.output
        assert not list((tmp_path / "e").glob("*.eml")) if (tmp_path / "e").exists() else True


def test_corrected_review_copy__supersedes_its_original_whatever_the_file_dates(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "recibidos"
    answers = dict(FOURS)
    del answers[(2, 3)]  # one answer missing
    original = write_filled(inbox / "alfa.xlsx", answers, client=client(0), date="20/11/2026")
    first = tmp_path / "ronda"
    assert invoke("process", str(inbox), "-o", str(first)).exit_code == 1
    review = first / f"alfa{contract.REVIEW_SUFFIX}"
    wb = openpyxl.load_workbook(review)
    assert contract.REVIEW_ORIGIN_LABEL in str(wb[contract.REVIEW_SHEET]["A2"].value)
    named_cell(wb, contract.answer_name(2, 3)).value = 4  # the client fixes it, same Fecha
    corrected = inbox / f"alfa{contract.REVIEW_SUFFIX}"
    wb.save(corrected)
    os.utime(corrected, (1_700_000_000, 1_700_000_000))  # older on disk than its original
    os.utime(original, (1_800_000_000, 1_800_000_000))
    clients = write_list(tmp_path / "clientes.csv", LIST)
    out = tmp_path / "resultados"
    code, report = invoke_json("process", str(inbox), "-o", str(out), "--clients", str(clients))
    assert code == 0, report
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert by_name["alfa.xlsx"]["superseded_by"] == str(corrected)
    assert by_name[corrected.name]["status"] == "scored"
    assert not list(out.glob(f"*{contract.REVIEW_SUFFIX}"))  # no stale -2-revisar copy
    summary = out / contract.SUMMARY_NAME
    situation = {r["Id. cliente"]: r["Situación"] for r in sheet(summary, "Resumen")}
    assert situation["A-1"].startswith("Puntuado")
    issues = sheet(summary, "Incidencias")
    assert not any("revisar" in str(row.get("Estado", "")).lower() for row in issues), issues
    code, status = invoke_json("status", str(clients), str(inbox))
    alfa = next(c for c in status["clients"] if c["client"]["id"] == "A-1")
    assert (alfa["status"], alfa["average"]) == ("scored", 4.0)


def test_users_own_files_among_the_returns__passed_over_with_what_they_are(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "recibidos"
    write_filled(inbox / "alfa.xlsx", THREES, client=client(0))
    earlier = tmp_path / "ronda-anterior"
    assert invoke("process", str(inbox), "-o", str(earlier)).exit_code == 0
    (inbox / "resumen campaña 2026.xlsx").write_bytes((earlier / "resumen.xlsx").read_bytes())
    (inbox / "copia.xlsx").write_bytes((earlier / "alfa-resultados.xlsx").read_bytes())
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Listado de clientes MSP 2026"])
    ws.append(["Código cliente", "Razón social", "Correo electrónico"])
    ws.append(["A-1", "Alfa", "ana@alfa.es"])
    wb.save(inbox / "clientes.xlsx")
    out = tmp_path / "out"
    code, report = invoke_json("process", str(inbox), "-o", str(out))
    assert code == 0, report
    assert [Path(f["path"]).name for f in report["files"]] == ["alfa.xlsx"]
    skipped = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert "resumen escrito por msp-assessment" in skipped["resumen campaña 2026.xlsx"]
    assert "copia -resultados" in skipped["copia.xlsx"]
    assert "lista de clientes" in skipped["clientes.xlsx"]
    assert sorted(p.name for p in out.iterdir()) == ["alfa-resultados.xlsx", "resumen.xlsx"]
    human = invoke("process", str(inbox), "-o", str(tmp_path / "out2")).output
    assert "Omitido: " in human and "es una lista de clientes" in human


def test_one_number_for_one_thing__terminal_json_and_estadisticas_agree(tmp_path: Path) -> None:
    inbox = tmp_path / "recibidos"
    # Alfa twice (the older superseded), Beta with problems then again scored, Gamma to review,
    # and an unreadable file.
    write_filled(inbox / "alfa-1.xlsx", THREES, client=client(0), date="01/11/2026")
    write_filled(inbox / "alfa-2.xlsx", FOURS, client=client(0), date="20/11/2026")
    broken = dict(FOURS)
    del broken[(1, 1)]
    write_filled(inbox / "beta-1.xlsx", broken, client=client(1), date="01/11/2026")
    write_filled(inbox / "beta-2.xlsx", FOURS, client=client(1), date="21/11/2026")
    write_filled(inbox / "gamma.xlsx", broken, client=client(2), date="21/11/2026")
    (inbox / "roto.xlsx").write_bytes(b"PK\x03\x04 no es un libro")
    out = tmp_path / "out"
    human = invoke("process", str(inbox), "-o", str(out)).output
    _, report = invoke_json("process", str(inbox), "-o", str(tmp_path / "out2"))
    tally = report["tally"]
    assert tally == {"files": 6, "scored": 3, "superseded": 2, "to_review": 1, "unreadable": 1}
    total = next(line for line in human.splitlines() if line.startswith("Total:"))
    assert total == (
        "Total: 6 archivos · 3 puntuados · 1 para revisar · 1 ilegible · 2 sustituidos"
    )
    numbers = statistics(out / contract.SUMMARY_NAME)
    assert numbers["Archivos procesados"] == tally["files"]
    assert numbers["Libros puntuados"] == tally["scored"]
    assert numbers["Libros sustituidos por uno más reciente"] == tally["superseded"]
    assert numbers["Libros para revisar"] == tally["to_review"]
    assert numbers["Archivos ilegibles"] == tally["unreadable"]
    assert numbers["Clientes puntuados (cuentan en el resumen)"] == 2
    to_review = [r for r in sheet(out / contract.SUMMARY_NAME, "Incidencias") if r.get("Estado")]
    states = [str(r["Estado"]) for r in to_review]
    assert sum(1 for s in states if re.search("revisar", s, re.IGNORECASE)) == 1


@pytest.fixture(scope="module")
def saved_lists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A client list with a title and a blank row above its headers, saved by LibreOffice in
    its own format and as .xls."""
    require_libreoffice()
    work = tmp_path_factory.mktemp("listas")
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Listado de clientes MSP 2026"])
    ws.append([])
    ws.append(["Código cliente", "Razón social", "Persona de contacto", "Correo electrónico"])
    for row in LIST:
        ws.append(list(row))
    wb.save(work / "clientes.xlsx")
    return {
        "xlsx": work / "clientes.xlsx",
        "ods": soffice_convert(work / "clientes.xlsx", "ods", work),
        "xls": soffice_convert(work / "clientes.xlsx", "xls", work),
    }


@pytest.mark.parametrize("kind", ["xlsx", "ods", "xls"])
def test_client_list_as_saved_by_libreoffice__title_above__read_and_used(
    saved_lists: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    listing = read_client_list(saved_lists[kind])
    assert listing.ok, [p.message for p in listing.problems]
    assert listing.clients == tuple(Client(*row) for row in LIST)
    done = invoke("prepare", str(saved_lists[kind]), "-o", str(tmp_path / "o"), "--from", SENDER)
    assert done.exit_code == 0, done.output
    assert len(list((tmp_path / "o").glob("*.eml"))) == 3


def test_new_workbook_after_results_were_sent__status_says_so__deliver_and_send_once(
    tmp_path: Path, server: SmtpServer
) -> None:
    clients = write_list(tmp_path / "clientes.csv", LIST[:2])
    inbox = tmp_path / "recibidos"
    write_filled(inbox / "alfa.xlsx", FOURS, client=client(0), date="20/11/2026")
    write_filled(inbox / "beta.xlsx", THREES, client=client(1), date="20/11/2026")
    results, entrega = tmp_path / "resultados", tmp_path / "entrega"

    def deliver_and_send(*extra: str) -> str:
        assert invoke("process", str(inbox), "-o", str(results)).exit_code == 0
        args = ["deliver", str(clients), str(results), "-o", str(entrega), "--from", SENDER]
        assert invoke(*args, *extra).exit_code == 0
        sent = invoke(*send_args(entrega, server))
        assert sent.exit_code == 0, sent.output
        return next(line for line in sent.output.splitlines() if line.startswith("Total:"))

    assert deliver_and_send().startswith("Total: 2 enviados · 0 ya enviados antes")
    # Alfa sends a new workbook, with other answers, after its results went out.
    write_filled(inbox / "alfa-nuevo.xlsx", THREES, client=client(0), date="28/11/2026")
    status = invoke("status", str(clients), str(inbox), "--delivered", str(entrega))
    alfa = next(line for line in status.output.splitlines() if "A-1" in line)
    assert "3,00" in alfa and "resultados actualizados sin enviar" in alfa
    beta = next(line for line in status.output.splitlines() if "B-1" in line)
    assert beta.endswith("resultados enviados")
    assert deliver_and_send("--force").startswith("Total: 1 enviado · 1 ya enviado antes")
    newest = server.recorder.received[-1].message
    assert newest["X-MSP-Client-Id"] == "A-1"
    body = newest.get_body(("plain",))
    assert body is not None
    text = " ".join(body.get_content().split())
    assert "Estos resultados sustituyen a los que le enviamos el" in text
    assert "Su puntuación global es 3,00" in text
    status = invoke("status", str(clients), str(inbox), "--delivered", str(entrega))
    alfa = next(line for line in status.output.splitlines() if "A-1" in line)
    assert alfa.endswith("resultados enviados")
    assert server.recorder.count() == 3
