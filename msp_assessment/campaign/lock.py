"""One run at a time per folder of drafts: send, prepare, deliver and status --reminders hold the
folder's exclusive lock for their whole run.

Two ``send`` runs on one folder (a double-click, a second terminal, an overlapping scheduled
job) would both read the journal before either wrote it, and send every message twice. The lock
is the operating system's (``flock``; ``msvcrt.locking`` on Windows) on a small file in the
folder: the kernel releases it when the process ends, however it ends, so a run that was killed
never blocks the next one. A second run does not wait: it stops at once with a Spanish message
and sends or writes nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from msp_assessment.errors import CampaignError

LOCK_NAME = ".msp-assessment.lock"


@contextmanager
def folder_lock(folder: Path, doing: str) -> Iterator[None]:
    """Hold ``folder``'s lock for the block; CampaignError at once if another run holds it.

    ``doing`` says what the other run is doing, for the message (e.g. «enviando»).
    """
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / LOCK_NAME).open("a+")
    try:
        if not _try_lock(handle):
            raise CampaignError(
                f"Otra ejecución de msp-assessment está {doing} en {folder} ahora mismo. Espere "
                "a que termine y vuelva a ejecutar la orden si hace falta: esta no ha hecho nada."
            )
        try:
            yield
        finally:
            _unlock(handle)
    finally:
        handle.close()


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
