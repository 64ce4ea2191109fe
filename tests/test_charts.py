"""Every chart we write draws its series in every program's package: its colours, lines and
markers are in the chart itself, never left to a theme that LibreOffice does not save."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from tests.support.poppler import pages_with
from tests.support.programs import (
    gnumeric_save,
    pixels_near,
    run_libreoffice_fill,
    to_pdf,
    without_drawings,
)

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml

DRAWN = 60  # pixels of the series colour a chart adds at 80 dpi; an empty chart adds none


def chart_pixels(workbook: Path, marker: str, color: str, work: Path) -> int:
    """Pixels of ``color`` the charts add to the printed page that holds ``marker``."""
    drawn = to_pdf(workbook, work / "con-graficos")
    bare = to_pdf(without_drawings(workbook, work / f"sin-{workbook.name}"), work / "sin")
    (page,) = pages_with(drawn, marker)[:1]
    (bare_page,) = pages_with(bare, marker)[:1]
    return pixels_near(drawn, page, color) - pixels_near(bare, bare_page, color)


def series_properties(package: Path) -> list[bytes]:
    """The <c:spPr> of every series of every chart in ``package`` (b"" where a series has none)."""
    found = []
    with zipfile.ZipFile(package) as source:
        for name in source.namelist():
            if name.startswith("xl/charts/chart"):
                chart = source.read(name)  # c: prefixed, or the default namespace
                for series in re.findall(rb"<(?:c:)?ser>.*?</(?:c:)?ser>", chart, re.S):
                    props = re.search(rb"<(?:c:)?spPr>.*?</(?:c:)?spPr>", series, re.S)
                    found.append(props.group(0) if props else b"")
    return found


def filled_by_libreoffice(
    make_template: Callable[..., Path], instrument: Instrument, target: Path
) -> Path:
    source = make_template(client=Client(id="R-1", company="Radar Norte S.L."))
    values: dict[str, object] = {
        contract.answer_name(a.number, s.number): (a.number + s.number) % 5 + 1
        for a, s in instrument.statements
    }
    run_libreoffice_fill(source, target, values)
    return target


@pytest.mark.libreoffice
@pytest.mark.parametrize("program", ["libreoffice", "gnumeric"])
def test_results_radar__return_saved_by_program__series_drawn_on_the_printed_page(
    program: str, make_template: Callable[..., Path], instrument: Instrument, tmp_path: Path
) -> None:
    returned = filled_by_libreoffice(make_template, instrument, tmp_path / "devuelto.xlsx")
    if program == "gnumeric":
        returned = gnumeric_save(returned, tmp_path / "devuelto-gnumeric.xlsx")
    with zipfile.ZipFile(returned) as package:
        has_theme = any(n.startswith("xl/theme/") for n in package.namelist())
    assert not has_theme  # neither program saves a theme part for our chart to lean on
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["process", str(returned), "-o", str(out)])
    assert result.exit_code == 0, result.output
    copy = out / f"{returned.stem}-resultados.xlsx"
    assert all(b"srgbClr" in props for props in series_properties(copy))
    with zipfile.ZipFile(copy) as package:
        chart = next(package.read(n) for n in package.namelist() if n.startswith("xl/charts/"))
    gridlines = re.search(rb"<(?:c:)?majorGridlines>.*?</(?:c:)?majorGridlines>", chart, re.S)
    assert gridlines is not None and b"srgbClr" in gridlines.group(0)  # the rings, theme or not
    drawn = chart_pixels(copy, "Resultados de la autoevaluación", palette.CHART_SERIES, tmp_path)
    assert drawn > DRAWN


@pytest.mark.libreoffice
def test_summary_charts__bars_in_stage_colours_and_radar__drawn_on_the_printed_page(
    tmp_path: Path,
) -> None:
    examples = Path(__file__).parents[1] / "examples"
    out = tmp_path / "out"
    CliRunner().invoke(cli, ["process", str(examples), "-o", str(out)])
    summary = out / "resumen.xlsx"
    properties = series_properties(summary)
    # The bars, the radar, and the quartile chart's three series (points only: their colour is
    # their markers').
    assert len(properties) == 5 and all(b"srgbClr" in props for props in properties[:2])
    with zipfile.ZipFile(summary) as package:
        charts = [package.read(n) for n in package.namelist() if n.startswith("xl/charts/chart")]
    quartiles = next(c for c in charts if b"lineChart" in c)
    markers = re.findall(rb"<(?:c:)?marker>.*?</(?:c:)?marker>", quartiles, re.S)
    assert len(markers) == 3 and all(b"srgbClr" in m for m in markers)
    marker = "Estadísticas de la cartera"
    assert chart_pixels(summary, marker, palette.CHART_SERIES, tmp_path / "radar") > DRAWN
    # One scored example per stage: each bar is drawn in its stage's colour.
    for stage, color in palette.STAGE_COLORS.items():
        assert chart_pixels(summary, marker, color, tmp_path / stage) > DRAWN, stage
