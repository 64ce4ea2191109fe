"""Turn whatever a client typed into an answer cell into a 1-5 integer, or say why not."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from msp_assessment.instrument import Instrument
from msp_assessment.processing.problems import Code, shorten


@dataclass(frozen=True)
class Rejected:
    """Why a raw value is not an answer: a problem code and what to quote in the message."""

    code: Code
    found: str
    number: int | None = None
    label: str | None = None


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # a plausible address, not RFC 5322
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_NUMBER_AND_LABEL = re.compile(r"^(\d+)\s*[-–—:.)=]\s*(.+)$")


@lru_cache(maxsize=8192)  # the questionnaire's own texts are folded for every workbook
def fold(text: str) -> str:
    """Compare-friendly text: no accents, case-folded, single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def normalize_text(text: str) -> str:
    """Canonical form of a statement text: NFC, single spaces, trimmed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def parse_answer(value: object, instrument: Instrument) -> int | Rejected | None:
    """``None`` for an empty cell, the answer, or why the value is rejected."""
    if value is None:
        return None
    if isinstance(value, (bool, datetime, date, time)):
        return Rejected(Code.ANSWER_UNREADABLE, shorten(value))
    if isinstance(value, int):
        return _in_scale(value, str(value), instrument)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return Rejected(Code.ANSWER_UNREADABLE, str(value))
        if value.is_integer():
            return _in_scale(int(value), _spanish_number(value), instrument)
        return Rejected(Code.ANSWER_NOT_INTEGER, _spanish_number(value))
    if not isinstance(value, str):
        return Rejected(Code.ANSWER_UNREADABLE, shorten(value))
    text = " ".join(value.split())
    if not text:
        return None
    if _NUMBER.match(text):
        number = float(text.replace(",", "."))
        if number.is_integer():
            return _in_scale(int(number), text, instrument)
        return Rejected(Code.ANSWER_NOT_INTEGER, text)
    labels = {fold(level.label): level.value for level in instrument.scale}
    if fold(text) in labels:
        return labels[fold(text)]
    match = _NUMBER_AND_LABEL.match(text)
    if match:
        number, label = int(match.group(1)), fold(match.group(2))
        if label in labels:
            if labels[label] == number:
                return number
            return Rejected(Code.ANSWER_AMBIGUOUS, shorten(text), number, match.group(2).strip())
    return Rejected(Code.ANSWER_UNREADABLE, shorten(text))


def _in_scale(number: int, found: str, instrument: Instrument) -> int | Rejected:
    if instrument.min_value <= number <= instrument.max_value:
        return number
    return Rejected(Code.ANSWER_OUT_OF_RANGE, found)


def _spanish_number(value: float) -> str:
    text = f"{value:.10g}"
    return text.replace(".", ",")


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


def cell_text(value: object) -> str | None:
    """A cell value as one line of text: dates as ISO, 3.0 as "3", blanks as None."""
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
    text = " ".join(str(value).split())
    return text or None
