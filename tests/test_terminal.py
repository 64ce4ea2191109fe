"""What a person at a terminal sees: a progress bar while prepare writes thousands of drafts, and
no control character from a file name or a workbook acting on the terminal (click strips escape
sequences only when the output is not a terminal; on one, they would run)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from msp_assessment.client import Client
from msp_assessment.examples import write_filled
from tests.support.hostile import ANSWERS


def on_a_terminal(*args: str, cwd: Path) -> str:
    """Run the command with stdout and stderr on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "msp_assessment", *args],
        stdout=follower,
        stderr=follower,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert process.wait(timeout=120) in (0, 1)
    return b"".join(chunks).decode("utf-8", errors="replace")


def test_prepare__shows_its_progress_on_a_terminal(tmp_path: Path) -> None:
    rows = "\n".join(f"C-{i:04d};Empresa {i};Persona {i};p{i}@empresa{i}.es" for i in range(300))
    (tmp_path / "clientes.csv").write_text(f"ID;Empresa;Contacto;Email\n{rows}\n", "utf-8")
    seen = on_a_terminal(
        "prepare", "clientes.csv", "-o", "borradores", "--from", "c@f.es", cwd=tmp_path
    )
    assert "Preparando" in seen and "300/300" in seen and "borradores/s" in seen
    assert "Total: 300 borradores en borradores" in seen
    assert len(list((tmp_path / "borradores").glob("*.eml"))) == 300


def test_process__a_file_name_with_escape_sequences__shown_escaped_on_a_terminal(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "recibidos"
    client = Client("T-1", "Terminal", "Ana", "ana@t.es")
    write_filled(inbox / "a\x1b]52;c;ZXZpbA==\x07\x1b[2Kb.xlsx", ANSWERS, client=client)
    seen = on_a_terminal("check", "recibidos", cwd=tmp_path)
    assert "\x1b]52" not in seen and "\x07" not in seen and "\x1b[2K" not in seen
    assert "a\\x1b]52;c;ZXZpbA==\\x07\\x1b[2Kb.xlsx" in seen
