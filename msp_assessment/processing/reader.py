"""Locate everything in a returned workbook: identity, client block, answers.

Answers are found through the defined names first; where a name is missing or broken (a program
dropped it, the client copied the table into a new workbook) the statement is found by its text and
the answer read on the same row. Nothing is judged here: validate.py does that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.utils.cell import coordinate_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.client import Client
from msp_assessment.instrument import Area, Instrument, Statement
from msp_assessment.processing.values import cell_text, fold, normalize_text
from msp_assessment.workbook_templates import contract as c
from msp_assessment.workbook_templates.cells import merged_range, top_left

# The fallback scan looks at most at this many rows and columns of each sheet.
SCAN_ROWS = 1_000
SCAN_COLS = 40
OUR_SHEETS = (c.META_SHEET, c.RESULTS_SHEET, c.REVIEW_SHEET)


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
    workbook: Workbook
    instrument_id: str | None
    instrument_version: str | None
    client: Client
    client_cells: dict[str, Located]
    client_date: str | None
    statements: list[StatementReading]
    totals_at: dict[int, Located] = field(default_factory=dict)


def open_workbook(path: Path) -> Workbook:
    """Load with cached formula values (what the client saw), never macros."""
    return load_workbook(path, data_only=True, keep_vba=False, keep_links=False)


def formulas_at(path: Path, cells: list[Located]) -> dict[Located, str]:
    """The formulas (not their values) in ``cells``: a second, read-only look at the file.

    Used only to explain answers that read as empty: a formula a program never calculated has
    no saved value.
    """
    if not cells:
        return {}
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


def read_workbook(wb: Workbook, instrument: Instrument) -> WorkbookReading:
    meta = _metadata(wb)
    statements = [StatementReading(area, st) for area, st in instrument.statements]
    for reading in statements:
        _read_by_names(wb, reading)
    totals = {
        area.number: loc
        for area in instrument.areas
        if (loc := _resolve(wb, c.total_name(area.number))) is not None
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
    client, cells, when = _read_client(wb, meta.get(c.META_CLIENT_ID))
    return WorkbookReading(
        workbook=wb,
        instrument_id=meta.get(c.META_INSTRUMENT_ID),
        instrument_version=meta.get(c.META_INSTRUMENT_VERSION),
        client=client,
        client_cells=cells,
        client_date=when,
        statements=statements,
        totals_at=totals,
    )


def _names_are_stale(reading: StatementReading) -> bool:
    """The answer's name was found but the statement text beside it is not the statement's."""
    return (
        reading.answer_at is not None
        and reading.text_found is not None
        and fold(reading.text_found) != fold(reading.statement.text)
    )


def _metadata(wb: Workbook) -> dict[str, str]:
    """Instrument id/version and client id: document properties first, then the hidden sheet."""
    found: dict[str, str] = {}
    if c.META_SHEET in wb.sheetnames:
        for row in wb[c.META_SHEET].iter_rows(max_row=20, max_col=2, values_only=True):
            key, value = (*row, None, None)[:2]
            if key in c.META_KEYS and value not in (None, ""):
                found[str(key)] = str(value).strip()
    props = getattr(wb, "custom_doc_props", None)
    for prop in getattr(props, "props", []):
        if prop.name in c.META_KEYS and prop.value not in (None, ""):
            found[prop.name] = str(prop.value).strip()
    return found


_SIMPLE_REFERENCE = re.compile(r"^'(?P<sheet>(?:[^']|'')+)'!(?P<cell>\$?[A-Z]{1,3}\$?[0-9]+)$")


def _resolve(wb: Workbook, name: str) -> Located | None:
    """The single cell a defined name points at, or None when it is missing or broken."""
    defined = wb.defined_names.get(name)
    if defined is None:
        for ws in wb.worksheets:
            defined = ws.defined_names.get(name)
            if defined is not None:
                break
    if defined is None:
        return None
    simple = _SIMPLE_REFERENCE.match(defined.attr_text or "")
    if simple:  # what we write and what Excel keeps: 'Sheet'!$B$22, parsed without openpyxl
        destinations = [(simple["sheet"].replace("''", "'"), simple["cell"])]
    else:
        try:
            destinations = list(defined.destinations)
        except Exception:  # a #REF! or otherwise unparsable reference
            return None
    if len(destinations) != 1:
        return None
    sheet, ref = destinations[0]
    if sheet not in wb.sheetnames:
        return None
    coord = ref.replace("$", "").split(":")[0]
    try:
        coordinate_from_string(coord)
    except ValueError:
        return None
    return Located(sheet, coord)


def cell_value(wb: Workbook, at: Located) -> tuple[object, str | None]:
    """The value shown at ``at`` (for a merged cell, the range's value) and its merged range."""
    ws = wb[at.sheet]
    holder = top_left(ws, at.cell)
    rng = merged_range(ws, at.cell)
    merged = str(rng.coord) if rng is not None else (at.cell if holder is None else None)
    return (holder.value if holder is not None else None), merged


def _read_by_names(wb: Workbook, reading: StatementReading) -> None:
    a, n = reading.area.number, reading.statement.number
    answer = _resolve(wb, c.answer_name(a, n))
    if answer is None:
        return
    reading.answer_at = answer
    reading.raw, reading.merged = cell_value(wb, answer)
    reading.points_at = _resolve(wb, c.points_name(a, n))
    text_at = _resolve(wb, c.statement_name(a, n))
    if text_at is None:
        text_at = _text_left_of(wb, answer)
    if text_at is not None:
        value, _ = cell_value(wb, text_at)
        reading.text_at = text_at
        reading.text_found = normalize_text(str(value)) if value is not None else ""


def _text_left_of(wb: Workbook, at: Located) -> Located | None:
    ws = wb[at.sheet]
    row, col = ws[at.cell].row, ws[at.cell].column
    for column in range(1, col):
        value = ws.cell(row=row, column=column).value
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


def _index_sheet(ws: Worksheet, instrument: Instrument) -> _SheetIndex:
    wanted = {fold(st.text): st.id for _, st in instrument.statements}
    levels = {fold(level.label): level.value for level in instrument.scale}
    answer_header = fold(c.ANSWER_HEADER.split(" ")[0])
    points_header = fold(instrument.points_column)
    total_label = fold(instrument.total_label)
    index = _SheetIndex()
    for row in ws.iter_rows(max_row=SCAN_ROWS, max_col=SCAN_COLS):
        for cell in row:
            if not isinstance(cell.value, str) or isinstance(cell, MergedCell):
                continue
            text = fold(cell.value)
            r, col = cell.row, cell.column
            assert r is not None and col is not None
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
    wb: Workbook,
    instrument: Instrument,
    pending: list[StatementReading],
    totals: dict[int, Located],
) -> None:
    for ws in wb.worksheets:
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
    wb: Workbook, ws: Worksheet, index: _SheetIndex, reading: StatementReading, row: int, col: int
) -> None:
    reading.text_at = Located(ws.title, f"{get_column_letter(col)}{row}")
    reading.text_found = normalize_text(str(ws.cell(row=row, column=col).value))
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
            if r == header_row and ws.cell(row=row, column=col_).value not in (None, "")
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


def _read_client(
    wb: Workbook, client_id: str | None
) -> tuple[Client, dict[str, Located], str | None]:
    values: dict[str, str | None] = {}
    cells: dict[str, Located] = {}
    labels = {fold(f.label): f for f in c.CLIENT_FIELDS}
    named = {f.key: _resolve(wb, f.name) for f in c.CLIENT_FIELDS}
    trusted = {
        f.key: at for f in c.CLIENT_FIELDS if (at := named[f.key]) and _beside_label(wb, at, f)
    }
    fallback = _client_cells_by_label(wb, labels) if len(trusted) < len(named) else {}
    for f in c.CLIENT_FIELDS:
        at = trusted.get(f.key) or fallback.get(f.key) or named[f.key]
        if at is None:
            values[f.key] = None
            continue
        cells[f.key] = at
        values[f.key] = cell_text(cell_value(wb, at)[0])
    if not client_id:
        at = _resolve(wb, c.CLIENT_ID_NAME)
        client_id = cell_text(cell_value(wb, at)[0]) if at else None
    client = Client(
        id=client_id or None,
        company=values.get("company"),
        contact=values.get("contact"),
        email=values.get("email"),
    )
    return client, cells, values.get("date")


def _beside_label(wb: Workbook, at: Located, field: c.ClientField) -> bool:
    """Whether the cell left of a named client cell still holds its label (the name is fresh)."""
    ws = wb[at.sheet]
    cell = ws[at.cell]
    if cell.column is None or cell.column < 2 or cell.row is None:
        return False
    label = ws.cell(row=cell.row, column=cell.column - 1).value
    return isinstance(label, str) and fold(label) == fold(field.label)


def _client_cells_by_label(wb: Workbook, labels: dict[str, c.ClientField]) -> dict[str, Located]:
    sheet = wb[c.FORM_SHEET] if c.FORM_SHEET in wb.sheetnames else wb.worksheets[0]
    found: dict[str, Located] = {}
    for row in sheet.iter_rows(max_row=60, max_col=3):
        for cell in row:
            if isinstance(cell.value, str) and fold(cell.value) in labels:
                key = labels[fold(cell.value)].key
                assert cell.row is not None and cell.column is not None
                found.setdefault(
                    key, Located(sheet.title, f"{get_column_letter(cell.column + 1)}{cell.row}")
                )
    return found
