"""ruff and mypy stay clean (configured in pyproject.toml)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "msp_assessment"], ["mypy"]],
    ids=["ruff", "ruff-format", "mypy"],
)
def test_linters__report_nothing(command: list[str]) -> None:
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} no está instalado (pip install -e '.[test]')")
    exe = [sys.executable, "-m", *command] if command[0] == "mypy" else command
    done = subprocess.run(exe, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
