"""Returns saved as .ods, .xls or .xlsb: read with python-calamine, written back as .xlsx.

LibreOffice saves .ods by default, and old Excel .xls; asking those clients to save again as
.xlsx loses some of them. calamine (a Rust reader of all three formats, also a pandas engine)
gives every sheet's values; the reader then finds the answers by statement text and the identity
in the hidden ``_msp`` sheet, as it does for any workbook whose defined names are gone.

A copy of such a return cannot be the client's own package: it is a fresh workbook, our template
with their client data and their answers as they wrote them, plus the Resultados or Revisión
sheet. Problems found in their file are located again in the fresh copy, so the cells named on
the Revisión sheet are the cells of the copy they receive.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from dataclasses import replace
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook

from msp_assessment.instrument import Instrument
from msp_assessment.problems import Code, Problem, problem, shorten
from msp_assessment.processing.ooxml.read import Book, Sheet, from_workbook
from msp_assessment.processing.returns.apart import Stopped, run_apart
from msp_assessment.processing.returns.intake import Format, Limits
from msp_assessment.processing.returns.locate import Located, WorkbookReading, read_book
from msp_assessment.workbook_templates import TemplateOptions, build_template, contract
from msp_assessment.workbook_templates.cells import named_cell, set_text

FRESH_COPY = "a .ods, .xls or .xlsb return: the copy is our template with its data"
NOT_WRITABLE = (
    "a package neither the splice nor openpyxl writes back: the copy is our template with its data"
)


# Gnumeric writes .ods indented, and calamine takes the whitespace between its table elements
# for cell text; outside the paragraphs (where a space is text) it means nothing.
_PARAGRAPH = re.compile(rb"<text:(p|h)\b.*?</text:\1>|<text:(?:p|h)\b[^>]*/>", re.S)
_BETWEEN_TAGS = re.compile(rb">\s+<")


def read_other(path: Path, kind: Format, limits: Limits) -> Book | Problem:
    """The Book of an .ods, .xls or .xlsb file (``kind``, by its content, whatever its name), or
    why it cannot be read. calamine runs apart (apart.py): whatever the file makes it do, it
    ends as this file's problem."""
    import python_calamine  # noqa: F401  # loaded here once: every forked reader inherits it

    suffix = f".{kind.value}"
    read = run_apart(
        _read, (path, suffix), memory=limits.reader_memory_bytes, seconds=limits.reader_seconds
    )
    if isinstance(read, Stopped):
        return problem(Code.FILE_READER_STOPPED, kind=suffix, detail=read.why)
    if isinstance(read, str):
        return problem(Code.FILE_FORMAT_UNREADABLE, kind=suffix, detail=shorten(read, 120))
    if read is None:
        return problem(Code.FILE_ENCRYPTED)
    return read


def _read(file: tuple[Path, str]) -> Book | str | None:
    """What calamine reads from ``path``, as the format ``suffix`` its content calls for: a
    Book; None for a password-protected file; or why not, as text. Runs in the child process."""
    from python_calamine import CalamineWorkbook, PasswordError

    path, suffix = file

    def book(source: Path) -> Book:
        workbook = CalamineWorkbook.from_path(str(source))
        return Book([_sheet(workbook.get_sheet_by_name(n)) for n in workbook.sheet_names])

    def book_of(raw: bytes) -> Book:
        # calamine picks its reader by the extension: a copy named as the content says, whatever
        # the client called the file (calamine's own detection misses an encrypted .ods).
        with tempfile.NamedTemporaryFile(suffix=suffix) as named:
            named.write(raw)
            named.flush()
            return book(Path(named.name))

    try:
        return book(path) if path.suffix.lower() == suffix else book_of(path.read_bytes())
    except PasswordError:
        return None
    except Exception as err:  # calamine raises several kinds on what it cannot read
        first = f"{type(err).__name__}: {err}"
    unindented = _without_indentation(path.read_bytes())
    if unindented is None:
        return first
    try:
        return book_of(unindented)
    except Exception:
        return first


def _without_indentation(data: bytes) -> bytes | None:
    """An .ods package with the whitespace between its elements dropped (never inside a
    paragraph), or None when ``data`` is no .ods package."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as source:
            parts = [(info, source.read(info)) for info in source.infolist()]
    except Exception:
        return None
    if not any(info.filename == "content.xml" for info, _ in parts):
        return None
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info, raw in parts:
            if info.filename == "content.xml":
                raw = _squeeze(raw)
            target.writestr(info.filename, raw)
    return out.getvalue()


def _squeeze(xml: bytes) -> bytes:
    kept, last = [], 0
    for paragraph in _PARAGRAPH.finditer(xml):
        kept.append(_BETWEEN_TAGS.sub(b"><", xml[last : paragraph.start()]))
        kept.append(paragraph.group(0))
        last = paragraph.end()
    kept.append(_BETWEEN_TAGS.sub(b"><", xml[last:]))
    return b"".join(kept)


def _sheet(ws: object) -> Sheet:
    sheet = Sheet(ws.name)  # type: ignore[attr-defined]
    rows = ws.to_python(skip_empty_area=False)  # type: ignore[attr-defined]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is not None and value != "":
                sheet.values[(r, c)] = _as_openpyxl_reads(value)
    for (r1, c1), (r2, c2) in getattr(ws, "merged_cell_ranges", None) or []:
        sheet.merged.append((r1 + 1, c1 + 1, r2 + 1, c2 + 1))
    sheet.hide_merged_placeholders()
    return sheet


def _as_openpyxl_reads(value: object) -> object:
    """calamine's value as openpyxl gives it for an .xlsx: whole numbers as int, dates as
    datetime."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def fresh_copy(
    reading: WorkbookReading, instrument: Instrument, problems: list[Problem]
) -> tuple[Workbook, WorkbookReading, list[Problem]]:
    """Our template holding what the client wrote, its reading, and ``problems`` located in it."""
    wb = build_template(instrument, TemplateOptions(client=reading.client))
    for found in reading.statements:
        if found.raw is None:
            continue
        cell = named_cell(wb, contract.answer_name(found.area.number, found.statement.number))
        if isinstance(found.raw, str):  # whatever the client typed: text, never a formula
            set_text(cell, found.raw)
        else:
            cell.value = found.raw  # type: ignore[assignment]  # a number, a date, a boolean
    if reading.client_date:
        date_field = next(f for f in contract.CLIENT_FIELDS if f.key == "date")
        set_text(named_cell(wb, date_field.name), reading.client_date)
    copy = read_book(from_workbook(wb), instrument)
    return wb, copy, [_relocated(p, reading, copy) for p in problems]


def _relocated(found: Problem, source: WorkbookReading, copy: WorkbookReading) -> Problem:
    """``found`` pointing at the same answer, statement or client cell in the copy."""
    if found.sheet is None or found.cell is None:
        return found
    old = Located(found.sheet, found.cell)
    new: Located | None = None
    for mine, theirs in zip(copy.statements, source.statements, strict=True):
        for attr in ("answer_at", "text_at"):
            if getattr(theirs, attr) == old:
                new = getattr(mine, attr)
    for key, where in source.client_cells.items():
        if where == old:
            new = copy.client_cells.get(key)
    if new is None or new == old:
        return found
    return replace(found, sheet=new.sheet, cell=new.cell)
