"""The public corpus of real spreadsheets in ../shared/producers (saved by Google Sheets,
Numbers, WPS, Excel in every flavour, LibreOffice, Gnumeric and more) and the verdict each gets.

The files are read where they are, never copied into the repository; tests/data/producers.csv
keeps the expected verdict of each (scripts/corpus_table.py writes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "producers"
TABLE = Path(__file__).resolve().parents[1] / "data" / "producers.csv"


def verdicts(files: Sequence[Path], out: Path, jobs: int = 2) -> dict[Path, str]:
    """What ``process`` makes of each file, as a verdict class: «scored», or the status and the
    first problem's code («invalid:not_assessment», «unreadable:file_encrypted»)."""
    report = run(list(files), RunOptions(output_dir=out, jobs=jobs))
    found = {}
    for outcome in report.files:
        codes = [str(p.code) for p in outcome.problems]
        found[Path(outcome.path)] = ":".join([outcome.status.value, *codes[:1]])
    return found
