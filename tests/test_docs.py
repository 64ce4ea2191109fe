"""Every command has Spanish help and is documented in the README."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)
ENGLISH_HEADINGS = ("Usage:", "Options:", "Commands:", "Show this message")


def test_cli__has_the_expected_commands() -> None:
    assert "template" in COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_command__help__is_spanish(name: str) -> None:
    command = cli.commands[name]
    assert command.help and command.help.strip()
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith(f"Uso: cli {name} [OPCIONES]")
    assert "Opciones:" in result.output
    for english in ENGLISH_HEADINGS:
        assert english not in result.output
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"--{param.name} has no help text"


@pytest.mark.parametrize("name", COMMANDS)
def test_command__is_documented_in_readme(name: str) -> None:
    assert f"msp-assessment {name}" in README
    assert f"### `{name}`" in README


def test_readme__quick_start__has_exactly_two_commands() -> None:
    section = README.split("## Inicio rápido", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 2
