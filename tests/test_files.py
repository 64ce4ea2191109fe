"""Atomic writes (_files): what a run's thousands of copies are written with."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from msp_assessment._files import (
    TEMPORARY,
    _temporary,
    remove_stale_temporaries,
    write_bytes,
)
from msp_assessment.errors import OutputError


def test_write_bytes__content_mode_date_and_a_missing_folder_made(tmp_path: Path) -> None:
    target = tmp_path / "nueva" / "carpeta" / "copia.xlsx"
    write_bytes(b"uno", target, modified=1_700_000_000.5)
    assert target.read_bytes() == b"uno"
    assert target.stat().st_mtime == 1_700_000_000.5
    mask = os.umask(0o022)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask
    write_bytes(b"dos", target)  # replaced in one step
    assert target.read_bytes() == b"dos"
    assert sorted(p.name for p in target.parent.iterdir()) == ["copia.xlsx"]


def test_write_bytes__failure_is_an_output_error_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "copia.xlsx"
    target.mkdir()
    (target / "dentro").write_text("x")  # a folder in the way: the rename fails
    with pytest.raises(OutputError):
        write_bytes(b"datos", target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copia.xlsx"]


def test_temporaries__distinct_named_as_the_cleanup_finds_them_new_in_a_fork(
    tmp_path: Path,
) -> None:
    target = tmp_path / ("x" * 250 + ".xlsx")  # a name near the limit: cut to leave room
    names = set()
    for _ in range(200):
        fd, tmp = _temporary(target)
        os.close(fd)
        assert TEMPORARY.match(tmp.name) and len(tmp.name.encode()) <= 255
        names.add(tmp.name)
    assert len(names) == 200
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child names its own: a forked worker never retries the parent's names
        fd, tmp = _temporary(target)
        os.write(write, tmp.name.encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 4096).decode()
    assert TEMPORARY.match(child) and child not in names
    assert len(remove_stale_temporaries(tmp_path)) == 201
    assert list(tmp_path.iterdir()) == []
