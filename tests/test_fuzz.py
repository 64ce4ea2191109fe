"""Mutated workbooks (flipped bytes, truncation, missing or doubled parts, broken XML): every one
ends as a clean outcome, and none needs the batch's last-resort error handler."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from openpyxl import load_workbook

from msp_assessment.outcome import Report
from msp_assessment.problems import Code
from msp_assessment.processing.returns.intake import Limits
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from msp_assessment.workbook_templates import contract
from tests.support.corpus import CORPUS
from tests.support.hostile import flip, mutant, truncate, valid
from tests.support.programs import require_libreoffice, skip_unless_ci, soffice_convert

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


def assert_each_clean(report: Report) -> None:
    """Every file a clean outcome: never the last-resort handler, a problem unless scored."""
    for outcome in report.files:
        assert outcome.status.value in ("scored", "invalid", "unreadable")
        assert all(prob.code != Code.INTERNAL_ERROR for prob in outcome.problems), outcome.path
        assert outcome.status.value == "scored" or outcome.problems, outcome.path


def test_fuzz__every_mutant__clean_status_never_an_internal_error(
    mutants: Path, tmp_path: Path
) -> None:
    report = run([mutants], RunOptions(output_dir=tmp_path / "out"))
    assert len(report.files) == CASES
    assert_each_clean(report)
    statuses = {o.status.value for o in report.files}
    assert statuses >= {"unreadable", "scored"}  # the mutations reach both ends
    # Whatever came in, every workbook we wrote is a sound package that opens again, with our
    # sheet first.
    written = [o.output for o in report.files if o.output]
    assert written
    for output in written:
        wb = load_workbook(output)
        assert wb.sheetnames[0] in (contract.RESULTS_SHEET, contract.REVIEW_SHEET), output


OTHER_CASES = int(os.environ.get("MSP_FUZZ_OTHER_CASES", "40"))  # per format
XLSB_SEED = CORPUS / "tafia+calamine" / "tests" / "any_sheets.xlsb"


@pytest.fixture(scope="module")
def other_mutants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Mutants of our workbook saved by LibreOffice as .ods and .xls, and of a public .xlsb."""
    require_libreoffice()
    work = tmp_path_factory.mktemp("fuzz-otros")
    source = valid(work / "original.xlsx")
    seeds = [soffice_convert(source, kind, work / "lo") for kind in ("ods", "xls")]
    if XLSB_SEED.exists():
        seeds.append(XLSB_SEED)
    else:
        skip_unless_ci(f"falta el corpus público en {CORPUS}")
    folder = work / "mutantes"
    folder.mkdir()
    rng = random.Random(20261201)
    for seed in seeds:
        original = seed.read_bytes()
        for case in range(OTHER_CASES):
            if seed.suffix == ".xls":  # not a ZIP: bytes flipped or cut
                mode = "flip" if case % 2 else "truncate"
                data = flip(original, rng) if mode == "flip" else truncate(original, rng)
            else:
                mode, data = mutant(original, case, rng, work)
            (folder / f"{seed.suffix[1:]}-{case:03d}-{mode}{seed.suffix}").write_bytes(data)
    return folder


def test_fuzz__other_format_mutants__each_its_own_outcome_within_the_reader_limits(
    other_mutants: Path, tmp_path: Path
) -> None:
    limits = Limits(reader_seconds=20, reader_memory_bytes=256 * 1024 * 1024)
    report = run([other_mutants], RunOptions(output_dir=tmp_path / "out", limits=limits, jobs=2))
    files = sorted(other_mutants.iterdir())
    assert [o.path for o in report.files] == [str(f) for f in files]
    assert_each_clean(report)
    kinds = {Path(o.path).suffix for o in report.files if o.status.value == "scored"}
    assert {".ods", ".xls"} <= kinds  # some mutants keep their answers: the readers read them
    assert (tmp_path / "out" / contract.SUMMARY_NAME).exists()
