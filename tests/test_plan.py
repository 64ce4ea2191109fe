"""The Plan de acción sheet of a results copy: one row per area, the weakest first, with the exact
points to its next stage, the statements that hold it back in the document's words, the tip for
its stage, and the client's own columns (Responsable, Fecha objetivo, Estado with its list);
second after Resultados, never grouped with it, unprotected; what moved since the last round;
and the short plan in the PDF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_filled
from msp_assessment.instrument import load_instrument
from msp_assessment.processing.copies.sheets import PLAN_STATES
from msp_assessment.workbook_templates import contract
from tests.support.poppler import page_count, page_text
from tests.support.programs import require_poppler

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml
INSTRUMENT = load_instrument()
# Area totals 9, 14, 19 and 25: one point from the next stage in three areas, the top in one.
ANSWERS = uniform_answers({1: [1, 2, 2, 2, 2], 2: [3, 3, 3, 3, 2], 3: [4, 4, 4, 4, 3], 4: [5] * 5})
ALFA = Client("A-1", "Alfa", "Ana", "ana@alfa.es")


def process(*args: str) -> dict[str, Any]:
    done = CliRunner().invoke(cli, ["process", *args, "--json", "--jobs", "1"])
    assert done.exit_code == 0, done.output
    return dict(json.loads(done.stdout))


def plan_rows(copy: str) -> tuple[openpyxl.Workbook, list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(copy)
    return wb, [tuple(r) for r in wb[contract.PLAN_SHEET].iter_rows(values_only=True)]


def test_plan__weakest_first__exact_points__statements_in_the_documents_words(
    tmp_path: Path,
) -> None:
    write_filled(tmp_path / "in" / "alfa.xlsx", ANSWERS, client=ALFA, date="20/11/2026")
    report = process(str(tmp_path / "in"), "-o", str(tmp_path / "out"))
    wb, rows = plan_rows(report["files"][0]["output"])
    assert wb.sheetnames[:2] == [contract.RESULTS_SHEET, contract.PLAN_SHEET]
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [
        contract.RESULTS_SHEET  # never two of ours selected: they would be edited as a group
    ]
    assert wb[contract.PLAN_SHEET].protection.sheet is False  # the client keeps it as their plan
    # Global: 9 + 14 + 19 + 25 = 67 of 100, Proactivo; Escalable at 80.
    assert rows[1][0] == (
        "Puntuación global 3,35, etapa Proactivo. Para la etapa Escalable le faltan 13 puntos: "
        "la suma de los cuatro totales, hoy 67 de 100, tiene que llegar a 80."
    )
    header = rows[4]
    assert header[:3] == ("Área", "Etapa", "Para la siguiente etapa")
    assert header[5:] == ("Responsable", "Fecha objetivo", "Estado")
    table = rows[5:9]
    areas = INSTRUMENT.areas
    assert [r[0] for r in table] == [areas[0].name, areas[1].name, areas[2].name, areas[3].name]
    assert [r[2] for r in table] == [
        "1 punto más para Estable (hoy 9 de 25)",
        "1 punto más para Proactivo (hoy 14 de 25)",
        "1 punto más para Escalable (hoy 19 de 25)",
        "Ya en Escalable, la etapa más alta",
    ]
    first = areas[0].statements[0]  # the one 1 of area 1: it alone gives the point
    assert table[0][3] == f"1. {first.text} (respuesta 1)"
    fifth = areas[1].statements[4]
    assert table[1][3] == f"5. {fifth.text} (respuesta 2)"
    assert table[3][3] == "—"
    for row, area in zip(table, areas, strict=True):
        stage = next(s for s in INSTRUMENT.stages if s.name == row[1])
        assert row[4] == INSTRUMENT.tip(area, stage)  # verbatim
        assert row[5:] == (None, None, PLAN_STATES[0])
    (listed,) = wb[contract.PLAN_SHEET].data_validations.dataValidation
    assert listed.type == "list" and str(listed.sqref) == "H6:H9"
    assert listed.formula1 == '"No iniciado,En curso,Completado"'


def test_plan__with_an_earlier_round__says_what_moved(tmp_path: Path) -> None:
    earlier = uniform_answers({1: [1] * 5, 2: [3] * 5, 3: [4] * 5, 4: [5] * 5})
    write_filled(tmp_path / "r1" / "alfa.xlsx", earlier, client=ALFA, date="20/11/2025")
    first = process(str(tmp_path / "r1"), "-o", str(tmp_path / "o1"))
    write_filled(tmp_path / "r2" / "alfa.xlsx", ANSWERS, client=ALFA, date="20/11/2026")
    second = process(
        str(tmp_path / "r2"), "-o", str(tmp_path / "o2"), "--previous", first["summary"]
    )
    _, rows = plan_rows(second["files"][0]["output"])
    assert rows[3][0] == (
        "Desde el 20/11/2025: la puntuación global ha cambiado +0,10 y sigue en Proactivo."
    )
    assert rows[4][2] == "Cambio desde el 20/11/2025"
    changes = {r[0]: r[2] for r in rows[5:9]}
    assert changes[INSTRUMENT.areas[0].name] == "+0,80"  # 5 → 9 points: 1,00 → 1,80
    assert (
        changes[INSTRUMENT.areas[1].name] == "−0,20" or changes[INSTRUMENT.areas[1].name] == "-0,20"
    )


def test_plan__the_pdf_carries_the_short_plan_on_its_one_page(tmp_path: Path) -> None:
    require_poppler()
    write_filled(tmp_path / "in" / "alfa.xlsx", ANSWERS, client=ALFA)
    report = process(str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--pdf")
    pdf = Path(
        report["files"][0]["output"].replace(contract.RESULTS_SUFFIX, contract.REPORT_SUFFIX)
    )
    assert page_count(pdf) == 1
    text = " ".join(page_text(pdf, 1, "-raw").split())
    assert "Siguiente etapa" in text
    for stage in ("Estable", "Proactivo", "Escalable"):
        assert f"1 punto más para {stage}" in text
    assert "la más alta" in text


def test_stage_sentences__each_place_its_own_verb() -> None:
    """One method says the stages in words; the Plan sheet's sentence keeps its perfect tense,
    the e-mail and the PDF the present."""
    from fractions import Fraction

    from msp_assessment.outcome import Change
    from msp_assessment.processing.copies.sheets import _moved_text

    stages = load_instrument().stages
    up = Change(Fraction(1, 2), (), stages[1], stages[2])
    same = Change(Fraction(0), (), stages[2], stages[2])
    assert (
        _moved_text(up)
        == "la puntuación global ha cambiado +0,50 y ha pasado de Estable a Proactivo."
    )
    assert _moved_text(same) == "la puntuación global ha cambiado 0,00 y sigue en Proactivo."
    assert up.stage_words("la etapa ") == "pasa de la etapa Estable a Proactivo"
    assert same.stage_words("la etapa ") == "sigue en la etapa Proactivo"
