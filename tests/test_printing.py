"""Every sheet we write prints well: LibreOffice prints it to PDF, and the pages are counted and
read. No area heading is left at the foot of a page, no table column ends up on a page of its
own, header rows and identifying columns repeat, and every page is numbered."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.instrument import Instrument
from tests.support.poppler import page_count, page_text
from tests.support.programs import to_pdf

EXAMPLES = Path(__file__).parents[1] / "examples"
pytestmark = pytest.mark.libreoffice


def flat(text: str) -> str:
    return " ".join(text.split())


def pages(pdf: Path) -> list[str]:
    return [flat(page_text(pdf, p)) for p in range(1, page_count(pdf) + 1)]


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Each workbook we write, printed: workbook → the text of each page."""
    work = tmp_path_factory.mktemp("impresion")
    CliRunner().invoke(cli, ["template", "-o", str(work / "plantilla.xlsx")])
    CliRunner().invoke(cli, ["process", str(EXAMPLES), "-o", str(work / "out")])
    shutil.copyfile(work / "out" / "documento-ejemplo-proactivo-resultados.xlsx", work / "r.xlsx")
    shutil.copyfile(work / "out" / "sistemas-sur-con-problemas-revisar.xlsx", work / "v.xlsx")
    shutil.copyfile(work / "out" / "resumen.xlsx", work / "resumen.xlsx")
    names = {"plantilla": "plantilla.xlsx", "resultados": "r.xlsx", "revisar": "v.xlsx"}
    names["resumen"] = "resumen.xlsx"
    return {key: pages(to_pdf(work / name, work / "pdf")) for key, name in names.items()}


def test_every_page__numbered(printed: dict[str, list[str]]) -> None:
    for workbook, texts in printed.items():
        for number, text in enumerate(texts, start=1):
            client_sheet = workbook != "plantilla" and text.startswith("Autoevaluación del")
            if not client_sheet:  # the client's own sheets print as they set them up
                # LibreOffice numbers the pages of the whole printed workbook.
                assert f"Página {number} de {len(texts)}" in text, (workbook, number)


def test_template__each_area_starts_a_page_with_its_table(
    printed: dict[str, list[str]], instrument: Instrument
) -> None:
    texts = printed["plantilla"]
    assert len(texts) == len(instrument.areas)
    for area, text in zip(instrument.areas, texts, strict=True):
        assert area.name in text and "TOTAL DE PUNTOS" in text
        for statement in area.statements:
            assert flat(statement.text)[:40] in text
    assert "Datos de la empresa" in texts[0]


def test_results_sheet__one_page__then_the_plan_on_one(
    printed: dict[str, list[str]], instrument: Instrument
) -> None:
    first, plan, following = printed["resultados"][0:3]
    assert first.startswith("Resultados de la autoevaluación")
    assert all(area.name in first for area in instrument.areas)
    assert "3,55" in first and "Proactivo" in first and "÷ 4 = 3,55" in first
    assert plan.startswith("Plan de acción")
    for column in ("Responsable", "Fecha objetivo", "Estado", "No iniciado"):
        assert column in plan  # the client's own columns are on the page, not cut off
    assert following.startswith("Autoevaluación del desarrollo como MSP")


def test_review_sheet__one_landscape_page_wide__every_problem_with_its_fix(
    printed: dict[str, list[str]],
) -> None:
    first, following = printed["revisar"][0], printed["revisar"][1]
    for header in ("Nº", "Área", "Afirmación", "Celda", "Qué hay que corregir"):
        assert header in first
    assert "nombre@empresa.com." in first  # the end of the last problem's message
    assert following.startswith("Autoevaluación del desarrollo como MSP")


def test_summary__each_wide_table_in_two_readable_halves__statistics_one_page_wide(
    printed: dict[str, list[str]],
) -> None:
    texts = printed["resumen"]
    assert len(texts) == 8  # Estadísticas is one page wide and two tall
    resumen, incidencias, estadisticas, respuestas = texts[0:2], texts[2:4], texts[4], texts[6:8]
    # Whose row it is, and the header row, on both halves; each half holds several columns.
    for half in resumen:
        assert "Id. cliente" in half and "Redes del Norte" in half
    assert all(v in resumen[0] for v in ("iker@redesdelnorte.es", "20/11/2026", "Iker"))
    assert all(v in resumen[1] for v in ("Media global", "Etapa", "Proactivo", "Escalable"))
    for half in incidencias:
        assert "Archivo" in half and "sistemas-sur" in half
    assert all(v in incidencias[0] for v in ("Sistemas del Sur", "Para revisar", "Ilegible"))
    assert all(v in incidencias[1] for v in ("answer_missing", "Autoevaluación!B25", "nombre@"))
    assert estadisticas.startswith("Estadísticas de la cartera")
    assert "Distribución por área" in estadisticas and "Media de cada afirmación" in estadisticas
    for half in respuestas:
        assert "Id. cliente" in half and "Cloud Iberia Servicios" in half
    assert "procesos_1" in respuestas[0] and "ingresos_5" in respuestas[1]
