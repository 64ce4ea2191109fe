"""Returns as the programs clients use write them: Strict Open XML, Google Sheets, files that lost
their names; each scored like the template it came from, and its copy written back."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from msp_assessment.instrument import load_instrument
from msp_assessment.outcome import Status
from msp_assessment.processing.ooxml.read import from_workbook
from msp_assessment.processing.returns.locate import read_book
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from msp_assessment.workbook_templates import contract
from tests.support.hostile import as_strict, rewrite_parts, valid
from tests.support.programs import (
    gnumeric_export,
    gnumeric_ods,
    require_gnumeric,
    require_libreoffice,
    soffice_convert,
)

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml

TOTALS = [23, 16, 19, 13]  # the battery's answers: 3,55 Proactivo


def assert_scored_copy(folder: Path, out: Path) -> Path:
    report = run([folder], RunOptions(output_dir=out, jobs=1))
    (outcome,) = report.files
    assert outcome.status is Status.SCORED, outcome.problems
    assert outcome.score is not None and [a.total for a in outcome.score.areas] == TOTALS
    assert outcome.output is not None
    copy = Path(outcome.output)
    with zipfile.ZipFile(copy) as package:  # transitional, whatever came in
        assert not any(b"purl.oclc.org" in package.read(n) for n in package.namelist())
    wb = openpyxl.load_workbook(copy, data_only=True)
    assert wb.sheetnames[0] == contract.RESULTS_SHEET
    # Found as the reader finds them (by name, else by text): the client's copy may have none.
    reading = read_book(from_workbook(wb), load_instrument())
    totals = [wb[at.sheet][at.cell].value for _, at in sorted(reading.totals_at.items())]
    assert totals == TOTALS
    points = reading.statements[0].points_at
    assert points is not None and wb[points.sheet][points.cell].value == 5
    return copy


def test_strict_open_xml__our_template__scored__copy_is_transitional(tmp_path: Path) -> None:
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    as_strict(valid(tmp_path / "plantilla.xlsx"), inbox / "estricto.xlsx")
    assert_scored_copy(inbox, tmp_path / "out")


def test_strict_open_xml__openpyxl_route__reads_the_rewritten_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from msp_assessment.processing.run import one_file

    monkeypatch.setattr(one_file, "read_package", lambda parts: None)  # as if declined
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    as_strict(valid(tmp_path / "plantilla.xlsx"), inbox / "estricto.xlsx")
    assert_scored_copy(inbox, tmp_path / "out")


@pytest.mark.parametrize("names", ["<definedNames/>", ""])
def test_workbook_without_names__google_sheets_or_numbers__copy_written_back(
    tmp_path: Path, names: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Google Sheets writes ``<definedNames/>``, Numbers no names at all; the openpyxl route
    (taken whenever the splice declines the client's package) writes ``<definedNames/>`` too."""
    from msp_assessment.processing.copies import results

    def no_names(parts: dict[str, bytes]) -> dict[str, bytes]:
        workbook = parts["xl/workbook.xml"]
        pattern = rb"<definedNames>.*?</definedNames>"
        parts["xl/workbook.xml"] = re.sub(pattern, names.encode(), workbook, flags=re.S)
        return parts

    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    rewrite_parts(valid(inbox / "google.xlsx"), no_names)
    real = results._copy

    def declining_first(source, *args):  # type: ignore[no-untyped-def]
        from dataclasses import replace

        return real(replace(source, package=None), *args)  # the openpyxl route

    monkeypatch.setattr(results, "_copy", declining_first)
    assert_scored_copy(inbox, tmp_path / "out")


@pytest.mark.libreoffice
def test_strict_open_xml__copy_opens_in_libreoffice(tmp_path: Path) -> None:
    require_libreoffice()
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    as_strict(valid(tmp_path / "plantilla.xlsx"), inbox / "estricto.xlsx")
    copy = assert_scored_copy(inbox, tmp_path / "out")
    csv = soffice_convert(copy, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "lo")
    text = csv.read_text(encoding="utf-8")
    assert "Proactivo" in text and "3,55" in text


def _indented_like_gnumeric(ods: Path, target: Path) -> Path:
    """``ods`` with its content.xml indented as Gnumeric writes it: calamine took the
    whitespace between table elements for a cell and called the file damaged."""

    def indent(parts: dict[str, bytes]) -> dict[str, bytes]:
        content = parts["content.xml"]
        parts["content.xml"] = re.sub(rb"(<table:table-(?:row|cell)\b)", rb"\n  \1", content)
        return parts

    target.write_bytes(ods.read_bytes())
    rewrite_parts(target, indent)
    return target


@pytest.mark.libreoffice
def test_other_formats__chosen_by_content_not_name__and_gnumeric_indentation(
    tmp_path: Path,
) -> None:
    require_libreoffice()
    source = valid(tmp_path / "plantilla.xlsx")
    xls = soffice_convert(source, "xls", tmp_path / "lo")
    ods = soffice_convert(source, "ods", tmp_path / "lo")
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    (inbox / "era-un-xls.xlsx").write_bytes(xls.read_bytes())  # saved under another name
    (inbox / "era-un-ods.xls").write_bytes(ods.read_bytes())
    _indented_like_gnumeric(ods, inbox / "gnumeric.ods")
    report = run([inbox], RunOptions(output_dir=tmp_path / "out", jobs=1))
    got = {
        Path(o.path).name: (o.status, o.score and [a.total for a in o.score.areas])
        for o in report.files
    }
    assert got == {name: (Status.SCORED, TOTALS) for name in got} and len(got) == 3


def test_gnumeric_ods__indented_content__scored(tmp_path: Path) -> None:
    require_gnumeric()
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    gnumeric_ods(valid(tmp_path / "plantilla.xlsx"), inbox / "gnumeric.ods")
    report = run([inbox], RunOptions(output_dir=tmp_path / "out", jobs=1))
    (outcome,) = report.files
    assert outcome.status is Status.SCORED, outcome.problems
    assert outcome.score is not None and [a.total for a in outcome.score.areas] == TOTALS


LIBREOFFICE_FILTERS = [
    ("xlsx", "Calc MS Excel 2007 XML"),
    ("xlsx", "Calc Office Open XML"),
    ("xlsm", "Calc MS Excel 2007 VBA XML"),
    ("xls", "MS Excel 97"),
    ("ods", "calc8"),
]
GNUMERIC_FORMATS = [
    ("xlsx", "Gnumeric_Excel:xlsx2"),
    ("xlsx", "Gnumeric_Excel:xlsx"),
    ("xls", "Gnumeric_Excel:excel_biff8"),
    ("xls", "Gnumeric_Excel:excel_biff7"),
    ("ods", "Gnumeric_OpenCalc:odf"),
    ("ods", "Gnumeric_OpenCalc:openoffice"),
]


@pytest.mark.libreoffice
@pytest.mark.parametrize(("ext", "filter_name"), LIBREOFFICE_FILTERS)
def test_our_template__saved_by_libreoffice_with_each_filter__scored_and_written_back(
    tmp_path: Path, ext: str, filter_name: str
) -> None:
    require_libreoffice()
    inbox = tmp_path / "recibidos"
    soffice_convert(valid(tmp_path / "cliente.xlsx"), f"{ext}:{filter_name}", inbox)
    for profile in inbox.glob(".lo-profile"):  # soffice_convert's own, beside the file
        shutil.rmtree(profile)
    copy = assert_scored_copy(inbox, tmp_path / "out")
    text = soffice_convert(copy, "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "lo")
    assert "3,55" in text.read_text(encoding="utf-8")  # LibreOffice opens what we send back


@pytest.mark.parametrize(("ext", "export_type"), GNUMERIC_FORMATS)
def test_our_template__saved_by_gnumeric_in_each_format__scored_and_written_back(
    tmp_path: Path, ext: str, export_type: str
) -> None:
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    gnumeric_export(valid(tmp_path / "c.xlsx"), inbox / f"gnumeric.{ext}", export_type)
    assert_scored_copy(inbox, tmp_path / "out")


@pytest.mark.libreoffice
def test_flat_ods__from_libreoffice__unreadable_with_a_true_message(tmp_path: Path) -> None:
    require_libreoffice()
    flat = soffice_convert(
        valid(tmp_path / "c.xlsx"), "fods:OpenDocument Spreadsheet Flat XML", tmp_path / "lo"
    )
    (outcome,) = run([flat], RunOptions(jobs=1)).files
    assert outcome.status is Status.UNREADABLE
    (found,) = outcome.problems
    assert found.code == "file_format_unreadable"
    assert "OpenDocument en XML plano" in found.message and "(.xlsx)" in found.message


def test_excel_template__saved_under_an_xlsx_name__scored__copy_is_a_workbook(
    tmp_path: Path,
) -> None:
    template = b"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"
    workbook = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

    def as_template(parts: dict[str, bytes]) -> dict[str, bytes]:
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(workbook, template)
        return parts

    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    rewrite_parts(valid(inbox / "plantilla-de-excel.xlsx"), as_template)
    copy = assert_scored_copy(inbox, tmp_path / "out")
    with zipfile.ZipFile(copy) as package:
        types = package.read("[Content_Types].xml")
    assert workbook in types and template not in types
    report = run([inbox], RunOptions(output_dir=tmp_path / "otra", jobs=1))
    assert report.files[0].resaved is None  # the client's own package, spliced


def test_xls_with_an_old_password__encrypted__not_damaged(tmp_path: Path) -> None:
    """An .xls protected the BIFF8 way (XOR or RC4: a FILEPASS record after the BOF)."""
    bof = b"\x09\x08\x10\x00" + bytes(16)
    writeprot, filepass = b"\x86\x00\x00\x00", b"\x2f\x00\x06\x00" + bytes(6)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    (tmp_path / "clave.xls").write_bytes(ole + bof + writeprot + filepass + bytes(512))
    (tmp_path / "sin-clave.xls").write_bytes(ole + bof + writeprot + b"\x0a\x00\x00\x00")
    outcomes = {Path(o.path).name: o for o in run([tmp_path], RunOptions(jobs=1)).files}
    assert [p.code for p in outcomes["clave.xls"].problems] == ["file_encrypted"]
    assert [p.code for p in outcomes["sin-clave.xls"].problems] != ["file_encrypted"]
