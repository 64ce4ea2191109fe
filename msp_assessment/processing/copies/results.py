"""Write the -resultados and -revisar workbooks (always atomically)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from io import BytesIO
from typing import NamedTuple, TypeVar

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils.cell import get_column_letter

from msp_assessment.benchmark import Benchmark, NoBenchmark, to_record
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import PastResult, PointsCells, shared
from msp_assessment.problems import Problem
from msp_assessment.processing.copies.sheets import plan_draft, results_draft, review_draft
from msp_assessment.processing.copies.splice import splice_results, splice_review
from msp_assessment.processing.ooxml.comments_part import COMMENT_SIZE
from msp_assessment.processing.ooxml.package import Parts, SpliceDeclinedError, unzip
from msp_assessment.processing.ooxml.read import position
from msp_assessment.processing.returns.locate import Located, WorkbookReading
from msp_assessment.scoring import Score
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import top_left

V = TypeVar("V")


NOT_READ_FAST = "the fast reader declined the package"


class Written(NamedTuple):
    """A copy we wrote, and why openpyxl re-saved the client's workbook first (None: it did not,
    the copy is the client's own package with our parts spliced in)."""

    data: bytes
    resaved: str | None


@dataclass(frozen=True)
class CopySource:
    """What a file's copy is made from: where its cells are, the client's package to splice into
    (None: openpyxl re-saves what ``load`` gives), and why there is no package to splice into."""

    reading: WorkbookReading
    package: Parts | None
    load: Callable[[], Workbook]
    without_package: str = NOT_READ_FAST


def results_workbook(
    source: CopySource,
    instrument: Instrument,
    score: Score,
    answers: dict[str, int],
    source_name: str,
    past: tuple[PastResult, ...] = (),
    *,
    benchmark: Benchmark | NoBenchmark | None = None,
) -> Written:
    """The -resultados workbook: Puntos and TOTAL DE PUNTOS filled, Resultados added first."""
    reading = source.reading
    draft = results_draft(
        instrument, score, reading.client, reading.client_date, source_name, past, benchmark
    )

    def put(cell: Cell, value: int) -> None:
        cell.value = value

    properties = benchmark_property(benchmark)
    plan = plan_draft(instrument, score, answers, past)

    def splice(parts: Parts, numbers: dict[str, dict[str, int]], placeholder: bool) -> bytes:
        return splice_results(
            parts,
            numbers,
            draft,
            instrument,
            placeholder=placeholder,
            properties=properties,
            plan=plan,
        )

    numbers = copy_numbers(points_cells(reading, instrument), score, answers)
    return _copy(source, contract.RESULTS_SHEET, numbers, put, splice)


def _copy(
    source: CopySource,
    sheet: str,
    cells: dict[str, dict[str, V]],
    put: Callable[[Cell, V], None],
    splice: Callable[[Parts, dict[str, dict[str, V]], bool], bytes],
) -> Written:
    """A copy: ``cells`` (sheet → cell → value) and our ``sheet`` spliced into the client's own
    package. When there is none, or splice.py does not edit it safely, the workbook
    ``source.load`` gives loses the marks of an earlier -revisar copy, gets ``cells`` through
    ``put`` and is re-saved by openpyxl with an empty ``sheet`` that the splice then fills."""
    resaved = source.without_package
    if source.package is not None:
        try:
            return Written(splice(source.package, cells, False), None)
        except SpliceDeclinedError as err:
            resaved = str(err)
    wb = source.load()
    drop_review_marks(wb)
    for cell, value in _cells(wb, cells):
        put(cell, value)
    placeholder = _with_placeholder(wb, sheet)
    return Written(splice(placeholder, {}, True), resaved)


def benchmark_property(found: Benchmark | NoBenchmark | None) -> dict[str, str]:
    """The custom property a results copy carries its benchmark in (none without one)."""
    return {} if found is None else {contract.META_BENCHMARK: to_record(found)}


def points_cells(reading: WorkbookReading, instrument: Instrument) -> PointsCells:
    """Where every Puntos and TOTAL DE PUNTOS cell found is (the first cell of its merged range),
    and what it shows: the same tuple for every workbook that has them in the same places."""
    found: list[tuple[Located, str | int]] = [
        (r.points_at, r.statement.id) for r in reading.statements if r.points_at
    ]
    for area in instrument.areas:
        at = reading.totals_at.get(area.number)
        if at is not None:
            found.append((at, area.number))
    return shared(tuple((at.sheet, _top_left(reading, at), what) for at, what in found))


def copy_numbers(
    cells: PointsCells, score: Score, answers: Mapping[str, int]
) -> dict[str, dict[str, int]]:
    """Sheet → cell → number for each of ``cells``: a statement's answer, an area's total."""
    totals = {area.area.number: area.total for area in score.areas}
    numbers: dict[str, dict[str, int]] = {}
    for sheet, cell, what in cells:
        numbers.setdefault(sheet, {})[cell] = (
            answers[what] if isinstance(what, str) else totals[what]
        )
    return numbers


def review_workbook(
    source: CopySource,
    instrument: Instrument,
    problems: list[Problem],
    source_name: str,
    origin: str,
) -> Written:
    """The -revisar workbook: every problem cell coloured and commented, Revisión added first."""
    draft = review_draft(instrument, problems, source_name, origin)
    width, height = COMMENT_SIZE

    def put(cell: Cell, message: str) -> None:
        cell.fill = palette.PROBLEM_FILL
        cell.comment = Comment(message, contract.GENERATOR, width=width, height=height)

    def splice(parts: Parts, marks: dict[str, dict[str, str]], placeholder: bool) -> bytes:
        return splice_review(parts, marks, draft, placeholder=placeholder)

    marks = _marks(source.reading, problems)
    return _copy(source, contract.REVIEW_SHEET, marks, put, splice)


def drop_review_marks(wb: Workbook) -> None:
    """Undo what a -revisar copy added to the client's cells: our notes go, and a cell with the
    problem fill gets the fill the template gives it again (yellow where the client writes, the
    cells the template leaves unlocked; none elsewhere). Its Revisión sheet goes with
    ``_with_placeholder``."""
    for ws in wb.worksheets:
        for cell in ws._cells.values():
            if cell.comment is not None and cell.comment.author == contract.GENERATOR:
                cell.comment = None
            if cell.fill.fill_type == "solid" and palette.same_color(
                cell.fill.fgColor.rgb, palette.PROBLEM_FILL
            ):
                cell.fill = PatternFill() if cell.protection.locked else palette.ANSWER_FILL


def _marks(reading: WorkbookReading, problems: list[Problem]) -> dict[str, dict[str, str]]:
    """Sheet → cell → message for every problem that has a cell (the last one wins a cell)."""
    marks: dict[str, dict[str, str]] = {}
    for prob in problems:
        if prob.sheet and prob.cell and reading.book.sheet(prob.sheet) is not None:
            at = _top_left(reading, Located(prob.sheet, prob.cell))
            marks.setdefault(prob.sheet, {})[at] = prob.message
    return marks


def _top_left(reading: WorkbookReading, at: Located) -> str:
    """The cell that holds what ``at`` shows: itself, or its merged range's first cell."""
    sheet = reading.book.sheet(at.sheet)
    assert sheet is not None
    row, col = sheet.top_left(*position(at.cell))
    return f"{get_column_letter(col)}{row}"


def _cells(wb: Workbook, by_sheet: Mapping[str, Mapping[str, V]]) -> Iterator[tuple[Cell, V]]:
    """(cell, what goes in it) for sheet → cell → value, on the openpyxl route; a sheet or a
    merged placeholder openpyxl does not have is passed over."""
    for title, cells in by_sheet.items():
        if title not in wb.sheetnames:
            continue
        for coord, value in cells.items():
            cell = top_left(wb[title], coord)
            if cell is not None:
                yield cell, value


def _with_placeholder(wb: Workbook, title: str) -> Parts:
    """``wb`` saved without our old sheets and with an empty ``title`` sheet first, active."""
    for name in (contract.RESULTS_SHEET, contract.REVIEW_SHEET, contract.PLAN_SHEET):
        if name in wb.sheetnames:
            del wb[name]
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False
    wb.create_sheet(title, 0)
    wb.active = 0
    resaved = BytesIO()
    wb.save(resaved)
    parts = unzip(resaved.getvalue())
    assert parts is not None  # openpyxl's own output
    return parts
