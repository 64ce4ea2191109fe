"""Returns in Excel's own dialect keep the faithful route: the splice writes Puntos over formulas
(and takes them out of calcChain), adds its notes beside the client's, and leaves every part of
Excel's it does not edit byte for byte."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell
from tests.support.excel_dialect import NOTE_CELL, excel_dialect
from tests.support.hostile import ANSWERS, valid
from tests.support.poppler import page_text, pages_with
from tests.support.programs import to_pdf

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml

KEPT = [
    "xl/printerSettings/printerSettings1.bin",
    "xl/threadedComments/threadedComment1.xml",
    "xl/persons/person.xml",
    "xl/sharedStrings.xml",
    "xl/theme/theme1.xml",
    "xl/worksheets/sheet2.xml",
    "docProps/app.xml",
    "docProps/core.xml",
]


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def run(path: Path, out: Path, code: int) -> Path:
    result = CliRunner().invoke(cli, ["process", str(path), "-o", str(out)])
    assert result.exit_code == code, result.output
    return out / f"{path.stem}{'-resultados' if code == 0 else '-revisar'}.xlsx"


def test_excel_return__formula_puntos__spliced_values_written_calc_chain_emptied(
    tmp_path: Path,
) -> None:
    source = excel_dialect(valid(tmp_path / "v.xlsx"), tmp_path / "excel.xlsx")
    copy = run(source, tmp_path / "out", 0)
    before, after = parts(source), parts(copy)
    assert b'r:id="rIdMsp1"' in after["xl/workbook.xml"]  # spliced, not re-saved
    for name in KEPT:
        assert after[name] == before[name], name
    assert after["xl/comments1.xml"] == before["xl/comments1.xml"]
    assert after["xl/drawings/vmlDrawing1.vml"] == before["xl/drawings/vmlDrawing1.vml"]
    # Every formula was a Puntos or TOTAL cell: the chain is gone, with its relationship and type.
    assert "xl/calcChain.xml" not in after
    assert b"calcChain" not in after["xl/_rels/workbook.xml.rels"]
    assert b"calcChain" not in after["[Content_Types].xml"]
    form = after["xl/worksheets/sheet1.xml"]
    assert b"<f>" not in form
    wb = openpyxl.load_workbook(copy)
    first = named_cell(wb, contract.points_name(1, 1))
    assert first.value == ANSWERS[(1, 1)]
    assert named_cell(wb, contract.total_name(1)).value == sum(ANSWERS[(1, n)] for n in range(1, 6))
    assert wb[contract.FORM_SHEET][NOTE_CELL].comment is not None  # the client's own note


def test_excel_return__other_formulas__their_chain_entries_kept_each_naming_its_sheet(
    tmp_path: Path,
) -> None:
    source = excel_dialect(valid(tmp_path / "v.xlsx"), tmp_path / "excel.xlsx")
    package = parts(source)
    chain = package["xl/calcChain.xml"]
    package["xl/calcChain.xml"] = chain.replace(
        b"</calcChain>", b'<c r="Z1" i="2"/><c r="Z2"/></calcChain>'
    )
    with zipfile.ZipFile(source, "w") as out:
        for name, data in package.items():
            out.writestr(name, data)
    copy = run(source, tmp_path / "out", 0)
    kept = parts(copy)["xl/calcChain.xml"]
    assert re.findall(rb"<c [^>]*/>", kept) == [b'<c r="Z1" i="2"/>', b'<c i="2" r="Z2"/>']


def test_excel_return_with_problems__notes_beside_the_clients__fresh_shape_ids(
    tmp_path: Path,
) -> None:
    wb_path = valid(tmp_path / "v.xlsx")
    wb = openpyxl.load_workbook(wb_path)
    named_cell(wb, contract.answer_name(2, 3)).value = None
    named_cell(wb, contract.answer_name(4, 1)).value = 9
    wb.save(wb_path)
    source = excel_dialect(wb_path, tmp_path / "excel.xlsx")
    review = run(source, tmp_path / "out", 1)
    before, after = parts(source), parts(review)
    assert b'r:id="rIdMsp1"' in after["xl/workbook.xml"]  # spliced, not re-saved
    for name in KEPT:
        assert after[name] == before[name], name
    assert not [n for n in after if n.startswith("xl/comments/")]  # no second comments part
    comments = after["xl/comments1.xml"]
    assert comments.count(b"<comment ") == 3
    assert b"<author>msp-assessment</author>" in comments
    vml = after["xl/drawings/vmlDrawing1.vml"]
    ids = [int(n) for n in re.findall(rb'id="_x0000_s([0-9]+)"', vml)]
    assert ids[0] == 1025 and len(set(ids)) == 3 and all(n > 2048 for n in ids[1:])
    assert re.search(rb'<o:idmap v:ext="edit" data="1,2"/>', vml)
    opened = openpyxl.load_workbook(review)
    form = opened[contract.FORM_SHEET]
    notes = {c.coordinate: c.comment.author for row in form.iter_rows() for c in row if c.comment}
    missing = named_cell(opened, contract.answer_name(2, 3)).coordinate
    out_of_range = named_cell(opened, contract.answer_name(4, 1)).coordinate
    assert notes[missing] == notes[out_of_range] == contract.GENERATOR
    assert NOTE_CELL in notes and notes[NOTE_CELL] != contract.GENERATOR


@pytest.mark.libreoffice
@pytest.mark.parametrize("problems", [False, True], ids=["resultados", "revisar"])
def test_excel_return__copies_open_and_print_in_libreoffice(problems: bool, tmp_path: Path) -> None:
    wb_path = valid(tmp_path / "v.xlsx")
    if problems:
        wb = openpyxl.load_workbook(wb_path)
        named_cell(wb, contract.answer_name(1, 2)).value = None
        wb.save(wb_path)
    source = excel_dialect(wb_path, tmp_path / "excel.xlsx")
    copy = run(source, tmp_path / "out", 1 if problems else 0)
    pdf = to_pdf(copy, tmp_path / "pdf")
    title = "Revisión de la autoevaluación" if problems else "Resultados de la autoevaluación"
    (page,) = pages_with(pdf, title)[:1]
    assert page == 1
    if not problems:
        assert "3,55" in page_text(pdf, page)
