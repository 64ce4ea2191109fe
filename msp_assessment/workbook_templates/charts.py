"""Charts shared by the results sheet and the summary (one look for the same picture).

Every colour, line and marker is written into the chart itself. A chart that leaves them to the
workbook's theme (``<c:style>``) draws nothing in a package without a theme part, and LibreOffice
saves .xlsx files without one.
"""

from __future__ import annotations

from openpyxl.chart import RadarChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.data_source import NumFmt
from openpyxl.chart.marker import Marker
from openpyxl.chart.series import Series
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.instrument import Instrument
from msp_assessment.workbook_templates import styles as palette

LINE_WIDTH = 28_575  # EMU: 2.25 pt
GRID_COLOR = "BFBFBF"
MARKER_SIZE = 7


def paint_line(series: Series, color: str, width: int = LINE_WIDTH) -> None:
    """Draw ``series`` as a ``color`` line with round ``color`` markers, whatever the theme."""
    series.graphicalProperties = GraphicalProperties(
        ln=LineProperties(solidFill=color, w=width, prstDash="solid")
    )
    series.smooth = False
    series.marker = Marker(symbol="circle", size=MARKER_SIZE)
    series.marker.graphicalProperties = GraphicalProperties(
        solidFill=color, ln=LineProperties(solidFill=color)
    )


def paint_fill(series: Series, color: str) -> None:
    """Fill ``series`` (bars) with ``color``, outlined in the same colour, whatever the theme."""
    series.graphicalProperties = GraphicalProperties(
        solidFill=color, ln=LineProperties(solidFill=color)
    )


def area_radar(
    ws: Worksheet,
    instrument: Instrument,
    *,
    title: str,
    values_col: int | tuple[int, ...],
    header_row: int,
    names_col: int = 1,
) -> RadarChart:
    """A radar of the four area averages fixed at the 1-5 scale.

    The values sit in ``values_col`` under ``header_row`` (one row per area), the area names in
    ``names_col``. Several columns give one series each (earlier rounds, then this one): the last
    is drawn strong, the others thin and light, with a legend saying which is which.
    """
    n = len(instrument.areas)
    columns = (values_col,) if isinstance(values_col, int) else values_col
    chart = RadarChart()
    chart.type = "marker"
    chart.title = title
    chart.style = 26
    for col in columns:
        data = Reference(ws, min_col=col, min_row=header_row, max_row=header_row + n)
        chart.add_data(data, titles_from_data=True)
    names = Reference(ws, min_col=names_col, min_row=header_row + 1, max_row=header_row + n)
    chart.set_categories(names)
    *earlier, current = chart.series
    *light, strong = palette.round_colors(len(earlier))
    for series, color in zip(earlier, light, strict=True):
        paint_line(series, color, width=LINE_WIDTH // 2)
    paint_line(current, strong)
    chart.y_axis.scaling.min = instrument.min_value
    chart.y_axis.scaling.max = instrument.max_value
    chart.y_axis.majorUnit = 1
    chart.y_axis.numFmt = NumFmt(formatCode="0", sourceLinked=False)
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    # The rings and the axes in our own grey too: the theme that would draw them may be missing.
    grid = GraphicalProperties(ln=LineProperties(solidFill=GRID_COLOR, w=6350))
    chart.y_axis.majorGridlines = ChartLines(spPr=grid)
    chart.y_axis.spPr = GraphicalProperties(ln=LineProperties(solidFill=GRID_COLOR, w=6350))
    chart.x_axis.spPr = GraphicalProperties(ln=LineProperties(solidFill=GRID_COLOR, w=6350))
    if len(columns) == 1:
        chart.legend = None
    elif chart.legend is not None:
        chart.legend.position = "b"
    return chart
