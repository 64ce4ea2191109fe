"""Small cell helpers shared by every writer."""

from __future__ import annotations

from openpyxl.cell.cell import Cell, MergedCell

from msp_assessment.workbook_templates import styles as s


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
