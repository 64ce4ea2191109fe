"""The summary's «Estadísticas» sheet: the portfolio's figures, exact, with their charts."""

from __future__ import annotations

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.instrument import Instrument
from msp_assessment.processing.portfolio.cells import (
    NO_CLIENT,
    PERCENT,
    put_decimal,
    put_note,
    section,
)
from msp_assessment.processing.portfolio.consolidate import Consolidation
from msp_assessment.text import count
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import stage_cell
from msp_assessment.workbook_templates.charts import area_radar, paint_fill

# The bold note's characters per line across the sheet's four columns, as LibreOffice wraps it.
NOTE_CHARS_PER_LINE = 110
READING_NOTE = (
    "Cómo se lee: la hoja Resumen tiene un cliente por fila, ordenado por media global de mayor a "
    "menor; el color de cada media y de la etapa es el de su etapa. Si un cliente envió varios "
    "libros, cuenta el más reciente: en una campaña, el último que llegó; si no, o si llegaron a "
    "la vez, el de Fecha más reciente y, a igual Fecha, el archivo modificado después. Una copia "
    "de revisión que el cliente devolvió corregida sustituye al libro del que se hizo. Los demás "
    "aparecen en Incidencias como sustituidos."
)


def write_statistics(ws: Worksheet, cons: Consolidation, instrument: Instrument) -> None:
    for letter, width in {"A": 46, "B": 14, "C": 14, "D": 70}.items():
        ws.column_dimensions[letter].width = width
    ws.cell(row=1, column=1, value="Estadísticas de la cartera").font = palette.TITLE_FONT
    ws.row_dimensions[1].height = 26
    n = len(cons.counted)
    tally = cons.tally
    counts: list[tuple[str, int]] = [
        ("Archivos procesados", tally.files),
        ("Libros puntuados", tally.scored),
        ("Clientes puntuados (cuentan en el resumen)", n),
        ("Libros sustituidos por uno más reciente", tally.superseded),
        ("Libros para revisar", tally.to_review),
        ("Archivos ilegibles", tally.unreadable),
    ]
    if cons.roster is not None:
        counts.insert(0, ("Clientes en la lista", len(cons.roster)))
    row = 3
    for label, value in counts:
        ws.cell(row=row, column=1, value=label).font = palette.BOLD
        ws.cell(row=row, column=2, value=value)
        row += 1
    put_note(ws, row, READING_NOTE, 4)
    ws.row_dimensions[row].height = palette.row_height(READING_NOTE, NOTE_CHARS_PER_LINE)
    row += 1
    based = (
        f"Las cifras de esta hoja se basan en {count(n, 'cliente puntuado', 'clientes puntuados')}."
    )
    put_note(ws, row, " ".join(filter(None, [cons.response, based])), 4)
    ws.row_dimensions[row].height = 30
    row += 2
    if not n:
        put_note(ws, row, NO_CLIENT, 4)
        return
    assert cons.mean is not None and cons.median is not None and cons.mean_stage is not None
    ws.cell(row=row, column=1, value="Media global de la cartera").font = palette.BOLD
    put_decimal(ws, row, 2, cons.mean)
    stage_cell(ws, row, 3, cons.mean_stage.id, cons.mean_stage.name)
    ws.cell(row=row + 1, column=1, value="Mediana de las medias globales").font = palette.BOLD
    put_decimal(ws, row + 1, 2, cons.median)

    row += 3
    row = _stage_table(ws, row, cons)
    row = _area_table(ws, row, cons, instrument)
    row = _distribution_table(ws, row, cons)
    _statement_table(ws, row, cons)


def _stage_table(ws: Worksheet, row: int, cons: Consolidation) -> int:
    section(ws, row, "Clientes por etapa", ["Etapa", "Clientes", "Porcentaje"])
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
    section(ws, row, "Media de cada área", ["Área", "Media"])
    header = row + 1
    for i, (name, mean) in enumerate(cons.area_means, start=1):
        ws.cell(row=header + i, column=1, value=name)
        put_decimal(ws, header + i, 2, mean)
    chart = area_radar(
        ws, instrument, title="Media por área (1-5)", values_col=2, header_row=header
    )
    chart.width, chart.height = 14, 8
    ws.add_chart(chart, f"D{row}")
    return row + 18


DISTRIBUTION_NOTE = (
    "Cómo se lee: para cada área, la media de la cuarta parte de los clientes queda por debajo de "
    "P25, la de la mitad por debajo de la mediana y la de tres cuartas partes por debajo de P75 "
    "(calculados como PERCENTIL.INC). Es la referencia con la que se compara a cada cliente, "
    "sin él mismo: su percentil está en la hoja Resumen."
)


def _distribution_table(ws: Worksheet, row: int, cons: Consolidation) -> int:
    """Each area's and the global P25, median and P75, and a chart of the three per area."""
    section(ws, row, "Distribución por área", ["Área", "P25", "Mediana", "P75"])
    header = row + 1
    for i, (name, found) in enumerate(cons.area_bands, start=1):
        ws.cell(row=header + i, column=1, value=name)
        for col, value in enumerate((found.p25, found.median, found.p75), start=2):
            put_decimal(ws, header + i, col, value)
            ws.cell(row=header + i, column=col).alignment = palette.CENTER
    last = header + len(cons.area_bands)
    put_note(ws, last + 1, DISTRIBUTION_NOTE, 4)
    ws.row_dimensions[last + 1].height = palette.row_height(DISTRIBUTION_NOTE, NOTE_CHARS_PER_LINE)
    chart = LineChart()
    chart.title = "P25, mediana y P75 por área (1-5)"
    chart.add_data(
        Reference(ws, min_col=2, max_col=4, min_row=header, max_row=last), titles_from_data=True
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    for series, (symbol, color, size) in zip(
        chart.series,
        [
            ("dash", palette.CHART_SERIES, 10),
            ("diamond", palette.BRAND, 9),
            ("dash", palette.CHART_SERIES, 10),
        ],
        strict=True,
    ):
        series.graphicalProperties.line.noFill = True  # points only: a quartile chart
        series.marker.symbol = symbol
        series.marker.size = size
        series.marker.graphicalProperties = GraphicalProperties(
            solidFill=color, ln=LineProperties(solidFill=color)
        )
        series.smooth = False
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 1, 5
    chart.y_axis.majorUnit = 1
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.width, chart.height = 24, 9
    ws.add_chart(chart, f"A{last + 3}")  # below: the table takes the four columns
    return last + 3 + 20


def _statement_table(ws: Worksheet, row: int, cons: Consolidation) -> None:
    section(
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
        put_decimal(ws, r, 3, m.mean)
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
