"""Returns saved as .ods or .xls (LibreOffice's and old Excel's formats) are read, scored and
answered with an .xlsx copy: our template holding the client's data and answers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import write_filled
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import named_cell
from tests.support.hostile import ANSWERS, _insert_rows
from tests.support.programs import require_libreoffice, soffice_convert

CLIENT = Client("OD-1", "Hojas Libres S.L.", "Lucía Ortega", "lucia@hojaslibres.es")
pytestmark = [pytest.mark.libreoffice, pytest.mark.writes_workbooks]


def saved_as(source: Path, kind: str, folder: Path) -> Path:
    require_libreoffice()
    converted = soffice_convert(source, kind, folder)
    shutil.rmtree(folder / ".lo-profile", ignore_errors=True)
    return converted


def process(path: Path, out: Path) -> tuple[int, dict[str, object]]:
    result = CliRunner().invoke(cli, ["process", str(path), "-o", str(out), "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("kind", ["ods", "xls"])
def test_return_saved_as_other_format__scored__xlsx_copy_is_our_template_with_its_data(
    kind: str, tmp_path: Path
) -> None:
    source = write_filled(
        tmp_path / "a" / "respuesta.xlsx", ANSWERS, client=CLIENT, date="2026-11-20"
    )
    returned = saved_as(source, kind, tmp_path / "recibidos")
    code, report = process(returned, tmp_path / "out")
    assert code == 0
    (found,) = report["files"]  # type: ignore[misc]
    assert (found["status"], found["average"], found["stage"]) == ("scored", 3.55, "Proactivo")
    assert found["client"] == CLIENT.to_dict()  # the id from the hidden _msp sheet
    assert found["output"] == str(tmp_path / "out" / "respuesta-resultados.xlsx")
    wb = openpyxl.load_workbook(found["output"])
    assert wb.sheetnames == [
        contract.RESULTS_SHEET,
        contract.PLAN_SHEET,
        contract.FORM_SHEET,
        contract.META_SHEET,
    ]
    for (area, statement), value in ANSWERS.items():
        assert named_cell(wb, contract.answer_name(area, statement)).value == value
        assert named_cell(wb, contract.points_name(area, statement)).value == value
    assert named_cell(wb, contract.total_name(1)).value == sum(ANSWERS[(1, n)] for n in range(1, 6))
    assert named_cell(wb, "cliente_empresa").value == CLIENT.company
    assert wb[contract.META_SHEET]["B3"].value == CLIENT.id
    assert wb[contract.RESULTS_SHEET]["B13"].value == 3.55


def test_ods_with_inserted_rows_and_problems__review_copy_marks_the_copys_cells(
    tmp_path: Path,
) -> None:
    answers = dict(ANSWERS)
    answers[(2, 3)] = None
    answers[(3, 1)] = 8
    source = write_filled(tmp_path / "a" / "movido.xlsx", answers, client=CLIENT)
    wb = openpyxl.load_workbook(source)
    ws = wb[contract.FORM_SHEET]
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    _insert_rows(ws)  # its cells move three rows down; LibreOffice drops the stale names
    wb.save(source)
    returned = saved_as(source, "ods", tmp_path / "recibidos")
    code, report = process(returned, tmp_path / "out")
    assert code == 1
    (found,) = report["files"]  # type: ignore[misc]
    review = openpyxl.load_workbook(found["output"])
    missing = named_cell(review, contract.answer_name(2, 3))
    out_of_range = named_cell(review, contract.answer_name(3, 1))
    problems = {p["code"]: p for p in found["problems"]}
    # Located in the copy the client receives, not three rows down as in their .ods.
    assert problems["answer_missing"]["cell"] == missing.coordinate
    assert problems["answer_out_of_range"]["cell"] == out_of_range.coordinate
    assert f"{contract.FORM_SHEET}!{missing.coordinate}" in problems["answer_missing"]["message"]
    listed = [r[3] for r in review[contract.REVIEW_SHEET].iter_rows(min_row=6, values_only=True)]
    assert listed == [
        f"{contract.FORM_SHEET}!{missing.coordinate}",
        f"{contract.FORM_SHEET}!{out_of_range.coordinate}",
    ]
    for cell in (missing, out_of_range):
        assert palette.same_color(cell.fill.fgColor.rgb, palette.PROBLEM_FILL)
        assert cell.comment is not None and cell.comment.author == contract.GENERATOR
    assert out_of_range.value == 8  # what the client wrote, to correct
