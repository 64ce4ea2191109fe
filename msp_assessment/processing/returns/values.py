"""Turn whatever a client typed into an answer cell into a 1-5 integer, or say why not."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from msp_assessment.instrument import Instrument
from msp_assessment.problems import Code, shorten
from msp_assessment.text import fold


@dataclass(frozen=True)
class Rejected:
    """Why a raw value is not an answer: a problem code and what to quote in the message."""

    code: Code
    found: str
    number: int | None = None
    label: str | None = None


_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
_NUMBER_AND_LABEL = re.compile(r"^(\d+)\s*[-–—:.)=]\s*(.+)$")


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
