"""Sheets we add to a client's package, written as SpreadsheetML: a sheet laid out as plain data
(``Draft``), its worksheet part, the cell formats it uses and the radar chart's parts.

Looks come from workbook_templates/styles.py and are serialized by openpyxl's own style classes,
so every sheet we write shares one palette.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from typing import NamedTuple, TypeVar
from xml.etree.ElementTree import tostring
from xml.sax.saxutils import escape

from openpyxl.styles import Alignment, Border, Font, PatternFill
from openpyxl.styles.numbers import BUILTIN_FORMATS_REVERSE
from openpyxl.utils.cell import get_column_letter

from msp_assessment.instrument import Instrument
from msp_assessment.processing.xlsx.package import DOC_RELS, MAIN, XML_DECLARATION
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import clean_text

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


@dataclass
class Draft:
    """Cells, merges and sizes of one sheet, before it is written."""

    widths: dict[str, float]  # column letter → width, from A on
    cells: dict[int, dict[int, tuple[object, str | None]]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    freeze_row: int | None = None  # first row below the frozen panes
    print_area: bool = True  # print area and A4 one page wide, with the radar
    landscape: bool = False
    repeat_row: int | None = None  # the header row printed on every page
    last_row: int = 1
    chart_title: str = ""
    chart_header_row: int = 0  # the area table the radar reads
    chart_series: tuple[int, ...] = (3,)  # its columns, one series each, the last emphasised
    chart_row: int = 0

    def put(self, row: int, col: int, value: object, look: str | None = None) -> None:
        self.cells.setdefault(row, {})[col] = (value, look)
        self.last_row = max(self.last_row, row)

    def merge(self, row: int, first_col: int, last_col: int) -> None:
        self.merges.append((row, first_col, row, last_col))

    def paragraph(self, row: int, text: str) -> None:
        """``text`` across every column, its row as tall as the wrapped text needs."""
        self.put(row, 1, text, "wrap")
        self.merge(row, 1, len(self.widths))
        self.heights[row] = palette.row_height(text, sum(self.widths.values()) * 1.05)

    def header(self, row: int, headers: list[str]) -> None:
        for col, text in enumerate(headers, start=1):
            self.put(row, col, text, "header")


def render_sheet(d: Draft, xf: dict[str, int], drawing_id: str | None) -> bytes:
    """The worksheet part: ``xf`` gives each look's cell-format index in the target package."""
    if d.freeze_row is None:
        view = '<selection activeCell="A1" sqref="A1"/>'
    else:
        top = f"A{d.freeze_row}"
        view = (
            f'<pane ySplit="{d.freeze_row - 1}" topLeftCell="{top}" activePane="bottomLeft" '
            f'state="frozen"/><selection pane="bottomLeft" activeCell="{top}" sqref="{top}"/>'
        )
    out = [
        XML_DECLARATION,
        f'<worksheet xmlns="{MAIN}" xmlns:r="{DOC_RELS}">',
        '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if d.print_area else "",
        f'<dimension ref="A1:{get_column_letter(len(d.widths))}{d.last_row}"/>',
        '<sheetViews><sheetView tabSelected="1" workbookViewId="0">',
        view,
        "</sheetView></sheetViews>",
        '<sheetFormatPr defaultRowHeight="15"/><cols>',
    ]
    for index, width in enumerate(d.widths.values(), start=1):
        out.append(f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>')
    out.append("</cols><sheetData>")
    for row in sorted(d.cells.keys() | d.heights.keys()):
        height = d.heights.get(row)
        size = f' ht="{height}" customHeight="1"' if height is not None else ""
        out.append(f'<row r="{row}"{size}>')
        for col, (value, look) in sorted(d.cells.get(row, {}).items()):
            out.append(_cell(f"{get_column_letter(col)}{row}", value, xf[look] if look else 0))
        out.append("</row>")
    out.append("</sheetData>")
    if d.merges:
        out.append(f'<mergeCells count="{len(d.merges)}">')
        for r1, c1, r2, c2 in d.merges:
            ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
            out.append(f'<mergeCell ref="{ref}"/>')
        out.append("</mergeCells>")
    margins = " ".join(f'{side}="{inches}"' for side, inches in palette.PAGE_MARGINS.items())
    out.append(f"<pageMargins {margins}/>")
    if d.print_area:
        orientation = "landscape" if d.landscape else "portrait"
        out.append(
            f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
        )
    footer = escape(f"&C{palette.PAGE_FOOTER}")
    out.append(f"<headerFooter><oddFooter>{footer}</oddFooter></headerFooter>")
    if drawing_id is not None:
        out.append(f'<drawing r:id="{drawing_id}"/>')
    out.append("</worksheet>")
    return "".join(out).encode("utf-8")


def _cell(ref: str, value: object, style: int) -> str:
    s_attr = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s_attr}/>'
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # Text is always an inline string: whatever a client typed never becomes a formula.
        text = clean_text(str(value))
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'
    return f'<c r="{ref}"{s_attr}><v>{value!r}</v></c>'


class LookIndexes(NamedTuple):
    """One look as an xf: its number format id, and where its font, fill and border sit among
    the ones added (None: the package's default)."""

    name: str
    number_format: int
    font: int | None
    fill: int | None
    border: int | None
    alignment: bytes | None  # the <alignment> element, if any


@dataclass(frozen=True)
class Styles:
    """What LOOKS add to a package's styles: fonts, fills, borders and one xf per look.

    Each xf refers to the added fonts, fills and borders by their place in these lists; ``xf``
    turns that into the indexes they get in a given package.
    """

    fonts: tuple[bytes, ...]
    fills: tuple[bytes, ...]
    borders: tuple[bytes, ...]
    looks: tuple[LookIndexes, ...]

    def fill_index(self, look: str) -> int:
        """Where the fill of ``look`` sits among the added fills."""
        fill = next(entry.fill for entry in self.looks if entry.name == look)
        assert fill is not None
        return fill

    def xf(self, look: int, font_base: int, fill_base: int, border_base: int) -> bytes:
        _, number_format, font, fill, border, alignment = self.looks[look]
        attrs = [
            f'numFmtId="{number_format}"',
            f'fontId="{0 if font is None else font_base + font}"',
            f'fillId="{0 if fill is None else fill_base + fill}"',
            f'borderId="{0 if border is None else border_base + border}"',
            'xfId="0"',
        ]
        applied = [
            ("NumberFormat", number_format != 0),
            ("Font", font is not None),
            ("Fill", fill is not None),
            ("Border", border is not None),
            ("Alignment", alignment is not None),
        ]
        attrs += [f'apply{kind}="1"' for kind, used in applied if used]
        head = f"<xf {' '.join(attrs)}".encode()
        return head + (b"/>" if alignment is None else b">" + alignment + b"</xf>")


@lru_cache(maxsize=1)
def styles() -> Styles:
    """LOOKS as the fonts, fills, borders and cell formats they add to a package."""
    fonts: list[Font] = []
    fills: list[PatternFill] = []
    borders: list[Border] = []
    looks = []
    for name, look in LOOKS.items():
        number_format = BUILTIN_FORMATS_REVERSE[look.number_format] if look.number_format else 0
        alignment = None if look.alignment is None else tostring(look.alignment.to_tree())
        looks.append(
            LookIndexes(
                name,
                number_format,
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
    )


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
