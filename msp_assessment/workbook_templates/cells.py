"""Small cell helpers shared by every writer."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.workbook_templates import styles as s

MAX_CELL_TEXT = 32_767  # Excel's limit for the text of one cell


def merged_range(ws: Worksheet, coord: str) -> CellRange | None:
    """The merged range that holds ``coord``, if any."""
    ranges: list[CellRange] = list(ws.merged_cells.ranges)
    return next((rng for rng in ranges if coord in rng), None)


def top_left(ws: Worksheet, coord: str) -> Cell | None:
    """The cell that holds the value shown at ``coord`` (for a merged cell, its range's first).

    None only for a merged placeholder that no merged range claims (a malformed file).
    """
    cell = ws[coord]
    rng = merged_range(ws, coord)
    if rng is not None:
        cell = ws.cell(row=rng.min_row, column=rng.min_col)
    return None if isinstance(cell, MergedCell) else cell


def style_header(cell: Cell | MergedCell) -> None:
    """The dark table-header look shared by every sheet we write."""
    cell.font = s.HEADER_FONT
    cell.fill = s.HEADER_FILL
    cell.alignment = s.WRAP_CENTER
    cell.border = s.BORDER


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
    cell.fill = s.stage_fill(stage_id)
    cell.font = s.BOLD
    cell.border = s.BORDER
    cell.alignment = s.CENTER
    return cell
