"""Small cell helpers shared by every writer."""

from __future__ import annotations

from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.worksheet.cell_range import CellRange
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.workbook_templates import styles as s


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
    must stay inert (OWASP ASVS 1.2.10), so the data type is forced back to string.
    """
    cell.value = value
    cell.data_type = "s"
