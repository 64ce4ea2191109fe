"""Worksheets made while openpyxl writes them, row by row: the summary's memory stays flat in the
number of clients, and its bytes are the ones openpyxl writes for the same sheets built whole.

A ``StreamedSheet`` holds a builder instead of cells: a generator that fills the sheet as code
on any openpyxl worksheet does (``ws.cell``, ``merge_cells``, ``row_dimensions``…) and yields
after each row it completes. ``save`` runs every sheet's builder while its sheet is written, in
the workbook's order, writing each row as soon as the builder yields and then letting its cells
go; ``build_all`` runs them all first, as a workbook built whole (what ``save`` must equal: a
test compares the two).

Why the bytes stay the same: openpyxl numbers a cell's style (``s=``) when it writes the cell and
its fonts, fills, borders and formats when a cell is first given them, and here both happen in
the same order as when the sheets are built one after the other and then written. The one thing
known only at the end, the sheet's extent (``<dimension ref>``, written before the rows), is
worked out over every cell the builder made and put in once the rows are written.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

Builder = Callable[[Worksheet], Iterator[None]]
_ORDER = itertools.count()  # the order sheets are made in: the order build_all builds them in


class StreamedSheet(Worksheet):
    """A worksheet filled by ``build`` while it is written (``save``)."""

    def __init__(self, parent: Workbook, title: str, build: Builder) -> None:
        super().__init__(parent, title)
        self.build = build
        self.made = next(_ORDER)


def add_sheet(wb: Workbook, title: str, build: Builder, index: int | None = None) -> StreamedSheet:
    """A new sheet of ``wb``, at ``index`` (last by default), that ``build`` fills."""
    sheet = StreamedSheet(wb, title, build)
    book: Any = wb  # openpyxl's own way in (create_sheet makes a plain Worksheet)
    book._add_sheet(sheet, index)
    return sheet


def whole(fill: Callable[[Worksheet], None]) -> Builder:
    """The builder of a small sheet (a few dozen rows), made at once by ``fill``."""

    def build(ws: Worksheet) -> Iterator[None]:
        fill(ws)
        yield

    return build


def build_all(wb: Workbook) -> Workbook:
    """``wb`` with every streamed sheet built whole, in the order the sheets were made: the
    workbook ``save`` writes, as openpyxl holds it when it is made all at once."""
    sheets: list[StreamedSheet] = []
    for sheet in wb.worksheets:
        if isinstance(sheet, StreamedSheet):
            sheets.append(sheet)
    for ws in sorted(sheets, key=lambda sheet: sheet.made):
        for _ in ws.build(ws):
            pass
        ws.build = _built
    return wb


def _built(ws: Worksheet) -> Iterator[None]:
    return iter(())


def save(wb: Workbook) -> bytes:
    """``wb`` as a file's bytes, each streamed sheet built while it is written."""
    out = BytesIO()
    # What openpyxl's save_workbook does, with our writer.
    wb.properties.modified = datetime.now(tz=UTC).replace(tzinfo=None)
    with ZipFile(out, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        _Writer(wb, archive).save()
    return out.getvalue()


class _Writer(ExcelWriter):
    def write_worksheet(self, sheet: Worksheet) -> None:
        if not isinstance(sheet, StreamedSheet):
            super().write_worksheet(sheet)
            return
        ws: Any = sheet  # openpyxl's writer sets attributes its stubs do not declare
        steps = ws.build(ws)
        next(steps, None)  # the sheet's top (widths, panes, first row), or all of it
        # As ExcelWriter.write_worksheet, with the rows written as they are made.
        ws._drawing = SpreadsheetDrawing()
        ws._drawing.charts = ws._charts
        ws._drawing.images = ws._images
        writer = _RowsWriter(sheet, steps)  # a builder that has finished yields nothing more
        writer.write()
        writer.set_extent()
        ws._rels = writer.relationships
        archive: Any = self._archive  # type: ignore[attr-defined]
        archive.write(writer.out, ws.path[1:])
        self.manifest.append(ws)
        writer.cleanup()


class _RowsWriter(WorksheetWriter):
    """Writes the rows a builder has made each time it yields, then lets them go."""

    def __init__(self, ws: StreamedSheet, steps: Iterator[None]) -> None:
        super().__init__(ws)
        self.steps = steps
        self.sheet = ws
        self.written = 0  # the last row written
        # The first and last row, and column, of the cells made so far (None: no cell yet).
        self.rows_made: tuple[int, int] | None = None
        self.cols_made: tuple[int, int] | None = None

    @property
    def relationships(self) -> Any:
        return self._rels  # type: ignore[attr-defined]

    def write_rows(self) -> None:
        stream: Any = self.xf
        xf = stream.send(True)
        with xf.element("sheetData"):
            self._flush(xf)
            for _ in self.steps:
                self._flush(xf)
            self._flush(xf)  # what the builder made after its last row
        stream.send(None)

    def _flush(self, xf: Any) -> None:
        cells, dims = self.sheet._cells, self.sheet.row_dimensions
        rows: dict[int, list[Any]] = {row: [] for row in dims}
        for (row, _), cell in sorted(cells.items()):
            rows.setdefault(row, []).append(cell)
        if cells:
            self.rows_made = _widened(self.rows_made, [row for row, _ in cells])
            self.cols_made = _widened(self.cols_made, [col for _, col in cells])
        for row in sorted(rows):
            if row <= self.written:
                raise ValueError(f"row {row} made after row {self.written} was written")
            self.write_row(xf, rows[row], row)
            self.written = row
        cells.clear()
        dims.clear()

    def set_extent(self) -> None:
        """Put the sheet's extent in its ``<dimension>`` (what calculate_dimension gives over
        every cell made), once the rows are written: the rest of the file copied after it."""
        self.close()
        ref = "A1:A1"
        rows, cols = self.rows_made, self.cols_made
        if rows is not None and cols is not None:
            first = f"{get_column_letter(cols[0])}{rows[0]}"
            ref = f"{first}:{get_column_letter(cols[1])}{rows[1]}"
        out: Any = self.out  # a temporary file's path
        path, mark = Path(out), b'<dimension ref="'
        with path.open("rb") as src:
            head = src.read(4096)
            start = head.index(mark) + len(mark)
            end = head.index(b'"', start)
            if head[start:end] == ref.encode():
                return
            src.seek(end)
            with path.with_name(f"{path.name}.ref").open("wb") as dst:
                dst.write(head[:start] + ref.encode())
                shutil.copyfileobj(src, dst)
        path.with_name(f"{path.name}.ref").replace(path)


def _widened(span: tuple[int, int] | None, values: list[int]) -> tuple[int, int]:
    """``span`` (first, last) stretched to take in ``values`` (not empty)."""
    low, high = min(values), max(values)
    return (low, high) if span is None else (min(span[0], low), max(span[1], high))
