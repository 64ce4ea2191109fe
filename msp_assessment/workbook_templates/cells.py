"""Small cell helpers shared by every writer."""

from __future__ import annotations

from collections.abc import Callable
from copy import copy
from functools import lru_cache
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.text import clean_text
from msp_assessment.workbook_templates import styles as palette


def merged_range(ws: Worksheet, coord: str) -> CellRange | None:
    """The merged range that holds ``coord``, if any."""
    letters, row = coordinate_from_string(coord)
    col = column_index_from_string(letters)
    for rng in ws.merged_cells.ranges:
        if rng.min_row <= row <= rng.max_row and rng.min_col <= col <= rng.max_col:
            return CellRange(rng.coord)
    return None


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
    key = _looks_key(tuple((name, id(look)) for name, look in looks.items()))

    def apply(target: Cell | MergedCell) -> None:
        for name, look in looks.items():
            setattr(target, name, look)

    stamp(cell, key, apply)
    return cell


@lru_cache(maxsize=256)  # a few dozen combinations of looks, asked for per cell
def _looks_key(looks: tuple[tuple[str, int], ...]) -> str:
    return ";".join(f"{name}:{ident}" for name, ident in sorted(looks))


def _header_look(cell: Cell | MergedCell) -> None:
    cell.font = palette.HEADER_FONT
    cell.fill = palette.HEADER_FILL
    cell.alignment = palette.WRAP_CENTER
    cell.border = palette.BORDER


def style_header(cell: Cell | MergedCell) -> None:
    """The dark table-header look shared by every sheet we write."""
    stamp(cell, "header", _header_look)


def set_text(cell: Cell | MergedCell, value: str) -> None:
    """Store ``value`` as literal text: never as a formula, whatever it starts with.

    openpyxl turns any string that starts with ``=`` into a formula; text that came from a client
    must stay inert (OWASP ASVS 1.2.10), so the data type is forced back to string. Characters
    that XML cannot hold are dropped and the text is cut to a cell's 32 767-character limit.
    """
    # What ``cell.value = text`` binds for a string, less its check for characters XML cannot
    # hold (clean_text has dropped them) and its guess of a type (a string is text here).
    cell._value = clean_text(value)  # type: ignore[union-attr]  # openpyxl's own slot
    cell.data_type = "s"


def print_setup(
    ws: Worksheet,
    *,
    landscape: bool = False,
    pages_wide: int = 1,
    repeat_rows: str | None = None,
    repeat_cols: str | None = None,
) -> None:
    """Print on A4, ``pages_wide`` pages wide and as many tall as the content needs (never
    squeezed onto one page), with ``repeat_rows``/``repeat_cols`` on every page, our margins
    and page numbers in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(**palette.PAGE_MARGINS)
    footer = ws.oddFooter
    assert footer is not None  # openpyxl gives every worksheet one
    footer.center.text = palette.PAGE_FOOTER
    if repeat_rows:
        ws.print_title_rows = repeat_rows
    if repeat_cols:
        ws.print_title_cols = repeat_cols


def stage_cell(ws: Worksheet, row: int, col: int, stage_id: str, name: str) -> Cell:
    """A stage name on its stage's color: the same look on every sheet we write."""
    cell = ws.cell(row=row, column=col, value=name)

    def look(target: Cell | MergedCell) -> None:
        target.fill = palette.stage_fill(stage_id)
        target.font = palette.BOLD
        target.border = palette.BORDER
        target.alignment = palette.CENTER

    stamp(cell, f"stage:{stage_id}", look)
    return cell
