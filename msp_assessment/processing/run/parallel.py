"""Process files in worker processes, results in input order: the same report whatever ``jobs`` is.

Workers get the per-file function once (pickled at start-up) and then only paths; they send back
outcomes without their ``Score`` (which holds the questionnaire's texts); the parent recomputes it
from the answers, which is exact, cheap and keeps memory flat in the number of files.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome, Status
from msp_assessment.scoring import score

Work = Callable[[Path], FileOutcome]
_work: Work | None = None


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def outcomes(
    files: Sequence[Path], work: Work, jobs: int, instrument: Instrument
) -> Iterator[FileOutcome]:
    """``work(file)`` for every file, in order, using up to ``jobs`` processes."""
    jobs = max(1, min(jobs, len(files)))
    if jobs == 1:
        yield from (work(path) for path in files)
        return
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
    chunk = max(1, min(32, len(files) // (jobs * 8)))
    with context.Pool(jobs, initializer=_start_worker, initargs=(work,)) as pool:
        for outcome in pool.imap(_run_one, files, chunksize=chunk):
            if outcome.status is Status.SCORED and outcome.score is None:
                outcome = replace(outcome, score=score(instrument, outcome.answers))
            yield outcome


def _start_worker(work: Work) -> None:
    global _work
    _work = work
    # Ctrl-C is the parent's to handle: it stops the pool and reports once, without a
    # traceback from every worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_one(path: Path) -> FileOutcome:
    assert _work is not None
    outcome = _work(path)
    return replace(outcome, score=None) if outcome.score is not None else outcome
