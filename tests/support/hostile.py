"""Broken and hostile inputs, each built in code from a valid workbook (nothing binary committed).

Every builder writes one file into a folder and returns what processing must make of it: the
status and the problem codes, in order.
"""

from __future__ import annotations

import random
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.client import Client
from msp_assessment.examples import write_filled
from msp_assessment.problems import Code
from msp_assessment.processing.ooxml.package import unzip
from msp_assessment.processing.ooxml.read import Book, read_package
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell

GRID = [[5, 5, 5, 4, 4], [3, 3, 3, 4, 3], [4, 4, 4, 3, 4], [3, 3, 2, 2, 3]]  # 3,55 Proactivo
ANSWERS = {(a + 1, n + 1): v for a, row in enumerate(GRID) for n, v in enumerate(row)}


@dataclass(frozen=True)
class Expected:
    status: str
    codes: tuple[str, ...] = ()
    average: float | None = None


SCORED = Expected("scored", (), 3.55)


def valid(path: Path, company: str = "Hostil S.A.") -> Path:
    return write_filled(path, ANSWERS, client=Client("H-1", company, "Ana", "ana@hostil.es"))


def scratch(folder: Path) -> Path:
    """A folder beside the battery for intermediate files."""
    path = folder.parent / "borradores"
    path.mkdir(exist_ok=True)
    return path


def rewrite_parts(path: Path, change: Callable[[dict[str, bytes]], dict[str, bytes]]) -> None:
    with zipfile.ZipFile(path) as zin:
        parts = {n: zin.read(n) for n in zin.namelist()}
    parts = change(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)


def to_1904(parts: dict[str, bytes]) -> dict[str, bytes]:
    """A package's parts in the 1904 date system (old Excel for Mac), for ``rewrite_parts``."""
    workbook = parts["xl/workbook.xml"]
    if b"<workbookPr" in workbook:
        workbook = workbook.replace(b"<workbookPr", b'<workbookPr date1904="1"', 1)
    else:
        workbook = workbook.replace(b"<sheets>", b'<workbookPr date1904="1"/><sheets>', 1)
    return {**parts, "xl/workbook.xml": workbook}


def named_at(wb: openpyxl.Workbook, name: str) -> tuple[str, str]:
    """Sheet title and coordinate of one of our defined names."""
    cell = named_cell(wb, name)
    return cell.parent.title, cell.coordinate


# --- not workbooks ---------------------------------------------------------------------------


def empty(folder: Path) -> Expected:
    (folder / "vacio.xlsx").write_bytes(b"")
    return Expected("unreadable", (Code.FILE_EMPTY,))


def csv_renamed(folder: Path) -> Expected:
    (folder / "exportado.xlsx").write_text("Empresa;Acme\nHemos estandarizado;4\n", "utf-8")
    return Expected("unreadable", (Code.FILE_NOT_WORKBOOK,))


def truncated(folder: Path) -> Expected:
    data = valid(scratch(folder) / "entero.xlsx").read_bytes()
    (folder / "cortado.xlsx").write_bytes(data[: len(data) // 2])
    return Expected("unreadable", (Code.FILE_CORRUPT,))


def plain_zip(folder: Path) -> Expected:
    with zipfile.ZipFile(folder / "fotos.xlsx", "w") as z:
        z.writestr("foto.txt", "no soy un libro")
    return Expected("unreadable", (Code.FILE_NOT_WORKBOOK,))


def binary_noise(folder: Path) -> Expected:
    (folder / "ruido.xlsx").write_bytes(bytes(range(256)) * 8)
    return Expected("unreadable", (Code.FILE_NOT_WORKBOOK,))


def legacy_ole(folder: Path) -> Expected:
    """An OLE container (what .xls files are) that holds no workbook: calamine cannot read it,
    and cannot say whether it is damaged, so the client is asked to save it as .xlsx."""
    (folder / "viejo.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    return Expected("unreadable", (Code.FILE_FORMAT_UNREADABLE,))


def encrypted(folder: Path) -> Expected:
    """A workbook encrypted with an opening password, as Excel does, made with msoffcrypto-tool."""
    from msoffcrypto.format.ooxml import OOXMLFile

    source = valid(scratch(folder) / "claro.xlsx")
    with source.open("rb") as plain, (folder / "cifrado.xlsx").open("wb") as out:
        OOXMLFile(plain).encrypt("contraseña", out)
    return Expected("unreadable", (Code.FILE_ENCRYPTED,))


# --- bombs -----------------------------------------------------------------------------------


def zip_bomb_ratio(folder: Path) -> Expected:
    """64 MB of zeros in a 64 KB entry: refused by its compression ratio, never inflated."""
    path = folder / "bomba-ratio.xlsx"
    valid(path)
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z,
        z.open("xl/media/relleno.bin", "w", force_zip64=True) as entry,
    ):
        for _ in range(64):
            entry.write(bytes(1024 * 1024))
    return Expected("unreadable", (Code.FILE_TOO_LARGE,))


def zip_bomb_declared(folder: Path) -> Expected:
    """An entry whose header claims 300 GB: refused from the zip directory alone."""
    path = folder / "bomba-declarada.xlsx"
    valid(path)
    data = bytearray(path.read_bytes())
    # Patch the uncompressed size of the first central-directory entry to 0xFFFFFFF0.
    central = data.rfind(b"PK\x05\x06")
    offset = int.from_bytes(data[central + 16 : central + 20], "little")
    data[offset + 24 : offset + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    return Expected("unreadable", (Code.FILE_TOO_LARGE,))


def too_many_entries(folder: Path) -> Expected:
    path = folder / "miles-de-partes.xlsx"
    valid(path)
    with zipfile.ZipFile(path, "a") as z:
        for i in range(2100):
            z.writestr(f"xl/extra/{i}.xml", b"<a/>")
    return Expected("unreadable", (Code.FILE_TOO_LARGE,))


LAUGHS = "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
BILLION_LAUGHS = f'<!DOCTYPE worksheet [<!ENTITY lol0 "lol">{LAUGHS}]>'.encode()
EXTERNAL_ENTITY = b'<!DOCTYPE worksheet [<!ENTITY secreto SYSTEM "file:///etc/passwd">]>'
COMPANY = b"Hostil S.A."


def _with_doctype(name: str, doctype: bytes, reference: bytes) -> Callable[[Path], Expected]:
    """The company cell's text replaced by an entity declared in a DOCTYPE of the sheet XML."""

    def build(folder: Path) -> Expected:
        path = folder / name
        valid(path)

        def swap(parts: dict[str, bytes]) -> dict[str, bytes]:
            sheet = parts["xl/worksheets/sheet1.xml"].replace(COMPANY, reference)
            parts["xl/worksheets/sheet1.xml"] = doctype + sheet
            return parts

        rewrite_parts(path, swap)
        return Expected("unreadable", (Code.FILE_UNSAFE,))

    return build


entity_bomb = _with_doctype("entidades.xlsx", BILLION_LAUGHS, b"&lol9;")
external_entity = _with_doctype("entidad-externa.xlsx", EXTERNAL_ENTITY, b"&secreto;")


def corrupt_xml(folder: Path) -> Expected:
    path = folder / "xml-roto.xlsx"
    valid(path)

    def cut(parts: dict[str, bytes]) -> dict[str, bytes]:
        sheet = parts["xl/worksheets/sheet1.xml"]
        parts["xl/worksheets/sheet1.xml"] = sheet[: len(sheet) // 2]
        return parts

    rewrite_parts(path, cut)
    return Expected("unreadable", (Code.FILE_CORRUPT,))


# --- workbooks that were edited ------------------------------------------------------------


def renamed_sheet(folder: Path) -> Expected:
    """Renamed as Excel does it: the defined names follow the sheet."""
    path = valid(folder / "hoja-renombrada.xlsx")
    wb = openpyxl.load_workbook(path)
    wb[contract.FORM_SHEET].title = "Respuestas de Ana"
    for dn in wb.defined_names.values():
        dn.attr_text = dn.attr_text.replace(f"'{contract.FORM_SHEET}'", "'Respuestas de Ana'")
    wb.save(path)
    return SCORED


def renamed_sheet_stale_names(folder: Path) -> Expected:
    """Renamed by a program that does not update the names: found by statement text."""
    path = valid(folder / "hoja-renombrada-sin-nombres.xlsx")
    wb = openpyxl.load_workbook(path)
    wb[contract.FORM_SHEET].title = "Hoja1"
    wb.save(path)
    return SCORED


def reordered_sheets(folder: Path) -> Expected:
    path = valid(folder / "hojas-reordenadas.xlsx")
    wb = openpyxl.load_workbook(path)
    notes = wb.create_sheet("Notas", 0)
    notes["A1"] = "Notas internas del cliente"
    wb.move_sheet(contract.FORM_SHEET, offset=1)
    wb.save(path)
    return SCORED


def deleted_form_sheet(folder: Path) -> Expected:
    path = valid(folder / "hoja-borrada.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("Otra")["A1"] = "Nada que ver"
    del wb[contract.FORM_SHEET]
    wb.save(path)
    return Expected("invalid", (Code.NOT_ASSESSMENT,))


def _edit_form(name: str, edit: Callable[[Worksheet], None]) -> Callable[[Path], Expected]:
    """A valid workbook whose form sheet ``edit`` changes the way openpyxl does: cells move, the
    defined names stay behind (so they point at the wrong cells and must not be trusted)."""

    def build(folder: Path) -> Expected:
        path = valid(folder / name)
        wb = openpyxl.load_workbook(path)
        ws = wb[contract.FORM_SHEET]
        for merged in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(merged))
        edit(ws)
        wb.save(path)
        return SCORED

    return build


def _insert_rows(ws: Worksheet) -> None:
    ws.insert_rows(21, amount=2)
    ws.insert_rows(5, amount=1)


inserted_rows_stale_names = _edit_form("filas-insertadas.xlsx", _insert_rows)
inserted_column = _edit_form("columna-insertada.xlsx", lambda ws: ws.insert_cols(1))


def pasted_answers(folder: Path) -> Expected:
    """Answers pasted over the dropdown: no validation left, text and decimals in the cells."""
    path = valid(folder / "pegado.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[contract.FORM_SHEET]
    ws.data_validations.dataValidation = []
    for (area, statement), value in ANSWERS.items():
        sheet, cell = named_at(wb, contract.answer_name(area, statement))
        wb[sheet][cell] = {0: f" {value} ", 1: float(value), 2: str(value)}[statement % 3]
    sheet, cell = named_at(wb, contract.answer_name(4, 5))
    wb[sheet][cell] = "7"
    wb.save(path)
    return Expected("invalid", (Code.ANSWER_OUT_OF_RANGE,))


def merged_answers(folder: Path) -> Expected:
    path = valid(folder / "celdas-combinadas.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet, first = named_at(wb, contract.answer_name(2, 1))
    _, second = named_at(wb, contract.answer_name(2, 2))
    wb[sheet].merge_cells(f"{first}:{second}")
    wb.save(path)
    return Expected("invalid", (Code.ANSWER_MERGED,))


def formula_answer(folder: Path) -> Expected:
    """A formula without a computed value (written by a program that does not calculate)."""
    path = valid(folder / "formula.xlsx")
    wb = openpyxl.load_workbook(path)
    sheet, cell = named_at(wb, contract.answer_name(3, 2))
    wb[sheet][cell] = "=2+2"
    wb.save(path)
    return Expected("invalid", (Code.ANSWER_FORMULA,))


ODD_COMPANY = '=HYPERLINK("http://x")\u202e🚀 Ñandú\x07 ' + "Muy larga " * 5000


def odd_client_text(folder: Path) -> Expected:
    """Control characters, right-to-left override, emoji and 50 000 characters in Empresa."""
    path = valid(folder / "texto-raro.xlsx")
    escaped = ODD_COMPANY.replace("&", "&amp;").replace('"', "&quot;").replace("\x07", "_x0007_")

    def inject(parts: dict[str, bytes]) -> dict[str, bytes]:
        sheet = parts["xl/worksheets/sheet1.xml"]
        parts["xl/worksheets/sheet1.xml"] = sheet.replace(COMPANY, escaped.encode("utf-8"))
        return parts

    rewrite_parts(path, inject)
    return SCORED


def macro_workbook(folder: Path) -> Expected:
    """An .xlsm with a VBA project: read like any workbook; the macro never reaches our outputs."""
    path = folder / "con-macros.xlsm"
    valid(path)

    def add_vba(parts: dict[str, bytes]) -> dict[str, bytes]:
        parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0" + zlib.compress(b"Sub Auto_Open()") * 4
        return parts

    rewrite_parts(path, add_vba)
    return SCORED


def good(folder: Path) -> Expected:
    valid(folder / "correcto.xlsx", company="Correcta S.L.")
    return SCORED


BATTERY: dict[str, Callable[[Path], Expected]] = {
    "vacio.xlsx": empty,
    "exportado.xlsx": csv_renamed,
    "cortado.xlsx": truncated,
    "fotos.xlsx": plain_zip,
    "ruido.xlsx": binary_noise,
    "viejo.xlsx": legacy_ole,
    "cifrado.xlsx": encrypted,
    "bomba-ratio.xlsx": zip_bomb_ratio,
    "bomba-declarada.xlsx": zip_bomb_declared,
    "miles-de-partes.xlsx": too_many_entries,
    "entidades.xlsx": entity_bomb,
    "entidad-externa.xlsx": external_entity,
    "xml-roto.xlsx": corrupt_xml,
    "hoja-renombrada.xlsx": renamed_sheet,
    "hoja-renombrada-sin-nombres.xlsx": renamed_sheet_stale_names,
    "hojas-reordenadas.xlsx": reordered_sheets,
    "hoja-borrada.xlsx": deleted_form_sheet,
    "filas-insertadas.xlsx": inserted_rows_stale_names,
    "columna-insertada.xlsx": inserted_column,
    "pegado.xlsx": pasted_answers,
    "celdas-combinadas.xlsx": merged_answers,
    "formula.xlsx": formula_answer,
    "texto-raro.xlsx": odd_client_text,
    "con-macros.xlsm": macro_workbook,
    "correcto.xlsx": good,
}


def build_battery(folder: Path) -> dict[str, Expected]:
    folder.mkdir(parents=True, exist_ok=True)
    return {name: build(folder) for name, build in BATTERY.items()}


# --- Mutants: flipped bytes, truncation, missing or doubled parts, broken XML ---------------


def flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def rezip(data: bytes, rng: random.Random, mode: str, tmp: Path) -> bytes:
    source = tmp / "fuente.zip"
    source.write_bytes(data)
    with zipfile.ZipFile(source) as zin:
        parts = [(n, zin.read(n)) for n in zin.namelist()]
    target = tmp / "mutado.zip"
    victim = rng.randrange(len(parts))
    with warnings.catch_warnings(), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicated names on purpose
        for index, (name, content) in enumerate(parts):
            if index == victim and mode == "delete":
                continue
            if index == victim and mode == "xml":
                cut = rng.randrange(len(content) + 1)
                junk = rng.choice([b"<", b"&", b"]]>", b"\x00", b"<x>", "ñ".encode("latin-1")])
                content = content[:cut] + junk + content[cut:]
            zout.writestr(name, content)
            if index == victim and mode == "duplicate":
                zout.writestr(name, content[: len(content) // 2])
    return target.read_bytes()


def mutant(original: bytes, case: int, rng: random.Random, work: Path) -> tuple[str, bytes]:
    """The ``case``-th mutant of ``original`` (the five kinds in turn) and its kind."""
    mode = ["flip", "truncate", "delete", "duplicate", "xml"][case % 5]
    if mode == "flip":
        return mode, flip(original, rng)
    if mode == "truncate":
        return mode, truncate(original, rng)
    return mode, rezip(original, rng, mode, work)


def fast_read(data: bytes) -> Book | None:
    parts = unzip(data)
    return None if parts is None else read_package(parts)


# --- Strict Open XML, as Excel's «Hoja de cálculo Open XML estricta» writes it ---------------

_TO_STRICT = [
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/extendedProperties",
    ),
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
        b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties",
    ),
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties",
        b"http://purl.oclc.org/ooxml/officeDocument/customProperties",
    ),
    (
        b"http://schemas.openxmlformats.org/officeDocument/2006/",
        b"http://purl.oclc.org/ooxml/officeDocument/",
    ),
    (
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/",
        b"http://purl.oclc.org/ooxml/spreadsheetml/",
    ),
    (
        b"http://schemas.openxmlformats.org/drawingml/2006/",
        b"http://purl.oclc.org/ooxml/drawingml/",
    ),
]


def as_strict(path: Path, target: Path) -> Path:
    """``path`` saved as Strict Open XML: every namespace in its Strict form, the workbook
    marked ``conformance="strict"`` (what Excel writes; the tool must read it and send back a
    copy Excel opens)."""

    def strict(parts: dict[str, bytes]) -> dict[str, bytes]:
        out = {}
        for name, data in parts.items():
            if name.endswith((".xml", ".rels")):
                for old, new in _TO_STRICT:
                    data = data.replace(old, new)
                if name == "xl/workbook.xml":
                    data = data.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)
            out[name] = data
        return out

    target.write_bytes(path.read_bytes())
    rewrite_parts(target, strict)
    return target


# --- The second battery: the other-format readers, and what a client types ------------------

ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def ods_package(path: Path, tables: str) -> Path:
    """A minimal OpenDocument spreadsheet holding ``tables`` (``<table:table>`` elements)."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES} '
        f'office:version="1.2"><office:body><office:spreadsheet>{tables}</office:spreadsheet>'
        "</office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:'
        'names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        mimetype = "application/vnd.oasis.opendocument.spreadsheet"
        package.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        package.writestr("content.xml", content)
        package.writestr("META-INF/manifest.xml", manifest)
    return path


def ods_spaces_bomb(folder: Path) -> Path:
    """800 bytes that ask the reader for two thousand million spaces (7.8 GB of text)."""
    cell = '<text:p>x<text:s text:c="2000000000"/>y</text:p>'
    row = f'<table:table-row><table:table-cell office:value-type="string">{cell}'
    return ods_package(
        folder / "espacios.ods",
        f'<table:table table:name="A">{row}</table:table-cell></table:table-row></table:table>',
    )


def ods_repeat_bomb(folder: Path) -> Path:
    """850 bytes: ten sheets of ten million repeated cells each."""
    cells = (
        '<table:table-row table:number-rows-repeated="1000"><table:table-cell '
        'table:number-columns-repeated="10000" office:value-type="float" office:value="1"/>'
        "</table:table-row>"
    )
    tables = "".join(f'<table:table table:name="H{i}">{cells}</table:table>' for i in range(10))
    return ods_package(folder / "repetidas.ods", tables)


def ods_edited(source: Path, target: Path, edit: Callable[[bytes], bytes]) -> Path:
    """An .ods (LibreOffice's) with its content.xml changed by ``edit``."""
    with zipfile.ZipFile(source) as zin:
        parts = [(info, zin.read(info)) for info in zin.infolist()]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in parts:
            zout.writestr(info, edit(data) if info.filename == "content.xml" else data)
    return target
