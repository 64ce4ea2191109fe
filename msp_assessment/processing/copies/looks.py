"""Our looks, the styles they add to a package and the radar chart's parts: what the sheets we
splice into a client's package look like.

Looks come from workbook_templates/styles.py and are serialized by openpyxl's own style classes,
so every sheet we write shares one palette; ooxml/sheetml.py writes them knowing no look.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from typing import TypeVar
from xml.etree.ElementTree import tostring

from openpyxl.styles import Alignment, Border, Font, PatternFill
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE

from msp_assessment.instrument import Instrument
from msp_assessment.processing.ooxml.sheetml import Draft, LookIndexes, Styles
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette

Style = TypeVar("Style", Font, PatternFill, Border)


@dataclass(frozen=True)
class Look:
    """One cell format, built from the shared style constants."""

    font: Font | None = None
    fill: PatternFill | None = None
    border: Border | None = None
    alignment: Alignment | None = None
    number_format: str | None = None


LOOKS: dict[str, Look] = {
    "title": Look(font=palette.TITLE_FONT),
    "heading": Look(font=palette.AREA_FONT),
    "bold": Look(font=palette.BOLD),
    "header": Look(
        font=palette.HEADER_FONT,
        fill=palette.HEADER_FILL,
        border=palette.BORDER,
        alignment=palette.WRAP_CENTER,
    ),
    "boxed": Look(border=palette.BORDER),
    "boxed_center": Look(border=palette.BORDER, alignment=palette.CENTER),
    "average": Look(
        border=palette.BORDER, alignment=palette.CENTER, number_format=palette.TWO_DECIMALS
    ),
    "bold_wrap": Look(font=palette.BOLD, alignment=palette.WRAP),
    "wrap": Look(alignment=palette.WRAP),
    "center": Look(alignment=palette.CENTER),
    "top_center": Look(alignment=palette.TOP_CENTER),
    # The client's own columns of the Plan de acción: the template's input colour.
    "editable": Look(fill=palette.ANSWER_FILL, border=palette.BORDER, alignment=palette.WRAP),
    "editable_date": Look(
        fill=palette.ANSWER_FILL,
        border=palette.BORDER,
        alignment=palette.CENTER,
        number_format=palette.DATE_FORMAT,
    ),
    # A date, DD/MM/AAAA whatever the reader's settings (as Resumen writes them).
    "date": Look(alignment=palette.LEFT, number_format=palette.DATE_FORMAT),
    "boxed_wrap": Look(border=palette.BORDER, alignment=palette.WRAP),
    # Only its fill is used: marked cells keep their own look.
    "problem": Look(fill=palette.PROBLEM_FILL),
    **{
        f"stage:{stage}": Look(
            font=palette.BOLD,
            fill=palette.stage_fill(stage),
            border=palette.BORDER,
            alignment=palette.CENTER,
        )
        for stage in palette.STAGE_COLORS
    },
}


def paragraph(d: Draft, row: int, text: str) -> None:
    """``text`` across every column, its row as tall as the wrapped text needs."""
    d.put(row, 1, text, "wrap")
    d.merge(row, 1, len(d.widths))
    d.heights[row] = palette.row_height(text, sum(d.widths.values()) * 1.05)


def header(d: Draft, row: int, headers: list[str]) -> None:
    for col, text in enumerate(headers, start=1):
        d.put(row, col, text, "header")


@lru_cache(maxsize=1)
def styles() -> Styles:
    """LOOKS as the fonts, fills, borders and cell formats they add to a package."""
    fonts: list[Font] = []
    fills: list[PatternFill] = []
    borders: list[Border] = []
    formats: list[str] = []  # the codes no package has built in
    looks = []
    for name, look in LOOKS.items():
        code = look.number_format
        custom = code is not None and code not in BUILTIN_FORMATS_REVERSE
        if code is None:
            number_format = 0
        elif custom:
            number_format = _place_code(code, formats)
        else:
            number_format = BUILTIN_FORMATS_REVERSE[code]
        alignment = None if look.alignment is None else tostring(look.alignment.to_tree())
        looks.append(
            LookIndexes(
                name,
                number_format,
                custom,
                _place(look.font, fonts),
                _place(look.fill, fills),
                _place(look.border, borders),
                alignment,
            )
        )
    return Styles(
        tuple(tostring(f.to_tree()) for f in fonts),
        tuple(tostring(f.to_tree()) for f in fills),
        tuple(tostring(b.to_tree()) for b in borders),
        tuple(looks),
        tuple(formats),
    )


def _place_code(code: str, table: list[str]) -> int:
    if code not in table:
        table.append(code)
    return table.index(code)


def _place(used: Style | None, table: list[Style]) -> int | None:
    if used is None:
        return None
    if used not in table:
        table.append(used)
    return table.index(used)


@lru_cache(maxsize=32)
def chart_parts(
    instrument: Instrument,
    title: str,
    header_row: int,
    chart_row: int,
    series: tuple[int, ...] = (3,),
) -> tuple[bytes, bytes]:
    """(drawing XML, chart XML) of the area radar: openpyxl writes them once; every file reuses
    them. The drawing refers to its chart as ``rId1``."""
    from openpyxl import Workbook

    from msp_assessment.workbook_templates.charts import area_radar

    wb = Workbook()
    wb.remove(wb.worksheets[0])
    ws = wb.create_sheet(contract.RESULTS_SHEET)
    chart = area_radar(ws, instrument, title=title, values_col=series, header_row=header_row)
    chart.width = 16
    chart.height = 9
    ws.add_chart(chart, f"A{chart_row}")
    buffer = BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        drawing = package.read("xl/drawings/drawing1.xml")
        rels = package.read("xl/drawings/_rels/drawing1.xml.rels")
        chart_xml = package.read("xl/charts/chart1.xml")
    assert b'Id="rId1"' in rels
    return drawing, chart_xml
