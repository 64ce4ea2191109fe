"""Atomic writes: a reader never sees a half-written output, even after a crash or Ctrl-C."""

from __future__ import annotations

import base64
import contextlib
import errno
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from msp_assessment.errors import OutputError
from msp_assessment.text import fit_bytes

TEMPORARY = re.compile(r"^\..+\.[a-z0-9_]{8}\.tmp$")  # what atomic_path names its files
TEMPORARY_EXTRA_BYTES = len(".") + len(".12345678.tmp")  # what it adds to the target's name
MAX_NAME_BYTES = 255  # of a file name, on Linux and macOS


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete what an interrupted atomic write left behind (the process was killed mid-write)."""
    removed = []
    if folder.is_dir():
        for path in folder.iterdir():
            if TEMPORARY.match(path.name) and path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


@contextlib.contextmanager
def atomic_path(target: Path, *, durable: bool = True, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one step.

    ``durable`` also forces the content to disk before the rename (a power cut then leaves the
    old file or the new one); without it, only a crash of the program is covered, and the
    caller flushes later (see ``flush_to_disk``). ``private`` keeps the file readable by its
    owner only, from its first byte (a token cache).
    """
    fd, tmp = _temporary(target)
    os.close(fd)
    try:
        yield tmp
        # The temporary file was made private (0600); the output gets the mode a plain write
        # would give under the user's umask, so colleagues on a shared folder can open it.
        if not private:
            tmp.chmod(default_mode())
        if durable:
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _temporary(target: Path, mode: int = 0o600) -> tuple[int, Path]:
    """A new file beside ``target``, named as ``TEMPORARY`` matches, open for writing, created
    with ``mode`` (less the umask); the folder made if it is not there."""
    # A name near the system's 255 bytes leaves no room for ours around it: cut it.
    name = fit_bytes(target.name, MAX_NAME_BYTES - TEMPORARY_EXTRA_BYTES)
    for _ in range(_ATTEMPTS):
        tmp = target.parent / f".{name}.{_random_part()}.tmp"
        try:
            return os.open(tmp, _NEW_FILE, mode), tmp
        except FileExistsError:
            continue  # another writer's temporary: another name
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)  # then the next attempt
        except PermissionError:
            if os.name != "nt" or not target.parent.is_dir():
                raise
            # Windows says «access denied» for a name another writer is deleting: another name
    raise FileExistsError(errno.EEXIST, "no queda libre ningún nombre temporal a su lado")


# What tempfile.mkstemp opens with, without its per-call work (a run writes thousands of files).
_NEW_FILE = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_ATTEMPTS = 100


def _random_part() -> str:
    """Eight characters of [a-z2-7], from the system's randomness (new in a forked worker)."""
    return base64.b32encode(os.urandom(5)).decode("ascii").lower()


@functools.cache
def default_mode() -> int:
    """The mode a new file gets here: 0666 less the process's umask (read once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(
    target: Path, write: Callable[[IO[bytes]], object], *, private: bool = False
) -> None:
    """Write ``target`` through ``write(stream)`` atomically (``private``: owner-only)."""
    with atomic_path(target, private=private) as tmp, tmp.open("wb") as fh:
        write(fh)


def write_bytes(
    data: bytes, target: Path, *, durable: bool = False, modified: float | None = None
) -> None:
    """Write atomically (flushed to disk later, by the caller: ``flush_to_disk``, unless
    ``durable``, as ``atomic_path``'s); a failure is an OutputError. What ``atomic_path`` does,
    through one open file: a run writes thousands. The file gets the mode a plain write gives
    (0666 less the umask) and, with ``modified``, that modification time."""
    tmp = None
    try:
        fd, tmp = _temporary(target, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            if modified is not None and os.utime in os.supports_fd:
                with contextlib.suppress(OSError):  # the date is a nicety; the copy is written
                    os.utime(fd, (modified, modified))
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        if modified is not None and os.utime not in os.supports_fd:
            with contextlib.suppress(OSError):
                os.utime(tmp, (modified, modified))
        tmp.replace(target)
    except BaseException as err:
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if isinstance(err, OSError):
            raise OutputError.writing(target, err) from err
        raise


def flush_to_disk(written: Iterable[Path]) -> None:
    """Make files written with ``atomic_path(durable=False)`` durable, all in one go."""
    if hasattr(os, "sync"):
        os.sync()  # one flush of everything, instead of one wait per file
        return
    for path in written:  # Windows has no sync(): flush each file
        with contextlib.suppress(OSError), path.open("rb+") as fh:
            os.fsync(fh.fileno())
