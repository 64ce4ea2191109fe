"""Mutated workbooks (flipped bytes, truncation, missing or doubled parts, broken XML): every one
ends as a clean outcome, and none needs the batch's last-resort error handler."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from openpyxl import load_workbook

from msp_assessment.problems import Code
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from msp_assessment.workbook_templates import contract
from tests.support.hostile import mutant, valid

CASES = int(os.environ.get("MSP_FUZZ_CASES", "120"))


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
