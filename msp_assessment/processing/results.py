"""Write the -resultados and -revisar workbooks (always atomically)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment._files import atomic_path, describe_os_error
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.processing.problems import Problem
from msp_assessment.processing.reader import Located, WorkbookReading
from msp_assessment.processing.scoring import Score, format_es
from msp_assessment.workbook_templates import contract as c
from msp_assessment.workbook_templates import styles as s
from msp_assessment.workbook_templates.cells import (
    fit_to_page_width,
    merge,
    set_text,
    stage_cell,
    style_header,
    styled,
    top_left,
)
from msp_assessment.workbook_templates.charts import area_radar

RESULTS_SUFFIX = "-resultados.xlsx"
REVIEW_SUFFIX = "-revisar.xlsx"
CHART_ROWS = 18  # rows the radar chart covers below the area table
WIDTHS = {"A": 42, "B": 16, "C": 14, "D": 16, "E": 30, "F": 30}
INTERVALS_NOTE = (
    "Cómo se leen los intervalos: cada etapa incluye su límite inferior y excluye el superior, "
    "salvo Escalable, que incluye el 5: [1, 2) Reactivo, [2, 3) Estable, [3, 4) Proactivo, [4, 5] "
    "Escalable. Así, una media de 1,95 corresponde a Reactivo y una de 4,00 a Escalable."
)


class OutputError(Exception):
    """An output could not be written (permissions, full disk…): the run cannot go on."""

    @classmethod
    def writing(cls, target: Path, err: OSError) -> OutputError:
        return cls(f"No se pudo escribir {target}: {describe_os_error(err)}.")


def write_results(
    wb: Workbook,
    reading: WorkbookReading,
    instrument: Instrument,
    score: Score,
    answers: dict[str, int],
    target: Path,
    source_name: str,
) -> None:
    """Fill Puntos and TOTAL DE PUNTOS, add the Resultados sheet and save to ``target``."""
    _drop_our_sheets(wb)
    for r in reading.statements:
        if r.points_at is not None:
            _put(wb, r.points_at, answers[r.statement.id])
    for area_score in score.areas:
        at = reading.totals_at.get(area_score.area.number)
        if at is not None:
            _put(wb, at, area_score.total)
    ws = wb.create_sheet(c.RESULTS_SHEET, 0)
    _results_sheet(ws, instrument, score, reading.client, reading.client_date, source_name)
    wb.active = 0
    save_workbook(wb, target)


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


def _put(wb: Workbook, at: Located, value: int) -> None:
    cell = top_left(wb[at.sheet], at.cell)
    if cell is not None:
        cell.value = value


def _heading(ws: Worksheet, row: int, text: str) -> None:
    cell = ws.cell(row=row, column=1, value=text)
    styled(cell, font=s.AREA_FONT)


def _table_header(ws: Worksheet, row: int, headers: list[str]) -> None:
    for col, text in enumerate(headers, start=1):
        style_header(ws.cell(row=row, column=col, value=text))


def _paragraph(ws: Worksheet, row: int, text: str, last_col: int = 6) -> None:
    cell = ws.cell(row=row, column=1, value=text)
    merge(ws, row, 1, row, last_col)
    styled(cell, alignment=s.WRAP)
    ws.row_dimensions[row].height = s.row_height(text, sum(WIDTHS.values()) * 1.05)


def _results_sheet(
    ws: Worksheet,
    instrument: Instrument,
    score: Score,
    client: Client,
    when: str | None,
    source_name: str,
) -> None:
    for letter, width in WIDTHS.items():
        ws.column_dimensions[letter].width = width
    styled(ws.cell(row=1, column=1, value="Resultados de la autoevaluación"), font=s.TITLE_FONT)
    ws.row_dimensions[1].height = 26
    row = 3
    _heading(ws, row, "Datos de la empresa")
    client_rows = [
        ("Empresa", client.company),
        ("Contacto", client.contact),
        ("Email", client.email),
        ("Fecha", when),
        (c.CLIENT_ID_LABEL, client.id),
        ("Archivo recibido", source_name),
    ]
    for label, value in client_rows:
        row += 1
        styled(ws.cell(row=row, column=1, value=label), font=s.BOLD)
        set_text(ws.cell(row=row, column=2), value or "—")

    row += 2
    _heading(ws, row, "Resultado global")
    row += 1
    _table_header(ws, row, ["Puntuación global", "Media", "Etapa"])
    row += 1
    styled(ws.cell(row=row, column=1, value="Media de las cuatro áreas"), border=s.BORDER)
    _number(ws, row, 2, score.average)
    stage_cell(ws, row, 3, score.stage.id, score.stage.name)
    row += 1
    heading = ws.cell(row=row, column=1, value="Características de la etapa")
    styled(heading, font=s.BOLD, alignment=s.WRAP)
    text = ws.cell(row=row, column=2, value=score.stage.characteristics)
    merge(ws, row, 2, row, 6)
    styled(text, alignment=s.WRAP)
    ws.row_dimensions[row].height = 32

    row += 2
    _heading(ws, row, "Resultados por área")
    row += 1
    header_row = row
    _table_header(ws, row, ["Área", "Total de puntos", "Media", "Etapa"])
    for area_score in score.areas:
        row += 1
        styled(ws.cell(row=row, column=1, value=area_score.area.name), border=s.BORDER)
        total = ws.cell(row=row, column=2, value=area_score.total)
        styled(total, border=s.BORDER, alignment=s.CENTER)
        _number(ws, row, 3, area_score.average)
        stage_cell(ws, row, 4, area_score.stage.id, area_score.stage.name)
    row += 2
    _radar(ws, instrument, header_row, anchor=f"A{row}")
    row += CHART_ROWS

    row += 2
    _heading(ws, row, "Consejos para avanzar")
    row += 1
    _paragraph(ws, row, instrument.tips_intro)
    row += 1
    _table_header(ws, row, ["Área", "Etapa del área", "Consejo"])
    merge(ws, row, 3, row, 6)
    for area_score in score.areas:
        row += 1
        styled(ws.cell(row=row, column=1, value=area_score.area.name), alignment=s.WRAP)
        stage_cell(ws, row, 2, area_score.stage.id, area_score.stage.name)
        tip = instrument.tip(area_score.area, area_score.stage)
        cell = ws.cell(row=row, column=3, value=tip)
        merge(ws, row, 3, row, 6)
        styled(cell, alignment=s.WRAP)
        ws.row_dimensions[row].height = s.row_height(tip, 85)

    row += 2
    _heading(ws, row, instrument.stages_heading)
    row += 1
    _table_header(ws, row, list(instrument.stages_columns))
    merge(ws, row, 3, row, 6)
    for stage in instrument.stages:
        row += 1
        styled(ws.cell(row=row, column=1, value=stage.range_text), alignment=s.CENTER)
        stage_cell(ws, row, 2, stage.id, stage.name)
        cell = ws.cell(row=row, column=3, value=stage.characteristics)
        merge(ws, row, 3, row, 6)
        styled(cell, alignment=s.WRAP)
        ws.row_dimensions[row].height = s.row_height(stage.characteristics, 85)
    row += 1
    _paragraph(ws, row, INTERVALS_NOTE)

    row += 2
    _heading(ws, row, instrument.scoring.heading)
    for step in instrument.scoring.steps:
        row += 1
        _paragraph(ws, row, f"• {step}")
    averages = " + ".join(format_es(a.average) for a in score.areas)
    computed = (
        f"En este libro: media ({averages}) ÷ {len(score.areas)} = {format_es(score.average)} "
        f"→ {score.stage.name}."
    )
    row += 1
    _paragraph(ws, row, computed)
    ws.print_area = f"A1:F{row}"
    fit_to_page_width(ws)


def _number(ws: Worksheet, row: int, col: int, value: object) -> None:
    cell = ws.cell(row=row, column=col, value=float(value))  # type: ignore[arg-type]
    styled(cell, number_format=s.TWO_DECIMALS, border=s.BORDER, alignment=s.CENTER)


def _radar(ws: Worksheet, instrument: Instrument, header_row: int, anchor: str) -> None:
    chart = area_radar(
        ws, instrument, title="Media por área (escala 1-5)", values_col=3, header_row=header_row
    )
    chart.width = 16
    chart.height = 9
    ws.add_chart(chart, anchor)


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
