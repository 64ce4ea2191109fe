"""`msp-assessment template` from the command line."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml


def test_template_command__default_name__written_in_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["template"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Plantilla creada: autoevaluacion-msp.xlsx",
        "Siguiente paso: envíela a su cliente o, para muchos clientes, prepare un libro y un "
        "correo para cada uno con «msp-assessment prepare CLIENTES -o CARPETA --from REMITENTE».",
    ]
    assert (tmp_path / "autoevaluacion-msp.xlsx").is_file()


def test_template_command__existing_file__refused_without_force(tmp_path: Path) -> None:
    target = tmp_path / "libro.xlsx"
    target.write_bytes(b"no tocar")
    result = CliRunner().invoke(cli, ["template", "-o", str(target)])
    assert result.exit_code == 1
    assert "ya existe. Use --force" in result.output
    assert target.read_bytes() == b"no tocar"
    result = CliRunner().invoke(cli, ["template", "-o", str(target), "--force"])
    assert result.exit_code == 0
    assert openpyxl.load_workbook(target).sheetnames == [contract.FORM_SHEET, contract.META_SHEET]


def test_template_command__client_options__prefill_the_workbook(tmp_path: Path) -> None:
    target = tmp_path / "acme.xlsx"
    args = ["template", "-o", str(target), "--client-id", "A-1", "--company", "Acme"]
    args += ["--contact", "Luis", "--email", "luis@acme.es", "--password", "x"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(target)
    names = ("cliente_id", "cliente_empresa", "cliente_contacto", "cliente_email")
    got = {name: named_cell(wb, name).value for name in names}
    assert got == {
        "cliente_id": "A-1",
        "cliente_empresa": "Acme",
        "cliente_contacto": "Luis",
        "cliente_email": "luis@acme.es",
    }
    assert wb[contract.FORM_SHEET].protection.password


def test_template_command__not_xlsx__usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["template", "-o", str(tmp_path / "x.xls")])
    assert result.exit_code == 2
    assert "el archivo debe terminar en .xlsx" in result.output
    assert not (tmp_path / "x.xls").exists()


def test_unknown_option__spanish_usage_error() -> None:
    result = CliRunner().invoke(cli, ["template", "--nope"])
    assert result.exit_code == 2
    assert "Error: No existe la opción '--nope'." in result.output
    assert "Uso: " in result.output
