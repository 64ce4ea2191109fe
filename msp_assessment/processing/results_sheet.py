"""The Resultados and Revisión sheets, laid out as plain data and written as SpreadsheetML.

Each is added to the client's own package (splice.py) rather than built through openpyxl, which
would have to load and re-save the whole workbook. Its looks come from styles.py, serialized by
openpyxl's own style classes, so every sheet we write shares one palette.
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

from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.processing.book import DOC_RELS, MAIN
from msp_assessment.processing.problems import Problem
from msp_assessment.processing.scoring import Score, format_es
from msp_assessment.workbook_templates import contract as c
from msp_assessment.workbook_templates import styles as s
from msp_assessment.workbook_templates.cells import clean_text

CHART_ROWS = 18  # rows the radar chart covers below the area table
WIDTHS = {"A": 42, "B": 16, "C": 14, "D": 16, "E": 30, "F": 30}
LAST_COL = len(WIDTHS)
REVIEW_WIDTHS = {"A": 6, "B": 30, "C": 12, "D": 18, "E": 90}
REVIEW_HEADERS = ["Nº", "Área", "Afirmación", "Celda", "Qué hay que corregir"]
REVIEW_FIRST_ROW = 6  # the first problem; rows above stay in view
CHART_TITLE = "Media por área (escala 1-5)"
INTERVALS_NOTE = (
    "Cómo se leen los intervalos: cada etapa incluye su límite inferior y excluye el superior, "
    "salvo Escalable, que incluye el 5: [1, 2) Reactivo, [2, 3) Estable, [3, 4) Proactivo, [4, 5] "
    "Escalable. Así, una media de 1,95 corresponde a Reactivo y una de 4,00 a Escalable."
)
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
    "title": Look(font=s.TITLE_FONT),
    "heading": Look(font=s.AREA_FONT),
    "bold": Look(font=s.BOLD),
    "header": Look(
        font=s.HEADER_FONT, fill=s.HEADER_FILL, border=s.BORDER, alignment=s.WRAP_CENTER
    ),
    "boxed": Look(border=s.BORDER),
    "boxed_center": Look(border=s.BORDER, alignment=s.CENTER),
    "average": Look(border=s.BORDER, alignment=s.CENTER, number_format=s.TWO_DECIMALS),
    "bold_wrap": Look(font=s.BOLD, alignment=s.WRAP),
    "wrap": Look(alignment=s.WRAP),
    "center": Look(alignment=s.CENTER),
    "problem": Look(fill=s.PROBLEM_FILL),  # only its fill is used: marked cells keep their look
    **{
        f"stage:{stage}": Look(
            font=s.BOLD, fill=s.stage_fill(stage), border=s.BORDER, alignment=s.CENTER
        )
        for stage in s.STAGE_COLORS
    },
}


@dataclass
class Draft:
    """Cells, merges and sizes of one sheet, before it is written."""

    cells: dict[int, dict[int, tuple[object, str | None]]] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    heights: dict[int, float] = field(default_factory=dict)
    widths: dict[str, float] = field(default_factory=lambda: dict(WIDTHS))
    freeze_row: int | None = None  # first row below the frozen panes
    print_area: bool = True  # print area and A4 one page wide, with the radar
    last_row: int = 1
    chart_header_row: int = 0  # the area table the radar reads
    chart_row: int = 0

    def put(self, row: int, col: int, value: object, look: str | None = None) -> None:
        self.cells.setdefault(row, {})[col] = (value, look)
        self.last_row = max(self.last_row, row)

    def merge(self, row: int, first_col: int, last_col: int) -> None:
        self.merges.append((row, first_col, row, last_col))

    def paragraph(self, row: int, text: str) -> None:
        self.put(row, 1, text, "wrap")
        self.merge(row, 1, LAST_COL)
        self.heights[row] = s.row_height(text, sum(WIDTHS.values()) * 1.05)


def results_draft(
    instrument: Instrument, score: Score, client: Client, when: str | None, source_name: str
) -> Draft:
    """What the Resultados sheet shows for one scored workbook."""
    d = Draft()
    d.put(1, 1, "Resultados de la autoevaluación", "title")
    d.heights[1] = 26
    row = 3
    d.put(row, 1, "Datos de la empresa", "heading")
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
        d.put(row, 1, label, "bold")
        d.put(row, 2, value or "—")

    row += 2
    d.put(row, 1, "Resultado global", "heading")
    row += 1
    _header(d, row, ["Puntuación global", "Media", "Etapa"])
    row += 1
    d.put(row, 1, "Media de las cuatro áreas", "boxed")
    d.put(row, 2, float(score.average), "average")
    d.put(row, 3, score.stage.name, f"stage:{score.stage.id}")
    row += 1
    d.put(row, 1, "Características de la etapa", "bold_wrap")
    d.put(row, 2, score.stage.characteristics, "wrap")
    d.merge(row, 2, LAST_COL)
    d.heights[row] = 32

    row += 2
    d.put(row, 1, "Resultados por área", "heading")
    row += 1
    d.chart_header_row = row
    _header(d, row, ["Área", "Total de puntos", "Media", "Etapa"])
    for area_score in score.areas:
        row += 1
        d.put(row, 1, area_score.area.name, "boxed")
        d.put(row, 2, area_score.total, "boxed_center")
        d.put(row, 3, float(area_score.average), "average")
        d.put(row, 4, area_score.stage.name, f"stage:{area_score.stage.id}")
    row += 2
    d.chart_row = row
    row += CHART_ROWS

    row += 2
    d.put(row, 1, "Consejos para avanzar", "heading")
    row += 1
    d.paragraph(row, instrument.tips_intro)
    row += 1
    _header(d, row, ["Área", "Etapa del área", "Consejo"])
    d.merge(row, 3, LAST_COL)
    for area_score in score.areas:
        row += 1
        d.put(row, 1, area_score.area.name, "wrap")
        d.put(row, 2, area_score.stage.name, f"stage:{area_score.stage.id}")
        tip = instrument.tip(area_score.area, area_score.stage)
        d.put(row, 3, tip, "wrap")
        d.merge(row, 3, LAST_COL)
        d.heights[row] = s.row_height(tip, 85)

    row += 2
    d.put(row, 1, instrument.stages_heading, "heading")
    row += 1
    _header(d, row, list(instrument.stages_columns))
    d.merge(row, 3, LAST_COL)
    for stage in instrument.stages:
        row += 1
        d.put(row, 1, stage.range_text, "center")
        d.put(row, 2, stage.name, f"stage:{stage.id}")
        d.put(row, 3, stage.characteristics, "wrap")
        d.merge(row, 3, LAST_COL)
        d.heights[row] = s.row_height(stage.characteristics, 85)
    row += 1
    d.paragraph(row, INTERVALS_NOTE)

    row += 2
    d.put(row, 1, instrument.scoring.heading, "heading")
    for step in instrument.scoring.steps:
        row += 1
        d.paragraph(row, f"• {step}")
    averages = " + ".join(format_es(a.average) for a in score.areas)
    computed = (
        f"En este libro: media ({averages}) ÷ {len(score.areas)} = {format_es(score.average)} "
        f"→ {score.stage.name}."
    )
    row += 1
    d.paragraph(row, computed)
    return d


def review_draft(instrument: Instrument, problems: list[Problem], source_name: str) -> Draft:
    """What the Revisión sheet shows: every problem, where it is and how to fix it."""
    d = Draft(widths=dict(REVIEW_WIDTHS), freeze_row=REVIEW_FIRST_ROW, print_area=False)
    d.put(1, 1, "Revisión de la autoevaluación", "title")
    d.heights[1] = 26
    intro = (
        f"El libro «{source_name}» no se ha podido puntuar todavía. Corrija cada punto de esta "
        "lista (las celdas afectadas están marcadas en color en la hoja del cuestionario), "
        "guarde el libro y envíelo de nuevo."
    )
    d.put(3, 1, intro, "wrap")
    d.merge(3, 1, len(REVIEW_WIDTHS))
    d.heights[3] = 34
    _header(d, REVIEW_FIRST_ROW - 1, REVIEW_HEADERS)
    for i, prob in enumerate(problems, start=1):
        row = REVIEW_FIRST_ROW - 1 + i
        d.put(row, 1, i, "center")
        d.put(row, 2, instrument.areas[prob.area - 1].name if prob.area else "—")
        d.put(row, 3, prob.statement, "center")
        d.put(row, 4, f"{prob.sheet}!{prob.cell}" if prob.sheet and prob.cell else "—")
        d.put(row, 5, prob.message, "wrap")
        d.heights[row] = s.row_height(prob.message, 95)
    return d


def _header(d: Draft, row: int, headers: list[str]) -> None:
    for col, text in enumerate(headers, start=1):
        d.put(row, col, text, "header")


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
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
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
    out.append(
        '<pageMargins left="0.75" right="0.75" top="1" bottom="1" header="0.5" footer="0.5"/>'
    )
    if d.print_area:
        out.append(
            '<pageSetup paperSize="9" orientation="portrait" fitToWidth="1" fitToHeight="0"/>'
        )
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


@lru_cache(maxsize=4)
def chart_parts(instrument: Instrument, header_row: int, chart_row: int) -> tuple[bytes, bytes]:
    """(drawing XML, chart XML) of the radar: openpyxl writes them once; every file reuses them.

    The drawing refers to its chart as ``rId1``.
    """
    from openpyxl import Workbook

    from msp_assessment.workbook_templates.charts import area_radar

    wb = Workbook()
    wb.remove(wb.worksheets[0])
    ws = wb.create_sheet(c.RESULTS_SHEET)
    chart = area_radar(ws, instrument, title=CHART_TITLE, values_col=3, header_row=header_row)
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
