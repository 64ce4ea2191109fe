"""--jobs changes how fast, never what: same report bytes, same outputs, same summary."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.examples import write_examples
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome, Status
from msp_assessment.problems import Code, problem
from msp_assessment.processing.run.one_file import stopped_outcome
from msp_assessment.processing.run.parallel import outcomes
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


def _troublesome(path: Path) -> FileOutcome:
    """A worker's work that dies on «muere», hangs on «cuelga», and reads anything else."""
    if path.stem == "muere":
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer does
    if path.stem == "aborta":
        os.abort()  # as a failed allocation in a Rust reader does
    if path.stem == "cuelga":
        time.sleep(60)
    return FileOutcome(str(path), Status.UNREADABLE, problems=(problem(Code.FILE_EMPTY),))


@pytest.mark.parametrize("jobs", [2, 3])
def test_pool__a_dead_or_stuck_worker__that_file_stopped_every_other_done_in_order(
    instrument: Instrument, jobs: int
) -> None:
    names = ["a", "muere", "b", "cuelga", "c", "aborta", "d", "e"]
    files = [Path(f"/nada/{name}.xls") for name in names]
    started = time.monotonic()
    got = list(
        outcomes(
            files,
            _troublesome,
            jobs,
            instrument,
            stopped=partial(stopped_outcome, names={f: f.name for f in files}),
            seconds=2,
        )
    )
    assert time.monotonic() - started < 30  # the stuck one was ended at its deadline
    assert [o.path for o in got] == [str(f) for f in files]
    codes = {Path(o.path).stem: o.problems[0].code for o in got}
    assert {k for k, v in codes.items() if v == Code.FILE_READER_STOPPED} == {
        "muere",
        "cuelga",
        "aborta",
    }
    why = {Path(o.path).stem: o.problems[0].message for o in got}
    assert "no terminó en 2 s" in why["cuelga"] and "sin memoria" in why["muere"]
    assert "guarde como «Libro de Excel (.xlsx)»" in why["aborta"].replace("lo guarde", "guarde")
    assert got[1].relative_name == "muere.xls"


def test_pool__the_parent_killed__no_worker_is_left_behind(tmp_path: Path) -> None:
    """A batch killed with SIGKILL (the out-of-memory killer, kill -9): its workers go with it,
    none waits for ever on its pipe."""
    inbox = tmp_path / "recibidos"
    first = write_examples(inbox / "lote0")
    for i in range(1, 40):  # long enough a batch to be killed in the middle
        shutil.copytree(first[0].parent, inbox / f"lote{i}")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "msp_assessment",
            "process",
            str(inbox),
            "-o",
            str(tmp_path / "o"),
            "--recursive",
            "--jobs",
            "2",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    children: list[str] = []
    deadline = time.monotonic() + 30
    while len(children) < 2 and time.monotonic() < deadline:
        found = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True)
        children = found.stdout.split()
        time.sleep(0.05)
    assert len(children) == 2, "the workers never started"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        alive = [c for c in children if _running(int(c))]
        if not alive:
            break
        time.sleep(0.1)
    assert alive == []


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie has ended (its parent, gone, cannot reap it)


def test_kept__outcomes_from_workers_share_their_ids_and_cell_places(
    instrument: Instrument,
) -> None:
    """What the parent keeps per file stays small: two outcomes that arrive (pickled, so with
    copies of everything) share their answers' ids and their cells' places once kept."""
    import pickle

    from msp_assessment.outcome import kept

    places = (("Autoevaluación", "H22", "procesos_1"), ("Autoevaluación", "H27", 1))
    first = FileOutcome("a.xlsx", Status.SCORED, answers={"procesos_1": 4}, copy_cells=places)
    a, b = (pickle.loads(pickle.dumps(replace(first, path=p))) for p in ("a", "b"))
    assert a.copy_cells is not b.copy_cells
    one, two = kept(a), kept(b)
    assert one.copy_cells is two.copy_cells and one.copy_cells == places
    assert next(iter(one.answers)) is next(iter(two.answers))
    assert (one.answers, two.path) == ({"procesos_1": 4}, "b")


def test_derived__a_run_standing_travels_as_a_flag__any_other_as_sent(
    instrument: Instrument,
) -> None:
    """A worker's outcome crosses the pipe without its score and, when it is the run's for that
    client, without its standing (the parent works both out again); a standing that is not the
    run's (one read from a copy's record) travels as it is. Both arrive equal to what was made."""
    import pickle
    from random import Random

    from msp_assessment.benchmark import Benchmark, Cohort, NoBenchmark, Peer, Reference
    from msp_assessment.client import Client
    from msp_assessment.processing.run.parallel import Derived
    from msp_assessment.scoring import Score, score

    rng = Random(27)
    grids = [{st.id: rng.randint(1, 5) for _, st in instrument.statements} for _ in range(30)]
    scores = [score(instrument, answers) for answers in grids]
    peers = tuple(Peer(f"k{i}", tuple(a.total for a in s.areas)) for i, s in enumerate(scores))
    cohort = Cohort(Reference("la ronda", peers))

    def benchmark_for(path: Path, client: Client, value: Score) -> Benchmark | NoBenchmark:
        return cohort.benchmark(path.stem, value)

    derived = Derived(instrument, benchmark_for)
    other = cohort.benchmark(None, scores[1])  # not what the run gives k0
    for bench, travels in ((cohort.benchmark("k0", scores[0]), False), (other, True)):
        made = FileOutcome(
            "k0.xlsx", Status.SCORED, answers=grids[0], score=scores[0], benchmark=bench
        )
        sent, again = derived.shrunk(made)
        assert sent.score is None and again is not travels
        assert (sent.benchmark is not None) is travels
        got = derived.restored(*pickle.loads(pickle.dumps((sent, again))))
        assert got == made
