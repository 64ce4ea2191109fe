"""A reader run apart: whatever it does (panic, abort, eat memory, hang) ends as a value, fast,
and the caller goes on."""

from __future__ import annotations

import os
import time

import pytest

from msp_assessment.processing.returns.apart import Stopped, run_apart

MB = 1024 * 1024


class Panic(BaseException):
    """What a Rust panic is in Python: not an Exception."""


def _panics(_: object) -> None:
    raise Panic("index out of bounds")


def _aborts(_: object) -> None:
    os.abort()  # what a failed Rust allocation does to the process


def _eats_memory(_: object) -> int:
    return len(bytearray(4096 * MB))


def _hangs(_: object) -> None:
    while True:
        time.sleep(1)


def test_run_apart__a_result__comes_back_pickled() -> None:
    assert run_apart(lambda n: {"twice": 2 * n}, 21, memory=64 * MB, seconds=10) == {"twice": 42}


@pytest.mark.parametrize(
    ("func", "why"),
    [
        (_panics, "falló (Panic: index out of bounds)"),
        (_aborts, "se quedó sin memoria"),
        (_eats_memory, "se quedó sin memoria"),
        (_hangs, "no terminó en 1 s"),
    ],
)
def test_run_apart__reader_that_misbehaves__stopped_with_why(func, why: str) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    assert run_apart(func, None, memory=256 * MB, seconds=1) == Stopped(why)
    assert time.monotonic() - started < 10
