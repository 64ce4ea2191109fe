"""The summary built while the second pass runs (run.pipeline), in a process of its own: from the
outcomes that pass is expected to give, each pending workbook's as its spliced copy gives it.

The parent only waits for its workers meanwhile; building the summary after them was the
largest part of a run that is not shared among the CPUs. It is used only when every outcome
of the pass is the expected one in every field the summary reads (``as_expected``, checked as
each arrives; the score is its answers'); otherwise, or when that process failed, the summary
is built again from what the pass gave, as a run of one job builds it. So the summary never
depends on the guess.

A forked process, not a thread: the pool forks a new worker when one dies, and a thread
holding a lock at that moment (an import's, a cached property's) would leave it held for ever
in the new worker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import fields

from msp_assessment.outcome import FileOutcome

# What a file's outcome holds that the summary never reads: where its copy was written (the
# second pass picks the name then), and why openpyxl re-saved it. And its score, which the
# parent works out from its answers (run.parallel), so the same when they are (and comparing
# its fractions was most of the cost of the comparison).
NOT_SUMMARIZED = frozenset({"output", "resaved"})
_COMPARED = tuple(
    f.name for f in fields(FileOutcome) if f.name not in NOT_SUMMARIZED and f.name != "score"
)


def as_expected(first: FileOutcome, got: FileOutcome, changed: Mapping[str, object]) -> bool:
    """Whether ``got`` is ``first`` with the fields in ``changed`` set to their values there, in
    every field the summary reads (without making that outcome)."""
    for name in _COMPARED:
        if getattr(got, name) != (changed[name] if name in changed else getattr(first, name)):
            return False
    return True


def available() -> bool:
    """Whether a summary can be built ahead here: a fork that dies with its parent (Linux)."""
    return sys.platform.startswith("linux")


class Ahead:
    """``build()`` in a forked process; its bytes read back with ``result``."""

    def __init__(self, build: Callable[[], bytes]) -> None:
        from msp_assessment.processing.run.parallel import die_with

        parent = os.getpid()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: builds, writes its bytes to the pipe, and ends
            code = 1
            try:
                os.close(read)
                die_with(parent)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's
                data = build()
                with os.fdopen(write, "wb") as out:
                    out.write(data)
                code = 0
            finally:  # whatever happened, never the parent's code after this point
                os._exit(code)
        os.close(write)
        self._pid: int | None = pid
        self._read = read

    def result(self) -> bytes | None:
        """What was built; None when the process failed (it wrote nothing whole)."""
        if self._pid is None:
            return None
        with os.fdopen(self._read, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        return data if os.waitstatus_to_exitcode(status) == 0 else None

    def abandon(self) -> None:
        """Not wanted after all (the run stopped, or its outcomes were not the expected ones)."""
        if self._pid is None:
            return
        pid, self._pid = self._pid, None
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
        with contextlib.suppress(OSError):
            os.close(self._read)
