"""Write the -resultados and -revisar workbooks (always atomically)."""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment._files import atomic_path, describe_os_error
from msp_assessment.instrument import Instrument
from msp_assessment.processing.problems import Problem
from msp_assessment.processing.reader import Located, WorkbookReading
from msp_assessment.processing.results_sheet import results_draft
from msp_assessment.processing.scoring import Score
from msp_assessment.processing.splice import SpliceDeclinedError, splice_results
from msp_assessment.workbook_templates import contract as c
from msp_assessment.workbook_templates import styles as s
from msp_assessment.workbook_templates.cells import (
    merge,
    set_text,
    style_header,
    styled,
    top_left,
)

RESULTS_SUFFIX = "-resultados.xlsx"
REVIEW_SUFFIX = "-revisar.xlsx"


class OutputError(Exception):
    """An output could not be written (permissions, full disk…): the run cannot go on."""

    @classmethod
    def writing(cls, target: Path, err: OSError) -> OutputError:
        return cls(f"No se pudo escribir {target}: {describe_os_error(err)}.")


def results_workbook(
    reading: WorkbookReading,
    instrument: Instrument,
    score: Score,
    answers: dict[str, int],
    source_name: str,
    *,
    package: bytes | None,
    load: Callable[[], Workbook],
) -> bytes:
    """The -resultados workbook: Puntos and TOTAL DE PUNTOS filled, Resultados added first.

    It is the client's own ``package`` with our parts spliced in; when the package is not one
    splice.py edits safely (or there is none), the workbook ``load`` gives is re-saved by
    openpyxl first.
    """
    draft = results_draft(instrument, score, reading.client, reading.client_date, source_name)
    numbers = _numbers(reading, score, answers)
    if package is not None:
        try:
            return splice_results(package, numbers, draft, instrument)
        except SpliceDeclinedError:
            pass
    wb = load()
    _drop_our_sheets(wb)
    for title, cells in numbers.items():
        for coord, value in cells.items():
            cell = top_left(wb[title], coord)
            if cell is not None:
                cell.value = value
    resaved = BytesIO()
    wb.save(resaved)
    return splice_results(resaved.getvalue(), {}, draft, instrument)


def _numbers(
    reading: WorkbookReading, score: Score, answers: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Sheet → cell → number for every Puntos and TOTAL DE PUNTOS cell found."""
    found: list[tuple[Located, int]] = [
        (r.points_at, answers[r.statement.id]) for r in reading.statements if r.points_at
    ]
    for area_score in score.areas:
        at = reading.totals_at.get(area_score.area.number)
        if at is not None:
            found.append((at, area_score.total))
    numbers: dict[str, dict[str, int]] = {}
    for at, value in found:
        sheet = reading.book.sheet(at.sheet)
        assert sheet is not None
        row, col = coordinate_to_tuple(at.cell)
        bounds = sheet.merged_at(row, col)
        coord = at.cell if bounds is None else f"{get_column_letter(bounds[1])}{bounds[0]}"
        numbers.setdefault(at.sheet, {})[coord] = value
    return numbers


def write_bytes(data: bytes, target: Path) -> None:
    """Write atomically; a failure is an OutputError with a Spanish message."""
    try:
        with atomic_path(target) as tmp:
            tmp.write_bytes(data)
    except OSError as err:
        raise OutputError.writing(target, err) from err


def write_review(
    wb: Workbook,
    reading: WorkbookReading,
    instrument: Instrument,
    problems: list[Problem],
    target: Path,
    source_name: str,
) -> None:
    """Highlight every problem cell and add the Revisión sheet listing the problems."""
    _drop_our_sheets(wb)
    for prob in problems:
        if prob.sheet in wb.sheetnames and prob.cell:
            cell = top_left(wb[prob.sheet], prob.cell)
            if cell is None:
                continue
            cell.fill = s.PROBLEM_FILL
            cell.comment = Comment(prob.message, c.GENERATOR, width=320, height=140)
    ws = wb.create_sheet(c.REVIEW_SHEET, 0)
    _review_sheet(ws, instrument, problems, source_name)
    wb.active = 0
    save_workbook(wb, target)


def save_workbook(wb: Workbook, target: Path) -> None:
    """Save atomically; a failure is an OutputError with a Spanish message."""
    try:
        with atomic_path(target) as tmp:
            wb.save(tmp)
    except OSError as err:
        raise OutputError.writing(target, err) from err


def _drop_our_sheets(wb: Workbook) -> None:
    for name in (c.RESULTS_SHEET, c.REVIEW_SHEET):
        if name in wb.sheetnames and len(wb.sheetnames) > 1:
            del wb[name]
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False


def _table_header(ws: Worksheet, row: int, headers: list[str]) -> None:
    for col, text in enumerate(headers, start=1):
        style_header(ws.cell(row=row, column=col, value=text))


def _review_sheet(
    ws: Worksheet, instrument: Instrument, problems: list[Problem], source_name: str
) -> None:
    for letter, width in {"A": 6, "B": 30, "C": 12, "D": 18, "E": 90}.items():
        ws.column_dimensions[letter].width = width
    styled(ws.cell(row=1, column=1, value="Revisión de la autoevaluación"), font=s.TITLE_FONT)
    ws.row_dimensions[1].height = 26
    intro = (
        f"El libro «{source_name}» no se ha podido puntuar todavía. Corrija cada punto de esta "
        "lista (las celdas afectadas están marcadas en color en la hoja del cuestionario), "
        "guarde el libro y envíelo de nuevo."
    )
    cell = ws.cell(row=3, column=1)
    set_text(cell, intro)
    merge(ws, 3, 1, 3, 5)
    styled(cell, alignment=s.WRAP)
    ws.row_dimensions[3].height = 34
    _table_header(ws, 5, ["Nº", "Área", "Afirmación", "Celda", "Qué hay que corregir"])
    for i, prob in enumerate(problems, start=1):
        row = 5 + i
        styled(ws.cell(row=row, column=1, value=i), alignment=s.CENTER)
        area = instrument.areas[prob.area - 1].name if prob.area else "—"
        ws.cell(row=row, column=2, value=area)
        styled(ws.cell(row=row, column=3, value=prob.statement), alignment=s.CENTER)
        where = f"{prob.sheet}!{prob.cell}" if prob.sheet and prob.cell else "—"
        set_text(ws.cell(row=row, column=4), where)
        message = ws.cell(row=row, column=5)
        set_text(message, prob.message)
        message.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = s.row_height(prob.message, 95)
    ws.freeze_panes = "A6"
