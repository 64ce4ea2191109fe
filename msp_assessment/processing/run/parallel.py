"""Process files in worker processes, results in input order: the same report whatever ``jobs`` is.

Our own pool, not ``multiprocessing.Pool``: that one waits forever for a worker that died (a
reader that aborts the process, the kernel's out-of-memory killer) and cannot end one that is
stuck. Here each worker works on one file at a time, with the next one already in its pipe (it
never waits for the parent between two files); a worker that dies, or that has not answered by
the file's deadline, is ended and replaced, the file it was on gets ``stopped(path, why)`` as its
outcome and the one it had not started goes to another: the batch always finishes.

Workers get the per-file function once (inherited at fork, pickled at spawn) and then only paths;
they send back outcomes without what the parent works out again, exactly and for less than
receiving it (``Derived``): the ``Score`` (which holds the questionnaire's texts), from the
answers; and the standing among peers, when it is the run's for that client (``benchmark_for``,
cached per total in the parent: unpickling its fractions cost more than the rest of an outcome).
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from msp_assessment.benchmark import Benchmark, NoBenchmark
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome, Status, kept
from msp_assessment.scoring import Score, score

if TYPE_CHECKING:  # a run of one job (one file) never starts the pool: never imports it
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

Work = Callable[[Path], FileOutcome]
Stopped = Callable[[Path, str], FileOutcome]  # the outcome of a file whose worker had to end
BenchmarkFor = Callable[[Path, Client, Score], Benchmark | NoBenchmark]


@dataclass(frozen=True)
class Derived:
    """What the parent works out again of an outcome from a worker, instead of receiving it."""

    instrument: Instrument
    benchmark_for: BenchmarkFor | None = None  # the run's standing of a client, when it has one

    def shrunk(self, outcome: FileOutcome) -> tuple[FileOutcome, bool]:
        """In the worker: ``outcome`` without its score, and without its benchmark when it is
        the run's for that client (the second value says so)."""
        if outcome.score is None:
            return outcome, False
        bench, again = outcome.benchmark, False
        if bench is not None and self.benchmark_for is not None:
            path = Path(outcome.path)
            again = bench == self.benchmark_for(path, outcome.client, outcome.score)
        return replace(outcome, score=None, benchmark=None if again else bench), again

    def restored(self, outcome: FileOutcome, again: bool) -> FileOutcome:
        """In the parent: ``outcome`` (as ``shrunk`` made it) whole again."""
        if outcome.status is not Status.SCORED or outcome.score is not None:
            return kept(outcome)
        value = score(self.instrument, outcome.answers)
        if again and self.benchmark_for is not None:
            bench = self.benchmark_for(Path(outcome.path), outcome.client, value)
            outcome = replace(outcome, benchmark=bench)
        return kept(outcome, value)


def default_jobs() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def outcomes(
    files: Sequence[Path],
    work: Work,
    jobs: int,
    instrument: Instrument,
    *,
    stopped: Stopped,
    seconds: float,
    benchmark_for: BenchmarkFor | None = None,
) -> Iterator[FileOutcome]:
    """``work(file)`` for every file, in order, using up to ``jobs`` processes; a file whose
    worker dies or takes more than ``seconds`` gets ``stopped(file, why)``. ``benchmark_for``:
    the run's standing of a client (what the workers' outcomes need not carry, ``Derived``)."""
    jobs = max(1, min(jobs, len(files)))
    if jobs == 1:
        yield from (work(path) for path in files)
        return
    pool = _Pool(work, jobs, Derived(instrument, benchmark_for))
    try:
        yield from pool.run(files, stopped, seconds)
    finally:
        pool.close()


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    # The indexes of the files sent to it, in order: it works on the first (by ``deadline``);
    # the next one waits in its pipe, so that it never waits for the parent between two files.
    tasks: deque[int] = field(default_factory=deque)
    deadline: float = 0.0


AHEAD = 2  # files a worker holds at once: the one it works on and the next


class _Pool:
    def __init__(self, work: Work, size: int, derived: Derived) -> None:
        import multiprocessing

        self._work = work
        self._derived = derived
        self._context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        self._workers: list[_Worker] = []
        for _ in range(size):  # one by one: each new worker closes the ones before's pipes
            self._workers.append(self._start())

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        # A forked worker holds copies of the other workers' parent ends: it closes them, so
        # that when the parent dies every worker reads the end of its own pipe.
        others = [w.conn for w in self._workers]
        process = self._context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(self._work, self._derived, child, others, os.getpid()),
            daemon=True,
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def run(self, files: Sequence[Path], stopped: Stopped, seconds: float) -> Iterator[FileOutcome]:
        done: dict[int, FileOutcome] = {}
        waiting = deque(range(len(files)))
        next_out = 0
        for worker in self._workers:
            self._give(worker, files, waiting, seconds)
        while next_out < len(files):
            busy = [w for w in self._workers if w.tasks]
            timeout = max(0.0, min(w.deadline for w in busy) - time.monotonic())
            ready = set(_wait([w.conn for w in busy], timeout))
            for i, worker in enumerate(self._workers):
                if not worker.tasks:
                    continue
                task = worker.tasks[0]
                if worker.conn in ready:
                    try:
                        kind, value = worker.conn.recv()
                    except (EOFError, OSError):  # it died: a reader aborted it, or it was killed
                        done[task] = stopped(files[task], _how_it_ended(worker))
                        worker = self._workers[i] = self._replace(worker, waiting)
                    else:
                        if kind == "raise":
                            raise value
                        done[task] = self._derived.restored(*value)
                        worker.tasks.popleft()  # and it starts on the next one, if it has one
                        worker.deadline = time.monotonic() + seconds
                elif time.monotonic() >= worker.deadline:
                    done[task] = stopped(files[task], f"no terminó en {seconds:g} s")
                    worker = self._workers[i] = self._replace(worker, waiting)
                else:
                    continue
                self._give(worker, files, waiting, seconds)
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1

    def _give(
        self, worker: _Worker, files: Sequence[Path], waiting: deque[int], seconds: float
    ) -> None:
        """Send ``worker`` files until it holds AHEAD (or none are left)."""
        while waiting and len(worker.tasks) < AHEAD:
            task = waiting.popleft()
            if not worker.tasks:
                worker.deadline = time.monotonic() + seconds
            worker.tasks.append(task)
            try:
                worker.conn.send(files[task])
            except OSError:  # it has just died: its next read says how (and this file waits)
                return

    def _replace(self, worker: _Worker, waiting: deque[int]) -> _Worker:
        """A new worker for one that is ended; the files it held but had not started go back
        first in line."""
        _end(worker)
        waiting.extendleft(reversed(list(worker.tasks)[1:]))
        return self._start()

    def close(self) -> None:
        for worker in self._workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        for worker in self._workers:
            worker.process.join(timeout=1)
            _end(worker)


def _wait(connections: list[Connection], timeout: float) -> Sequence[object]:
    from multiprocessing.connection import wait

    return wait(connections, timeout)


def _end(worker: _Worker) -> None:
    if worker.process.is_alive():
        worker.process.kill()
    worker.process.join()
    worker.conn.close()


def die_with(parent: int) -> None:
    """On Linux, this worker is killed when its parent dies, even by SIGKILL (a worker
    between two files would wait on its pipe for ever otherwise)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(0)


PR_SET_PDEATHSIG = 1


def _how_it_ended(worker: _Worker) -> str:
    worker.process.join(timeout=5)
    code = worker.process.exitcode
    if code is not None and -code in (signal.SIGKILL, signal.SIGABRT):
        return "se quedó sin memoria"
    return "se detuvo sin dar resultado"


def _serve(
    work: Work, derived: Derived, conn: Connection, others: list[Connection], parent: int
) -> None:
    die_with(parent)
    for other in others:
        with contextlib.suppress(OSError):
            other.close()
    # Ctrl-C is the parent's to handle: it stops the pool and reports once, without a
    # traceback from every worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()  # a worker that aborts is reported as that file's problem
    while True:
        try:
            path = conn.recv()
        except EOFError:  # the parent is gone
            return
        if path is None:
            return
        try:
            outcome = work(path)
        except Exception as err:  # an OutputError, or anything under --debug: the parent raises it
            try:
                conn.send(("raise", err))
            except Exception:  # an exception that does not pickle
                conn.send(("raise", RuntimeError(f"{type(err).__name__}: {err}")))
            continue
        conn.send(("outcome", derived.shrunk(outcome)))
