"""Write resumen.xlsx: Resumen, Incidencias, Estadísticas and Respuestas (always atomically)."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.comments import Comment
from openpyxl.drawing.line import LineProperties
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment._spanish import count
from msp_assessment.instrument import Instrument
from msp_assessment.processing.outcome import FileOutcome, Status
from msp_assessment.processing.problems import LABELS, Problem
from msp_assessment.processing.results import save_workbook
from msp_assessment.processing.roster import State
from msp_assessment.processing.rounds import (
    INSTRUMENT_ID,
    INSTRUMENT_VERSION,
    ROUND_DATE,
    STAMP_MARK,
    STAMP_SHEET,
)
from msp_assessment.processing.summary import (
    STATUS_LABELS,
    SUPERSEDED_LABEL,
    Consolidation,
    outside_problem,
    resumen_headers,
    superseded_problem,
)
from msp_assessment.processing.values import parse_date
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import (
    print_setup,
    set_text,
    stage_cell,
    style_header,
    styled,
)
from msp_assessment.workbook_templates.charts import area_radar, paint_fill

SHEETS = ("Resumen", "Incidencias", "Estadísticas", "Respuestas")
OUTSIDE_LABEL = "Fuera de la lista"
EVOLUTION = "Evolución"
NO_CLIENT = "Ningún libro se ha podido puntuar en esta ejecución: no hay clientes que resumir."
PERCENT = "0.0%"
READING_NOTE = (
    "Cómo se lee: la hoja Resumen tiene un cliente por fila, ordenado por media global de mayor a "
    "menor; el color de cada media y de la etapa es el de su etapa. Si un cliente envió varios "
    "libros, cuenta el más reciente (por Fecha y, si no, por fecha de modificación del archivo) "
    "y los demás aparecen en Incidencias como sustituidos."
)


def write_summary(consolidation: Consolidation, instrument: Instrument, target: Path) -> None:
    """Build the summary workbook and save it to ``target``."""
    wb = Workbook()
    resumen = wb.active
    assert resumen is not None
    resumen.title = SHEETS[0]
    _resumen(resumen, consolidation, instrument)
    _incidencias(wb.create_sheet(SHEETS[1]), consolidation)
    _estadisticas(wb.create_sheet(SHEETS[2]), consolidation, instrument)
    _respuestas(wb.create_sheet(SHEETS[3]), consolidation, instrument)
    if consolidation.rounds:
        from msp_assessment.processing.evolution import evolve
        from msp_assessment.processing.evolution_sheet import write_evolution

        evo = evolve(
            consolidation.counted, consolidation.rounds, instrument, consolidation.round_date
        )
        write_evolution(wb.create_sheet(EVOLUTION, 3), evo)
    for ws in wb.worksheets:
        _print_setup(ws)
    _stamp(wb, consolidation, instrument)
    wb.properties.creator = contract.GENERATOR
    wb.properties.title = "Resumen de la autoevaluación del desarrollo como MSP"
    save_workbook(wb, target)


def _stamp(wb: Workbook, cons: Consolidation, instrument: Instrument) -> None:
    """Our mark, for a later round's --previous: the hidden sheet «_msp» (LibreOffice keeps it
    when it saves the file) with the instrument, its version and this round's date."""
    ws = wb.create_sheet(STAMP_SHEET)
    day = cons.round_date
    rows = [
        STAMP_MARK,
        (INSTRUMENT_ID, instrument.id),
        (INSTRUMENT_VERSION, instrument.version),
        (ROUND_DATE, day.isoformat() if day else ""),
    ]
    for key, value in rows:
        ws.append([key, value])
        set_text(ws.cell(row=ws.max_row, column=2), value)
    ws.sheet_state = "hidden"


def _print_setup(ws: Worksheet) -> None:
    """Every sheet prints readably on A4: the wide tables two pages wide (a page holds about half
    their columns at a size one can read), with the header row and the columns that say whose
    row it is on every page; Estadísticas, tall with its charts beside the tables, one page
    wide."""
    if ws.title == SHEETS[2]:
        print_setup(ws)
        return
    if ws.title == EVOLUTION:
        print_setup(ws, landscape=True)
        return
    who = {SHEETS[0]: "A:B", SHEETS[1]: "A:A", SHEETS[3]: "A:B"}[ws.title]
    print_setup(ws, landscape=True, pages_wide=2, repeat_rows="1:1", repeat_cols=who)


def _header_row(ws: Worksheet, headers: list[str], widths: Sequence[float], row: int = 1) -> None:
    for col, (text, width) in enumerate(zip(headers, widths, strict=True), start=1):
        style_header(ws.cell(row=row, column=col, value=text))
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[row].height = 32


def _text(ws: Worksheet, row: int, col: int, value: str | None) -> None:
    """Client-supplied text, stored as inert text (never a formula)."""
    if value:
        set_text(ws.cell(row=row, column=col), value)


def _decimal(ws: Worksheet, row: int, col: int, value: Fraction, **looks: object) -> None:
    """A two-decimal number, with any further looks (fill=…, font=…) stamped in one go."""
    styled(
        ws.cell(row=row, column=col, value=float(value)),
        number_format=palette.TWO_DECIMALS,
        **looks,
    )


def _note(ws: Worksheet, row: int, text: str, last_col: int) -> None:
    cell = ws.cell(row=row, column=1, value=text)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=last_col)
    cell.alignment = palette.WRAP
    cell.font = palette.BOLD


def _resumen(ws: Worksheet, cons: Consolidation, instrument: Instrument) -> None:
    headers = resumen_headers(instrument)
    n_areas = len(instrument.areas)
    widths = [14, 28, 22, 28, 28, 12, *([16] * (2 * n_areas)), 12, 12]
    _header_row(ws, headers, widths)
    ws.row_dimensions[1].height = 62
    ws.freeze_panes = "C2"
    for row, outcome in enumerate(cons.counted, start=2):
        score = outcome.score
        assert score is not None
        client = outcome.client
        for col, value in enumerate((client.id, client.company, client.contact, client.email), 1):
            _text(ws, row, col, value)
        _text(ws, row, 5, Path(outcome.path).name)
        _date(ws, row, 6, outcome.date)
        for i, area in enumerate(score.areas):
            ws.cell(row=row, column=7 + i, value=area.total)
            _decimal(ws, row, 7 + n_areas + i, area.average, fill=palette.stage_fill(area.stage.id))
        _decimal(ws, row, 7 + 2 * n_areas, score.average, font=palette.BOLD)
        stage_cell(ws, row, 8 + 2 * n_areas, score.stage.id, score.stage.name)
    last = len(cons.counted) + 1
    if cons.roster is not None:
        last = _roster_rows(ws, cons, len(headers) + 1, last)
    width = len(headers) + (cons.roster is not None)
    ws.auto_filter.ref = f"A1:{get_column_letter(width)}{max(last, 2)}"
    if cons.response is not None:
        _note(ws, last + 2, cons.response, 8)
    elif not cons.counted:
        _note(ws, 3, NO_CLIENT + " Vea la hoja Incidencias.", 8)


SITUATION = {
    State.SCORED: "Puntuado",
    State.PROBLEMS: "Con problemas (ver Incidencias)",
    State.PENDING: "Pendiente",
}


def _roster_rows(ws: Worksheet, cons: Consolidation, col: int, last: int) -> int:
    """With a client list: a «Situación» column, and a row for each client without a result.
    Returns the last row of the table."""
    style_header(ws.cell(row=1, column=col, value="Situación"))
    ws.column_dimensions[get_column_letter(col)].width = 30
    outside = {id(o) for o in cons.outside}
    for row, outcome in enumerate(cons.counted, start=2):
        situation = OUTSIDE_LABEL if id(outcome) in outside else SITUATION[State.SCORED]
        ws.cell(row=row, column=col, value=situation)
    assert cons.roster is not None
    for entry in cons.roster:
        if entry.state is State.SCORED:
            continue
        last += 1
        client = entry.client
        for i, value in enumerate((client.id, client.company, client.contact, client.email), 1):
            _text(ws, last, i, value)
        if entry.outcome is not None:
            _text(ws, last, 5, Path(entry.outcome.path).name)
        ws.cell(row=last, column=col, value=SITUATION[entry.state])
    return last


def _date(ws: Worksheet, row: int, col: int, text: str | None) -> None:
    parsed = parse_date(text)
    if parsed is None:
        _text(ws, row, col, text)
        return
    cell = ws.cell(row=row, column=col, value=parsed)
    cell.number_format = palette.DATE_FORMAT


def _incidencias(ws: Worksheet, cons: Consolidation) -> None:
    headers = [
        "Archivo",
        "Id. cliente",
        "Empresa",
        "Contacto",
        "Email",
        "Estado",
        "Nº de problemas",
        "Problemas",
        "Qué hay que hacer",
        "Celdas",
        "Código",
    ]
    _header_row(ws, headers, [30, 14, 26, 22, 28, 14, 11, 26, 80, 18, 16])
    ws.freeze_panes = "B2"
    outside = {id(o) for o in cons.outside}

    def flagged(o: FileOutcome) -> tuple[Problem, ...]:
        return (*o.problems, outside_problem(o)) if id(o) in outside else o.problems

    entries: list[tuple[FileOutcome, str, tuple[Problem, ...]]] = [
        (o, STATUS_LABELS[o.status], flagged(o))
        for o in cons.issues
        if not (o.status is Status.UNREADABLE and id(o) in outside)
    ]
    entries += [(o, OUTSIDE_LABEL, (outside_problem(o),)) for o in cons.counted if id(o) in outside]
    entries += [(e.outcome, SUPERSEDED_LABEL, (superseded_problem(e),)) for e in cons.superseded]
    for row, (outcome, label, problems) in enumerate(entries, start=2):
        _text(ws, row, 1, outcome.path)
        known = outcome.status is not Status.UNREADABLE
        client = outcome.client
        for col, value in enumerate((client.id, client.company, client.contact, client.email), 2):
            _text(ws, row, col, value if known else None)
        ws.cell(row=row, column=6, value=label)
        ws.cell(row=row, column=7, value=len(problems))
        _text(ws, row, 8, "\n".join(LABELS[prob.code] for prob in problems))
        messages = "\n".join(f"{i}. {prob.message}" for i, prob in enumerate(problems, start=1))
        _text(ws, row, 9, messages)
        _text(ws, row, 10, "\n".join(_where(prob) for prob in problems))
        _text(ws, row, 11, "\n".join(prob.code for prob in problems))
        for col in range(1, 12):
            styled(ws.cell(row=row, column=col), alignment=palette.WRAP)
        ws.cell(row=row, column=11).font = palette.CODE_FONT
        ws.row_dimensions[row].height = min(409, palette.row_height(messages, 95))
    if entries:
        ws.auto_filter.ref = f"A1:K{len(entries) + 1}"
    else:
        _note(ws, 3, "Sin incidencias: todos los libros de esta ejecución se han puntuado.", 11)


def _where(prob: Problem) -> str:
    return f"{prob.sheet}!{prob.cell}" if prob.sheet and prob.cell else "—"


def _estadisticas(ws: Worksheet, cons: Consolidation, instrument: Instrument) -> None:
    for letter, width in {"A": 46, "B": 14, "C": 14, "D": 70}.items():
        ws.column_dimensions[letter].width = width
    ws.cell(row=1, column=1, value="Estadísticas de la cartera").font = palette.TITLE_FONT
    ws.row_dimensions[1].height = 26
    n = len(cons.counted)
    counts: list[tuple[str, int]] = [
        ("Archivos procesados", cons.files),
        ("Clientes puntuados (cuentan en el resumen)", n),
        ("Libros sustituidos por uno más reciente", len(cons.superseded)),
        ("Libros para revisar", sum(1 for o in cons.issues if o.status is Status.INVALID)),
        ("Archivos ilegibles", sum(1 for o in cons.issues if o.status is Status.UNREADABLE)),
    ]
    if cons.roster is not None:
        counts.insert(0, ("Clientes en la lista", len(cons.roster)))
    row = 3
    for label, value in counts:
        ws.cell(row=row, column=1, value=label).font = palette.BOLD
        ws.cell(row=row, column=2, value=value)
        row += 1
    _note(ws, row, READING_NOTE, 4)
    ws.row_dimensions[row].height = 48
    row += 1
    based = (
        f"Las cifras de esta hoja se basan en {count(n, 'cliente puntuado', 'clientes puntuados')}."
    )
    _note(ws, row, " ".join(filter(None, [cons.response, based])), 4)
    ws.row_dimensions[row].height = 30
    row += 2
    if not n:
        _note(ws, row, NO_CLIENT, 4)
        return
    assert cons.mean is not None and cons.median is not None and cons.mean_stage is not None
    ws.cell(row=row, column=1, value="Media global de la cartera").font = palette.BOLD
    _decimal(ws, row, 2, cons.mean)
    stage_cell(ws, row, 3, cons.mean_stage.id, cons.mean_stage.name)
    ws.cell(row=row + 1, column=1, value="Mediana de las medias globales").font = palette.BOLD
    _decimal(ws, row + 1, 2, cons.median)

    row += 3
    row = _stage_table(ws, row, cons)
    row = _area_table(ws, row, cons, instrument)
    _statement_table(ws, row, cons)


def _section(ws: Worksheet, row: int, title: str, headers: list[str]) -> None:
    ws.cell(row=row, column=1, value=title).font = palette.AREA_FONT
    for col, text in enumerate(headers, start=1):
        style_header(ws.cell(row=row + 1, column=col, value=text))


def _stage_table(ws: Worksheet, row: int, cons: Consolidation) -> int:
    _section(ws, row, "Clientes por etapa", ["Etapa", "Clientes", "Porcentaje"])
    header = row + 1
    n = len(cons.counted)
    for i, (stage, clients) in enumerate(cons.stage_counts, start=1):
        stage_cell(ws, header + i, 1, stage.id, stage.name)
        ws.cell(row=header + i, column=2, value=clients)
        share = ws.cell(row=header + i, column=3, value=clients / n)
        share.number_format = PERCENT
    chart = BarChart()
    chart.type = "col"
    chart.title = "Clientes por etapa"
    chart.legend = None
    last = header + len(cons.stage_counts)
    chart.add_data(Reference(ws, min_col=2, min_row=header, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    series = chart.series[0]
    paint_fill(series, palette.BRAND)
    for idx, (stage, _) in enumerate(cons.stage_counts):
        color = palette.STAGE_COLORS[stage.id]
        point = DataPoint(idx=idx)
        point.graphicalProperties = GraphicalProperties(
            solidFill=color, ln=LineProperties(solidFill=color)
        )
        series.dPt.append(point)
    chart.y_axis.majorUnit = 1 if n <= 10 else None
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.width, chart.height = 14, 7
    ws.add_chart(chart, f"D{row}")
    return row + 16


def _area_table(ws: Worksheet, row: int, cons: Consolidation, instrument: Instrument) -> int:
    _section(ws, row, "Media de cada área", ["Área", "Media"])
    header = row + 1
    for i, (name, mean) in enumerate(cons.area_means, start=1):
        ws.cell(row=header + i, column=1, value=name)
        _decimal(ws, header + i, 2, mean)
    chart = area_radar(
        ws, instrument, title="Media por área (1-5)", values_col=2, header_row=header
    )
    chart.width, chart.height = 14, 8
    ws.add_chart(chart, f"D{row}")
    return row + 18


def _statement_table(ws: Worksheet, row: int, cons: Consolidation) -> None:
    _section(
        ws,
        row,
        "Media de cada afirmación (de la más débil a la más fuerte)",
        ["Área", "Afirmación nº", "Media", "Afirmación"],
    )
    first = row + 2
    for i, m in enumerate(cons.statement_means):
        r = first + i
        ws.cell(row=r, column=1, value=m.area_name).alignment = palette.WRAP
        ws.cell(row=r, column=2, value=m.number).alignment = palette.TOP_CENTER
        _decimal(ws, r, 3, m.mean)
        ws.cell(row=r, column=3).alignment = palette.TOP
        ws.cell(row=r, column=4, value=m.text).alignment = palette.WRAP
        ws.row_dimensions[r].height = palette.row_height(m.text, 75)
    last = first + len(cons.statement_means) - 1
    ws.conditional_formatting.add(
        f"C{first}:C{last}",
        ColorScaleRule(  # type: ignore[no-untyped-call]
            start_type="num",
            start_value=1,
            start_color="F8696B",
            mid_type="num",
            mid_value=3,
            mid_color="FFEB84",
            end_type="num",
            end_value=5,
            end_color="63BE7B",
        ),
    )


def _respuestas(ws: Worksheet, cons: Consolidation, instrument: Instrument) -> None:
    statements = [st for _, st in instrument.statements]
    headers = ["Id. cliente", "Empresa", "Archivo", *(st.id for st in statements)]
    _header_row(ws, headers, [14, 28, 28, *([13] * len(statements))])
    for col, st in enumerate(statements, start=4):
        ws.cell(row=1, column=col).comment = Comment(
            st.text, contract.GENERATOR, width=300, height=90
        )
    ws.freeze_panes = "D2"
    for row, outcome in enumerate(cons.counted, start=2):
        _text(ws, row, 1, outcome.client.id)
        _text(ws, row, 2, outcome.client.company)
        _text(ws, row, 3, Path(outcome.path).name)
        for col, st in enumerate(statements, start=4):
            ws.cell(row=row, column=col, value=outcome.answers[st.id])
    if cons.counted:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(cons.counted) + 1}"
    else:
        _note(ws, 3, NO_CLIENT, 8)
