"""Small cell helpers shared by every writer."""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.merge import MergedCellRange
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.workbook_templates import styles as s

MAX_CELL_TEXT = 32_767  # Excel's limit for the text of one cell


_SMALL_RANGE = 1_000  # cells; bigger merged ranges (a hostile file) are checked by bounds


Bounds = tuple[int, int, int, int]  # min_row, min_col, max_row, max_col


@dataclass
class _MergedIndex:
    """Plain bounds only: a MergedCellRange points back at its sheet, which would keep every
    workbook ever read alive through this cache."""

    count: int
    cells: dict[tuple[int, int], Bounds]
    big: list[Bounds]


_MERGED: WeakKeyDictionary[Worksheet, _MergedIndex] = WeakKeyDictionary()


def merged_range(ws: Worksheet, coord: str) -> CellRange | None:
    """The merged range that holds ``coord``, if any.

    The sheet's merged cells are indexed once (and again only if their number changes): asking
    openpyxl range by range costs more than reading the whole workbook.
    """
    ranges: list[CellRange] = list(ws.merged_cells.ranges)
    index = _MERGED.get(ws)
    if index is None or index.count != len(ranges):
        index = _MergedIndex(len(ranges), {}, [])
        for rng in ranges:
            bounds = (rng.min_row, rng.min_col, rng.max_row, rng.max_col)
            if (rng.max_row - rng.min_row + 1) * (rng.max_col - rng.min_col + 1) > _SMALL_RANGE:
                index.big.append(bounds)
                continue
            for row in range(rng.min_row, rng.max_row + 1):
                for col in range(rng.min_col, rng.max_col + 1):
                    index.cells[(row, col)] = bounds
        _MERGED[ws] = index
    letters, row = coordinate_from_string(coord)
    col = column_index_from_string(letters)
    found = index.cells.get((row, col)) or next(
        (b for b in index.big if b[0] <= row <= b[2] and b[1] <= col <= b[3]), None
    )
    if found is None:
        return None
    return CellRange(min_row=found[0], min_col=found[1], max_row=found[2], max_col=found[3])


def named_cell(wb: Workbook, name: str) -> Cell | MergedCell:
    """The cell a workbook-level defined name of ours points at (a single cell, 'Hoja'!$B$22).

    For workbooks we wrote ourselves (examples, tests); returned workbooks go through the
    reader, which trusts no name.
    """
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    cell: Cell | MergedCell = wb[sheet][ref.replace("$", "")]
    return cell


def top_left(ws: Worksheet, coord: str) -> Cell | None:
    """The cell that holds the value shown at ``coord`` (for a merged cell, its range's first).

    None only for a merged placeholder that no merged range claims (a malformed file).
    """
    cell = ws[coord]
    rng = merged_range(ws, coord)
    if rng is not None:
        cell = ws.cell(row=rng.min_row, column=rng.min_col)
    return None if isinstance(cell, MergedCell) else cell


_STAMPS: WeakKeyDictionary[Workbook, dict[str, StyleArray]] = WeakKeyDictionary()


def stamp(cell: Cell | MergedCell, key: str, apply: Callable[[Cell | MergedCell], None]) -> None:
    """Give ``cell`` the look ``apply`` sets, computed once per workbook under ``key``.

    Setting a font, fill, border… makes openpyxl hash the style object and look it up in the
    workbook's tables, which costs more than the rest of a results sheet. The first cell pays
    that; the next ones copy its style ids (openpyxl's ``_style`` array, the documented way
    ``copy()`` of a cell's style works).
    """
    workbook = cell.parent.parent
    if workbook is None:  # a sheet outside any workbook: nothing to share
        apply(cell)
        return
    stamps = _STAMPS.setdefault(workbook, {})
    known = stamps.get(key)
    if known is None:
        apply(cell)
        stamps[key] = copy(cell._style)  # type: ignore[union-attr]  # untyped private array
    else:
        cell._style = copy(known)  # type: ignore[union-attr]


def styled(cell: Cell | MergedCell, **looks: object) -> Cell | MergedCell:
    """Set font=…, fill=…, border=…, alignment=…, number_format=… through ``stamp``.

    The looks are module constants (styles.py), so their identities make a stable key.
    """
    key = ";".join(f"{name}:{id(look)}" for name, look in sorted(looks.items()))

    def apply(target: Cell | MergedCell) -> None:
        for name, look in looks.items():
            setattr(target, name, look)

    stamp(cell, key, apply)
    return cell


def merge(ws: Worksheet, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
    """Merge a range we have just written (only its first cell holds anything).

    openpyxl's ``merge_cells`` also creates a placeholder object for every covered cell and
    restyles the borders, which a results sheet pays dozens of times for nothing.
    """
    bounds = CellRange(min_row=first_row, min_col=first_col, max_row=last_row, max_col=last_col)
    ws.merged_cells.add(MergedCellRange(ws, bounds.coord))


def _header_look(cell: Cell | MergedCell) -> None:
    cell.font = s.HEADER_FONT
    cell.fill = s.HEADER_FILL
    cell.alignment = s.WRAP_CENTER
    cell.border = s.BORDER


def style_header(cell: Cell | MergedCell) -> None:
    """The dark table-header look shared by every sheet we write."""
    stamp(cell, "header", _header_look)


def set_text(cell: Cell | MergedCell, value: str) -> None:
    """Store ``value`` as literal text: never as a formula, whatever it starts with.

    openpyxl turns any string that starts with ``=`` into a formula; text that came from a client
    must stay inert (OWASP ASVS 1.2.10), so the data type is forced back to string. Characters
    that XML cannot hold are dropped and the text is cut to a cell's 32 767-character limit.
    """
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
    cell.data_type = "s"


def fit_to_page_width(ws: Worksheet, *, landscape: bool = False) -> None:
    """Print on A4, one page wide and as many pages tall as needed."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def stage_cell(ws: Worksheet, row: int, col: int, stage_id: str, name: str) -> Cell:
    """A stage name on its stage's color: the same look on every sheet we write."""
    cell = ws.cell(row=row, column=col, value=name)

    def look(target: Cell | MergedCell) -> None:
        target.fill = s.stage_fill(stage_id)
        target.font = s.BOLD
        target.border = s.BORDER
        target.alignment = s.CENTER

    stamp(cell, f"stage:{stage_id}", look)
    return cell
