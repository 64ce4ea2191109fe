"""Locate everything in a returned workbook: identity, client block, answers.

Answers are found through the defined names first; where a name is missing or broken (a program
dropped it, the client copied the table into a new workbook) the statement is found by its text and
the answer read on the same row. Nothing is judged here: validate.py does that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO

from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from msp_assessment.client import Client
from msp_assessment.instrument import Area, Instrument, Statement
from msp_assessment.processing.ooxml.read import Book, Sheet, position
from msp_assessment.text import cell_text, fold, normalize_text
from msp_assessment.workbook_templates import contract

# The fallback scan looks at most at this many rows and columns of each sheet.
SCAN_ROWS = 1_000
SCAN_COLS = 40
OUR_SHEETS = (
    contract.META_SHEET,
    contract.RESULTS_SHEET,
    contract.REVIEW_SHEET,
    contract.PLAN_SHEET,
)


@dataclass(frozen=True)
class Located:
    sheet: str
    cell: str  # coordinate, e.g. "B22"


@dataclass
class StatementReading:
    area: Area
    statement: Statement
    answer_at: Located | None = None
    raw: object = None
    merged: str | None = None  # the merged range the answer cell lies in, e.g. "B27:B28"
    text_found: str | None = None  # the statement text as it reads in the workbook
    text_at: Located | None = None
    points_at: Located | None = None


@dataclass
class WorkbookReading:
    book: Book
    instrument_id: str | None
    instrument_version: str | None
    client: Client
    client_cells: dict[str, Located]
    client_date: str | None
    statements: list[StatementReading]
    totals_at: dict[int, Located] = field(default_factory=dict)
    corrects: str | None = None  # a -revisar copy: the sha256 of the workbook it was made from


def open_workbook(path: Path | IO[bytes]) -> Workbook:
    """Load with cached formula values (what the client saw), never macros."""
    return load_workbook(path, data_only=True, keep_vba=False, keep_links=False)


def formulas_at(
    book: Book, path: Callable[[], Path | IO[bytes]], cells: list[Located]
) -> dict[Located, str]:
    """The formulas (not their values) in ``cells``, as openpyxl shows them («=SUMA(B2:B4)»).

    Used only to explain answers that read as empty: a formula a program never calculated has
    no saved value. The reader's own when it saw them; else a second, read-only look at the
    file (``path()``) by openpyxl, which also works out a shared formula for each of its cells.
    """
    if not cells:
        return {}
    known = _known_formulas(book, cells)
    return known if known is not None else _openpyxl_formulas(path(), cells)


def _known_formulas(book: Book, cells: list[Located]) -> dict[Located, str] | None:
    """What ``formulas_at`` answers from the reader's formulas; None when they do not tell (a
    book without them, or a shared formula, which only openpyxl translates to its cell)."""
    found: dict[Located, str] = {}
    for at in cells:
        sheet = book.sheet(at.sheet)
        if sheet is None:
            continue
        if sheet.formulas is None:
            return None
        formula = sheet.formulas.get(position(at.cell))
        if formula is None:
            continue
        kind, text = formula
        if kind == "shared":
            return None
        if kind in (None, "normal"):  # an array or data-table formula is not text to openpyxl
            found[at] = "=" + (text or "")
    return found


def _openpyxl_formulas(path: Path | IO[bytes], cells: list[Located]) -> dict[Located, str]:
    found: dict[Located, str] = {}
    try:
        wb = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception:  # the workbook opened once already; if not now, there is nothing to explain
        return found
    try:
        for at in cells:
            if at.sheet in wb.sheetnames:
                value = wb[at.sheet][at.cell].value
                if isinstance(value, str) and value.startswith("="):
                    found[at] = value
    finally:
        wb.close()
    return found


def read_book(wb: Book, instrument: Instrument) -> WorkbookReading:
    meta = _metadata(wb)
    statements = [StatementReading(area, st) for area, st in instrument.statements]
    for reading in statements:
        _read_by_names(wb, reading)
    totals = {
        area.number: loc
        for area in instrument.areas
        if (loc := _resolve(wb, contract.total_name(area.number))) is not None
    }
    if any(_names_are_stale(r) for r in statements):
        # A program moved cells without moving the names (rows or columns inserted): no name
        # can be trusted, so read everything by statement text, keeping a name-based reading
        # only where the text is not found at all.
        by_name = statements
        statements = [StatementReading(area, st) for area, st in instrument.statements]
        totals = {}
        _read_by_text(wb, instrument, list(statements), totals)
        statements = [
            mine if mine.answer_at is not None else old
            for mine, old in zip(statements, by_name, strict=True)
        ]
    elif any(r.answer_at is None for r in statements):
        _read_by_text(wb, instrument, [r for r in statements if r.answer_at is None], totals)
    client, cells, when = _read_client(wb, meta.get(contract.META_CLIENT_ID))
    return WorkbookReading(
        book=wb,
        instrument_id=meta.get(contract.META_INSTRUMENT_ID),
        instrument_version=meta.get(contract.META_INSTRUMENT_VERSION),
        client=client,
        client_cells=cells,
        client_date=when,
        statements=statements,
        totals_at=totals,
        corrects=review_origin(wb),
    )


_ORIGIN = re.compile(r"\b([0-9a-f]{64})\b")


def review_origin(book: Book) -> str | None:
    """The workbook a -revisar copy was made from (the sha256 our Revisión sheet carries), or
    None when ``book`` is no such copy."""
    sheet = book.sheet(contract.REVIEW_SHEET)
    text = cell_text(sheet.value(2, 1)) if sheet is not None else None
    if not text or not text.startswith(contract.REVIEW_ORIGIN_LABEL):
        return None
    found = _ORIGIN.search(text)
    return found[1] if found else None


def _names_are_stale(reading: StatementReading) -> bool:
    """The answer's name was found but the statement text beside it is not the statement's."""
    return (
        reading.answer_at is not None
        and reading.text_found is not None
        and fold(reading.text_found) != fold(reading.statement.text)
    )


def _metadata(wb: Book) -> dict[str, str]:
    """Instrument id/version and client id: document properties first, then the hidden sheet."""
    found: dict[str, str] = {}
    meta = wb.sheet(contract.META_SHEET)
    if meta is not None:
        for row in range(1, 21):
            key, value = meta.value(row, 1), meta.value(row, 2)
            if key in contract.META_KEYS and value not in (None, ""):
                found[str(key)] = str(value).strip()
    for name, text in wb.properties.items():
        if name in contract.META_KEYS:
            found[name] = text.strip()
    return found


_SIMPLE_REFERENCE = re.compile(r"^'(?P<sheet>(?:[^']|'')+)'!(?P<cell>\$?[A-Z]{1,3}\$?[0-9]+)$")


def _resolve(wb: Book, name: str) -> Located | None:
    """The single cell a defined name points at, or None when it is missing or broken."""
    text = wb.names.get(name)
    if text is None:
        text = next((s.local_names[name] for s in wb.sheets if name in s.local_names), None)
    if text is None:
        return None
    found = _reference(text)
    if found is None or wb.sheet(found.sheet) is None:
        return None
    return found


@lru_cache(maxsize=4096)  # every returned workbook has the template's names
def _reference(text: str) -> Located | None:
    """The single cell a defined name's reference text names (sheet and coordinate), or None
    when it names more, or nothing that can be read."""
    simple = _SIMPLE_REFERENCE.match(text)
    if simple:  # what we write and what Excel keeps: 'Sheet'!$B$22, parsed without openpyxl
        destinations = [(simple["sheet"].replace("''", "'"), simple["cell"])]
    else:
        try:
            destinations = list(DefinedName("_", attr_text=text).destinations)
        except Exception:  # a #REF! or otherwise unparsable reference
            return None
    if len(destinations) != 1:
        return None
    sheet, ref = destinations[0]
    coord = ref.replace("$", "").split(":")[0]
    try:
        position(coord)
    except (ValueError, TypeError):
        return None
    return Located(sheet, coord)


def _sheet(wb: Book, title: str) -> Sheet:
    sheet = wb.sheet(title)
    assert sheet is not None, title  # every Located names a sheet of the book
    return sheet


def cell_value(wb: Book, at: Located) -> tuple[object, str | None]:
    """The value shown at ``at`` (for a merged cell, the range's value) and its merged range."""
    sheet = _sheet(wb, at.sheet)
    row, col = position(at.cell)
    bounds = sheet.merged_at(row, col)
    if bounds is None:
        return sheet.value(row, col), None
    return sheet.value(bounds[0], bounds[1]), range_text(bounds)


def range_text(bounds: tuple[int, int, int, int]) -> str:
    """ "B27:B28" (or "B27" for a single cell), as spreadsheets write a range."""
    first = f"{get_column_letter(bounds[1])}{bounds[0]}"
    last = f"{get_column_letter(bounds[3])}{bounds[2]}"
    return first if first == last else f"{first}:{last}"


def _read_by_names(wb: Book, reading: StatementReading) -> None:
    a, n = reading.area.number, reading.statement.number
    answer = _resolve(wb, contract.answer_name(a, n))
    if answer is None:
        return
    reading.answer_at = answer
    reading.raw, reading.merged = cell_value(wb, answer)
    reading.points_at = _resolve(wb, contract.points_name(a, n))
    text_at = _resolve(wb, contract.statement_name(a, n))
    if text_at is None:
        text_at = _text_left_of(wb, answer)
    if text_at is not None:
        value, _ = cell_value(wb, text_at)
        reading.text_at = text_at
        reading.text_found = normalize_text(str(value)) if value is not None else ""


def _text_left_of(wb: Book, at: Located) -> Located | None:
    sheet = _sheet(wb, at.sheet)
    row, col = position(at.cell)
    for column in range(1, col):
        value = sheet.value(row, column)
        if isinstance(value, str) and len(value.strip()) > 20:
            return Located(at.sheet, f"{get_column_letter(column)}{row}")
    return None


@dataclass
class _SheetIndex:
    """Where statement texts and table headers sit on one sheet (fallback reading)."""

    statements: dict[str, tuple[int, int]] = field(default_factory=dict)
    answer_headers: list[tuple[int, int]] = field(default_factory=list)
    points_headers: list[tuple[int, int]] = field(default_factory=list)
    level_headers: list[tuple[int, int, int]] = field(default_factory=list)  # row, col, value
    total_rows: list[int] = field(default_factory=list)


def _index_sheet(sheet: Sheet, instrument: Instrument) -> _SheetIndex:
    wanted = {fold(st.text): st.id for _, st in instrument.statements}
    levels = {fold(level.label): level.value for level in instrument.scale}
    answer_header = fold(contract.ANSWER_HEADER.split(" ")[0])
    points_header = fold(instrument.points_column)
    total_label = fold(instrument.total_label)
    index = _SheetIndex()
    for r, col, value in sheet.scan(SCAN_ROWS, SCAN_COLS):
        if isinstance(value, str):
            text = fold(value)
            if text in wanted:
                index.statements.setdefault(wanted[text], (r, col))
            elif text.startswith(answer_header):
                index.answer_headers.append((r, col))
            elif text == points_header:
                index.points_headers.append((r, col))
            elif text in levels:
                index.level_headers.append((r, col, levels[text]))
            elif text == total_label:
                index.total_rows.append(r)
    return index


def _nearest_above(headers: list[tuple[int, int]], row: int) -> int | None:
    above = [(r, col) for r, col in headers if r < row]
    return max(above)[1] if above else None


def _read_by_text(
    wb: Book,
    instrument: Instrument,
    pending: list[StatementReading],
    totals: dict[int, Located],
) -> None:
    for ws in wb.sheets:
        if ws.title in OUR_SHEETS or not pending:
            continue
        index = _index_sheet(ws, instrument)
        for reading in list(pending):
            spot = index.statements.get(reading.statement.id)
            if spot is None:
                continue
            pending.remove(reading)
            _read_row(wb, ws, index, reading, *spot)
        for area in instrument.areas:
            if area.number in totals:
                continue
            rows = [
                index.statements[st.id][0] for st in area.statements if st.id in index.statements
            ]
            points_col = _nearest_above(index.points_headers, min(rows)) if rows else None
            after = [r for r in index.total_rows if rows and r > max(rows)]
            if points_col and after:
                totals[area.number] = Located(
                    ws.title, f"{get_column_letter(points_col)}{after[0]}"
                )


def _read_row(
    wb: Book, ws: Sheet, index: _SheetIndex, reading: StatementReading, row: int, col: int
) -> None:
    reading.text_at = Located(ws.title, f"{get_column_letter(col)}{row}")
    reading.text_found = normalize_text(str(ws.value(row, col)))
    points_col = _nearest_above(index.points_headers, row)
    if points_col:
        reading.points_at = Located(ws.title, f"{get_column_letter(points_col)}{row}")
    answer_col = _nearest_above(index.answer_headers, row)
    if answer_col is None and index.level_headers:
        # A copy of the paper form: the client marked one agreement-level column (e.g. "X").
        header_row = max((r for r, _, _ in index.level_headers if r < row), default=None)
        marks = [
            (col_, value)
            for r, col_, value in index.level_headers
            if r == header_row and ws.value(row, col_) not in (None, "")
        ]
        if marks:
            first_col = marks[0][0]
            reading.answer_at = Located(ws.title, f"{get_column_letter(first_col)}{row}")
            reading.raw = marks[0][1] if len(marks) == 1 else "; ".join(str(v) for _, v in marks)
            return
    if answer_col is None:
        answer_col = col + 1
    reading.answer_at = Located(ws.title, f"{get_column_letter(answer_col)}{row}")
    reading.raw, reading.merged = cell_value(wb, reading.answer_at)


def _read_client(wb: Book, client_id: str | None) -> tuple[Client, dict[str, Located], str | None]:
    values: dict[str, str | None] = {}
    cells: dict[str, Located] = {}
    labels = {fold(f.label): f for f in contract.CLIENT_FIELDS}
    named = {f.key: _resolve(wb, f.name) for f in contract.CLIENT_FIELDS}
    trusted = {
        f.key: at
        for f in contract.CLIENT_FIELDS
        if (at := named[f.key]) and _beside_label(wb, at, f)
    }
    fallback = _client_cells_by_label(wb, labels) if len(trusted) < len(named) else {}
    for f in contract.CLIENT_FIELDS:
        at = trusted.get(f.key) or fallback.get(f.key) or named[f.key]
        if at is None:
            values[f.key] = None
            continue
        cells[f.key] = at
        values[f.key] = cell_text(cell_value(wb, at)[0])
    if not client_id:
        at = _resolve(wb, contract.CLIENT_ID_NAME)
        client_id = cell_text(cell_value(wb, at)[0]) if at else None
    client = Client(
        id=client_id or None,
        company=values.get("company"),
        contact=values.get("contact"),
        email=values.get("email"),
    )
    return client, cells, values.get("date")


def _beside_label(wb: Book, at: Located, field: contract.ClientField) -> bool:
    """Whether the cell left of a named client cell still holds its label (the name is fresh)."""
    row, col = position(at.cell)
    if col < 2:
        return False
    label = _sheet(wb, at.sheet).value(row, col - 1)
    return isinstance(label, str) and fold(label) == fold(field.label)


def _client_cells_by_label(wb: Book, labels: dict[str, contract.ClientField]) -> dict[str, Located]:
    sheet = wb.sheet(contract.FORM_SHEET) or (wb.sheets[0] if wb.sheets else None)
    found: dict[str, Located] = {}
    if sheet is None:  # a workbook without worksheets: nothing to find, not our questionnaire
        return found
    for row, col, value in sheet.scan(60, 3):
        if isinstance(value, str) and fold(value) in labels:
            key = labels[fold(value)].key
            found.setdefault(key, Located(sheet.title, f"{get_column_letter(col + 1)}{row}"))
    return found
