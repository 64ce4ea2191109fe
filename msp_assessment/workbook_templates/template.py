"""Write the questionnaire workbook that clients fill in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment._files import atomic_path
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import print_setup, set_text, style_header

# Columns of the form: statement, answer, the five agreement levels, points.
COL_STATEMENT = 1
COL_ANSWER = 2
COL_FIRST_LEVEL = 3
COL_POINTS = 8
LAST_COL = COL_POINTS
COLUMN_WIDTHS = {1: 60, 2: 12, 3: 15, 4: 15, 5: 15, 6: 15, 7: 15, 8: 10}
FULL_WIDTH_CHARS = sum(COLUMN_WIDTHS.values()) * 1.05


@dataclass(frozen=True)
class TemplateOptions:
    """What makes one workbook different from another."""

    client: Client = Client()
    password: str | None = None


def build_template(
    instrument: Instrument, options: TemplateOptions = TemplateOptions()
) -> Workbook:
    """Build the questionnaire workbook in memory."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = contract.FORM_SHEET
    for col, width in COLUMN_WIDTHS.items():
        ws.column_dimensions[get_column_letter(col)].width = width

    row = _write_header(ws, instrument)
    row = _write_client_block(wb, ws, options.client, row + 1)
    answer_cells: list[str] = []
    for area in instrument.areas:
        row, cells = _write_area(wb, ws, instrument, area.number, row + 1)
        answer_cells.extend(cells)
    _add_answer_validation(ws, instrument, answer_cells)
    _write_metadata(wb, instrument, options.client)
    _finish_sheet(ws, options.password, last_row=row, first_answer=answer_cells[0])
    wb.properties.title = instrument.title
    wb.properties.creator = contract.GENERATOR
    return wb


def write_template(
    path: Path,
    *,
    options: TemplateOptions = TemplateOptions(),
    force: bool = False,
    instrument: Instrument | None = None,
) -> Path:
    """Write the questionnaire workbook to ``path`` atomically.

    Raises FileExistsError when ``path`` exists and ``force`` is false.
    """
    if path.exists() and not force:
        raise FileExistsError(path)
    wb = build_template(instrument or load_instrument(), options)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _merge_text(ws: Worksheet, row: int, text: str, *, font: object = None) -> None:
    cell = ws.cell(row=row, column=1, value=text)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
    cell.alignment = palette.WRAP
    if font is not None:
        cell.font = font  # type: ignore[assignment]
    ws.row_dimensions[row].height = palette.row_height(text, FULL_WIDTH_CHARS)


def _write_header(ws: Worksheet, instrument: Instrument) -> int:
    """Title, introduction, stages line, instructions and scale legend; returns the last row."""
    ws.cell(row=1, column=1, value=instrument.title).font = palette.TITLE_FONT
    ws.row_dimensions[1].height = 26
    row = 2
    for paragraph in instrument.introduction:
        _merge_text(ws, row, paragraph)
        row += 1
    _merge_text(ws, row, instrument.stages_line, font=palette.AREA_FONT)
    ws.cell(row=row, column=1).alignment = palette.CENTER
    row += 1
    _merge_text(ws, row, instrument.context)
    row += 1
    _merge_text(ws, row, instrument.instructions, font=palette.BOLD)
    for level in instrument.scale:
        row += 1
        label = ws.cell(row=row, column=COL_STATEMENT, value=level.label)
        value = ws.cell(row=row, column=COL_ANSWER, value=level.value)
        label.border = value.border = palette.BORDER
        label.fill = value.fill = palette.AREA_FILL
        value.alignment = palette.CENTER
    return row


def _write_client_block(wb: Workbook, ws: Worksheet, client: Client, row: int) -> int:
    row += 1
    head = ws.cell(row=row, column=1, value="Datos de la empresa")
    head.font = palette.AREA_FONT
    for field in contract.CLIENT_FIELDS:
        row += 1
        ws.cell(row=row, column=COL_STATEMENT, value=field.label).font = palette.BOLD
        cell = ws.cell(row=row, column=COL_ANSWER)
        ws.merge_cells(start_row=row, start_column=COL_ANSWER, end_row=row, end_column=LAST_COL)
        value = getattr(client, field.key, None)
        if value:
            set_text(cell, value)
        cell.fill = palette.INPUT_FILL
        cell.border = palette.BORDER
        cell.alignment = palette.WRAP
        cell.protection = palette.UNLOCKED
        if field.name == "cliente_fecha":
            cell.number_format = palette.DATE_FORMAT
        _define(wb, field.name, ws, row, COL_ANSWER)
        _prompt(ws, cell.coordinate, field.label, field.prompt)
    row += 1
    ws.cell(row=row, column=COL_STATEMENT, value=contract.CLIENT_ID_LABEL).font = palette.BOLD
    id_cell = ws.cell(row=row, column=COL_ANSWER)
    ws.merge_cells(start_row=row, start_column=COL_ANSWER, end_row=row, end_column=LAST_COL)
    if client.id:
        set_text(id_cell, client.id)
    _define(wb, contract.CLIENT_ID_NAME, ws, row, COL_ANSWER)
    return row


def _write_area(
    wb: Workbook, ws: Worksheet, instrument: Instrument, area_number: int, row: int
) -> tuple[int, list[str]]:
    """One area table; returns its last row and the coordinates of its answer cells."""
    area = instrument.areas[area_number - 1]
    row += 1
    if area_number > 1:  # each area starts a page: its heading is never stranded at a page foot
        ws.row_breaks.append(Break(id=row - 1))
    title = ws.cell(row=row, column=1, value=area.name)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=LAST_COL)
    title.font = palette.AREA_FONT
    title.fill = palette.AREA_FILL
    ws.row_dimensions[row].height = 20

    row += 1
    headers = [
        instrument.statement_column,
        contract.ANSWER_HEADER,
        *(level.label for level in instrument.scale),
        instrument.points_column,
    ]
    for col, heading in enumerate(headers, start=1):
        style_header(ws.cell(row=row, column=col, value=heading))
    ws.row_dimensions[row].height = 48

    answers: list[str] = []
    first = row + 1
    for statement in area.statements:
        row += 1
        text = ws.cell(row=row, column=COL_STATEMENT, value=statement.text)
        text.alignment = palette.WRAP
        text.border = palette.BORDER
        ws.row_dimensions[row].height = max(
            30.0, palette.row_height(statement.text, COLUMN_WIDTHS[COL_STATEMENT] * 0.95)
        )
        answer = ws.cell(row=row, column=COL_ANSWER)
        answer.fill = palette.ANSWER_FILL
        answer.border = palette.BORDER
        answer.alignment = palette.CENTER
        answer.font = palette.BOLD
        answer.protection = palette.UNLOCKED
        answers.append(answer.coordinate)
        for offset, level in enumerate(instrument.scale):
            mark = ws.cell(row=row, column=COL_FIRST_LEVEL + offset, value=level.value)
            mark.font = palette.LEVEL_FONT
            mark.alignment = palette.CENTER
            mark.border = palette.BORDER
        points = ws.cell(row=row, column=COL_POINTS)
        points.border = palette.BORDER
        points.alignment = palette.CENTER
        points.font = palette.BOLD
        _define(wb, contract.answer_name(area.number, statement.number), ws, row, COL_ANSWER)
        _define(wb, contract.points_name(area.number, statement.number), ws, row, COL_POINTS)
        _define(wb, contract.statement_name(area.number, statement.number), ws, row, COL_STATEMENT)
    last = row
    # Mark the chosen agreement level, so a filled row reads like the paper form.
    answer_col = get_column_letter(COL_ANSWER)
    for offset, level in enumerate(instrument.scale):
        letter = get_column_letter(COL_FIRST_LEVEL + offset)
        ws.conditional_formatting.add(
            f"{letter}{first}:{letter}{last}",
            FormulaRule(  # type: ignore[no-untyped-call]
                formula=[f"${answer_col}{first}={level.value}"],
                fill=palette.MARK_FILL,
                font=palette.MARK_FONT,
            ),
        )

    row += 1
    label = ws.cell(row=row, column=1, value=instrument.total_label)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=COL_POINTS - 1)
    label.font = palette.BOLD
    label.alignment = Alignment(horizontal="right")
    total = ws.cell(row=row, column=COL_POINTS)
    total.font = palette.BOLD
    total.alignment = palette.CENTER
    total.border = palette.BORDER
    total.fill = palette.AREA_FILL
    _define(wb, contract.total_name(area.number), ws, row, COL_POINTS)
    return row, answers


def _add_answer_validation(ws: Worksheet, instrument: Instrument, cells: list[str]) -> None:
    values = [level.value for level in instrument.scale]
    legend = " · ".join(f"{level.value} {level.label}" for level in instrument.scale)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(str(v) for v in values) + '"',
        allow_blank=True,
        showErrorMessage=True,
        showInputMessage=True,
        errorStyle="stop",
        errorTitle="Valor no válido",
        error=f"Elija un número entero del {values[0]} al {values[-1]} en la lista desplegable.",
        promptTitle=contract.ANSWER_HEADER,
        prompt=legend,
    )
    for coordinate in cells:
        dv.add(coordinate)
    ws.add_data_validation(dv)


def _prompt(ws: Worksheet, coordinate: str, title: str, text: str) -> None:
    dv = DataValidation(
        type=None, showInputMessage=True, promptTitle=title, prompt=text, allow_blank=True
    )
    dv.add(coordinate)
    ws.add_data_validation(dv)


def _define(wb: Workbook, name: str, ws: Worksheet, row: int, col: int) -> None:
    ref = f"{quote_sheetname(ws.title)}!${get_column_letter(col)}${row}"
    wb.defined_names[name] = DefinedName(name, attr_text=ref)


def _write_metadata(wb: Workbook, instrument: Instrument, client: Client) -> None:
    meta = {
        contract.META_INSTRUMENT_ID: instrument.id,
        contract.META_INSTRUMENT_VERSION: instrument.version,
        contract.META_CLIENT_ID: client.id or "",
    }
    for key, value in meta.items():
        if value:
            # types-openpyxl lags: Workbook.custom_doc_props exists since openpyxl 3.1.
            props = wb.custom_doc_props  # type: ignore[attr-defined]
            props.append(StringProperty(name=key, value=value))
    ws = wb.create_sheet(contract.META_SHEET)
    for key, value in meta.items():
        ws.append([key, value])
        set_text(ws.cell(row=ws.max_row, column=2), value)
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def _finish_sheet(ws: Worksheet, password: str | None, *, last_row: int, first_answer: str) -> None:
    ws.protection.sheet = True
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False
    if password:
        ws.protection.password = password
    ws.freeze_panes = "A2"
    ws.print_area = f"A1:{get_column_letter(LAST_COL)}{last_row}"
    print_setup(ws, landscape=True, repeat_rows="1:1")
    ws.sheet_view.selection[0].activeCell = first_answer
    ws.sheet_view.selection[0].sqref = first_answer
