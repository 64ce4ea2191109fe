"""ruff and mypy stay clean (configured in pyproject.toml), run from the interpreter running the
tests: the README's command runs pytest from the venv, whose bin/ is not on PATH."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.programs import skip_unless_ci

ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff", "ruff-format", "mypy"],
)
def test_linters__report_nothing(command: list[str]) -> None:
    if importlib.util.find_spec(command[0]) is None:
        skip_unless_ci(f"{command[0]} no está instalado (pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
