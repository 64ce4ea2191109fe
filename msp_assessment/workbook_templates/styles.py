"""Colors, fonts and fills shared by every workbook we write (one place for each)."""

from __future__ import annotations

import functools

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

BRAND = "1F4E79"  # dark blue: titles and table headers
BRAND_LIGHT = "DDEBF7"
CHART_SERIES = "2E75B6"  # medium blue: a radar's line (no cell of a results or summary sheet)
EARLIER_SERIES = ("D9D9D9", "BFBFBF", "8FAADC")  # earlier rounds, the oldest lightest


def round_colors(earlier: int) -> list[str]:
    """One colour per round: the ``earlier`` ones light (the oldest lightest), this one strong."""
    light = [EARLIER_SERIES[0]] * max(0, earlier - len(EARLIER_SERIES))
    light += list(EARLIER_SERIES[len(EARLIER_SERIES) - min(earlier, len(EARLIER_SERIES)) :])
    return [*light, CHART_SERIES]


ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: cells the client fills
INPUT_FILL = ANSWER_FILL
MARK_FILL = PatternFill("solid", fgColor="2E75B6")  # chosen agreement level
LEVEL_FONT = Font(color="A6A6A6")
MARK_FONT = Font(color="FFFFFF", bold=True)
PROBLEM_FILL = PatternFill("solid", fgColor="F8CBAD")  # cells to fix on a -revisar copy
HEADER_FILL = PatternFill("solid", fgColor=BRAND)
HEADER_FONT = Font(color="FFFFFF", bold=True)
AREA_FILL = PatternFill("solid", fgColor=BRAND_LIGHT)
AREA_FONT = Font(color=BRAND, bold=True, size=12)
TITLE_FONT = Font(color=BRAND, bold=True, size=16)
BOLD = Font(bold=True)
CODE_FONT = Font(color="7F7F7F", size=8)  # a problem's code, kept small beside its description
WRAP = Alignment(wrap_text=True, vertical="top")
WRAP_CENTER = Alignment(wrap_text=True, vertical="center", horizontal="center")
CENTER = Alignment(horizontal="center", vertical="center")
TOP = Alignment(vertical="top")
TOP_CENTER = Alignment(horizontal="center", vertical="top")
LEFT = Alignment(horizontal="left")  # a date or number beside text, where the text starts
_thin = Side(style="thin", color="BFBFBF")
BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)

# One color per stage, used on every results sheet and in the summary (by stage id).
STAGE_COLORS = {
    "reactivo": "F4B183",
    "estable": "FFE699",
    "proactivo": "A9D18E",
    "escalable": "5B9BD5",
}

# Printing: every sheet we write has these margins (inches) and numbered pages.
PAGE_MARGINS = {"left": 0.5, "right": 0.5, "top": 0.6, "bottom": 0.7, "header": 0.3, "footer": 0.3}
PAGE_FOOTER = "Página &P de &N"

TWO_DECIMALS = "0.00"
DATE_FORMAT = "DD/MM/YYYY"


_STAGE_FILLS = {stage: PatternFill("solid", fgColor=color) for stage, color in STAGE_COLORS.items()}


def stage_fill(stage_id: str) -> PatternFill:
    """The one fill of a stage (a shared object, so stamped styles can key on it)."""
    return _STAGE_FILLS[stage_id]


@functools.lru_cache(maxsize=4096)  # the same texts (tips, traits) in every copy
def row_height(text: str, chars_per_line: float, line_height: float = 15.0) -> float:
    """Height that shows wrapped ``text`` whole; spreadsheets do not grow merged rows themselves."""
    lines = 0
    for paragraph in text.split("\n"):
        lines += max(1, -(-len(paragraph) // max(1, int(chars_per_line))))
    return lines * line_height + 3


UNLOCKED = Protection(locked=False)


def same_color(rgb: object, fill: PatternFill) -> bool:
    """Whether ``rgb`` (as openpyxl reads a colour: "00F8CBAD", "FFF8CBAD", or not a string for
    theme and indexed colours) is the colour of ``fill``, whatever alpha a program wrote."""
    own = fill.fgColor.rgb
    return isinstance(rgb, str) and isinstance(own, str) and rgb[-6:].upper() == own[-6:].upper()
