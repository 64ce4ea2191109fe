"""-resultados is the client's own package plus our parts; odd packages take the openpyxl route."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.benchmark import from_record
from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import write_filled
from msp_assessment.instrument import load_instrument
from msp_assessment.processing.copies.sheets import results_draft
from msp_assessment.processing.copies.splice import splice_results
from msp_assessment.processing.ooxml.custom_part import set_text_property
from msp_assessment.processing.ooxml.edit import PackageEdit
from msp_assessment.processing.ooxml.package import (
    DOC_RELS,
    MAIN,
    Parts,
    SpliceDeclinedError,
    unzip,
)
from msp_assessment.processing.ooxml.sheetml import Draft
from msp_assessment.scoring import score
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from tests.support.hostile import ANSWERS, fast_read, rewrite_parts, valid
from tests.support.programs import require_libreoffice, soffice_convert

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml

EXAMPLE = Path(__file__).parent.parent / "examples" / "documento-ejemplo-proactivo.xlsx"
EDITED = {
    "[Content_Types].xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "docProps/custom.xml",  # gains the copy's benchmark (test_custom_properties below)
}


def package_of(path: Path) -> Parts:
    package = unzip(path.read_bytes())
    assert package is not None
    return package


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def process(path: Path, out: Path, suffix: str = "-resultados.xlsx") -> Path:
    """The copy ``process`` writes for ``path``: scored (exit 0) or, with -revisar, to review."""
    result = CliRunner().invoke(cli, ["process", str(path), "-o", str(out)])
    assert result.exit_code == (1 if suffix == "-revisar.xlsx" else 0), result.output
    return out / f"{path.stem}{suffix}"


def untouched(source: Path, copy: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """The parts the splice never edits (all but EDITED and the form sheet), in each file."""
    before, after = parts(source), parts(copy)
    names = set(before) - EDITED - {"xl/worksheets/sheet1.xml"}
    return {n: before[n] for n in names}, {n: after.get(n, b"") for n in names}


def test_results__client_parts_copied_byte_for_byte__form_only_gains_the_numbers(
    tmp_path: Path,
) -> None:
    copy = process(EXAMPLE, tmp_path / "out")
    kept, copied = untouched(EXAMPLE, copy)
    assert copied == kept
    after = parts(copy)
    old, new = fast_read(EXAMPLE.read_bytes()), fast_read(_zip(after))
    assert old is not None and new is not None
    form_old, form_new = old.sheet(contract.FORM_SHEET), new.sheet(contract.FORM_SHEET)
    assert form_old is not None and form_new is not None
    gained = {k: v for k, v in form_new.values.items() if k not in form_old.values}
    assert {k: v for k, v in form_new.values.items() if k in form_old.values} == form_old.values
    # 20 Puntos (column H) and 4 TOTAL DE PUNTOS cells, nothing else.
    assert len(gained) == 24 and {col for _, col in gained} == {8}
    assert sum(v for v in gained.values() if isinstance(v, int)) == 2 * (23 + 16 + 19 + 13)


def test_custom_properties__the_benchmark_added__the_clients_kept(tmp_path: Path) -> None:
    before = fast_read(EXAMPLE.read_bytes())
    after = fast_read(process(EXAMPLE, tmp_path / "out").read_bytes())
    assert before is not None and after is not None
    gained = {k: v for k, v in after.properties.items() if k not in before.properties}
    assert {k: after.properties[k] for k in before.properties} == before.properties
    assert list(gained) == [contract.META_BENCHMARK]
    assert from_record(gained[contract.META_BENCHMARK]) is not None
    # Set again (a copy processed anew): replaced, not repeated.
    edit = PackageEdit(package_of(process(EXAMPLE, tmp_path / "out")))
    set_text_property(edit, contract.META_BENCHMARK, "otro")
    again = fast_read(edit.to_bytes())
    assert again is not None and again.properties[contract.META_BENCHMARK] == "otro"
    assert edit.parts["docProps/custom.xml"].count(b"msp_benchmark") == 1


def _zip(contents: dict[str, bytes]) -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in contents.items():
            package.writestr(name, data)
    return buffer.getvalue()


def test_results__styles_only_appended__client_formats_unchanged(tmp_path: Path) -> None:
    def table(data: bytes, tag: str) -> list[bytes]:
        node = ElementTree.fromstring(data).find(f"{{{MAIN}}}{tag}")
        assert node is not None
        return [ElementTree.tostring(child) for child in node]

    before = parts(EXAMPLE)["xl/styles.xml"]
    after = parts(process(EXAMPLE, tmp_path / "out"))["xl/styles.xml"]
    for tag in ("fonts", "fills", "borders", "cellXfs"):
        old, new = table(before, tag), table(after, tag)
        assert new[: len(old)] == old and len(new) > len(old), tag
        count = ElementTree.fromstring(after).find(f"{{{MAIN}}}{tag}")
        assert count is not None and count.get("count") == str(len(new))


def test_results_sheet__first_active_only_selected_tab__looks_from_the_palette(
    tmp_path: Path,
) -> None:
    wb = openpyxl.load_workbook(process(EXAMPLE, tmp_path / "out"))
    assert wb.sheetnames[0] == contract.RESULTS_SHEET and wb.active.title == contract.RESULTS_SHEET
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [
        contract.RESULTS_SHEET
    ]
    ws = wb[contract.RESULTS_SHEET]
    assert ws.print_area == f"'{contract.RESULTS_SHEET}'!$A$1:$F${ws.max_row}"
    assert ws["A1"].font.sz == palette.TITLE_FONT.sz and ws["A1"].font.b
    heading = next(r for r in range(1, 40) if ws.cell(r, 1).value == "Resultados por área")
    for row in range(heading + 2, heading + 6):  # the per-area table
        name, cell = ws.cell(row=row, column=4).value, ws.cell(row=row, column=4)
        assert cell.fill.fgColor.rgb.endswith(palette.STAGE_COLORS[str(name).lower()]), name
    assert ws["B13"].value == 3.55 and ws["B13"].number_format == palette.TWO_DECIMALS
    header = ws["A12"]
    assert header.fill.fgColor.rgb.endswith(palette.BRAND) and header.font.color.rgb.endswith(
        "FFFFFF"
    )
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.paperSize == 9


def test_client_text_like_a_formula__stays_text_in_results(tmp_path: Path) -> None:
    path = write_filled(tmp_path / "f.xlsx", ANSWERS, client=Client(company='=HYPERLINK("x")'))
    ws = openpyxl.load_workbook(process(path, tmp_path / "out"))[contract.RESULTS_SHEET]
    assert ws["B4"].value == '=HYPERLINK("x")' and ws["B4"].data_type == "s"


def _review_sheet_added(path: Path) -> None:
    wb = openpyxl.load_workbook(path)
    wb.create_sheet(contract.REVIEW_SHEET, 0)
    wb.save(path)


def _shared_formula_from_points(path: Path) -> None:
    """H22 holds the first cell of a formula H23:H26 share: replacing it would change them."""

    def share(p: dict[str, bytes]) -> dict[str, bytes]:
        sheet = p["xl/worksheets/sheet1.xml"]
        cell = re.search(rb'<c r="H22"( s="[0-9]+")?[^>]*?(/>|>.*?</c>)', sheet)
        assert cell is not None
        shared = b'<c r="H22"%s><f t="shared" ref="H22:H26" si="0">B22</f><v>5</v></c>' % (
            cell.group(1) or b""
        )
        p["xl/worksheets/sheet1.xml"] = sheet[: cell.start()] + shared + sheet[cell.end() :]
        return p

    rewrite_parts(path, share)


def _macro_part(path: Path) -> None:
    rewrite_parts(path, lambda p: {**p, "xl/vbaProject.bin": b"\x00" * 64})


def _prefixed_workbook(path: Path) -> None:
    def prefix(p: dict[str, bytes]) -> dict[str, bytes]:
        data = (
            p["xl/workbook.xml"]
            .replace(b"<sheets>", b"<x:sheets>")
            .replace(b"</sheets>", b"</x:sheets>")
        )
        p["xl/workbook.xml"] = data.replace(
            b"<workbook ", b'<workbook xmlns:x="%s" ' % MAIN.encode()
        )
        return p

    rewrite_parts(path, prefix)


@pytest.mark.parametrize(
    "change", [_review_sheet_added, _shared_formula_from_points, _macro_part, _prefixed_workbook]
)
def test_package_the_splice_declines__openpyxl_route__same_results(
    change,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    instrument = load_instrument()
    path = valid(tmp_path / "raro.xlsx")
    change(path)
    with pytest.raises(SpliceDeclinedError):
        splice_results(
            package_of(path), {contract.FORM_SHEET: {"H22": 5}}, _any_draft(), instrument
        )
    out = process(path, tmp_path / "out")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == contract.RESULTS_SHEET and contract.REVIEW_SHEET not in wb.sheetnames
    assert wb[contract.FORM_SHEET]["H22"].value == 5  # Puntos of the first statement
    assert wb[contract.RESULTS_SHEET]["B13"].value == 3.55
    assert not [n for n in zipfile.ZipFile(out).namelist() if "vba" in n.lower()]


def _any_draft() -> Draft:
    instrument = load_instrument()
    answers = {st.id: 3 for _, st in instrument.statements}
    return results_draft(instrument, score(instrument, answers), Client(), None, "x.xlsx")


@pytest.mark.libreoffice
def test_results__made_from_a_libreoffice_file__libreoffice_opens_and_keeps_it(
    tmp_path: Path,
) -> None:
    require_libreoffice()
    source = write_filled(tmp_path / "a" / "lo.xlsx", ANSWERS, client=Client(company="Calc S.L."))
    ods = soffice_convert(source, "ods", tmp_path / "b")
    saved_by_lo = soffice_convert(ods, "xlsx", tmp_path / "c")
    # LibreOffice's own package goes through the splice, not the openpyxl route.
    splice_results(package_of(saved_by_lo), {}, _any_draft(), load_instrument())
    results = process(saved_by_lo, tmp_path / "out")
    reopened = soffice_convert(results, "xlsx", tmp_path / "d")
    for folder in ("b", "c", "d"):
        shutil.rmtree(tmp_path / folder / ".lo-profile", ignore_errors=True)
    wb = openpyxl.load_workbook(reopened)
    assert wb.sheetnames[0] == contract.RESULTS_SHEET
    ws = wb[contract.RESULTS_SHEET]
    assert (ws["A1"].value, ws["B4"].value, ws["B13"].value, ws["C13"].value) == (
        "Resultados de la autoevaluación",
        "Calc S.L.",
        3.55,
        "Proactivo",
    )
    assert len(ws._charts) == 1
    form = wb[contract.FORM_SHEET]
    assert [form[f"H{r}"].value for r in range(22, 27)] == [5, 5, 5, 4, 4]


REVIEW_EXAMPLE = EXAMPLE.parent / "sistemas-sur-con-problemas.xlsx"


def review_of(path: Path, out: Path) -> Path:
    return process(path, out, "-revisar.xlsx")


def test_review__spliced__marked_cells_keep_their_look_plus_the_problem_fill(
    tmp_path: Path,
) -> None:
    before = openpyxl.load_workbook(REVIEW_EXAMPLE)[contract.FORM_SHEET]
    path = review_of(REVIEW_EXAMPLE, tmp_path / "out")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == contract.REVIEW_SHEET and wb.active.title == contract.REVIEW_SHEET
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [
        contract.REVIEW_SHEET
    ]
    assert wb[contract.REVIEW_SHEET].freeze_panes == "A6"
    form = wb[contract.FORM_SHEET]
    lines = [r for r in wb[contract.REVIEW_SHEET].iter_rows(min_row=6, values_only=True)]
    # 10 problems: the 6 missing answers on one line, then the other 4.
    assert [(r[0], r[3]) for r in lines][:2] == [
        (1, "marcadas en color"),
        (2, "Autoevaluación!B32"),
    ]
    assert str(lines[0][4]).startswith("Faltan 6 respuestas: Procesos y operaciones 4; ")
    assert len(lines) == 5
    marked = [
        c.coordinate
        for row in form.iter_rows()
        for c in row
        if c.comment is not None and c.comment.author == contract.GENERATOR
    ]
    assert len(marked) == 10
    for coord in marked:
        cell, old = form[coord], before[coord]
        assert cell.fill.fgColor.rgb.endswith("F8CBAD"), coord
        assert cell.comment is not None and coord in cell.comment.text
        looks = ("border", "font", "protection", "alignment", "number_format")
        assert [repr(getattr(cell, k)) for k in looks] == [repr(getattr(old, k)) for k in looks]
        assert cell.value == old.value
    assert repr(form["B22"].fill) == repr(before["B22"].fill) and form["B22"].comment is None
    kept, copied = untouched(REVIEW_EXAMPLE, path)
    assert copied == kept


@pytest.mark.parametrize("sheet", [contract.FORM_SHEET, "Notas"])
def test_review__workbook_with_client_notes__spliced__marks_and_keeps_them(
    sheet: str, tmp_path: Path
) -> None:
    from openpyxl.comments import Comment

    path = tmp_path / "comentado.xlsx"
    shutil.copyfile(REVIEW_EXAMPLE, path)
    wb = openpyxl.load_workbook(path)
    target = wb[sheet] if sheet in wb.sheetnames else wb.create_sheet(sheet)
    target["D10"].comment = Comment("nota del cliente", "Cliente")
    wb.save(path)
    copy = review_of(path, tmp_path / "out")
    assert b'r:id="rIdMsp1"' in parts(copy)["xl/workbook.xml"]  # spliced, not re-saved
    review = openpyxl.load_workbook(copy)
    form = review[contract.FORM_SHEET]
    assert review[sheet]["D10"].comment.text == "nota del cliente"
    assert form["B32"].fill.fgColor.rgb.endswith("F8CBAD") and "fuera de la escala" in (
        form["B32"].comment.text
    )
    assert review.sheetnames[0] == contract.REVIEW_SHEET


@pytest.mark.libreoffice
def test_review__opened_and_resaved_by_libreoffice__keeps_list_marks_and_notes(
    tmp_path: Path,
) -> None:
    require_libreoffice()
    path = review_of(REVIEW_EXAMPLE, tmp_path / "out")
    reopened = soffice_convert(path, "xlsx", tmp_path / "lo")
    shutil.rmtree(tmp_path / "lo" / ".lo-profile", ignore_errors=True)
    wb = openpyxl.load_workbook(reopened)
    assert wb.sheetnames[0] == contract.REVIEW_SHEET
    assert wb[contract.REVIEW_SHEET]["D7"].value == "Autoevaluación!B32"
    form = wb[contract.FORM_SHEET]
    assert form["B32"].fill.fgColor.rgb.endswith("F8CBAD")
    assert "fuera de la escala" in form["B32"].comment.text


def test_examples__processed_without_openpyxl_loading_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from msp_assessment.processing.run import one_file
    from msp_assessment.processing.run.options import RunOptions
    from msp_assessment.processing.run.pipeline import run

    def refuse(path: Path) -> None:
        raise AssertionError(f"openpyxl loaded {path}")

    monkeypatch.setattr(one_file, "open_workbook", refuse)
    inbox = tmp_path / "entrada"
    shutil.copytree(EXAMPLE.parent, inbox)
    (inbox / "exportado-como-csv.xlsx").unlink()  # refused before any reading
    report = run([inbox], RunOptions(output_dir=tmp_path / "out", jobs=1))
    assert report.counts == {"scored": 4, "invalid": 1, "unreadable": 0}


def test_same_input_twice__byte_identical_copies(tmp_path: Path) -> None:
    runs = []
    for attempt in ("1", "2"):
        out = tmp_path / attempt
        CliRunner().invoke(cli, ["process", str(EXAMPLE), str(REVIEW_EXAMPLE), "-o", str(out)])
        runs.append({p.name: p.read_bytes() for p in out.glob("*-re*.xlsx")})
    assert sorted(runs[0]) == [
        "documento-ejemplo-proactivo-resultados.xlsx",
        "sistemas-sur-con-problemas-revisar.xlsx",
    ]
    assert runs[0] == runs[1]
    # Not a matter of both runs falling in the same second: no entry carries the time of the run.
    with zipfile.ZipFile(EXAMPLE) as source:
        times = {info.date_time for info in source.infolist()}
    with zipfile.ZipFile(tmp_path / "1" / "documento-ejemplo-proactivo-resultados.xlsx") as copy:
        assert {info.date_time for info in copy.infolist()} <= times


def test_workbook_declaring_r_on_each_sheet__as_openpyxl_with_lxml__copies_open_again(
    tmp_path: Path,
) -> None:
    path = valid(tmp_path / "lxml.xlsx")
    r_decl = f' xmlns:r="{DOC_RELS}"'.encode()

    def per_sheet(parts: dict[str, bytes]) -> dict[str, bytes]:
        data = parts["xl/workbook.xml"].replace(r_decl, b"")
        parts["xl/workbook.xml"] = data.replace(b"<sheet ", b"<sheet" + r_decl + b" ")
        return parts

    rewrite_parts(path, per_sheet)
    assert r_decl not in parts(path)["xl/workbook.xml"].split(b"<sheets>")[0]
    copy = process(path, tmp_path / "out")
    assert openpyxl.load_workbook(copy).sheetnames[0] == contract.RESULTS_SHEET
    workbook = parts(copy)["xl/workbook.xml"]
    assert b'r:id="rIdMsp1"' in workbook  # spliced, not re-saved through openpyxl
    sheets = ElementTree.fromstring(workbook).find(f"{{{MAIN}}}sheets")
    assert sheets is not None and sheets[0].get(f"{{{DOC_RELS}}}id") == "rIdMsp1"


def compressed(path: Path) -> dict[str, tuple[int, int, bytes]]:
    """Each entry's (CRC, method, compressed bytes) as the file holds them."""
    data = path.read_bytes()
    found = {}
    with zipfile.ZipFile(path) as package:
        for info in package.infolist():
            start = info.header_offset
            name_length, extra_length = (
                int.from_bytes(data[start + 26 : start + 28], "little"),
                (int.from_bytes(data[start + 28 : start + 30], "little")),
            )
            begin = start + 30 + name_length + extra_length
            raw = data[begin : begin + info.compress_size]
            found[info.filename] = (info.CRC, info.compress_type, raw)
    return found


def test_results__unchanged_parts_copied_compressed_as_they_are__the_copy_checks_whole(
    tmp_path: Path,
) -> None:
    copy = process(EXAMPLE, tmp_path / "out")
    before, after = compressed(EXAMPLE), compressed(copy)
    unchanged = set(before) - EDITED - {"xl/worksheets/sheet1.xml"}
    assert unchanged and all(after[name] == before[name] for name in unchanged)
    with zipfile.ZipFile(copy) as package:
        assert package.testzip() is None  # every CRC, of the copied and the new entries
        assert all(info.flag_bits == 0 for info in package.infolist())
    openpyxl.load_workbook(copy).close()


def test_raw_copy__entries_with_data_descriptors_and_stored__copied_and_read_back(
    tmp_path: Path,
) -> None:
    """A package written as a stream (sizes after the data, bit 3) with a stored entry, as some
    programs write them: each unchanged entry keeps its bytes, its header says its sizes."""
    source = parts(EXAMPLE)
    streamed = tmp_path / "in" / "streamed.xlsx"
    streamed.parent.mkdir()

    class Unseekable:  # zipfile writes data descriptors to a stream it cannot seek
        def __init__(self) -> None:
            self.data = bytearray()

        def write(self, b: bytes) -> int:
            self.data += b
            return len(b)

        def flush(self) -> None:
            pass

    stream = Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as package:  # type: ignore[arg-type]
        for name, data in source.items():
            method = zipfile.ZIP_STORED if name == "xl/theme/theme1.xml" else zipfile.ZIP_DEFLATED
            package.writestr(name, data, compress_type=method)
    streamed.write_bytes(bytes(stream.data))
    with zipfile.ZipFile(streamed) as package:
        assert all(info.flag_bits & 0x08 for info in package.infolist())
    copy = process(streamed, tmp_path / "out")
    before, after = compressed(streamed), compressed(copy)
    assert after["xl/theme/theme1.xml"] == before["xl/theme/theme1.xml"]
    assert after["xl/theme/theme1.xml"][1] == zipfile.ZIP_STORED
    with zipfile.ZipFile(copy) as package:
        assert package.testzip() is None
        assert package.read("xl/theme/theme1.xml") == source["xl/theme/theme1.xml"]
    openpyxl.load_workbook(copy).close()


def test_second_pass__inflates_only_the_parts_it_edits() -> None:
    """The second pass unzips a scored workbook again; the parts it copies as they are (the
    theme, the document properties) are never inflated."""
    package = unzip(EXAMPLE.read_bytes(), lazy=True)
    assert package is not None
    instrument = load_instrument()
    eager = package_of(EXAMPLE)
    result = score(instrument, {st.id: 3 for _, st in instrument.statements})
    numbers = {contract.FORM_SHEET: {"H22": 1}}
    draft = results_draft(instrument, result, Client("A-1", "Alfa"), "2026-11-20", "x.xlsx")
    data = splice_results(package, numbers, draft, instrument)
    inflated = package.data
    assert not inflated.inflated("xl/theme/theme1.xml")  # type: ignore[attr-defined]
    assert not inflated.inflated("docProps/app.xml")  # type: ignore[attr-defined]
    assert splice_results(eager, numbers, draft, instrument) == data  # the same bytes either way
