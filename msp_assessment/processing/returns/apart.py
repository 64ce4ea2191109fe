"""A third-party reader run apart: in a child process, with a memory cap and a deadline.

calamine is Rust: a malformed file can make it panic (a ``BaseException`` in Python), abort the
whole process on a failed allocation, ask for tens of gigabytes, or loop. Run in a forked child
with ``RLIMIT_AS`` set and a deadline, the worst any file can do is end that child: the file gets
its problem and the batch goes on. On a system without ``fork`` the reader runs in-process.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import pickle
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
A = TypeVar("A")


@dataclass(frozen=True)
class Stopped:
    """The reader did not come back with a result; ``why`` says how, in Spanish."""

    why: str


def run_apart(func: Callable[[A], T], arg: A, *, memory: int, seconds: float) -> T | Stopped:
    """``func(arg)`` in a child process that may use ``memory`` bytes more than it starts with
    and ``seconds`` of time; what it returns (pickled back), or how it stopped."""
    if not hasattr(os, "fork"):  # Windows: nothing to fork, the reader runs here
        return func(arg)
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(readable)
        # A Rust panic prints its backtrace, Python's fault handler its own: the terminal is
        # for the report.
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        faulthandler.disable()
        _child(func, arg, memory, writable)
    os.close(writable)
    data, timed_out = _collect(readable, time.monotonic() + seconds)
    if timed_out:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return Stopped(f"no terminó en {seconds:g} s")
    if not data:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGABRT, signal.SIGKILL):
            return Stopped("se quedó sin memoria")
        return Stopped("se detuvo sin dar resultado")
    kind, value = pickle.loads(data)
    if kind == "stopped":
        return Stopped(value)
    result: T = value
    return result


def _child(func: Callable[[A], T], arg: A, memory: int, writable: int) -> None:
    try:
        try:
            _cap(memory)
            outcome: tuple[str, object] = ("ok", func(arg))
        except MemoryError:
            outcome = ("stopped", "se quedó sin memoria")
        except BaseException as err:  # a Rust panic included: whatever it is, it is this file's
            outcome = ("stopped", f"falló ({type(err).__name__}: {str(err)[:80]})")
        data = pickle.dumps(outcome)
        with os.fdopen(writable, "wb") as out:
            out.write(data)
    finally:
        os._exit(0)  # no atexit handlers, no flushing of the parent's buffers


def _cap(memory: int) -> None:
    """Let this process map ``memory`` bytes more than it has (Linux; elsewhere no cap)."""
    import resource

    try:
        pages = int(Path("/proc/self/statm").read_bytes().split()[0])
        mapped = pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return
    resource.setrlimit(resource.RLIMIT_AS, (mapped + memory, mapped + memory))


def _collect(readable: int, deadline: float) -> tuple[bytes, bool]:
    """Everything the child writes before it closes the pipe, or (what came, True) at the
    deadline."""
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return b"".join(chunks), True
            ready, _, _ = select.select([readable], [], [], left)
            if ready:
                chunk = os.read(readable, 1 << 16)
                if not chunk:
                    return b"".join(chunks), False
                chunks.append(chunk)
    finally:
        os.close(readable)
