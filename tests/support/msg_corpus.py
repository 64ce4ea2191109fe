"""Real Outlook .msg files from a public test corpus, for collect's .msg tests.

No program here writes .msg files the way Outlook does, and none may be copied into the
repository: the tests take the ones msg_parser 1.2.0 (BSD licence) ships in its source
distribution, downloaded from the package index by pip, checked against their sha256 and kept in a
cache outside the repository (``MSP_MSG_CORPUS``, or ~/.cache/msp-assessment/msg-corpus). The
first test that needs them downloads them; ``python -m tests.support.msg_corpus`` does it ahead.

- complete.msg: a message from Outlook on Microsoft 365 with a .docx, a .txt, a PDF, a photo
  and six embedded messages;
- other.msg: a delivery failure notice (not RFC 3464) saved from Outlook, with the original
  message embedded;
- outer.msg: a message whose only attachment is an embedded message.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from tests.support.programs import skip_unless_ci

PACKAGE = "msg_parser==1.2.0"
ARCHIVE = "msg_parser-1.2.0.tar.gz"
ARCHIVE_SHA256 = "0de858d4fcebb6c8f6f028da83a17a20fe01cdce67c490779cf43b3b0162aa66"
FILES = ("complete.msg", "other.msg", "outer.msg")
INSIDE = "msg_parser-1.2.0/tests/files/"
PIP_DOWNLOAD = (sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:")


def folder() -> Path:
    default = Path.home() / ".cache" / "msp-assessment" / "msg-corpus"
    return Path(os.environ.get("MSP_MSG_CORPUS", default))


def fetch() -> Path:
    """The corpus folder, downloaded and unpacked if it is not there yet; raises OSError or
    CalledProcessError when it cannot be had (no network, the index refused)."""
    target = folder()
    if all((target / name).is_file() for name in FILES):
        return target
    target.mkdir(parents=True, exist_ok=True)
    with (target / ".lock").open("w") as lock:  # xdist workers: one downloads, the rest wait
        fcntl.flock(lock, fcntl.LOCK_EX)
        if all((target / name).is_file() for name in FILES):
            return target
        with tempfile.TemporaryDirectory(prefix="msp-msg-") as scratch:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "download",
                    "-q",
                    "--no-deps",
                    "--no-binary",
                    ":all:",
                    "-d",
                    scratch,
                    PACKAGE,
                ],
                check=True,
                capture_output=True,
                timeout=300,
            )
            archive = Path(scratch) / ARCHIVE
            digest = hashlib.sha256(archive.read_bytes()).hexdigest()
            if digest != ARCHIVE_SHA256:
                raise OSError(f"{ARCHIVE}: sha256 {digest}, se esperaba {ARCHIVE_SHA256}")
            with tarfile.open(archive) as tar:
                for name in FILES:
                    member = tar.extractfile(INSIDE + name)
                    assert member is not None
                    part = target / f".{name}.part"
                    part.write_bytes(member.read())
                    part.replace(target / name)
    return target


def require() -> Path:
    """The corpus, or a skip (a failure under CI) saying why it is not here."""
    try:
        return fetch()
    except (OSError, subprocess.SubprocessError) as err:
        detail = getattr(err, "stderr", b"") or str(err).encode()
        skip_unless_ci(
            "no se pudo descargar el corpus público de .msg de Outlook ("
            f"{PACKAGE}: {detail.decode(errors='replace').strip()[-200:]}); con red, ejecute "
            "«python -m tests.support.msg_corpus»"
        )
        raise  # not reached: skip_unless_ci raises


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        print(fetch())
