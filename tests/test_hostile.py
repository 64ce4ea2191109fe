"""Every broken or hostile input ends as a clean, precise outcome; good ones are still scored."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from tests.support.hostile import build_battery, valid
from tests.support.programs import require_libreoffice, soffice_convert


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def codes(file: dict[str, Any]) -> tuple[str, ...]:
    """The distinct problem codes of a file in the JSON report, in order."""
    return tuple(dict.fromkeys(x["code"] for x in file["problems"]))


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("hostil") / "recibidos"
    expected = build_battery(folder)
    return folder, expected


def test_battery__each_input_gets_its_precise_status_and_codes(
    battery: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, expected = battery
    before = digest(folder)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["process", str(folder), "-o", str(out), "--json"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    got = {Path(f["path"]).name: (f["status"], codes(f), f["average"]) for f in report["files"]}
    want = {name: (e.status, e.codes, e.average) for name, e in expected.items()}
    assert got == want
    assert digest(folder) == before  # inputs never modified
    with zipfile.ZipFile(out / "con-macros-resultados.xlsx") as package:
        assert not [n for n in package.namelist() if "vba" in n.lower()]  # macros never copied
    assert all(m.strip() for f in report["files"] for m in (x["message"] for x in f["problems"]))


def test_battery__human_output__one_short_line_per_file(
    battery: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    folder, expected = battery
    result = CliRunner().invoke(cli, ["check", str(folder)])
    lines = result.output.splitlines()
    assert len(lines) == len(expected) + 2  # one per file, the total and the next step
    assert lines[-1].startswith("Siguiente paso: escriba los resultados y el resumen con")
    odd = next(line for line in lines if "texto-raro.xlsx" in line)
    assert len(odd) < 250 and "…" in odd  # 50 000 characters of company name, shortened
    assert "Traceback" not in result.output


@pytest.mark.libreoffice
def test_battery__ods_and_xls_saved_by_libreoffice__scored_like_any_return(tmp_path: Path) -> None:
    require_libreoffice()
    source = valid(tmp_path / "origen" / "respuesta.xlsx")
    folder = tmp_path / "recibidos"
    ods = soffice_convert(source, "ods", folder)
    xls = soffice_convert(source, "xls", folder)
    shutil.rmtree(folder / ".lo-profile")
    valid(folder / "correcto.xlsx")
    result = CliRunner().invoke(cli, ["process", str(folder), "-o", str(tmp_path / "o"), "--json"])
    assert result.exit_code == 0, result.output
    got = {
        Path(f["path"]).name: (f["status"], codes(f), f["average"])
        for f in json.loads(result.stdout)["files"]
    }
    assert got == {
        ods.name: ("scored", (), 3.55),
        xls.name: ("scored", (), 3.55),
        "correcto.xlsx": ("scored", (), 3.55),
    }


def test_defusedxml__is_what_openpyxl_parses_with() -> None:
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
