"""Text for comparing and for people: folding, cell text, dates, Spanish numbers and plurals.

A leaf: it imports nothing of the package, so every room can use it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # a plausible address, not RFC 5322
MAX_CELL_TEXT = 32_767  # Excel's limit for the text of one cell
# What XML 1.0 cannot hold (the same class openpyxl refuses in a cell).
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# What a terminal, a CSV or a PDF would act on or show as a box: C0 and C1 controls (ESC starts
# terminal sequences, BEL ends them), DEL, and the marks that reverse the direction of text.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_KEPT_IN_OUTPUT = frozenset("\n\t")
MONTHS = (
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
)


@lru_cache(maxsize=8192)  # the questionnaire's own texts are folded for every workbook
def fold(text: str) -> str:
    """Compare-friendly text: no accents, case-folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def normalize_text(text: str) -> str:
    """Canonical form of a statement text: NFC, single spaces, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def clean_text(value: str) -> str:
    """``value`` without the characters XML cannot hold, cut to a cell's 32 767 characters."""
    return _ILLEGAL_CHARACTERS.sub("", value)[:MAX_CELL_TEXT]


def xml_escape(text: str, entities: dict[str, str] | None = None) -> str:
    """``text`` with «&», «<» and «>» (and ``entities``) escaped for XML: what
    ``xml.sax.saxutils.escape`` gives, without importing it (it imports urllib, http and ssl,
    a tenth of a one-file run's start-up)."""
    text = text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    for key, value in (entities or {}).items():
        text = text.replace(key, value)
    return text


def xml_attribute(text: str) -> str:
    """``text`` as a quoted XML attribute value: what ``xml.sax.saxutils.quoteattr`` gives."""
    text = xml_escape(text, {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
    if '"' not in text:
        return f'"{text}"'
    if "'" not in text:
        return f"'{text}'"
    return '"{}"'.format(text.replace('"', "&quot;"))


def without_controls(text: str) -> str:
    """``text`` without control characters (see ``_CONTROLS``); tabs and line breaks become
    spaces."""
    return _CONTROLS.sub(lambda m: " " if m[0] in "\t\n\r" else "", text)


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a control character (see ``_CONTROLS``)."""
    return _CONTROLS.search(text) is not None


def printable(text: str) -> str:
    """``text`` as it may reach a terminal: every control character but line breaks and tabs
    shown escaped («\\x1b»), so a file name or a value cannot move the cursor, erase lines or
    write to the clipboard."""
    return _CONTROLS.sub(
        lambda m: (
            m[0]
            if m[0] in _KEPT_IN_OUTPUT
            else f"\\x{ord(m[0]):02x}"
            if ord(m[0]) < 0x100
            else f"\\u{ord(m[0]):04x}"
        ),
        text,
    )


def cell_text(value: object) -> str | None:
    """A cell value as one line of text: dates as ISO, 3.0 as "3", blanks as None, control
    characters left out."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = " ".join(without_controls(str(value)).split())
    return text or None


def parse_date(text: str | None) -> date | None:
    """The workbook's Fecha as a date: ISO (from a date cell) or typed as DD/MM/YYYY or D-M-YY."""
    if not text:
        return None
    iso = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    typed = re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$", text.strip())
    try:
        if iso:
            return date(int(iso[1]), int(iso[2]), int(iso[3]))
        if typed:
            year = int(typed[3]) + (2000 if len(typed[3]) == 2 else 0)
            return date(year, int(typed[2]), int(typed[1]))
    except ValueError:
        return None
    return None


def day_label(day: date | None) -> str:
    """A date for people, DD/MM/AAAA; «sin fecha» when there is none."""
    return day.strftime("%d/%m/%Y") if day else "sin fecha"


def date_text(text: str | None) -> str | None:
    """A workbook's Fecha for people: DD/MM/AAAA however it was stored or typed; as typed when
    it is no date."""
    day = parse_date(text)
    return day_label(day) if day else text


def spanish_date(day: date) -> str:
    """«5 de diciembre de 2026», as a letter writes it."""
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


def to_decimal(value: Fraction) -> Decimal:
    """The exact decimal of a fraction whose denominator has only the factors 2 and 5."""
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    if Fraction(exact) != value:
        raise ValueError(f"{value} has no exact decimal form")
    return exact


@lru_cache(maxsize=4096, typed=True)  # the same few averages (fifths, twentieths) on every page
def format_es(value: Fraction, min_places: int = 1) -> str:
    """Spanish decimal text as in the document: 4,6 · 3,55 · 4,0."""
    text = format(to_decimal(value).normalize(), "f")
    whole, _, places = text.partition(".")
    places = places.ljust(min_places, "0")
    return f"{whole},{places}" if places else whole


def signed_es(value: Fraction) -> str:
    """+0,40 · -0,20 · 0,00: a change with its sign, two decimals and a decimal comma.

    A client's changes are exact in two decimals (averages of fifths); a portfolio mean may not
    be (2/3), and is shown rounded half up, the comparison itself staying exact.
    """
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    if cents == 0:
        return "0,00"
    return ("+" if value > 0 else "-") + f"{cents // 100},{cents % 100:02d}"


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and its noun, singular only for one (Spanish says «0 libros»). ``plural`` defaults
    to the singular plus «s»; give it for any other form («borradores», «libros sin cliente»)."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character (file names are
    limited in bytes: 255 on Linux and macOS)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore").rstrip(" .-_") or text[:1]


def distinct_names(names: Sequence[str]) -> list[str]:
    """Each name made distinct from the ones before it, case aside (as file systems on Windows
    and macOS compare names): «acme», «acme-2», «acme-3»."""
    taken: set[str] = set()
    chosen = []
    for name in names:
        n = 1
        while (name if n == 1 else f"{name}-{n}").casefold() in taken:
            n += 1
        unique = name if n == 1 else f"{name}-{n}"
        taken.add(unique.casefold())
        chosen.append(unique)
    return chosen
