"""What the reader needs of a workbook — sheets, cell values, merges, names, properties — as plain
data, built either straight from the package's XML (fast) or from an openpyxl workbook.

Loading a workbook with openpyxl builds a style object for every cell, which is most of the cost of
processing a returned workbook; the reader only needs values. ``read_package`` parses the few XML
parts that hold them and gives exactly what ``load_workbook(data_only=True)`` would show (same
types, same dates, merged placeholders empty). Anything it was not written for — a DTD, a
chartsheet, a part that is not where its relationship says — makes it decline (``None``), and the
caller falls back to openpyxl, which reports broken and unsafe files as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from xml.etree import ElementTree

from openpyxl.cell.cell import MergedCell
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries
from openpyxl.utils.datetime import CALENDAR_MAC_1904, WINDOWS_EPOCH, from_excel, from_ISO8601
from openpyxl.workbook import Workbook

from msp_assessment.processing.ooxml.package import (
    CONTENT_TYPES,
    CUSTOM_PROPS,
    DOC_RELS,
    MAIN,
    SHARED_STRINGS_TYPE,
    VT,
    WORKBOOK_TYPES,
    WORKSHEET_REL,
    DeclinedError,
    Parts,
    check_xml,
    once_per_part,
    parsed,
    relationship_targets,
    rels_part,
    without_dtd,
    worksheet_start,
)

Bounds = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col
Formula = tuple[str | None, str | None]  # an «<f>»'s t attribute and text
_SMALL_RANGE = 1_000  # cells; bigger merged ranges (a hostile file) are checked by bounds
TEXT_TYPES = (f"{{{VT}}}lpwstr", f"{{{VT}}}lpstr")
STYLES_PART = "xl/styles.xml"  # where openpyxl looks, whatever the relationships say
CUSTOM_PART = "docProps/custom.xml"


@dataclass
class Sheet:
    """One worksheet's values (empty cells and merged placeholders absent) and merged ranges."""

    title: str
    values: dict[tuple[int, int], object] = field(default_factory=dict)
    merged: list[Bounds] = field(default_factory=list)
    local_names: dict[str, str] = field(default_factory=dict)  # name → reference text
    # The formula of each cell that has one, as (type, text) of its «<f>»; None when the reader
    # did not see formulas (openpyxl's data_only workbook, calamine).
    formulas: dict[tuple[int, int], Formula] | None = None
    _index: dict[tuple[int, int], Bounds] | None = field(default=None, repr=False)
    _big: list[Bounds] = field(default_factory=list, repr=False)

    def value(self, row: int, col: int) -> object:
        return self.values.get((row, col))

    def merged_at(self, row: int, col: int) -> Bounds | None:
        """The merged range that covers (row, col), if any."""
        if self._index is None:
            merged = tuple(self.merged)
            index = _merge_index if len(merged) <= _SHARED_MERGES else _merge_index.__wrapped__
            self._index, self._big = index(merged)
        found = self._index.get((row, col))
        if found is None:
            found = next(
                (b for b in self._big if b[0] <= row <= b[2] and b[1] <= col <= b[3]), None
            )
        return found

    def top_left(self, row: int, col: int) -> tuple[int, int]:
        """The cell that holds what (row, col) shows: itself, or its merged range's first."""
        bounds = self.merged_at(row, col)
        return (row, col) if bounds is None else (bounds[0], bounds[1])

    def scan(self, max_row: int, max_col: int) -> Iterator[tuple[int, int, object]]:
        """(row, col, value) of every non-empty cell in the first rows and columns, row by row."""
        inside = [(r, c) for (r, c) in self.values if r <= max_row and c <= max_col]
        for r, c in sorted(inside):
            yield r, c, self.values[(r, c)]

    def hide_merged_placeholders(self) -> None:
        """Drop values under a merged range's first cell, as spreadsheet programs show them."""
        for bounds in self.merged:
            r1, c1, r2, c2 = bounds
            if (r2 - r1 + 1) * (c2 - c1 + 1) > len(self.values):
                covered = [(r, c) for (r, c) in self.values if r1 <= r <= r2 and c1 <= c <= c2]
            else:
                covered = [(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]
            for key in covered:
                if key != (r1, c1):
                    self.values.pop(key, None)


# The merged ranges of a template's sheet, the same in every workbook of a campaign: indexed once.
_SHARED_MERGES = 256  # ranges, at most, of a sheet whose index is kept (a few of them)


@lru_cache(maxsize=8)
def _merge_index(merged: tuple[Bounds, ...]) -> tuple[dict[tuple[int, int], Bounds], list[Bounds]]:
    """Cell → the merged range covering it, and the ranges too big to list cell by cell (shared:
    no caller changes them)."""
    index: dict[tuple[int, int], Bounds] = {}
    big: list[Bounds] = []
    for bounds in merged:
        r1, c1, r2, c2 = bounds
        if (r2 - r1 + 1) * (c2 - c1 + 1) > _SMALL_RANGE:
            big.append(bounds)
            continue
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                index[(r, c)] = bounds
    return index, big


@dataclass
class Book:
    """A workbook as the reader sees it."""

    sheets: list[Sheet]
    names: dict[str, str] = field(default_factory=dict)  # workbook-level name → reference text
    properties: dict[str, str] = field(default_factory=dict)  # custom text properties
    _by_title: dict[str, Sheet] | None = field(default=None, repr=False, compare=False)

    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self.sheets]

    def sheet(self, title: str) -> Sheet | None:
        """The (first) sheet named ``title``; the reader asks for a few dozen times a book."""
        if self._by_title is None:
            self._by_title = {}
            for sheet in self.sheets:
                self._by_title.setdefault(sheet.title, sheet)
        return self._by_title.get(title)


def from_workbook(wb: Workbook) -> Book:
    """The Book of a workbook openpyxl loaded (with ``data_only=True``)."""
    sheets = []
    for ws in wb.worksheets:
        sheet = Sheet(ws.title)
        for (row, col), cell in ws._cells.items():
            if cell.value is not None and not isinstance(cell, MergedCell):
                sheet.values[(row, col)] = cell.value
        sheet.merged = [
            (rng.min_row, rng.min_col, rng.max_row, rng.max_col) for rng in ws.merged_cells.ranges
        ]
        sheet.local_names = {n: d.attr_text for n, d in ws.defined_names.items()}
        sheets.append(sheet)
    names = {n: d.attr_text for n, d in wb.defined_names.items()}
    props = getattr(wb, "custom_doc_props", None)
    properties = {
        prop.name: prop.value
        for prop in getattr(props, "props", [])
        if isinstance(prop.value, str) and prop.value
    }
    return Book(sheets, names, properties)


def read_package(parts: Parts) -> Book | None:
    """The Book of an .xlsx package, or None when openpyxl should read it instead."""
    try:
        return _Package(parts).book()
    except Exception:  # declined, or anything malformed: openpyxl says what is wrong with it
        return None


class _Package:
    def __init__(self, parts: Parts) -> None:
        self.package = parts
        self.parts = parts.data
        self.names = set(parts.data)
        self.checked: set[str] = set()  # free of DTDs
        self.parsed: set[str] = set()  # parsed into a tree: so well formed too

    def xml(self, part: str) -> ElementTree.Element:
        if part not in self.checked:  # a part book() has not seen (one with no XML suffix)
            check_xml(self.parts[part])
            self.checked.add(part)
        tree = self.package.tree(part)  # well formed and namespace-valid, or it raises
        self.parsed.add(part)
        return tree

    def book(self) -> Book:
        # Every XML part must be well formed and free of DTDs, not only those read here: a
        # package with a broken part is left to openpyxl to judge (and defusedxml to refuse), and
        # never copied into a results workbook. A DTD is refused before any part is parsed; a
        # part that is parsed is well formed by that very parse, and the others are checked at
        # the end.
        xml_parts = [part for part in self.names if part.endswith((".xml", ".rels"))]
        for part in xml_parts:
            if not without_dtd(self.parts[part]):  # unsure (another encoding): expat's check
                check_xml(self.parts[part])
            self.checked.add(part)
        book = self._book()
        for part in xml_parts:
            if part not in self.parsed:
                check_xml(self.parts[part])
        return book

    def _book(self) -> Book:
        types = self.xml("[Content_Types].xml")
        overrides = {
            o.get("PartName", "").lstrip("/"): o.get("ContentType", "")
            for o in types.iter(f"{{{CONTENT_TYPES}}}Override")
        }
        workbook_part = next((p for p, t in overrides.items() if t in WORKBOOK_TYPES), None)
        if workbook_part is None:
            raise DeclinedError("no workbook part")
        shared = next((p for p, t in overrides.items() if t == SHARED_STRINGS_TYPE), None)
        strings = self.shared_strings(shared) if shared in self.names else []
        workbook = self.xml(workbook_part)
        if workbook.tag != f"{{{MAIN}}}workbook":  # e.g. Strict OOXML, another namespace
            raise DeclinedError("not a transitional SpreadsheetML workbook")
        epoch = date_system(workbook)
        dates, durations = self.date_styles()
        targets = self.relationships(workbook_part)
        sheets: list[Sheet] = []
        for node in workbook.iter(f"{{{MAIN}}}sheet"):
            target = targets.get(node.get(f"{{{DOC_RELS}}}id", ""))
            if target is None or target[0] != WORKSHEET_REL or target[1] not in self.names:
                raise DeclinedError("a sheet that is not a readable worksheet")
            sheet = Sheet(node.get("name", ""), formulas={})
            context = _Context(strings, epoch, dates, durations)
            if not self.scan(target[1], sheet, context):
                root = self.xml(target[1])
                if root.tag != f"{{{MAIN}}}worksheet":
                    raise DeclinedError("not a transitional SpreadsheetML worksheet")
                _read_cells(root, sheet, context)
            sheets.append(sheet)
        names: dict[str, str] = {}
        for node in workbook.iter(f"{{{MAIN}}}definedName"):
            name, local = node.get("name", ""), node.get("localSheetId")
            text = node.text or ""
            if local is None:
                names[name] = text
            elif not name.startswith("_xlnm.") and 0 <= int(local) < len(sheets):
                sheets[int(local)].local_names[name] = text
        return Book(sheets, names, self.custom_properties())

    def scan(self, part: str, sheet: Sheet, context: _Context) -> bool:
        """Read worksheet ``part`` into ``sheet`` without a tree (``scan_cells``) when it is
        written the plain way; False, with ``sheet`` untouched, when it is not."""
        data = self.parts[part]
        if part not in self.checked:
            return False
        found = scan_cells(data, context)
        if found is None:
            return False
        check_xml(data)  # what parsing it would have checked: well formed, namespaces declared
        self.parsed.add(part)
        sheet.values, sheet.formulas, merges = found
        _add_merges(sheet, merges)
        return True

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        rels = rels_part(part)
        return relationship_targets(self.xml(rels), part) if rels in self.names else {}

    def shared_strings(self, part: str) -> list[str]:
        # openpyxl joins plain and rich-text runs (not phonetic ones) and drops "x005F_".
        return [
            _text_content(si).replace("x005F_", "") for si in self.xml(part).iter(f"{{{MAIN}}}si")
        ]

    def date_styles(self) -> tuple[frozenset[int], frozenset[int]]:
        """Indexes of the cell formats that show dates, and of those that show durations."""
        if STYLES_PART not in self.names:  # openpyxl then reads every number as a number
            return frozenset(), frozenset()
        self.xml(STYLES_PART)  # checked and parsed, as any part the reader reads
        return _date_styles(self.parts[STYLES_PART])

    def custom_properties(self) -> dict[str, str]:
        """The text custom properties (ours are text; others are not needed)."""
        if CUSTOM_PART not in self.names:
            return {}
        found: dict[str, str] = {}
        for prop in self.xml(CUSTOM_PART).iter(f"{{{CUSTOM_PROPS}}}property"):
            value = next(iter(prop), None)
            if value is not None and value.tag in TEXT_TYPES and value.text:
                found[prop.get("name", "")] = value.text
        return found


@once_per_part  # most workbooks of a campaign share their styles
def _date_styles(raw: bytes) -> tuple[frozenset[int], frozenset[int]]:
    """``Package.date_styles`` of the styles part ``raw`` (parsed already: well formed)."""
    styles = parsed(raw)
    formats = styles.find(f"{{{MAIN}}}numFmts")
    custom = {
        int(fmt.get("numFmtId", "-1")): fmt.get("formatCode", "")
        for fmt in ([] if formats is None else formats)
    }
    dates: set[int] = set()
    durations: set[int] = set()
    cell_xfs = styles.find(f"{{{MAIN}}}cellXfs")
    for index, xf in enumerate([] if cell_xfs is None else cell_xfs):
        number = int(xf.get("numFmtId", "0"))
        code = custom[number] if number in custom else BUILTIN_FORMATS.get(number, "General")
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return frozenset(dates), frozenset(durations)


def date_system(workbook: ElementTree.Element) -> datetime:
    """The moment a date serial counts from in this workbook (the 1900 or the 1904 system)."""
    props = workbook.find(f"{{{MAIN}}}workbookPr")
    flag = "" if props is None else props.get("date1904", "")
    return CALENDAR_MAC_1904 if flag.lower() in ("1", "true") else WINDOWS_EPOCH


def _text_content(node: ElementTree.Element) -> str:
    """A string item's text the way openpyxl (without rich text) reads it."""
    parts = []
    plain = node.find(f"{{{MAIN}}}t")
    if plain is not None and plain.text is not None:
        parts.append(plain.text)
    for run in node.iterfind(f"{{{MAIN}}}r"):
        text = run.find(f"{{{MAIN}}}t")
        if text is not None and text.text is not None:
            parts.append(text.text)
    return "".join(parts)


@lru_cache(maxsize=16_384)  # every returned workbook has the template's cells
def position(coordinate: str) -> tuple[int, int]:
    """(row, column) of a coordinate such as «B22» (openpyxl's reading of it, kept)."""
    return coordinate_to_tuple(coordinate)


_C, _V, _IS, _F = f"{{{MAIN}}}c", f"{{{MAIN}}}v", f"{{{MAIN}}}is", f"{{{MAIN}}}f"


@dataclass(frozen=True)
class _Context:
    """What a cell's value depends on besides its own XML: the shared strings, the date system
    and which cell formats show dates and durations."""

    strings: list[str]
    epoch: datetime
    dates: frozenset[int]
    durations: frozenset[int]


def _read_cells(root: ElementTree.Element, sheet: Sheet, context: _Context) -> None:
    """Cell values as openpyxl's ``data_only`` reader gives them (worksheet/_reader.py)."""
    data = root.find(f"{{{MAIN}}}sheetData")
    formulas: dict[tuple[int, int], Formula] = {}
    row_number = 0
    for row in [] if data is None else data:
        given = row.get("r")
        row_number = int(given) if given is not None else row_number + 1
        col_number = 0
        for cell in row.iter(_C):
            coordinate = cell.get("r")
            if coordinate:
                r, col_number = position(coordinate)
            else:
                r, col_number = row_number, col_number + 1
            raw = _raw_value(cell)
            value = _cell_value(raw, context)
            if value is None:
                sheet.values.pop((r, col_number), None)
            else:
                sheet.values[(r, col_number)] = value
            if raw.formula is not None:
                formulas[(r, col_number)] = raw.formula
            else:
                formulas.pop((r, col_number), None)
    sheet.formulas = formulas
    merges = root.find(f"{{{MAIN}}}mergeCells")
    _add_merges(sheet, [merge.get("ref", "") for merge in ([] if merges is None else merges)])


def _add_merges(sheet: Sheet, refs: list[str]) -> None:
    sheet.merged.extend(
        _merge_bounds(tuple(refs)) if len(refs) <= _SHARED_MERGES else map(_bounds, refs)
    )
    sheet.hide_merged_placeholders()


@lru_cache(maxsize=8)  # a template's merged ranges: read once
def _merge_bounds(refs: tuple[str, ...]) -> tuple[Bounds, ...]:
    return tuple(map(_bounds, refs))


def _bounds(ref: str) -> Bounds:
    """A merged range's bounds (what openpyxl reads of its reference); declined when openpyxl
    would not read it so."""
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    if min_col is None or min_row is None or max_col is None or max_row is None:
        raise DeclinedError("a merged range of whole rows or columns")
    if min_row > max_row or min_col > max_col:
        raise DeclinedError("a merged range openpyxl would refuse")
    return min_row, min_col, max_row, max_col


@dataclass(frozen=True)
class _Raw:
    """What a cell's XML says, before the package's context: its type (``t``), format (``s``),
    value text (of «<v>», or an inline string's) and formula."""

    kind: str
    style: str | None
    text: str | None
    formula: Formula | None
    plain: bool  # its value is its text, whatever the package says of strings and dates


# Kinds whose value is the text itself (_cell_value): an inline string, a formula's text result
# («str»), an error such as #N/A («e»); «n», «s», «b» and «d» are read.
_PLAIN_KINDS = frozenset({"inlineStr", "str", "e"})


def _raw_value(cell: ElementTree.Element) -> _Raw:
    kind = cell.get("t", "n")
    formula = None
    if len(cell):  # an empty cell has no children: most of a template's
        found = cell.find(_F)
        if found is not None:
            formula = (found.get("t"), found.text)
    if kind == "inlineStr":
        inline = cell.find(_IS)
        text = None if inline is None else _text_content(inline)
    else:
        text = cell.findtext(_V) or None
    return _Raw(kind, cell.get("s"), text, formula, kind in _PLAIN_KINDS or text is None)


def _cell_value(raw: _Raw, context: _Context) -> object:
    kind, text = raw.kind, raw.text
    if raw.plain or text is None:  # (plain: no text, or a kind whose value is its text)
        return text
    if kind == "n":
        number: int | float = float(text) if ("." in text or "e" in text.lower()) else int(text)
        style = int(raw.style or 0)
        if style in context.dates:
            try:
                return from_excel(number, context.epoch, timedelta=style in context.durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
    if kind == "s":
        return context.strings[int(text)]
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return from_ISO8601(text)  # type: ignore[no-untyped-call]
    return text  # a kind openpyxl does not know either


# The fast way through a worksheet (scan_cells): the part as nearly every program writes it. A
# cell: its reference, its other attributes (quoted values, which may hold «>» or «/»), then «/>»
# or content up to «</c>» (no «<» in an attribute value: the content holds no cell's start).
# The second group, the cell's XML after its reference, is what ``_scanned`` parses.
_CELL = re.compile(
    rb'<c r="([A-Z]{1,3}[1-9][0-9]{0,6})"'
    rb"""((?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*(?:/>|>[^<]*(?:<(?!/c>)[^<]*)*</c>))"""
)
_ANY_CELL = re.compile(rb"<c[\s/>]")
_UNUSUAL = (b"<!--", b"<![CDATA[", b"<?", b"xmlns")  # comments, CDATA, instructions, namespaces
_MAIN_DEFAULT = f'xmlns="{MAIN}"'.encode()
_MAIN_PREFIXED = re.compile(rb"xmlns:[^=\s]+\s*=\s*[\"']" + re.escape(MAIN.encode()))
_MERGE = re.compile(rb'<mergeCell ref="([^"<&]*)"\s*/>')
_SCANNED: dict[bytes, _Raw] = {}  # a cell's XML (after its reference) → what it says
# Kept: cells of up to a kilobyte (a template's longest text is half that), 16 384 of them before
# starting again: a few MB at most, whatever a hostile sheet holds.
_SCANNED_BYTES = 1024
_SCANNED_MAX = 16_384


def scan_cells(
    data: bytes, context: _Context
) -> tuple[dict[tuple[int, int], object], dict[tuple[int, int], Formula], list[str]] | None:
    """The values, formulas and merged ranges of a worksheet read from its bytes, the same as
    ``_read_cells`` reads its tree, without building the tree (most of reading a workbook);
    None when the part is not written the plain way this handles, and the tree is built.

    The plain way: UTF-8; the main namespace the root's default and bound to no prefix; one
    «sheetData» in which every cell starts «<c r="A1"» and ends «/>» or «</c>», with no comment,
    CDATA section, processing instruction or namespace declaration (then «<c» is surely a cell
    of this sheet and «</c>» its end). Each distinct cell is parsed on its own, as a tiny
    document (``_raw_value``): the cells most workbooks of a campaign share are parsed once. The
    part must still be well formed: the caller checks it (``check_xml``).
    """
    root = worksheet_start(data)
    if root is None or _MAIN_DEFAULT not in root["tag"]:
        return None
    if _MAIN_PREFIXED.search(root["tag"]):  # «<x:c>» would be a cell too
        return None
    start = data.find(b"<sheetData", root.end())
    end = data.find(b"</sheetData>", start)
    if start < 0 or data.find(b"<sheetData", start + 1) >= 0:
        return None
    cells = data[start : end if end >= 0 else len(data)]
    after = data[max(end, start) :]
    merges_start = after.find(b"<mergeCells")
    merges_end = after.find(b"</mergeCells>", merges_start)
    merges = after[merges_start : merges_end + 1] if merges_start >= 0 else b""
    if merges_start >= 0 and (merges_end < 0 or after.find(b"<mergeCells", merges_start + 1) >= 0):
        return None
    if any(unusual in cells or unusual in merges for unusual in _UNUSUAL):
        return None
    # As _read_cells: a later cell with the same reference replaces an earlier one (a reference
    # is one position: no lower case, no leading zero).
    latest: dict[bytes, _Raw] = {}
    for row in cells.split(b"</row>"):  # a row's end is never inside a cell of a sound part
        found = _SCANNED_ROWS.get(row)
        if found is None and (found := _row_cells(row)) is None:
            return None
        for reference, raw in found:
            if raw.text is None and raw.formula is None:  # most of a template's: a format only
                latest.pop(reference, None)
            else:
                latest[reference] = raw
    values: dict[tuple[int, int], object] = {}
    formulas: dict[tuple[int, int], Formula] = {}
    for reference, raw in latest.items():
        position = _position_of(reference)
        value = raw.text if raw.plain else _cell_value(raw, context)  # most: no call
        if value is not None:
            values[position] = value
        if raw.formula is not None:
            formulas[position] = raw.formula
    refs = [ref.decode() for ref in _MERGE.findall(merges)]
    if merges and merges.count(b"<") != len(refs) + 2:  # «<mergeCells>», «</mergeCells>»
        return None
    return values, formulas, refs


_CELL_START = f'<c xmlns="{MAIN}"'.encode()
_SCANNED_ROWS: dict[bytes, tuple[tuple[bytes, _Raw], ...]] = {}  # a row's XML → its cells
_SCANNED_ROW_BYTES = 2048  # kept: rows of up to 2 KB, 4 096 of them before starting again
_SCANNED_ROWS_MAX = 4096


def _row_cells(row: bytes) -> tuple[tuple[bytes, _Raw], ...] | None:
    """(reference, what it says) of each cell of a row's XML, in order (``scan_cells``); None
    when a cell is not written the plain way. The rows most copies share are read once."""
    found = _CELL.findall(row)
    # Every «<c» a cell we read (the count is quick); else every cell start («<charset» in rich
    # text is none).
    if row.count(b"<c") != len(found) and len(found) != len(_ANY_CELL.findall(row)):
        return None
    cells = []
    for reference, cell in found:
        raw = _scanned(cell)
        if raw is None:
            return None
        cells.append((reference, raw))
    kept = tuple(cells)
    if len(row) <= _SCANNED_ROW_BYTES:
        if len(_SCANNED_ROWS) >= _SCANNED_ROWS_MAX:
            _SCANNED_ROWS.clear()
        _SCANNED_ROWS[row] = kept
    return kept


@lru_cache(maxsize=16_384)
def _position_of(reference: bytes) -> tuple[int, int]:
    return position(reference.decode())


def _scanned(cell: bytes) -> _Raw | None:
    """What a cell says (its XML after the reference: attributes, «>», content), parsed as a
    document of its own the first time; None when it does not parse so (the whole part does)."""
    raw = _SCANNED.get(cell)
    if raw is None:
        try:
            raw = _raw_value(ElementTree.fromstring(_CELL_START + cell))
        except ElementTree.ParseError:
            return None
        if len(cell) <= _SCANNED_BYTES:
            if len(_SCANNED) >= _SCANNED_MAX:
                _SCANNED.clear()
            _SCANNED[cell] = raw
    return raw
