"""What people type into an answer cell, normalized once."""

from __future__ import annotations

from datetime import datetime

import pytest

from msp_assessment.instrument import Instrument
from msp_assessment.problems import Code
from msp_assessment.processing.returns.values import Rejected, parse_answer


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (4, 4),
        (4.0, 4),
        ("4", 4),
        (" 4 ", 4),
        ("4,0", 4),
        ("4 - De acuerdo", 4),
        ("5: completamente DE ACUERDO", 5),
        ("De acuerdo", 4),
        ("ni de acuerdo ni en desacuerdo", 3),
        ("Completamente en desacuerdo", 1),
        (1, 1),
        (5, 5),
    ],
)
def test_parse_answer__accepted_forms__give_the_value(
    raw: object, expected: int, instrument: Instrument
) -> None:
    assert parse_answer(raw, instrument) == expected


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_parse_answer__empty__is_missing(raw: object, instrument: Instrument) -> None:
    assert parse_answer(raw, instrument) is None


@pytest.mark.parametrize(
    ("raw", "code", "found"),
    [
        (0, Code.ANSWER_OUT_OF_RANGE, "0"),
        (6, Code.ANSWER_OUT_OF_RANGE, "6"),
        ("7", Code.ANSWER_OUT_OF_RANGE, "7"),
        (2.5, Code.ANSWER_NOT_INTEGER, "2,5"),
        ("3,5", Code.ANSWER_NOT_INTEGER, "3,5"),
        ("sí", Code.ANSWER_UNREADABLE, "sí"),
        (True, Code.ANSWER_UNREADABLE, "True"),
        (datetime(2026, 1, 4), Code.ANSWER_UNREADABLE, "2026-01-04 00:00:00"),
        ("4 - En desacuerdo", Code.ANSWER_AMBIGUOUS, "4 - En desacuerdo"),
    ],
)
def test_parse_answer__bad_values__rejected_with_code_and_what_was_found(
    raw: object, code: str, found: str, instrument: Instrument
) -> None:
    result = parse_answer(raw, instrument)
    assert isinstance(result, Rejected)
    assert (result.code, result.found) == (code, found)
