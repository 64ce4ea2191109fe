"""The fast package reader sees exactly what openpyxl (data_only) sees, on every kind of input."""

from __future__ import annotations

import random
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from msp_assessment.client import Client
from msp_assessment.examples import write_filled
from msp_assessment.problems import Code
from msp_assessment.processing.ooxml.package import MAIN
from msp_assessment.processing.ooxml.read import Book, from_workbook
from msp_assessment.processing.returns.locate import open_workbook
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from tests.support.hostile import (
    ANSWERS,
    build_battery,
    fast_read,
    mutant,
    rewrite_parts,
    to_1904,
    valid,
)
from tests.support.programs import require_libreoffice, soffice_convert

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml

EXAMPLES = Path(__file__).parent.parent / "examples"


def as_data(book: Book) -> object:
    return (
        [(s.title, s.values, sorted(s.merged), s.local_names) for s in book.sheets],
        book.names,
        book.properties,
    )


def compare(path: Path) -> str:
    """'same' when both readers agree, 'openpyxl' when only openpyxl reads it, and so on."""
    fast = fast_read(path.read_bytes())
    try:
        slow = from_workbook(open_workbook(path))
    except Exception:
        return "fast only" if fast is not None else "neither"
    if fast is None:
        return "openpyxl only"
    assert as_data(fast) == as_data(slow), path.name
    return "same"


def test_examples__read_fast__same_as_openpyxl() -> None:
    verdicts = {p.name: compare(p) for p in sorted(EXAMPLES.glob("*.xlsx"))}
    # exportado-como-csv.xlsx is a CSV file under an .xlsx name: nobody reads it as a workbook.
    assert verdicts == {
        name: "neither" if name == "exportado-como-csv.xlsx" else "same" for name in verdicts
    }


def test_hostile_battery__fast_reader_agrees_or_leaves_it_to_openpyxl(tmp_path: Path) -> None:
    build_battery(tmp_path)
    verdicts = {p.name: compare(p) for p in sorted(tmp_path.iterdir()) if p.is_file()}
    assert "fast only" not in verdicts.values(), verdicts
    # Unsafe XML is never parsed by the fast reader: openpyxl's defusedxml refuses it.
    assert verdicts["entidades.xlsx"] == verdicts["entidad-externa.xlsx"] == "neither"
    for name in ("correcto.xlsx", "hoja-renombrada.xlsx", "celdas-combinadas.xlsx", "pegado.xlsx"):
        assert verdicts[name] == "same", name


def test_every_value_type__read_like_openpyxl(tmp_path: Path) -> None:
    path = valid(tmp_path / "tipos.xlsx")
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    ws["K1"] = datetime(2026, 11, 27, 9, 30)
    ws["K2"] = date(2026, 1, 31)
    ws["K3"] = True
    ws["K4"] = 2.5
    ws["K5"] = "=1+1"
    ws["K6"] = CellRichText("Texto ", TextBlock(InlineFont(b=True), "con formato"))
    ws["K7"] = 10**12
    ws["K8"] = "x005F_texto"
    ws.merge_cells("K9:L10")
    ws["K9"] = "combinada"
    wb.save(path)

    def edit(parts: dict[str, bytes]) -> dict[str, bytes]:
        sheet = parts["xl/worksheets/sheet1.xml"]
        inline = b'<c r="M1" t="inlineStr"><is><t>en l\xc3\xadnea</t></is></c>'
        typed = (
            b'<c r="N1" t="str"><f>A1</f><v>resultado</v></c><c r="O1" t="e"><v>#N/A</v></c>'
            b'<c r="P1" t="d"><v>2026-02-03T04:05:06</v></c>'
        )
        row = sheet.index(b'<row r="1"')
        end = sheet.index(b"</row>", row)
        parts["xl/worksheets/sheet1.xml"] = sheet[:end] + inline + typed + sheet[end:]
        return parts

    rewrite_parts(path, edit)
    assert compare(path) == "same"
    book = fast_read(path.read_bytes())
    assert book is not None
    values = book.sheets[0].values
    assert values[(1, 11)] == datetime(2026, 11, 27, 9, 30)
    assert values[(6, 11)] == "Texto con formato"
    assert (values[(1, 13)], values[(1, 14)], values[(1, 15)]) == ("en línea", "resultado", "#N/A")
    assert (10, 12) not in values and values[(9, 11)] == "combinada"


def test_date1904_workbook__dates_read_like_openpyxl(tmp_path: Path) -> None:
    path = valid(tmp_path / "mac.xlsx")
    wb = load_workbook(path)
    wb.worksheets[0]["K1"] = date(2026, 3, 1)
    wb.save(path)

    rewrite_parts(path, to_1904)
    assert compare(path) == "same"
    book = fast_read(path.read_bytes())
    assert book is not None  # the same serial number counted from 1904: four years later
    assert book.sheets[0].values[(1, 11)] == datetime(2030, 3, 2)


def test_mutants__fast_reader_never_disagrees_with_openpyxl(tmp_path: Path) -> None:
    original = valid(tmp_path / "original.xlsx").read_bytes()
    rng = random.Random(11)
    verdicts = []
    for case in range(60):
        _, data = mutant(original, case, rng, tmp_path)
        path = tmp_path / f"{case:03d}.xlsx"
        path.write_bytes(data)
        verdicts.append(compare(path))
    assert "same" in verdicts, verdicts


@pytest.mark.libreoffice
def test_saved_by_libreoffice__read_fast__same_as_openpyxl(tmp_path: Path) -> None:
    require_libreoffice()
    source = write_filled(
        tmp_path / "origen" / "lo.xlsx", ANSWERS, client=Client(company="Calc S.L.")
    )
    folder = tmp_path / "guardado"
    ods = soffice_convert(source, "ods", folder)
    back = soffice_convert(ods, "xlsx", tmp_path / "de-vuelta")
    shutil.rmtree(folder / ".lo-profile", ignore_errors=True)
    assert zipfile.is_zipfile(back)
    assert compare(back) == "same"


def test_dtd_in_a_utf16_part__fast_reader_declines__reported_unsafe(tmp_path: Path) -> None:
    path = valid(tmp_path / "utf16.xlsx")

    def hide_entities(parts: dict[str, bytes]) -> dict[str, bytes]:
        sheet = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
        body = sheet[sheet.index("<worksheet") :]
        declared = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE worksheet [<!ENTITY e "x">]>'
        parts["xl/worksheets/sheet1.xml"] = (declared + body).encode("utf-16")
        return parts

    rewrite_parts(path, hide_entities)
    with zipfile.ZipFile(path) as package:  # no byte pattern to spot it by
        assert b"<!DOCTYPE" not in package.read("xl/worksheets/sheet1.xml")
    assert fast_read(path.read_bytes()) is None
    result = run([path], RunOptions())
    assert [prob.code for prob in result.files[0].problems] == [Code.FILE_UNSAFE]


def test_strict_namespace__left_to_openpyxl(tmp_path: Path) -> None:
    path = valid(tmp_path / "estricto.xlsx")
    strict = b"http://purl.oclc.org/ooxml/spreadsheetml/main"

    def to_strict(parts: dict[str, bytes]) -> dict[str, bytes]:
        for name in ("xl/workbook.xml", "xl/worksheets/sheet1.xml"):
            parts[name] = parts[name].replace(MAIN.encode(), strict)
        return parts

    rewrite_parts(path, to_strict)
    assert fast_read(path.read_bytes()) is None
