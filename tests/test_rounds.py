"""Rounds over time: three rounds built in code, every figure exact; earlier summaries that are
not ours or were edited are refused; a summary saved by LibreOffice still serves."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import write_filled
from msp_assessment.instrument import Instrument
from tests.support.programs import require_libreoffice, soffice_convert

DATES = {1: "20/11/2024", 2: "20/11/2025", 3: "20/11/2026"}
# Client → company as written in each round, and the total of its 20 answers (global average =
# total ÷ 20): 39 → 1,95 and 40 → 2,00 cross Reactivo/Estable, 59/60 Estable/Proactivo, 79/80
# Proactivo/Escalable.
PLAN: dict[str, dict[int, tuple[str, int]]] = {
    "A-1": {1: ("Alfa SL", 40), 2: ("ALFA, S.L.", 60), 3: ("Alfa S.L.", 80)},  # renamed
    "B-1": {1: ("Beta", 60), 3: ("Beta", 59)},  # skips round 2; down a stage
    "C-1": {1: ("Gamma", 70), 2: ("Gamma", 70)},  # missing from round 3
    "D-1": {3: ("Delta", 100)},  # new in round 3
    "E-1": {1: ("Épsilon", 39), 2: ("Épsilon", 40), 3: ("Épsilon", 40)},  # up, then the same
    "F-1": {2: ("Fi", 79), 3: ("Fi", 80)},  # up to Escalable exactly
}


def answers(total: int) -> dict[tuple[int, int], object]:
    """20 answers from 1 to 5 adding up to ``total``: each area as even as it can be."""
    values = [1] * 20
    extra = total - 20
    i = 0
    while extra:
        if values[i % 20] < 5:
            values[i % 20] += 1
            extra -= 1
        i += 1
    # Interleave so every area gets its share (statement order is area by area).
    order = [values[k] for k in range(20)]
    spread = [order[a + 4 * n] for a in range(4) for n in range(5)]
    return {(a + 1, n + 1): spread[a * 5 + n] for a in range(4) for n in range(5)}


def process(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["process", *args, "--json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.startswith("{") else {}


@pytest.fixture(scope="module")
def three_rounds(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Any]:
    work = tmp_path_factory.mktemp("rondas")
    reports: dict[int, Any] = {}
    summaries: list[str] = []
    for number, when in DATES.items():
        folder = work / f"recibidos-{number}"
        for client_id, rounds in PLAN.items():
            if number in rounds:
                company, total = rounds[number]
                client = Client(client_id, company, "Ana", "ana@ejemplo.es")
                write_filled(folder / f"{client_id}.xlsx", answers(total), client=client, date=when)
        args = [str(folder), "-o", str(work / f"resultados-{number}")]
        for summary in summaries:
            args += ["--previous", summary]
        code, report = process(*args)
        assert code == 0, report
        reports[number] = report
        summaries.append(report["summary"])
    return reports


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["client"]["id"]: f for f in report["files"]}


def test_answers_helper__gives_the_total() -> None:
    for total in (20, 39, 40, 59, 79, 80, 100):
        assert sum(answers(total).values()) == total  # type: ignore[arg-type]


def test_three_rounds__json__previous_results_and_exact_changes(
    three_rounds: dict[int, Any],
) -> None:
    files = by_id(three_rounds[3])
    alfa = files["A-1"]
    assert [(p["round"], p["average"], p["stage"]) for p in alfa["previous"]] == [
        ("2024-11-20", 2.0, "Estable"),
        ("2025-11-20", 3.0, "Proactivo"),
    ]  # matched by id although the company is spelled differently each year
    assert alfa["change"]["average_text"] == "+1,00"
    assert alfa["change"]["stage"] == {"before": "Proactivo", "now": "Escalable"}
    beta = files["B-1"]  # skipped the middle round: compared with 2024
    assert [p["round"] for p in beta["previous"]] == ["2024-11-20"]
    assert (beta["average"], beta["change"]["average_text"]) == (2.95, "-0,05")
    assert beta["change"]["stage"] == {"before": "Proactivo", "now": "Estable"}
    epsilon = files["E-1"]
    assert [p["average"] for p in epsilon["previous"]] == [1.95, 2.0]
    assert (epsilon["change"]["average_text"], epsilon["change"]["stage"]["now"]) == (
        "0,00",
        "Estable",
    )
    fi = files["F-1"]
    assert (fi["previous"][0]["average"], fi["average"]) == (3.95, 4.0)
    assert fi["change"]["stage"] == {"before": "Proactivo", "now": "Escalable"}
    assert files["D-1"]["previous"] == [] and files["D-1"]["change"] is None
    # Round 2 against round 1: Épsilon crosses 1,95 → 2,00, Reactivo → Estable.
    assert by_id(three_rounds[2])["E-1"]["change"]["stage"] == {
        "before": "Reactivo",
        "now": "Estable",
    }


def test_three_rounds__resumen_evolution_sheet__every_figure(
    three_rounds: dict[int, Any], instrument: Instrument
) -> None:
    wb = openpyxl.load_workbook(three_rounds[3]["summary"])
    assert wb.sheetnames[:5] == [
        "Resumen",
        "Incidencias",
        "Estadísticas",
        "Evolución",
        "Respuestas",
    ]
    assert wb["_msp"].sheet_state == "hidden"
    ws = wb["Evolución"]
    cells = [[c for c in row] for row in ws.iter_rows(values_only=True)]
    flat = [v for row in cells for v in row if v is not None]
    counts = {
        row[0]: row[2]
        for row in cells
        if row[0] in ("Suben de etapa", "Se mantienen", "Bajan de etapa")
    }
    # Against each client's latest earlier round: A-1 and F-1 up, E-1 the same, B-1 down.
    assert counts == {"Suben de etapa": 2, "Se mantienen": 1, "Bajan de etapa": 1}
    table = {row[0]: row for row in cells if row[0] in ("A-1", "B-1", "E-1", "F-1")}
    assert table["A-1"][2:8] == [2.0, 3.0, 4.0, "+1,00", "Proactivo", "Escalable"]
    assert table["B-1"][2:8] == [3.0, None, 2.95, "-0,05", "Proactivo", "Estable"]
    assert table["F-1"][2:8] == [None, 3.95, 4.0, "+0,05", "Proactivo", "Escalable"]
    assert "D-1" not in table and "C-1" not in table
    new_at = flat.index("Clientes nuevos en esta ronda")
    missing_at = flat.index("Clientes de la ronda anterior que no han respondido en esta")
    assert "D-1" in flat[new_at:missing_at] and "C-1" in flat[missing_at:]
    # Portfolio means per round, exact: round 3 = (4,00 + 2,95 + 5,00 + 2,00 + 4,00) ÷ 5.
    # The first row naming the area is the per-round table's (the statements table comes later).
    first = next(row for row in cells if row[0] == instrument.areas[0].name)
    area_rows = {first[0]: first[2:5]}
    means = [
        sum(answers(PLAN[c][r][1])[(1, n)] for c in PLAN if r in PLAN[c] for n in range(1, 6))  # type: ignore[misc]
        / 5
        / sum(1 for c in PLAN if r in PLAN[c])
        for r in (1, 2, 3)
    ]
    assert [round(v, 9) for v in area_rows[instrument.areas[0].name]] == [
        round(m, 9) for m in means
    ]


def test_resultados_sheet__evolution_section_and_one_radar_series_per_round(
    three_rounds: dict[int, Any],
) -> None:
    output = by_id(three_rounds[3])["A-1"]["output"]
    ws = openpyxl.load_workbook(output)["Resultados"]
    rows = [tuple(row) for row in ws.iter_rows(values_only=True)]
    at = next(i for i, row in enumerate(rows) if row[0] == "Evolución")
    assert rows[at + 1][:5] == (
        "Área",
        "Media 20/11/2024",
        "Media 20/11/2025",
        "Media actual",
        "Cambio",
    )
    assert rows[at + 6][:5] == ("Puntuación global", 2.0, 3.0, 4.0, "+1,00")
    assert rows[at + 7][:2] == ("Etapa", "Proactivo → Escalable")
    with zipfile.ZipFile(output) as package:
        chart = next(package.read(n) for n in package.namelist() if n.startswith("xl/charts/"))
    assert chart.count(b"<c:ser>") + chart.count(b"<ser>") == 3


def test_previous__not_our_summary__refused_with_a_clear_message(tmp_path: Path) -> None:
    other = write_filled(tmp_path / "otro.xlsx", answers(60), client=Client("X", "X", "", "x@x.es"))
    inbox = tmp_path / "in"
    write_filled(inbox / "a.xlsx", answers(60), client=Client("A", "A", "", "a@a.es"))
    result = CliRunner().invoke(
        cli, ["process", str(inbox), "-o", str(tmp_path / "o"), "--previous", str(other)]
    )
    assert result.exit_code == 2
    assert "no es un resumen escrito por msp-assessment" in result.output
    assert not (tmp_path / "o").exists()


def test_previous__edited_answers__refused__unless_forced(
    three_rounds: dict[int, Any], tmp_path: Path
) -> None:
    edited = tmp_path / "editado.xlsx"
    shutil.copyfile(three_rounds[1]["summary"], edited)
    wb = openpyxl.load_workbook(edited)
    ws = wb["Respuestas"]
    ws.cell(row=2, column=4).value = 5 if ws.cell(row=2, column=4).value != 5 else 4
    wb.save(edited)
    inbox = tmp_path / "in"
    write_filled(inbox / "a.xlsx", answers(60), client=Client("A-1", "Alfa", "", "a@a.es"))
    args = ["process", str(inbox), "-o", str(tmp_path / "o"), "--previous", str(edited)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code == 2 and "se ha editado a mano" in refused.output
    forced = CliRunner().invoke(cli, [*args, "--accept-edited", "--json"])
    assert forced.exit_code == 0
    assert json.loads(forced.stdout)["files"][0]["previous"] != []


@pytest.mark.libreoffice
def test_previous__summary_saved_by_libreoffice__still_recognised(
    three_rounds: dict[int, Any], tmp_path: Path
) -> None:
    require_libreoffice()
    saved = soffice_convert(Path(three_rounds[1]["summary"]), "xlsx", tmp_path / "lo")
    inbox = tmp_path / "in"
    write_filled(inbox / "a.xlsx", answers(80), client=Client("A-1", "Alfa", "", "a@a.es"))
    code, report = process(str(inbox), "-o", str(tmp_path / "o"), "--previous", str(saved))
    assert code == 0, report
    (alfa,) = report["files"]
    assert [(p["round"], p["average"]) for p in alfa["previous"]] == [("2024-11-20", 2.0)]
    assert alfa["change"]["average_text"] == "+2,00"
