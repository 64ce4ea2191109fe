"""Every command has Spanish help and is documented in the README."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)
ENGLISH_HEADINGS = ("Usage:", "Options:", "Commands:", "Show this message")


def test_cli__has_the_expected_commands() -> None:
    assert COMMANDS == [
        "check",
        "collect",
        "deliver",
        "forget",
        "init",
        "login",
        "prepare",
        "process",
        "round",
        "send",
        "status",
        "template",
    ]


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


def test_readme__library_example__runs_and_prints_each_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    section = README.split("## Uso como biblioteca", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    shutil.copytree(Path(__file__).parents[1] / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    lines = capsys.readouterr().out.splitlines()
    assert "documento-ejemplo-proactivo.xlsx: 3.55 Proactivo" in lines
    assert "sistemas-sur-con-problemas.xlsx: invalid; problemas: 10, sin respuesta: 6" in lines
    assert "exportado-como-csv.xlsx: unreadable; problemas: 1, sin respuesta: 0" in lines
    assert lines[-1] == (
        "{'scored': 4, 'invalid': 1, 'unreadable': 1} → " + str(Path("resultados") / "resumen.xlsx")
    )
    assert (tmp_path / "resultados" / "resumen.xlsx").is_file()


def test_readme__campaign_guide__near_the_top_every_command_real() -> None:
    assert README.index("## Guía de una campaña") < README.index("## Qué obtiene")
    guide = README.split("## Guía de una campaña", 1)[1].split("\n## ", 1)[0]
    assert "source .venv/bin/activate" in guide
    assert "smtp.office365.com" in guide and "smtp.gmail.com" in guide
    assert "contraseña de aplicación" in guide
    used = set(re.findall(r"^msp-assessment (\w+)", guide, re.M))
    assert used == {
        "init",
        "prepare",
        "send",
        "collect",
        "status",
        "process",
        "deliver",
        "round",
    }
    assert used <= set(COMMANDS)
