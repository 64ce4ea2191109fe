"""The summary's «Evolución» sheet: the portfolio across rounds, for a manager."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from openpyxl.chart import BarChart, Reference
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.client import Client
from msp_assessment.processing.portfolio.cells import put_decimal, section
from msp_assessment.processing.portfolio.evolution import Evolution
from msp_assessment.text import signed_es
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import set_text, stage_cell, styled
from msp_assessment.workbook_templates.charts import paint_fill

TITLE = "Evolución de la cartera"


def write_evolution(ws: Worksheet, evo: Evolution) -> None:
    labels = [label for _, label in evo.rounds]
    labels.append(evo.current)
    widths = {"A": 14, "B": 34, "C": 16, "D": 16, "E": 16, "F": 16, "G": 16, "H": 16}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    ws.cell(row=1, column=1, value=TITLE).font = palette.TITLE_FONT
    ws.row_dimensions[1].height = 26
    compared = "; ".join(
        f"{label}: {Path(path).parent.name}/{Path(path).name}"
        for label, (path, _) in zip(labels[:-1], evo.rounds, strict=True)
    )
    _note(
        ws,
        2,
        f"Rondas anteriores comparadas: {compared}. Los cambios se miden frente a la "
        "ronda anterior más reciente de cada cliente.",
    )
    up, same, down = evo.moves
    row = 4
    for label, value in [("Suben de etapa", up), ("Se mantienen", same), ("Bajan de etapa", down)]:
        ws.cell(row=row, column=1, value=label).font = palette.BOLD
        ws.cell(row=row, column=3, value=value)
        row += 1
    row = _clients(ws, row + 1, evo, labels)
    ws.row_breaks.append(Break(id=row + 1))  # the area table and its chart start a page, whole
    row = _areas(ws, row + 2, evo, labels)
    ws.row_breaks.append(Break(id=row + 1))  # the statements table starts a page, whole
    row = _statements(ws, row + 2, evo)
    row = _listed(ws, row + 2, "Clientes nuevos en esta ronda", list(evo.new))
    _listed(
        ws,
        row + 2,
        "Clientes de la ronda anterior que no han respondido en esta",
        list(evo.missing),
    )


def _note(ws: Worksheet, row: int, text: str) -> None:
    cell = ws.cell(row=row, column=1, value=text)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
    styled(cell, alignment=palette.WRAP)
    ws.row_dimensions[row].height = palette.row_height(text, 140)


def _header(ws: Worksheet, row: int, title: str, headers: list[str]) -> int:
    """A section's title and header row (taller: the round dates wrap); the header's row."""
    section(ws, row, title, headers)
    ws.row_dimensions[row + 1].height = 32
    return row + 1


def _decimal(ws: Worksheet, row: int, col: int, value: Fraction | None, **looks: object) -> None:
    """A mean, or nothing for a round the client or area was not in."""
    if value is not None:
        put_decimal(ws, row, col, value, **looks)


def _clients(ws: Worksheet, row: int, evo: Evolution, labels: list[str]) -> int:
    """One row per client seen in more than one round: the global average per round."""
    rounds = labels[-4:]  # the table has room for three earlier rounds and this one
    headers = ["Id. cliente", "Empresa", *rounds, "Cambio", "Etapa antes", "Etapa ahora"]
    row = _header(ws, row, "Clientes en más de una ronda (media global)", headers)
    if not evo.trends:
        ws.cell(
            row=row + 1, column=1, value="Ningún cliente de esta ronda estaba en las anteriores."
        )
        return row + 1
    paths = [path for path, _ in evo.rounds]
    for trend in evo.trends:
        row += 1
        set_text(ws.cell(row=row, column=1), trend.client.id or "")
        set_text(ws.cell(row=row, column=2), trend.client.company or "")
        by_round = {p.summary: p.score.average for p in trend.past}
        values = [by_round.get(path) for path in paths][-(len(rounds) - 1) :]
        for col, value in enumerate([*values, trend.score.average], start=3):
            _decimal(ws, row, col, value)
        col = 3 + len(rounds)
        styled(
            ws.cell(row=row, column=col, value=signed_es(trend.change)), alignment=palette.CENTER
        )
        before, now = trend.past[-1].score.stage, trend.score.stage
        stage_cell(ws, row, col + 1, before.id, before.name)
        stage_cell(ws, row, col + 2, now.id, now.name)
    return row


def _areas(ws: Worksheet, row: int, evo: Evolution, labels: list[str]) -> int:
    """Each area's portfolio mean per round, and a column chart of them."""
    shown = labels[-6:]
    header = _header(ws, row, "Media de cada área por ronda", ["Área", "", *shown])
    for i, (name, means) in enumerate(evo.area_means, start=1):
        ws.cell(row=header + i, column=1, value=name)
        ws.merge_cells(start_row=header + i, start_column=1, end_row=header + i, end_column=2)
        for col, value in enumerate(means[-len(shown) :], start=3):
            _decimal(ws, header + i, col, value)
    last = header + len(evo.area_means)
    chart = BarChart()
    chart.type = "col"
    chart.title = "Media de cada área por ronda"
    for col in range(3, 3 + len(shown)):
        chart.add_data(
            Reference(ws, min_col=col, min_row=header, max_row=last), titles_from_data=True
        )
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    for series, color in zip(chart.series, palette.round_colors(len(shown) - 1), strict=True):
        paint_fill(series, color)
    chart.y_axis.scaling.min = 1
    chart.y_axis.scaling.max = 5
    chart.y_axis.majorUnit = 1
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend.position = "b"
    chart.width, chart.height = 18, 8
    ws.add_chart(chart, f"A{last + 2}")
    return last + 18


def _statements(ws: Worksheet, row: int, evo: Evolution) -> int:
    headers = ["Área", "Afirmación", "Nº", "Media antes", "Media ahora", "Cambio"]
    row = _header(ws, row, "Afirmaciones cuya media ha cambiado más", headers)
    for shift in evo.shifts:
        row += 1
        # The area (in the narrow first column) and the statement both wrap; the row reads top
        # down, numbers beside the first line of the text.
        styled(ws.cell(row=row, column=1, value=shift.area), alignment=palette.WRAP)
        styled(ws.cell(row=row, column=2, value=shift.text), alignment=palette.WRAP)
        styled(ws.cell(row=row, column=3, value=shift.number), alignment=palette.WRAP)
        _decimal(ws, row, 4, shift.before, alignment=palette.WRAP)
        _decimal(ws, row, 5, shift.now, alignment=palette.WRAP)
        change = ws.cell(row=row, column=6, value=signed_es(shift.change))
        styled(change, alignment=palette.TOP_CENTER)
        ws.row_dimensions[row].height = max(
            palette.row_height(shift.text, 34), palette.row_height(shift.area, 14)
        )
    return row


def _listed(ws: Worksheet, row: int, title: str, clients: list[Client]) -> int:
    row = _header(ws, row, title, ["Id. cliente", "Empresa"])
    if not clients:
        ws.cell(row=row + 1, column=1, value="Ninguno.")
        return row + 1
    for client in clients:
        row += 1
        set_text(ws.cell(row=row, column=1), client.id or "")
        set_text(ws.cell(row=row, column=2), client.company or "")
    return row
