"""A sheet written as SpreadsheetML: laid out as plain data (``Draft``), its worksheet part, and
the fonts, fills, borders and cell formats it adds to a package (``Styles``).

It knows nothing of the questionnaire or our looks: cells name their look by a string, and the
caller says which cell-format index each look has in the package it writes into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple

from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import WINDOWS_EPOCH

from msp_assessment.processing.ooxml.package import DOC_RELS, MAIN, XML_DECLARATION
from msp_assessment.text import clean_text, xml_escape


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
    selected: bool = True  # its tab selected (only one of our sheets: two would be grouped)
    # Lists to choose from: (cells, choices), a dropdown in each cell.
    validations: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def put(self, row: int, col: int, value: object, look: str | None = None) -> None:
        self.cells.setdefault(row, {})[col] = (value, look)
        if row > self.last_row:
            self.last_row = row

    def merge(self, row: int, first_col: int, last_col: int) -> None:
        self.merges.append((row, first_col, row, last_col))


def render_sheet(
    d: Draft,
    xf: dict[str, int],
    drawing_id: str | None,
    margins: dict[str, float],
    footer: str,
    epoch: datetime = WINDOWS_EPOCH,
) -> bytes:
    """The worksheet part: ``xf`` gives each look's cell-format index in the target package;
    ``margins`` (inches by side) and the centred ``footer`` are the page's; a date is the
    serial of the package's date system (``epoch``)."""
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
        f'<sheetViews><sheetView tabSelected="{int(d.selected)}" workbookViewId="0">',
        view,
        "</sheetView></sheetViews>",
        '<sheetFormatPr defaultRowHeight="15"/><cols>',
    ]
    for index, width in enumerate(d.widths.values(), start=1):
        out.append(f'<col min="{index}" max="{index}" width="{width}" customWidth="1"/>')
    out.append("</cols><sheetData>")
    day_one = epoch.date()
    heights, rows = d.heights, d.cells
    for row in sorted(rows.keys() | heights.keys()):
        height = heights.get(row)
        size = f' ht="{height}" customHeight="1"' if height is not None else ""
        out.append(f'<row r="{row}"{size}>')
        in_row = rows.get(row, {})
        for col in sorted(in_row):
            value, look = in_row[col]
            if isinstance(value, date):
                value = (value - day_one).days
            out.append(_cell(col, row, value, xf[look] if look else 0))
        out.append("</row>")
    out.append("</sheetData>")
    if d.merges:
        out.append(f'<mergeCells count="{len(d.merges)}">')
        for r1, c1, r2, c2 in d.merges:
            ref = f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"
            out.append(f'<mergeCell ref="{ref}"/>')
        out.append("</mergeCells>")
    if d.validations:
        out.append(f'<dataValidations count="{len(d.validations)}">')
        for cells, choices in d.validations:
            listed = xml_escape('"' + ",".join(choices) + '"')
            out.append(
                f'<dataValidation type="list" allowBlank="1" showErrorMessage="1" '
                f'sqref="{cells}"><formula1>{listed}</formula1></dataValidation>'
            )
        out.append("</dataValidations>")
    sides = " ".join(f'{side}="{inches}"' for side, inches in margins.items())
    out.append(f"<pageMargins {sides}/>")
    if d.print_area:
        orientation = "landscape" if d.landscape else "portrait"
        out.append(
            f'<pageSetup paperSize="9" orientation="{orientation}" fitToWidth="1" fitToHeight="0"/>'
        )
    footer = xml_escape(f"&C{footer}")
    out.append(f"<headerFooter><oddFooter>{footer}</oddFooter></headerFooter>")
    if drawing_id is not None:
        out.append(f'<drawing r:id="{drawing_id}"/>')
    out.append("</worksheet>")
    return "".join(out).encode("utf-8")


@lru_cache(maxsize=8192, typed=True)  # most cells of our sheets are the same texts in every copy
def _cell(col: int, row: int, value: object, style: int) -> str:
    ref = f"{get_column_letter(col)}{row}"
    s_attr = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s_attr}/>'
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # Text is always an inline string: whatever a client typed never becomes a formula.
        text = clean_text(str(value))
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{ref}"{s_attr} t="inlineStr"><is><t{space}>{xml_escape(text)}</t></is></c>'
    return f'<c r="{ref}"{s_attr}><v>{value!r}</v></c>'


class LookIndexes(NamedTuple):
    """One look as an xf: its number format id, and where its font, fill and border sit among
    the ones added (None: the package's default)."""

    name: str
    number_format: int  # a built-in format's id, or (custom) the place of its code in formats
    custom: bool
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
    formats: tuple[str, ...] = ()  # the number format codes that are not built in

    def xf(
        self, look: int, font_base: int, fill_base: int, border_base: int, format_base: int = 0
    ) -> bytes:
        """The look's xf; the custom formats get the ids ``format_base`` on in the package."""
        _, number_format, custom, font, fill, border, alignment = self.looks[look]
        if custom:
            number_format += format_base
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
