"""A batch of good workbooks with one of each file that used to stop, hang or exhaust a batch:
how long it takes and how much memory the whole process tree holds at its peak.

    python benchmarks/hostile.py            # 200 good workbooks and the hostile files
    python benchmarks/hostile.py 1000

The hostile files: two .ods bombs (two thousand million spaces; ten sheets of ten million cells),
the public .xls files that once asked for 24 GB (ExcelDataReader's issues 382 and 467, from
../shared/producers when it is there), an .xls LibreOffice saved, cut at 19 of its 217 points, a
file name of 251 bytes, and a damaged .xlsb. Each runs with --jobs 1 and --jobs 2. Peak memory
is sampled every 20 ms from /proc: RSS summed over the tree (shared pages counted in every
process that maps them) and PSS (shared pages split: what the tree really holds). Numbers, not a
pass/fail; the goal is a summary every time, every good file scored, and under 1 GB.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import Sampled, sampled  # benchmarks/bench.py, beside this script

from msp_assessment.client import Client
from msp_assessment.examples import write_filled

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "producers"
PUBLIC = [
    "ExcelDataReader+ExcelDataReader/src/TestData/Test_git_issue_382_oom.xls",
    "ExcelDataReader+ExcelDataReader/src/TestData/Test_git_issue_467_empty_continue_leftoverbytes.xls",
    "tafia+calamine/tests/issue_666_panic.xlsb",
]
GRID = {(a, n): (a + n) % 5 + 1 for a in range(1, 5) for n in range(1, 6)}


def build(folder: Path, good: int) -> None:
    from tests.support.hostile import ods_repeat_bomb, ods_spaces_bomb
    from tests.support.programs import soffice_convert

    folder.mkdir(parents=True)
    first = write_filled(folder / "bueno-0000.xlsx", GRID, client=Client("B-0", "Bueno 0"))
    for i in range(1, good):
        shutil.copy(first, folder / f"bueno-{i:04d}.xlsx")
    ods_spaces_bomb(folder)
    ods_repeat_bomb(folder)
    for name in PUBLIC:
        if (CORPUS / name).exists():
            shutil.copy(CORPUS / name, folder / Path(name).name)
    shutil.copy(first, folder / ("respuesta-" + "ñ" * 118 + ".xlsx"))
    if shutil.which("soffice"):
        xls = soffice_convert(first, "xls", folder.parent / "lo").read_bytes()
        (folder / "recortado.xls").write_bytes(xls[: len(xls) * 19 // 217])


def measure(folder: Path, out: Path, jobs: int) -> tuple[Sampled, dict[str, int]]:
    args = [
        sys.executable,
        "-m",
        "msp_assessment",
        "process",
        str(folder),
        "-o",
        str(out),
        "--json",
        "--jobs",
        str(jobs),
    ]
    done = sampled(args)
    assert (out / "resumen.xlsx").exists(), "no summary"
    return done, json.loads(done.stdout)["counts"]


def main() -> None:
    good = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    work = Path(tempfile.mkdtemp(prefix="msp-hostil-"))
    folder = work / "recibidos"
    build(folder, good)
    print(f"{good} good workbooks and {len(list(folder.iterdir())) - good} hostile files")
    print("| jobs | seconds | peak RSS (sum) | peak PSS | counts |")
    print("|---:|---:|---:|---:|---|")
    for jobs in (1, 2):
        out = work / f"out-{jobs}"
        done, counts = measure(folder, out, jobs)
        print(
            f"| {jobs} | {done.seconds:.1f} | {done.rss_mb:.0f} MB | {done.pss_mb:.0f} MB | "
            f"{counts} |"
        )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
