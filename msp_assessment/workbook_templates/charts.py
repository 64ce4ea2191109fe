"""Charts shared by the results sheet and the summary (one look for the same picture)."""

from __future__ import annotations

from openpyxl.chart import RadarChart, Reference
from openpyxl.chart.data_source import NumFmt
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.instrument import Instrument


def area_radar(
    ws: Worksheet,
    instrument: Instrument,
    *,
    title: str,
    values_col: int,
    header_row: int,
    names_col: int = 1,
) -> RadarChart:
    """A radar of the four area averages fixed at the 1-5 scale.

    The values sit in ``values_col`` under ``header_row`` (one row per area), the area names in
    ``names_col``.
    """
    n = len(instrument.areas)
    chart = RadarChart()
    chart.type = "marker"
    chart.title = title
    chart.style = 26
    data = Reference(ws, min_col=values_col, min_row=header_row, max_row=header_row + n)
    names = Reference(ws, min_col=names_col, min_row=header_row + 1, max_row=header_row + n)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(names)
    chart.y_axis.scaling.min = instrument.min_value
    chart.y_axis.scaling.max = instrument.max_value
    chart.y_axis.majorUnit = 1
    chart.y_axis.numFmt = NumFmt(formatCode="0", sourceLinked=False)
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend = None
    return chart
