"""The one-page PDF report of a scored workbook, drawn with reportlab (no LibreOffice).

It holds what the Resultados sheet holds, in the same words and colours: who answered and when,
the global score and its stage with the stage's characteristics, the four areas with their
stage, a radar of the area averages on the fixed 1–5 scale, the document's tip for each area at
its stage, and how the score was computed. Every text comes from the instrument data.

The font is DejaVu Sans (Bitstream Vera's shapes, extended), cut to the letters of Europe and
shipped with the package (report/typefaces, scripts/subset_fonts.py): Latin in all its
extensions, Greek and Cyrillic, so a «Łódź», «Őrség» or «Αθήνα» in a client's name is drawn as
written and the PDF reads the same on every machine. A character beyond them (Chinese, an emoji)
is drawn as «�», and a note under the computation names it by its code. ``invariant`` mode
fixes the creation date and the document id: the same workbook gives the same bytes, run after
run.

A report must cost little beside processing its workbook, and most of a page is the same from
one report to the next. So the fonts' objects are built once per process (:mod:`.fonts`), and
a text drawn at a place, in a font and colour, is kept as its PDF operators and reused on the
next page that draws it there: the headings, the tips, the stage names. A text with a character
outside the fonts' claimed ones is drawn afresh each time, since its codes depend on the page.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from fractions import Fraction
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from msp_assessment.benchmark import Benchmark, NoBenchmark
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome, PastResult, change
from msp_assessment.report.fonts import SPANISH, FixedFont
from msp_assessment.scoring import CHART_TITLE, Score, area_next_stage, computation
from msp_assessment.text import count, date_text, format_es, signed_es
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette

FONT, BOLD = "MSP-Sans", "MSP-Sans-Bold"
TYPEFACES = Path(__file__).parent / "typefaces"
REPLACEMENT = "\ufffd"  # drawn for a character the fonts do not have
BRAND = colors.HexColor(f"#{palette.BRAND}")
SERIES = colors.HexColor(f"#{palette.CHART_SERIES}")
GRID = colors.HexColor("#BFBFBF")
BAND = colors.HexColor("#D9D9D9")
BAR_HEADER = "Frente a la referencia"
MARGIN_X, MARGIN_TOP = 18 * mm, 14 * mm
PAGE_WIDTH = A4[0] - 2 * MARGIN_X  # inside the margins
RADAR_SIZE = 58 * mm


STAMP_PREFIX = "msp-resultado:"
_STAMP = re.compile(rb"/Keywords \(" + re.escape(STAMP_PREFIX.encode()) + rb"([0-9a-f]{24})\)")


def report_stamp(data: bytes) -> str | None:
    """The result stamp a report of ours carries, or None (another PDF, or one without)."""
    found = _STAMP.search(data)
    return found[1].decode() if found else None


@cache
def stage_color(stage_id: str) -> colors.Color:
    return colors.HexColor(f"#{palette.STAGE_COLORS[stage_id]}")


@cache
def embedded_fonts() -> dict[str, FixedFont]:
    """Register the embedded fonts once per process, by name, regular first (the order every
    document claims them in). They claim printable ASCII, the Spanish letters and signs and every
    character of the questionnaire's texts."""
    from msp_assessment.instrument.model import load_instrument

    instrument = load_instrument()
    texts = [
        instrument.title,
        instrument.tips_intro,
        *(stage.name + stage.characteristics for stage in instrument.stages),
        *(area.name for area in instrument.areas),
        *(instrument.tip(area, stage) for area in instrument.areas for stage in instrument.stages),
    ]
    claimed = "".join(map(chr, range(32, 127))) + SPANISH + "".join(sorted(set("".join(texts))))
    fonts = {
        FONT: FixedFont(FONT, str(TYPEFACES / "DejaVuSans.ttf"), claimed),
        BOLD: FixedFont(BOLD, str(TYPEFACES / "DejaVuSans-Bold.ttf"), claimed),
    }
    for font in fonts.values():
        pdfmetrics.registerFont(font)
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return fonts


@cache
def _drawable_characters() -> frozenset[int]:
    """What both fonts can draw."""
    fonts = embedded_fonts()
    maps = [set(font.face.charToGlyph) for font in fonts.values()]
    return frozenset(set.intersection(*maps))


def drawable(text: str, missing: set[str]) -> str:
    """``text`` with every character the fonts cannot draw replaced by «�» (added to
    ``missing``); spaces and line breaks as they are."""
    if text.isascii():
        return text
    known = _drawable_characters()
    out = []
    for ch in text:
        if ord(ch) in known or ch in "\n\t":
            out.append(ch)
        else:
            missing.add(ch)
            out.append(REPLACEMENT)
    return "".join(out)


def _rgb(color: colors.Color) -> tuple[float, float, float]:
    return color.red, color.green, color.blue


# (x, y, text, font, size, colour, anchor) -> the PDF operators that draw it; see the module's
# docstring. Bounded: company names and numbers vary without end.
_DRAWN: dict[tuple[float, float, str, str, float, tuple[float, float, float], str], str] = {}
_DRAWN_LIMIT = 20_000


LEADING = 1.25  # line height, as a share of the font size
PAD = 1.8 * mm  # inside a table cell
GREY = colors.HexColor("#404040")


@cache
def _wrapped(text: str, width: float, font: str = FONT, size: float = 8) -> tuple[str, ...]:
    """``text`` broken into lines of ``width`` points. Most long texts of a report (tips, stage
    characteristics, the intro) come from the instrument: each is wrapped once per process."""
    embedded_fonts()
    return tuple(simpleSplit(text, font, size, width))


class _Page:
    """One A4 page drawn top to bottom: ``y`` is where the next thing goes."""

    def __init__(self, canvas: Canvas) -> None:
        self.c = canvas
        self.x = MARGIN_X
        self.y = A4[1] - MARGIN_TOP

    def text(
        self,
        x: float,
        text: str,
        font: str,
        size: float,
        color: Any = colors.black,
        anchor: str = "start",
        y: float | None = None,
    ) -> None:
        """``text`` starting at ``x`` (centred on it for "middle", ending at it for "end")."""
        at = self.y if y is None else y
        key = (x, at, text, font, size, _rgb(color), anchor)
        code = _DRAWN.get(key)
        if code is None:
            if anchor != "start":
                width = pdfmetrics.stringWidth(text, font, size)
                x -= width / 2 if anchor == "middle" else width
            drawn = self.c.beginText(x, at)
            drawn.setFont(font, size)
            drawn.setFillColor(color)
            drawn.textOut(text)
            code = drawn.getCode()
            if embedded_fonts()[font].covers(text):
                if len(_DRAWN) >= _DRAWN_LIMIT:
                    _DRAWN.clear()
                _DRAWN[key] = code
        self.c.addLiteral(code)

    def lines(
        self, x: float, lines: tuple[str, ...], font: str, size: float, color: Any = colors.black
    ) -> None:
        for line in lines:
            self.y -= size * LEADING
            self.text(x, line, font, size, color)

    def heading(self, text: str) -> None:
        self.y -= 7 * mm
        self.text(self.x, text, BOLD, 10.5, BRAND)
        self.y -= 2 * mm

    def table(
        self,
        widths: list[float],
        rows: list[list[tuple[str, ...]]],
        fills: dict[tuple[int, int], Any],
        centred: set[int],
        bold: set[int],
    ) -> list[tuple[float, float]]:
        """A grid: the first row is the header (white on the brand colour); each cell's lines
        are already wrapped to its width. Returns each row's top and height."""
        size = 8
        self.c.setStrokeColor(GRID)
        self.c.setLineWidth(0.5)
        drawn = []
        for r, row in enumerate(rows):
            height = max(len(cell) for cell in row) * size * LEADING + 2 * PAD
            top = self.y
            drawn.append((top, height))
            x = self.x
            for col, (width, cell) in enumerate(zip(widths, row, strict=True)):
                fill = BRAND if r == 0 else fills.get((r, col))
                if fill is not None:
                    self.c.setFillColor(fill)
                self.c.rect(x, top - height, width, height, stroke=1, fill=int(fill is not None))
                block = len(cell) * size * LEADING
                line_y = top - (height - block) / 2 - size
                font = BOLD if r == 0 or col in bold else FONT
                color = colors.white if r == 0 else colors.black
                for line in cell:
                    if col in centred or r == 0:
                        self.text(x + width / 2, line, font, size, color, "middle", line_y)
                    else:
                        self.text(x + PAD, line, font, size, color, y=line_y)
                    line_y -= size * LEADING
                x += width
            self.y = top - height
        return drawn


def results_pdf(
    instrument: Instrument,
    score: Score,
    client: Client,
    when: str | None,
    past: tuple[PastResult, ...] = (),
    *,
    stamp: str | None = None,
    benchmark: Benchmark | NoBenchmark | None = None,
    answers: Mapping[str, int] | None = None,
) -> bytes:
    """The one-page A4 report of ``score`` for ``client`` (answers dated ``when``); with
    ``past``, the client's earlier rounds, a line on how the score moved since the latest.
    ``stamp`` (``outcome.result_stamp``) goes into the document's keywords: ``report_stamp``
    reads it back."""
    fonts = embedded_fonts()
    out = BytesIO()
    # types-reportlab types initialFontName as a number; reportlab takes the font name.
    canvas = Canvas(out, pagesize=A4, invariant=1, initialFontName=FONT)  # type: ignore[arg-type]
    for font in fonts.values():
        # Before anything is drawn: the same codes on every page. (reportlab has no public
        # accessor for a canvas's document; its own code and examples use ``_doc``.)
        font.claim(canvas._doc)  # type: ignore[attr-defined]
    canvas.setTitle(f"Resultados de la autoevaluación - {client.company or ''}")
    canvas.setAuthor(contract.GENERATOR)
    canvas.setCreator(contract.GENERATOR)
    canvas.setSubject(instrument.title)
    if stamp is not None:
        canvas.setKeywords(f"{STAMP_PREFIX}{stamp}")
    page = _Page(canvas)
    page.y -= 17
    page.text(page.x, "Resultados de la autoevaluación", BOLD, 17, BRAND)
    page.y -= 11
    page.text(page.x, instrument.title, FONT, 7.5, GREY)
    page.y -= 4 * mm
    missing: set[str] = set()
    _who(page, client, when, missing)
    _global(page, score)
    if past:
        _evolution(page, score, past)
    if benchmark is not None:
        page.y -= 1.5 * mm
        lead = "Frente a otros MSP: "
        offset = pdfmetrics.stringWidth(lead, BOLD, 8)
        lines = _wrapped(benchmark.sentence, PAGE_WIDTH - offset, FONT, 8)
        page.y -= 8 * LEADING
        page.text(page.x, lead, BOLD, 8, BRAND)
        page.text(page.x + offset, lines[0], FONT, 8)
        page.lines(page.x + offset, lines[1:], FONT, 8)
    page.heading("Resultados por área")
    _areas(page, instrument, score, benchmark if isinstance(benchmark, Benchmark) else None)
    page.y -= 2 * mm
    _radar(page, instrument, score)
    page.heading("Consejos para avanzar")
    page.y += 2 * mm
    page.lines(page.x, _wrapped(instrument.tips_intro, PAGE_WIDTH, FONT, 8.5), FONT, 8.5)
    page.y -= 2 * mm
    _tips(page, instrument, score, answers)
    page.y -= 3 * mm
    how = "Cómo se ha calculado. "
    page.y -= 7.5 * LEADING
    page.text(page.x, how, BOLD, 7.5, GREY)
    rest = f"En este libro: {computation(score)}"
    offset = pdfmetrics.stringWidth(how, BOLD, 7.5)
    page.text(page.x + offset, rest, FONT, 7.5, GREY)
    if missing:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(missing))
        note = (
            f"Nota: «{REPLACEMENT}» sustituye a caracteres de los datos del cliente que este "
            f"informe no puede mostrar ({codes})."
        )
        page.y -= 2 * mm
        page.lines(page.x, _wrapped(note, PAGE_WIDTH, FONT, 7.5), FONT, 7.5, GREY)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def outcome_report(instrument: Instrument, outcome: FileOutcome, stamp: str) -> bytes:
    """The report of a scored ``outcome``: its score, client, date, earlier rounds, standing
    among its peers and short plan, as the results copy has them."""
    assert outcome.score is not None
    return results_pdf(
        instrument,
        outcome.score,
        outcome.client,
        outcome.date,
        outcome.previous,
        stamp=stamp,
        benchmark=outcome.benchmark,
        answers=outcome.answers,
    )


def _who(page: _Page, client: Client, when: str | None, missing: set[str]) -> None:
    rows = [
        ("Empresa", client.company),
        ("Contacto", client.contact),
        ("Fecha de las respuestas", date_text(when)),
    ]
    for label, value in rows:
        page.y -= 8 * LEADING + 1
        page.text(page.x, label, BOLD, 8, BRAND)
        # A long name wraps within the page (at most two lines, the rest cut with «…»).
        lines = _wrapped(drawable(value or "—", missing), PAGE_WIDTH - 45 * mm, FONT, 8.5)
        if len(lines) > 2:
            lines = (lines[0], lines[1].rstrip() + "…")
        page.text(page.x + 45 * mm, lines[0], FONT, 8.5)
        for more in lines[1:]:
            page.y -= 8.5 * LEADING
            page.text(page.x + 45 * mm, more, FONT, 8.5)
    page.y -= 2.5
    page.c.setStrokeColor(GRID)
    page.c.setLineWidth(0.5)
    page.c.line(page.x, page.y, page.x + PAGE_WIDTH, page.y)
    page.y -= 4 * mm


def _global(page: _Page, score: Score) -> None:
    left, height = 58 * mm, 28 * mm
    top = page.y
    c = page.c
    c.setFillColor(stage_color(score.stage.id))
    c.rect(page.x, top - height, left, height, stroke=0, fill=1)
    c.setStrokeColor(BRAND)
    c.setLineWidth(0.75)
    c.rect(page.x, top - height, PAGE_WIDTH, height, stroke=1, fill=0)
    centre = page.x + left / 2
    page.text(centre, "Puntuación global", FONT, 8.5, anchor="middle", y=top - 6 * mm)
    page.text(centre, format_es(score.average, 2), BOLD, 26, anchor="middle", y=top - 16 * mm)
    page.text(centre, f"Etapa {score.stage.name}", BOLD, 15, anchor="middle", y=top - 24 * mm)
    text_x = page.x + left + 3 * mm
    width = PAGE_WIDTH - left - 6 * mm
    lines = _wrapped(score.stage.characteristics, width, FONT, 8.5)
    block = (8 + len(lines) * 8.5) * LEADING + 1.5 * mm
    page.y = top - (height - block) / 2
    page.lines(text_x, ("Características de la etapa",), BOLD, 8)
    page.y -= 1.5 * mm
    page.lines(text_x, lines, FONT, 8.5)
    page.y = top - height


def _evolution(page: _Page, score: Score, past: tuple[PastResult, ...]) -> None:
    """One line: the global average in each earlier round and now, the change and the stages."""
    # In words, not arrows: the embedded font has no «→».
    rounds = ", ".join(f"{format_es(p.score.average, 2)} {p.when}" for p in past[-3:])
    moved = change(score, past[-1])
    now = f"ahora {format_es(score.average, 2)} ({signed_es(moved.average)})"
    text = f"{rounds}; {now}, {moved.stage_words()}."
    page.y -= 5 * mm
    page.text(page.x, "Evolución: ", BOLD, 8.5, BRAND)
    page.text(page.x + pdfmetrics.stringWidth("Evolución: ", BOLD, 8.5), text, FONT, 8.5)


def _areas(page: _Page, instrument: Instrument, score: Score, benchmark: Benchmark | None) -> None:
    """The area table; with ``benchmark``, each area's percentile and a bar on the 1–5 scale:
    the reference's P25–P75 as a band, its median as a stroke, the client's average as a dot."""
    heads: list[tuple[str, ...]]
    if benchmark is None:
        widths = [PAGE_WIDTH - 88 * mm, 30 * mm, 28 * mm, 30 * mm]
        heads = [("Área",), ("Total de puntos",), ("Media",), ("Etapa",)]
    else:
        widths = [PAGE_WIDTH - 122 * mm, 18 * mm, 16 * mm, 22 * mm, 22 * mm, 44 * mm]
        heads = [("Área",), ("Puntos",), ("Media",), ("Etapa",), ("Percentil",), (BAR_HEADER,)]
    rows: list[list[tuple[str, ...]]] = [heads]
    fills = {}
    for r, area_score in enumerate(score.areas, start=1):
        row = [
            _wrapped(area_score.area.name, widths[0] - 2 * PAD),
            (str(area_score.total),),
            (format_es(area_score.average, 2),),
            (area_score.stage.name,),
        ]
        if benchmark is not None:
            row += [(str(benchmark.areas[r - 1].position.percentile),), ("",)]
        rows.append(row)
        fills[(r, 2)] = fills[(r, 3)] = stage_color(area_score.stage.id)
    centred = {1, 2, 3, 4} if benchmark is not None else {1, 2, 3}
    drawn = page.table(widths, rows, fills, centred=centred, bold={3})
    if benchmark is None:
        return
    left = page.x + sum(widths[:-1]) + PAD
    span = widths[-1] - 2 * PAD
    low, high = instrument.min_value, instrument.max_value

    def at(value: Fraction) -> float:
        return left + span * float(value - low) / (high - low)

    c = page.c
    for (top, height), found in zip(drawn[1:], benchmark.areas, strict=True):
        mid = top - height / 2
        c.setStrokeColor(GRID)
        c.setLineWidth(0.5)
        c.line(left, mid, left + span, mid)
        for tick in range(low, high + 1):
            c.line(at(Fraction(tick)), mid - 1.2, at(Fraction(tick)), mid + 1.2)
        c.setFillColor(BAND)
        c.rect(
            at(found.band.p25),
            mid - 2.2,
            max(at(found.band.p75) - at(found.band.p25), 0.8),
            4.4,
            stroke=0,
            fill=1,
        )
        c.setStrokeColor(GREY)
        c.setLineWidth(1.2)
        c.line(at(found.band.median), mid - 3, at(found.band.median), mid + 3)
        c.setFillColor(SERIES)
        c.circle(at(found.value), mid, 2.1, stroke=0, fill=1)
    page.y -= 7.5 * LEADING
    legend = (
        "Barra (escala 1–5): franja, del percentil 25 al 75 de la referencia; trazo, su mediana; "
        "punto, la media de su empresa."
    )
    page.text(page.x, legend, FONT, 7, GREY)


def _radar(page: _Page, instrument: Instrument, score: Score) -> None:
    """The area averages on a radar fixed at 1–5 (1 at the centre), as on the Resultados sheet,
    drawn below ``page.y``."""
    c = page.c
    height = RADAR_SIZE + 7 * mm
    top = page.y
    cx, cy = MARGIN_X + PAGE_WIDTH / 2, top - height + RADAR_SIZE / 2 + 3 * mm
    radius = RADAR_SIZE / 2 - 4 * mm
    low, high = instrument.min_value, instrument.max_value
    n = len(score.areas)

    def point(i: int, value: float) -> tuple[float, float]:
        angle = math.pi / 2 - 2 * math.pi * i / n
        r = radius * (value - low) / (high - low)
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    def polygon(points: list[tuple[float, float]], *, fill: bool) -> None:
        path = c.beginPath()
        path.moveTo(*points[0])
        for x, y in points[1:]:
            path.lineTo(x, y)
        path.close()
        c.drawPath(path, stroke=1, fill=int(fill))

    c.setStrokeColor(GRID)
    c.setLineWidth(0.5)
    for level in range(low, high + 1):
        polygon([point(i, level) for i in range(n)], fill=False)
        if level > low:
            x, y = point(0, level)
            page.text(x + 1.5, str(level), FONT, 6, y=y - 2.5)
    for i, area_score in enumerate(score.areas):
        x, y = point(i, high)
        c.setStrokeColor(GRID)
        c.line(cx, cy, x, y)
        dy = 4 if y > cy + 1 else (-9 if y < cy - 1 else -2.5)
        name = area_score.area.name
        if abs(x - cx) < 1:
            page.text(x, name, FONT, 7, anchor="middle", y=y + dy)
        elif x > cx:
            page.text(x + 3, name, FONT, 7, y=y + dy)
        else:
            page.text(x - 3, name, FONT, 7, anchor="end", y=y + dy)
    c.saveState()
    c.setStrokeColor(SERIES)
    c.setFillColor(SERIES)
    c.setFillAlpha(0.18)
    c.setLineWidth(2)
    polygon([point(i, float(a.average)) for i, a in enumerate(score.areas)], fill=True)
    c.restoreState()
    page.text(cx, CHART_TITLE, BOLD, 8, BRAND, "middle", top - 7)
    page.y = top - height


def _tips(
    page: _Page, instrument: Instrument, score: Score, answers: Mapping[str, int] | None
) -> None:
    """The document's tip for each area at its stage; with the answers, the short plan: the
    points each area needs for its next stage (the workbook's Plan de acción has the rest)."""
    plan = answers is not None
    widths = [
        40 * mm,
        24 * mm,
        PAGE_WIDTH - (94 if plan else 64) * mm,
        *([30 * mm] if plan else []),
    ]
    heads = [("Área",), ("Etapa del área",), ("Consejo",)]
    rows: list[list[tuple[str, ...]]] = [[*heads, *([("Siguiente etapa",)] if plan else [])]]
    fills = {}
    for r, area_score in enumerate(score.areas, start=1):
        tip = instrument.tip(area_score.area, area_score.stage)
        row = [
            _wrapped(area_score.area.name, widths[0] - 2 * PAD),
            (area_score.stage.name,),
            _wrapped(tip, widths[2] - 2 * PAD),
        ]
        if answers is not None:
            step = area_next_stage(instrument, area_score, answers)
            needed = (
                "la más alta"
                if step.stage is None
                else f"{count(step.points, 'punto más', 'puntos más')} para {step.stage.name}"
            )
            row.append(_wrapped(needed, widths[3] - 2 * PAD))
        rows.append(row)
        fills[(r, 1)] = stage_color(area_score.stage.id)
    page.table(widths, rows, fills, centred={1, 3} if plan else {1}, bold={1})
