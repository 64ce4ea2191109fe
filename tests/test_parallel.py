"""--jobs changes how fast, never what: same report bytes, same outputs, same summary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.examples import write_examples
from tests.support.hostile import build_battery


def sheet_values(path: Path) -> dict[str, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_jobs__one_or_many__identical_json_outputs_and_summary(tmp_path: Path) -> None:
    inbox = tmp_path / "recibidos"
    write_examples(inbox / "ejemplos")
    build_battery(inbox / "hostiles")
    out = tmp_path / "out"
    runs = {}
    for jobs in ("1", "3"):
        if out.exists():
            shutil.rmtree(out)
        args = ["process", str(inbox), "-o", str(out), "--recursive", "--json", "--jobs", jobs]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 1, result.output
        outputs = {p.name: sheet_values(p) for p in sorted(out.glob("*.xlsx"))}
        runs[jobs] = (result.stdout, outputs)
    assert runs["1"][0] == runs["3"][0]  # byte for byte
    assert runs["1"][1] == runs["3"][1]
    # One copy per workbook with an output (a corrected workbook's -revisar copy is removed), and
    # the summary.
    written = [f["output"] for f in json.loads(runs["1"][0])["files"] if f["output"]]
    assert len(written) == 15
    assert sorted(runs["1"][1]) == sorted([Path(w).name for w in written] + ["resumen.xlsx"])
