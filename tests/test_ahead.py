"""The summary built while the second pass runs (run.ahead): the one written when the pass gives
the outcomes expected of it, and never when it does not."""

from __future__ import annotations

import os
import shutil
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

import msp_assessment.processing.portfolio.workbook as summary_module
import msp_assessment.processing.run.pipeline as pipeline
from msp_assessment.client import Client
from msp_assessment.examples import EXAMPLES, uniform_answers, write_examples, write_filled
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome, Status
from msp_assessment.processing.portfolio.consolidate import Consolidation
from msp_assessment.processing.run.ahead import Ahead, as_expected, available
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run

pytestmark = pytest.mark.skipif(not available(), reason="the summary is built ahead on Linux only")

CHANGED = "soporte-levante-estable.xlsx"


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        return {name: package.read(name) for name in package.namelist()}


def serial_builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The summaries the parent built after the second pass (not ahead), recorded: how many
    workbooks each counted. (A forked process that builds one ahead records it in its own copy
    of the list, which the parent never sees.)"""
    built: list[int] = []
    original = summary_module.summary_bytes

    def recorded(consolidation: Consolidation, instrument: Instrument) -> bytes:
        built.append(len(consolidation.counted))
        return original(consolidation, instrument)

    monkeypatch.setattr(summary_module, "summary_bytes", recorded)
    return built


def test_jobs_two__the_summary_built_ahead_is_the_one_a_single_job_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "recibidos"
    write_examples(inbox)
    built = serial_builds(monkeypatch)
    run([inbox], RunOptions(output_dir=tmp_path / "uno", jobs=1))
    assert built == [4]  # the four examples that score
    report = run([inbox], RunOptions(output_dir=tmp_path / "dos", jobs=2))
    assert built == [4]  # the second: built ahead
    assert report.summary == str(tmp_path / "dos" / "resumen.xlsx")
    one, two = parts(tmp_path / "uno" / "resumen.xlsx"), parts(tmp_path / "dos" / "resumen.xlsx")
    assert sorted(one) == sorted(two)
    created = "docProps/core.xml"  # the time it was made, to the second
    assert [name for name in one if name != created and one[name] != two[name]] == []
    assert len(one) > 10 and b"Respuestas" in one["xl/workbook.xml"]
    assert not [p for p in (tmp_path / "dos").iterdir() if p.name.startswith(".")]


def test_a_workbook_changed_between_the_passes__the_summary_is_of_what_the_second_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second pass reads a file changed since the first one again, whole: not the expected
    outcome, so the summary built ahead is dropped and the one written holds the new answers."""
    inbox = tmp_path / "recibidos"
    write_examples(inbox)
    client, values = EXAMPLES[CHANGED]
    answers = uniform_answers(values)
    answers[(1, 1)] = 5  # was 3
    reference = pipeline.run_reference

    def changed_meanwhile(*args: object, **kwargs: object) -> object:
        time.sleep(0.01)  # a later modification time than the first pass saw
        write_filled(inbox / CHANGED, answers, client=client, date="2026-11-20")
        return reference(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "run_reference", changed_meanwhile)
    built = serial_builds(monkeypatch)
    report = run([inbox], RunOptions(output_dir=tmp_path / "out", jobs=2))
    assert built == [4]
    changed = next(o for o in report.files if Path(o.path).name == CHANGED)
    assert changed.answers["procesos_1"] == 5
    ws = openpyxl.load_workbook(tmp_path / "out" / "resumen.xlsx")["Respuestas"]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == client.id)
    assert row[3] == 5


def test_the_build_ahead_fails__the_summary_is_built_after_the_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "recibidos"
    write_examples(inbox)

    def broken(*args: object) -> bytes:
        raise MemoryError("as a process the kernel refuses memory")

    monkeypatch.setattr(pipeline, "_expected_summary", broken)
    built = serial_builds(monkeypatch)
    report = run([inbox], RunOptions(output_dir=tmp_path / "out", jobs=2))
    assert built == [4]
    assert report.summary is not None and Path(report.summary).is_file()


def test_ahead__gives_what_it_built__or_none_when_it_failed() -> None:
    assert Ahead(lambda: b"resumen").result() == b"resumen"
    big = os.urandom(1 << 20)  # more than a pipe holds: the child waits for the parent to read
    assert Ahead(lambda: big).result() == big

    def fails() -> bytes:
        raise ValueError("roto")

    assert Ahead(fails).result() is None


def test_ahead__abandoned__its_process_is_ended_and_reaped() -> None:
    ahead = Ahead(lambda: time.sleep(60) or b"")  # type: ignore[func-returns-value]
    pid = ahead._pid
    assert pid is not None
    started = time.monotonic()
    ahead.abandon()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):  # reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)
    assert ahead.result() is None
    ahead.abandon()  # twice: nothing more


def test_as_expected__only_where_the_copy_was_written_may_differ() -> None:
    first = FileOutcome("a.xlsx", Status.SCORED, answers={"procesos_1": 3}, pending=True)
    done = {"pending": False, "copy_cells": None}
    expected = replace(first, pending=False)
    assert as_expected(first, replace(expected, output="a-resultados.xlsx", resaved="x"), done)
    assert not as_expected(first, first, done)  # still pending: not what the pass gives
    assert not as_expected(first, replace(expected, answers={"procesos_1": 4}), done)
    assert not as_expected(first, replace(expected, status=Status.INVALID), done)
    assert not as_expected(first, replace(expected, date="2026-11-21"), done)


def test_stopped_in_the_second_pass__no_process_and_no_temporary_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "recibidos"
    write_examples(inbox)
    started: list[Ahead] = []
    original = pipeline.Ahead

    def recorded(build: object) -> Ahead:
        ahead = original(build)  # type: ignore[arg-type]
        started.append(ahead)
        return ahead

    def interrupted(outcome: FileOutcome, total: int) -> None:
        if started:
            raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "Ahead", recorded)
    with pytest.raises(KeyboardInterrupt):
        run(
            [inbox],
            RunOptions(output_dir=tmp_path / "out", jobs=2),
            progress=lambda done, total, outcome: interrupted(outcome, total),
        )
    assert len(started) == 1 and started[0]._pid is None  # ended and reaped
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
    shutil.rmtree(tmp_path / "out")


def test_a_worker_dead_in_the_second_pass__the_one_forked_anew_finishes_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The parent lets go of each first outcome as its second one arrives (the two of every file
    are never all held): a worker forked after that still has every file not done yet."""
    inbox = tmp_path / "recibidos"
    for i in range(8):
        answers = uniform_answers({a: [1 + (i + a) % 5] * 5 for a in range(1, 5)})
        who = Client(f"C-{i}", f"Empresa {i}", f"Contacto {i}", f"c{i}@empresa{i}.es")
        write_filled(inbox / f"cliente-{i}.xlsx", answers, client=who)
    original = pipeline.safe_finish

    def dies_on_the_fifth(path: Path, *, plan: object) -> FileOutcome:
        if path.name == "cliente-4.xlsx":
            os._exit(9)  # as the out-of-memory killer would end the worker
        return original(path, plan=plan)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "safe_finish", dies_on_the_fifth)
    report = run([inbox], RunOptions(output_dir=tmp_path / "out", jobs=2))
    by_name = {Path(o.path).name: o for o in report.files}
    assert by_name["cliente-4.xlsx"].status is Status.UNREADABLE
    done = [o for name, o in by_name.items() if name != "cliente-4.xlsx"]
    assert [o.status for o in done] == [Status.SCORED] * 7
    assert all(o.output and Path(o.output).is_file() and not o.pending for o in done)
    assert [Path(o.path).name for o in report.files] == sorted(by_name)  # in input order
