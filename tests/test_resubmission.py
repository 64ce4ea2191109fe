"""A client corrects the -revisar copy we sent and returns it: the case closes. The new workbook
counts, the old one is «Sustituido», the exit code says all is resolved, and the results copy
carries none of our review marks nor our file-name suffix."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_filled
from msp_assessment.instrument import Instrument
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import named_cell
from tests.support.programs import run_libreoffice_fill

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml

CLIENT = Client("C-7", "Acme Sistemas", "Ana Pérez", "ana@acme.es")
FULL = {1: [4, 4, 3, 4, 4], 2: [3, 3, 3, 3, 2], 3: [4, 4, 4, 4, 4], 4: [2, 3, 3, 3, 3]}
MISSING = [(1, 4), (2, 5), (3, 2)]  # answers the first return lacks


def first_return(folder: Path) -> Path:
    answers = uniform_answers(FULL)
    for key in MISSING:
        answers[key] = None
    folder.mkdir(parents=True, exist_ok=True)
    return write_filled(folder / "ACME.xlsx", answers, client=CLIENT, date="2026-11-20")


def process(paths: list[Path], out: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, ["process", *map(str, paths), "-o", str(out), "--json"])
    return result.exit_code, json.loads(result.stdout)


def corrected_by_openpyxl(review: Path, target: Path) -> Path:
    """The client opens the -revisar copy, types the missing answers and saves it (renamed as
    the reminder's attachment is)."""
    wb = openpyxl.load_workbook(review)
    for area, statement in MISSING:
        named_cell(wb, contract.answer_name(area, statement)).value = FULL[area][statement - 1]
    wb.save(target)
    return target


def later(path: Path) -> None:
    stat = path.stat()
    os.utime(path, (stat.st_atime + 3600, stat.st_mtime + 3600))


def assert_no_review_marks(results: Path) -> None:
    wb = openpyxl.load_workbook(results)
    assert contract.REVIEW_SHEET not in wb.sheetnames
    assert wb.sheetnames[0] == contract.RESULTS_SHEET
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert not palette.same_color(cell.fill.fgColor.rgb, palette.PROBLEM_FILL)
                assert cell.comment is None or cell.comment.author != contract.GENERATOR
    for area, statement in MISSING:
        answer = named_cell(wb, contract.answer_name(area, statement))
        assert palette.same_color(answer.fill.fgColor.rgb, palette.ANSWER_FILL)


def test_corrected_review_copy__supersedes_the_old_workbook__exit_zero__clean_results(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "recibidos"
    original = first_return(inbox)
    code, _ = process([inbox], tmp_path / "ronda1")
    assert code == 1
    review = tmp_path / "ronda1" / "ACME-revisar.xlsx"
    corrected = corrected_by_openpyxl(review, inbox / "Autoevaluación MSP - Acme - revisar.xlsx")
    later(corrected)

    out = tmp_path / "ronda2"
    code, report = process([inbox], out)
    assert code == 0
    files = {Path(str(f["path"])).name: f for f in report["files"]}  # type: ignore[attr-defined]
    assert files["ACME.xlsx"]["status"] == "invalid"
    assert files["ACME.xlsx"]["superseded_by"] == str(corrected)
    assert files[corrected.name]["status"] == "scored"
    assert files[corrected.name]["output"] == str(out / "Autoevaluación MSP - Acme-resultados.xlsx")
    assert report["superseded"] == [{"path": str(original), "by": str(corrected)}]
    assert sorted(p.name for p in out.iterdir()) == [
        "Autoevaluación MSP - Acme-resultados.xlsx",
        "resumen.xlsx",
    ]  # the old workbook's -revisar copy is gone: its case is closed
    assert_no_review_marks(out / "Autoevaluación MSP - Acme-resultados.xlsx")
    incidencias = openpyxl.load_workbook(out / "resumen.xlsx")["Incidencias"]
    rows = [[c.value for c in row] for row in incidencias.iter_rows(min_row=2)]
    # Named as the user knows it, relative to the folder passed: never where that folder lies.
    assert [(r[0], r[5]) for r in rows] == [(original.name, "Sustituido")]

    human = CliRunner().invoke(cli, ["process", str(inbox), "-o", str(tmp_path / "ronda3")])
    assert human.exit_code == 0
    assert (
        f"SUSTITUIDO · {original} · Acme Sistemas · corregido en {corrected.name}" in human.output
    )
    assert "1 puntuado · 0 para revisar · 0 ilegibles · 1 sustituido" in human.output


def test_corrected_copy_older_than_a_new_broken_one__still_to_review__exit_one(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "recibidos"
    good = write_filled(
        inbox / "bueno.xlsx", uniform_answers(FULL), client=CLIENT, date="2026-11-20"
    )
    broken = first_return(tmp_path / "tmp")
    shutil.move(broken, inbox / "roto.xlsx")
    later(inbox / "roto.xlsx")  # sent after the good one: it may change the answers
    code, report = process([inbox], tmp_path / "out")
    assert code == 1
    assert report["superseded"] == []
    assert good.exists()


@pytest.mark.libreoffice
def test_review_copy_corrected_in_libreoffice__results_drop_our_sheet_fills_and_notes(
    tmp_path: Path, instrument: Instrument
) -> None:
    inbox = tmp_path / "recibidos"
    first_return(inbox)
    process([inbox], tmp_path / "ronda1")
    review = tmp_path / "ronda1" / "ACME-revisar.xlsx"
    with zipfile.ZipFile(review) as package:
        assert any(n.startswith("xl/comments") for n in package.namelist())
    values: dict[str, object] = {contract.answer_name(a, s): FULL[a][s - 1] for a, s in MISSING}
    corrected = inbox / "ACME-revisar.xlsx"
    run_libreoffice_fill(review, corrected, values)
    later(corrected)
    code, report = process([inbox], tmp_path / "ronda2")
    assert code == 0, report
    assert_no_review_marks(tmp_path / "ronda2" / "ACME-resultados.xlsx")


def test_review_copy_partly_corrected__new_review_marks_only_what_is_still_wrong(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "recibidos"
    first_return(inbox)
    process([inbox], tmp_path / "ronda1")
    wb = openpyxl.load_workbook(tmp_path / "ronda1" / "ACME-revisar.xlsx")
    fixed, *still = MISSING
    named_cell(wb, contract.answer_name(*fixed)).value = FULL[fixed[0]][fixed[1] - 1]
    again = tmp_path / "reenvio" / "ACME-revisar.xlsx"
    again.parent.mkdir()
    wb.save(again)
    code, _ = process([again], tmp_path / "ronda2")
    assert code == 1
    review = openpyxl.load_workbook(tmp_path / "ronda2" / "ACME-revisar.xlsx")
    assert review.sheetnames.count(contract.REVIEW_SHEET) == 1
    listed = [r[3] for r in review[contract.REVIEW_SHEET].iter_rows(min_row=6, values_only=True)]
    assert listed == ["marcadas en color"]  # the two answers still missing, on one line
    for key, marked in [(fixed, False), *((k, True) for k in still)]:
        cell = named_cell(review, contract.answer_name(*key))
        assert palette.same_color(cell.fill.fgColor.rgb, palette.PROBLEM_FILL) is marked
        ours = cell.comment is not None and cell.comment.author == contract.GENERATOR
        assert ours is marked
