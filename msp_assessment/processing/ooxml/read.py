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
    relationship_targets,
    rels_part,
    without_dtd,
)

Bounds = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col
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
    _index: dict[tuple[int, int], Bounds] | None = field(default=None, repr=False)
    _big: list[Bounds] = field(default_factory=list, repr=False)

    def value(self, row: int, col: int) -> object:
        return self.values.get((row, col))

    def merged_at(self, row: int, col: int) -> Bounds | None:
        """The merged range that covers (row, col), if any."""
        if self._index is None:
            self._index, self._big = {}, []
            for bounds in self.merged:
                r1, c1, r2, c2 = bounds
                if (r2 - r1 + 1) * (c2 - c1 + 1) > _SMALL_RANGE:
                    self._big.append(bounds)
                    continue
                for r in range(r1, r2 + 1):
                    for c in range(c1, c2 + 1):
                        self._index[(r, c)] = bounds
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


@dataclass
class Book:
    """A workbook as the reader sees it."""

    sheets: list[Sheet]
    names: dict[str, str] = field(default_factory=dict)  # workbook-level name → reference text
    properties: dict[str, str] = field(default_factory=dict)  # custom text properties

    @property
    def sheetnames(self) -> list[str]:
        return [s.title for s in self.sheets]

    def sheet(self, title: str) -> Sheet | None:
        return next((s for s in self.sheets if s.title == title), None)


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
            sheet = Sheet(node.get("name", ""))
            root = self.xml(target[1])
            if root.tag != f"{{{MAIN}}}worksheet":
                raise DeclinedError("not a transitional SpreadsheetML worksheet")
            _read_cells(root, sheet, strings, epoch, dates, durations)
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

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        rels = rels_part(part)
        return relationship_targets(self.xml(rels), part) if rels in self.names else {}

    def shared_strings(self, part: str) -> list[str]:
        # openpyxl joins plain and rich-text runs (not phonetic ones) and drops "x005F_".
        return [
            _text_content(si).replace("x005F_", "") for si in self.xml(part).iter(f"{{{MAIN}}}si")
        ]

    def date_styles(self) -> tuple[set[int], set[int]]:
        """Indexes of the cell formats that show dates, and of those that show durations."""
        if STYLES_PART not in self.names:  # openpyxl then reads every number as a number
            return set(), set()
        styles = self.xml(STYLES_PART)
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
        return dates, durations

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
def _position(coordinate: str) -> tuple[int, int]:
    return coordinate_to_tuple(coordinate)


_C, _V, _IS = f"{{{MAIN}}}c", f"{{{MAIN}}}v", f"{{{MAIN}}}is"


def _read_cells(
    root: ElementTree.Element,
    sheet: Sheet,
    strings: list[str],
    epoch: datetime,
    dates: set[int],
    durations: set[int],
) -> None:
    """Cell values as openpyxl's ``data_only`` reader gives them (worksheet/_reader.py)."""
    data = root.find(f"{{{MAIN}}}sheetData")
    row_number = 0
    for row in [] if data is None else data:
        given = row.get("r")
        row_number = int(given) if given is not None else row_number + 1
        col_number = 0
        for cell in row.iter(_C):
            coordinate = cell.get("r")
            if coordinate:
                r, col_number = _position(coordinate)
            else:
                r, col_number = row_number, col_number + 1
            value = _cell_value(cell, strings, epoch, dates, durations)
            if value is None:
                sheet.values.pop((r, col_number), None)
            else:
                sheet.values[(r, col_number)] = value
    merges = root.find(f"{{{MAIN}}}mergeCells")
    for merge in [] if merges is None else merges:
        min_col, min_row, max_col, max_row = range_boundaries(merge.get("ref", ""))
        if min_col is None or min_row is None or max_col is None or max_row is None:
            raise DeclinedError("a merged range of whole rows or columns")
        if min_row > max_row or min_col > max_col:
            raise DeclinedError("a merged range openpyxl would refuse")
        sheet.merged.append((min_row, min_col, max_row, max_col))
    sheet.hide_merged_placeholders()


def _cell_value(
    cell: ElementTree.Element,
    strings: list[str],
    epoch: datetime,
    dates: set[int],
    durations: set[int],
) -> object:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(_IS)
        return None if inline is None else _text_content(inline)
    value: object = cell.findtext(_V) or None
    if value is None:
        return None
    text = str(value)
    if kind == "n":
        number: int | float = float(text) if ("." in text or "e" in text.lower()) else int(text)
        style = int(cell.get("s") or 0)
        if style in dates:
            try:
                return from_excel(number, epoch, timedelta=style in durations)
            except (OverflowError, ValueError):
                return "#VALUE!"
        return number
    if kind == "s":
        return strings[int(text)]
    if kind == "b":
        return bool(int(text))
    if kind == "d":
        return from_ISO8601(text)  # type: ignore[no-untyped-call]
    return text  # "str" (a formula's text result), "e" (an error such as #N/A), or unknown
