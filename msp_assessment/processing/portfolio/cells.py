"""Cells of the summary's sheets: headers, client text, decimals, dates and notes, each written
one way on every sheet."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.text import parse_date
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import set_text, style_header, styled

NO_CLIENT = "Ningún libro se ha podido puntuar en esta ejecución: no hay clientes que resumir."
PERCENT = "0.0%"


def header_row(ws: Worksheet, headers: list[str], widths: Sequence[float], row: int = 1) -> None:
    for col, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        style_header(ws.cell(row=row, column=col, value=text))
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[row].height = 32


def put_text(ws: Worksheet, row: int, col: int, value: str | None) -> None:
    """Client-supplied text, stored as inert text (never a formula)."""
    if value:
        set_text(ws.cell(row=row, column=col), value)


def put_decimal(ws: Worksheet, row: int, col: int, value: Fraction, **looks: object) -> None:
    """A two-decimal number, with any further looks (fill=…, font=…) stamped in one go."""
    styled(
        ws.cell(row=row, column=col, value=float(value)),
        number_format=palette.TWO_DECIMALS,
        **looks,
    )


def put_note(ws: Worksheet, row: int, text: str, last_col: int) -> None:
    cell = ws.cell(row=row, column=1, value=text)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    cell.alignment = palette.WRAP
    cell.font = palette.BOLD


def put_date(ws: Worksheet, row: int, col: int, text: str | None) -> None:
    parsed = parse_date(text)
    if parsed is None:
        put_text(ws, row, col, text)
        return
    cell = ws.cell(row=row, column=col, value=parsed)
    cell.number_format = palette.DATE_FORMAT


def section(ws: Worksheet, row: int, title: str, headers: list[str]) -> None:
    ws.cell(row=row, column=1, value=title).font = palette.AREA_FONT
    for col, text in enumerate(headers, start=1):
        style_header(ws.cell(row=row + 1, column=col, value=text))
