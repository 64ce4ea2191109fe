"""Files of ours that land among the returns: a summary, a client list, a results copy. They are
recognised by what they hold, whatever they are called, and passed over with a note saying what
they are; never reviewed as a client's workbook.
"""

from __future__ import annotations

from msp_assessment.list_columns import HEADER_SEARCH_ROWS, names_list_columns
from msp_assessment.processing.ooxml.read import Book, Sheet
from msp_assessment.text import cell_text
from msp_assessment.workbook_templates import contract

RESULTS_COPY = (
    "es una copia -resultados escrita por msp-assessment (lleva su hoja «Resultados»), no un "
    "libro devuelto"
)


def what_it_is(book: Book) -> str | None:
    """What ``book`` is when it is one of our own files, in Spanish; None for a return."""
    stamp = book.sheet(contract.STAMP_SHEET)
    if stamp is not None and _row(stamp, 1)[:2] == list(contract.STAMP_MARK):
        return "es un resumen escrito por msp-assessment (lleva su sello), no un libro de cliente"
    results = book.sheet(contract.RESULTS_SHEET)
    if results is not None and cell_text(results.value(1, 1)) == contract.RESULTS_TITLE:
        return RESULTS_COPY
    if contract.answer_name(1, 1) in book.names:  # our questionnaire: a return, not a list
        return None
    if book.sheets and any(
        names_list_columns(_row(book.sheets[0], row)) for row in range(1, HEADER_SEARCH_ROWS + 1)
    ):
        return "es una lista de clientes (tiene las columnas id., empresa y email), no un libro"
    return None


def _row(sheet: Sheet, row: int, width: int = 30) -> list[str]:
    return [cell_text(sheet.value(row, col)) or "" for col in range(1, width + 1)]
