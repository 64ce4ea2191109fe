"""Mutated workbooks (flipped bytes, truncation, missing or doubled parts, broken XML): every one
ends as a clean outcome, and none needs the batch's last-resort error handler."""

from __future__ import annotations

import os
import random
import warnings
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from msp_assessment.problems import Code
from msp_assessment.processing.run.pipeline import RunOptions, run
from msp_assessment.workbook_templates import contract
from tests.hostile import valid

CASES = int(os.environ.get("MSP_FUZZ_CASES", "120"))


def flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, len(data))]


def rezip(data: bytes, rng: random.Random, mode: str, tmp: Path) -> bytes:
    source = tmp / "fuente.zip"
    source.write_bytes(data)
    with zipfile.ZipFile(source) as zin:
        parts = [(n, zin.read(n)) for n in zin.namelist()]
    target = tmp / "mutado.zip"
    victim = rng.randrange(len(parts))
    with warnings.catch_warnings(), zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicated names on purpose
        for index, (name, content) in enumerate(parts):
            if index == victim and mode == "delete":
                continue
            if index == victim and mode == "xml":
                cut = rng.randrange(len(content) + 1)
                junk = rng.choice([b"<", b"&", b"]]>", b"\x00", b"<x>", "ñ".encode("latin-1")])
                content = content[:cut] + junk + content[cut:]
            zout.writestr(name, content)
            if index == victim and mode == "duplicate":
                zout.writestr(name, content[: len(content) // 2])
    return target.read_bytes()


@pytest.fixture(scope="module")
def mutants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("fuzz")
    original = valid(work / "original.xlsx").read_bytes()
    folder = work / "mutantes"
    folder.mkdir()
    rng = random.Random(20261127)
    for case in range(CASES):
        mode, data = mutant(original, case, rng, work)
        (folder / f"{case:03d}-{mode}.xlsx").write_bytes(data)
    return folder


def mutant(original: bytes, case: int, rng: random.Random, work: Path) -> tuple[str, bytes]:
    """The ``case``-th mutant of ``original`` (the five kinds in turn) and its kind."""
    mode = ["flip", "truncate", "delete", "duplicate", "xml"][case % 5]
    if mode == "flip":
        return mode, flip(original, rng)
    if mode == "truncate":
        return mode, truncate(original, rng)
    return mode, rezip(original, rng, mode, work)


def test_fuzz__every_mutant__clean_status_never_an_internal_error(
    mutants: Path, tmp_path: Path
) -> None:
    report = run([mutants], RunOptions(output_dir=tmp_path / "out"))
    assert len(report.files) == CASES
    for outcome in report.files:
        assert outcome.status.value in ("scored", "invalid", "unreadable")
        assert all(prob.code != Code.INTERNAL_ERROR for prob in outcome.problems), outcome.path
        assert outcome.status.value == "scored" or outcome.problems, outcome.path
    statuses = {o.status.value for o in report.files}
    assert statuses >= {"unreadable", "scored"}  # the mutations reach both ends
    # Whatever came in, every workbook we wrote is a sound package that opens again, with our
    # sheet first.
    written = [o.output for o in report.files if o.output]
    assert written
    for output in written:
        wb = load_workbook(output)
        assert wb.sheetnames[0] in (contract.RESULTS_SHEET, contract.REVIEW_SHEET), output
