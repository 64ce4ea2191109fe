"""The worksheet scan (read.scan_cells) reads exactly what the tree reading reads, or declines.

The scan reads a worksheet from its bytes, without building its tree; the tree reading
(read._read_cells) is the reference. Both must agree on every workbook the scan accepts: the
public corpus, the hostile battery, the examples, and hand-made parts with what the scan must
not be fooled by.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from msp_assessment.problems import Code
from msp_assessment.processing.ooxml import read
from msp_assessment.processing.ooxml.package import MAIN, unzip
from msp_assessment.processing.ooxml.read import Book, read_package
from msp_assessment.processing.returns import locate
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from msp_assessment.workbook_templates import contract
from tests.support.corpus import CORPUS
from tests.support.hostile import build_battery, named_at, rewrite_parts, valid
from tests.support.programs import skip_unless_ci

pytestmark = pytest.mark.writes_workbooks

EXAMPLES = Path(__file__).parent.parent / "examples"
SHEET = "xl/worksheets/sheet1.xml"


def as_data(book: Book | None) -> object:
    if book is None:
        return None
    sheets = [(s.title, s.values, s.merged, s.formulas, s.local_names) for s in book.sheets]
    return sheets, book.names, book.properties


def both_ways(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object, int]:
    """The package read with the scan and with the tree only, and how many sheets the scan
    read."""
    scanned = 0
    scan = read.scan_cells

    def counted(part: bytes, context: read._Context) -> object:
        nonlocal scanned
        found = scan(part, context)
        scanned += found is not None
        return found

    with monkeypatch.context() as patch:
        patch.setattr(read, "scan_cells", counted)
        fast = read_package(parts) if (parts := unzip(data)) is not None else None
    with monkeypatch.context() as patch:
        patch.setattr(read, "scan_cells", lambda part, context: None)
        tree = read_package(parts) if (parts := unzip(data)) is not None else None
    return as_data(fast), as_data(tree), scanned


def workbooks(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm"))


def test_corpus__scan_reads_what_the_tree_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    if not CORPUS.is_dir():
        skip_unless_ci(f"el corpus compartido no está en {CORPUS}")
    files = workbooks(CORPUS)
    scanned = 0
    for path in files:
        fast, tree, used = both_ways(path.read_bytes(), monkeypatch)
        assert fast == tree, path
        scanned += used > 0
    # Most real workbooks are written the plain way (measured: 277 of the corpus's 303).
    assert len(files) == 303 and scanned >= 250, scanned


def test_examples_and_battery__scan_reads_what_the_tree_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_battery(tmp_path)
    for path in [*workbooks(EXAMPLES), *workbooks(tmp_path)]:
        fast, tree, _ = both_ways(path.read_bytes(), monkeypatch)
        assert fast == tree, path.name
    # Our own template, as openpyxl writes it, is read by the scan every time.
    _, _, used = both_ways(valid(tmp_path / "v.xlsx").read_bytes(), monkeypatch)
    assert used == 2  # the questionnaire and our hidden sheet


# Cells the scan must read as the tree does (first twelve), or leave to it (the rest).
TRICKY = {
    "repeated reference, the later one counts": b'<c r="K1"><v>1</v></c><c r="K1"><v>2</v></c>',
    "repeated reference, emptied": b'<c r="K1" t="inlineStr"><is><t>x</t></is></c><c r="K1"/>',
    "entities and characters": (
        b'<c r="K1" t="str"><v>a &amp; b &#13;&#xE9; &lt;c r="K2"&gt;</v></c>'
    ),
    "line ends": b'<c r="K1" t="inlineStr"><is><t>uno\r\ndos\rtres</t></is></c>',
    "rich text and phonetics": (
        b'<c r="K1" t="inlineStr"><is><r><t>Pri</t></r><r><rPr><b/></rPr><t xml:space="preserve">'
        b'mera </t></r><rPh sb="0" eb="1"><t>fon\xc3\xa9tica</t></rPh></is></c>'
    ),
    "a slash in an attribute": b'<c r="K1" cm="a/b"><v>3</v></c>',
    "a formula": b'<c r="K1"><f>SUM(B1:B3)</f></c><c r="K2" t="str"><f t="array" ref="K2">A1</f>'
    b"<v>z</v></c>",
    "a self-closing formula": b'<c r="K1"><f t="shared" si="0"/></c>',
    "an error and a boolean": b'<c r="K1" t="e"><v>#N/A</v></c><c r="K2" t="b"><v>1</v></c>',
    "an empty value": b'<c r="K1" t="n"><v></v></c><c r="K2" t="inlineStr"><is/></c>',
    "«/>» in an attribute value": b'<c r="K1" cm="/>"><v>4</v></c>',
    "«>» in an attribute value": b'<c r="K1" cm="x>"><v>4</v></c>',
    # --- left to the tree
    "a comment": b'<!-- <c r="K1"><v>9</v></c> --><c r="K2"><v>1</v></c>',
    "CDATA": b'<c r="K1" t="str"><v><![CDATA[</c>]]></v></c>',
    "a namespace declared inside": b'<c r="K1" xmlns:q="urn:q"><v>4</v><q:x/></c>',
    "a cell without its reference": b"<c><v>5</v></c>",
    "a reference after another attribute": b'<c s="0" r="K1"><v>5</v></c>',
    "a closing tag with a space": b'<c r="K1"><v>5</v></c ><c r="K2"><v>6</v></c>',
    "a nested cell": b'<c r="K1"><extLst><c r="K2"><v>6</v></c></extLst><v>5</v></c>',
    "a processing instruction": b'<?pi x?><c r="K1"><v>5</v></c>',
}
DECLINED = list(TRICKY)[12:]


@pytest.mark.parametrize("case", list(TRICKY))
def test_tricky_cells__read_as_the_tree_reads_them_or_left_to_it(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = valid(tmp_path / "t.xlsx")

    def add(parts: dict[str, bytes]) -> dict[str, bytes]:
        sheet = parts[SHEET]
        row = sheet.index(b'<row r="1"')
        end = sheet.index(b"</row>", row)
        parts[SHEET] = sheet[:end] + TRICKY[case] + sheet[end:]
        return parts

    rewrite_parts(path, add)
    data = path.read_bytes()
    fast, tree, used = both_ways(data, monkeypatch)
    assert fast == tree
    assert used == (1 if case in DECLINED else 2)  # the hidden sheet is always plain
    with zipfile.ZipFile(path) as package:
        assert TRICKY[case] in package.read(SHEET)


def test_main_namespace_under_a_prefix__left_to_the_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = valid(tmp_path / "prefijo.xlsx")
    root = f'<worksheet xmlns="{MAIN}"'.encode()

    def prefixed(parts: dict[str, bytes]) -> dict[str, bytes]:
        sheet = parts[SHEET]
        assert root in sheet
        extra = f' xmlns:x="{MAIN}"'.encode()
        sheet = sheet.replace(root, root + extra, 1)
        row = sheet.index(b'<row r="1"')
        end = sheet.index(b"</row>", row)
        parts[SHEET] = sheet[:end] + b'<x:c r="K1"><x:v>7</x:v></x:c>' + sheet[end:]
        return parts

    rewrite_parts(path, prefixed)
    fast, tree, used = both_ways(path.read_bytes(), monkeypatch)
    assert fast == tree and used == 1


@pytest.mark.parametrize("padding", [0, 300])
def test_another_encoding__left_to_the_tree_however_long_its_declaration(
    padding: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sheet in Latin-1 (declared so, even past its first bytes) is read by the tree, which
    decodes it: «Ã©», whose two Latin-1 bytes are also UTF-8 for «é», stays «Ã©»."""
    path = valid(tmp_path / "latin1.xlsx")

    def latin1(parts: dict[str, bytes]) -> dict[str, bytes]:
        spaced = f'<?xml version="1.0"{" " * padding} encoding="ISO-8859-1"?>'
        text = spaced + parts[SHEET].decode()  # openpyxl writes no declaration
        row = text.index('<row r="1"')
        end = text.index("</row>", row)
        cell = '<c r="K1" t="inlineStr"><is><t>cafÃ©</t></is></c>'
        parts[SHEET] = (text[:end] + cell + text[end:]).encode("latin-1", "xmlcharrefreplace")
        return parts

    rewrite_parts(path, latin1)
    fast, tree, used = both_ways(path.read_bytes(), monkeypatch)
    assert fast == tree and used == 1
    assert fast is not None and ((1, 11), "cafÃ©") in fast[0][0][1].items()  # type: ignore[index]


def test_broken_sheet__the_scan_does_not_make_it_readable(tmp_path: Path) -> None:
    """A part that is not well formed is left to openpyxl, scan or not (which says it is
    damaged): the scan's reading never stands in for the XML check."""
    path = valid(tmp_path / "roto.xlsx")

    def break_it(parts: dict[str, bytes]) -> dict[str, bytes]:
        parts[SHEET] = parts[SHEET].replace(b"<cols>", b"<cols><col", 1)
        return parts

    rewrite_parts(path, break_it)
    parts = unzip(path.read_bytes())
    assert parts is not None and read_package(parts) is None


def formula_answer(tmp_path: Path, formula: str, shared: bool = False) -> Path:
    path = valid(tmp_path / "formula.xlsx")
    wb = load_workbook(path)
    sheet, cell = named_at(wb, contract.answer_name(3, 2))
    wb[sheet][cell] = formula
    wb.save(path)
    if shared:  # as Excel writes a formula filled down: the cell takes the master's

        def share(parts: dict[str, bytes]) -> dict[str, bytes]:
            text = f"<f>{formula[1:]}</f>".encode()
            assert text in parts[SHEET]
            master = f'<f t="shared" ref="{cell}" si="0">{formula[1:]}</f>'.encode()
            parts[SHEET] = parts[SHEET].replace(text, master, 1)
            return parts

        rewrite_parts(path, share)
    return path


def explained(path: Path) -> list[tuple[Code, str]]:
    outcome = run([path], RunOptions()).files[0]
    return [(p.code, str(dict(p.context).get("found", ""))) for p in outcome.problems]


def test_formula_without_value__explained_without_opening_the_file_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = formula_answer(tmp_path, "=SUM(B22:B24)")
    by_openpyxl = explained(path)

    def never(*_: object) -> dict[object, str]:
        raise AssertionError("openpyxl opened the file again")

    monkeypatch.setattr(locate, "_openpyxl_formulas", never)
    assert explained(path) == by_openpyxl
    assert (Code.ANSWER_FORMULA, "=SUM(B22:B24)") in by_openpyxl


def test_shared_formula__openpyxl_works_it_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = formula_answer(tmp_path, "=SUM(B22:B24)", shared=True)
    asked = []
    openpyxl_formulas = locate._openpyxl_formulas

    def counted(*args: object) -> dict[locate.Located, str]:
        asked.append(args)
        return openpyxl_formulas(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(locate, "_openpyxl_formulas", counted)
    assert (Code.ANSWER_FORMULA, "=SUM(B22:B24)") in explained(path)
    assert len(asked) == 1


def test_scan_keeps_small_cells_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the scan keeps of the cells and rows it has seen stays small whatever a sheet
    holds: a cell of 50 000 characters is read as the tree reads it, and neither it nor its row
    is kept; rows of the same bytes are read once."""
    path = valid(tmp_path / "grande.xlsx")
    wb = load_workbook(path)
    wb.worksheets[0]["K1"] = "x" * 50_000
    wb.save(path)
    monkeypatch.setattr(read, "_SCANNED", {})
    monkeypatch.setattr(read, "_SCANNED_ROWS", {})
    fast, tree, used = both_ways(path.read_bytes(), monkeypatch)
    assert fast == tree and used == 2
    assert read._SCANNED and max(len(cell) for cell in read._SCANNED) <= read._SCANNED_BYTES
    rows = read._SCANNED_ROWS
    assert len(rows) > 20 and max(len(row) for row in rows) <= read._SCANNED_ROW_BYTES
    assert not any(b"xxxxx" in row for row in rows)
    again: list[bytes] = []
    monkeypatch.setattr(read, "_row_cells", lambda row: again.append(row) or None)
    fast, tree, used = both_ways(path.read_bytes(), monkeypatch)
    assert fast == tree and used == 1  # the big row read again (not kept): its sheet declined
    assert len(again) == 1 and b"x" * 30_000 in again[0]
