"""Every file of the public corpus (../shared/producers: 465 real spreadsheets saved by 15+
programs) gets its verdict from the table tests/data/producers.csv: scored, to review or
unreadable with a message that is true; never an internal error, a traceback or a hang."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest

from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from tests.support.corpus import CORPUS, TABLE, verdicts
from tests.support.programs import skip_unless_ci

with TABLE.open(encoding="utf-8") as _fh:
    EXPECTED = {row["path"]: row["verdict"] for row in csv.DictReader(_fh, delimiter=";")}
SOURCES = sorted({path.split("/")[0] for path in EXPECTED})  # one repository's test files each


def test_table__covers_the_whole_corpus() -> None:
    if not CORPUS.is_dir():
        skip_unless_ci(f"el corpus compartido no está en {CORPUS}")
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("*") if p.is_file()}
    assert on_disk == set(EXPECTED)
    assert len(EXPECTED) == 465


@pytest.mark.parametrize("source", SOURCES)
def test_corpus__each_file__the_verdict_of_the_table(source: str, tmp_path: Path) -> None:
    if not CORPUS.is_dir():
        skip_unless_ci(f"el corpus compartido no está en {CORPUS}")
    files = sorted(CORPUS / p for p in EXPECTED if p.split("/")[0] == source)
    found = verdicts(files, tmp_path / "out", jobs=1)
    got = {str(p.relative_to(CORPUS)): v for p, v in found.items()}
    wrong = {p: (EXPECTED[p], v) for p, v in got.items() if EXPECTED[p] != v}
    assert not wrong, "\n".join(f"{p}: esperado {e}, obtenido {v}" for p, (e, v) in wrong.items())
    assert not [v for v in got.values() if "internal_error" in v]
    # Every copy written is a package that opens.
    for copy in (tmp_path / "out").glob("*-revisar.xlsx"):
        with zipfile.ZipFile(copy) as package:
            assert package.testzip() is None


def test_excel_xlsb_that_calamine_cannot_read__client_asked_for_a_xlsx() -> None:
    """python-calamine 0.9.1, the newest, still fails on some .xlsb files Excel writes."""
    path = CORPUS / "nacnudus+tidyxl/inst/extdata/examples.xlsb"
    if not path.is_file():
        skip_unless_ci(f"el corpus compartido no está en {CORPUS}")
    (outcome,) = run([path], RunOptions(jobs=1)).files
    (problem,) = outcome.problems
    assert problem.code == "file_format_unreadable"
    assert "libro .xlsb" in problem.message and "«Libro de Excel (.xlsx)»" in problem.message
    assert "dañado" not in problem.message
