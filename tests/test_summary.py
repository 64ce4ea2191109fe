"""resumen.xlsx and the CSV, checked against a computation written here from the answers given."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import statistics
import zipfile
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import write_examples, write_filled
from msp_assessment.instrument import Instrument
from tests.support.programs import require_libreoffice, soffice_convert

EXAMPLES = Path(__file__).parents[1] / "examples"

AREAS = [
    "Procesos y operaciones",
    "Tecnología y automatización",
    "Satisfacción y retención de los clientes",
    "Ingresos y crecimiento",
]


def stage_of(value: Fraction) -> str:
    """The document's table, written out here on purpose (not imported from the code)."""
    if value < 2:
        return "Reactivo"
    if value < 3:
        return "Estable"
    if value < 4:
        return "Proactivo"
    return "Escalable"


def grid_answers(grid: list[list[int]]) -> dict[tuple[int, int], object]:
    return {(a + 1, n + 1): v for a, row in enumerate(grid) for n, v in enumerate(row)}


def sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:] if any(row)]


def all_values(path: Path, sheet: str) -> list[Any]:
    ws = openpyxl.load_workbook(path)[sheet]
    return [v for row in ws.iter_rows(values_only=True) for v in row if v is not None]


def process(*args: str) -> Any:
    result = CliRunner().invoke(cli, ["process", *args, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


@pytest.fixture
def portfolio(tmp_path: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Fifteen clients with random answers, one workbook to review, one that is not a workbook."""
    rng = random.Random(20261127)
    folder = tmp_path / "recibidos"
    clients = []
    for i in range(15):
        grid = [[rng.randint(1, 5) for _ in range(5)] for _ in range(4)]
        client = Client(f"C-{i:03d}", f"Empresa {i:02d}", f"Persona {i}", f"p{i}@empresa{i}.es")
        name = f"respuesta-{i:02d}.xlsx"
        write_filled(folder / name, grid_answers(grid), client=client, date=f"2026-11-{i + 1:02d}")
        clients.append({"client": client, "grid": grid, "file": name, "day": i + 1})
    incomplete = grid_answers([[3] * 5] * 3)
    write_filled(folder / "incompleto.xlsx", incomplete, client=Client("C-900", "Incompleta"))
    (folder / "roto.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    return folder, clients


def expected_row(entry: dict[str, Any]) -> dict[str, Any]:
    totals = [sum(row) for row in entry["grid"]]
    averages = [Fraction(t, 5) for t in totals]
    overall = sum(averages, Fraction(0)) / 4  # exact: ties must sort by company, not by float noise
    client = entry["client"]
    row: dict[str, Any] = {
        "Id. cliente": client.id,
        "Empresa": client.company,
        "Contacto": client.contact,
        "Email": client.email,
        "Archivo": entry["file"],
        "Fecha": datetime(2026, 11, entry["day"]),
    }
    row.update({f"Total · {a}": t for a, t in zip(AREAS, totals, strict=True)})
    row.update({f"Media · {a}": float(m) for a, m in zip(AREAS, averages, strict=True)})
    row["Media global"] = overall
    row["Etapa"] = stage_of(overall)
    return row


ALONE = "los MSP evaluados en esta ronda: 0 MSP, no se muestra (mínimo 10)"


def with_standing(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's global percentile among the others (mid-rank, ties half, half up) and what it
    was compared with, counted here from the rows themselves."""
    for row in rows:
        others = [r["Media global"] for r in rows if r is not row]
        below = sum(1 for v in others if v < row["Media global"])
        equal = sum(1 for v in others if v == row["Media global"])
        share = Fraction(2 * below + equal, 2 * len(others))
        row["Percentil global"] = int(100 * share + Fraction(1, 2))
        row["Comparado con"] = f"los MSP evaluados en esta ronda ({len(others)} MSP)"
    return rows


def test_summary__resumen_rows__match_an_independent_computation(
    portfolio: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    folder, clients = portfolio
    report = process(str(folder), "-o", str(tmp_path / "out"))
    assert report["summary"] == str(tmp_path / "out" / "resumen.xlsx")
    rows = sheet_rows(Path(report["summary"]), "Resumen")
    expected = sorted(
        with_standing([expected_row(e) for e in clients]),
        key=lambda r: (-r["Media global"], r["Empresa"]),
    )
    assert len(rows) == 15
    for got, want in zip(rows, expected, strict=True):
        want["Media global"] = float(want["Media global"])
        assert got == want


def test_summary__statistics__match_an_independent_computation(
    portfolio: tuple[Path, list[dict[str, Any]]], tmp_path: Path, instrument: Instrument
) -> None:
    folder, clients = portfolio
    summary = Path(process(str(folder), "-o", str(tmp_path / "out"))["summary"])
    ws = openpyxl.load_workbook(summary)["Estadísticas"]
    cells = {row[0]: row[1:] for row in ws.iter_rows(values_only=True) if isinstance(row[0], str)}
    globals_ = [sum(Fraction(sum(r), 5) for r in e["grid"]) / 4 for e in clients]
    assert cells["Archivos procesados"][0] == 17
    assert cells["Clientes puntuados (cuentan en el resumen)"][0] == 15
    assert cells["Libros para revisar"][0] == 1 and cells["Archivos ilegibles"][0] == 1
    mean = statistics.mean(globals_)
    assert cells["Media global de la cartera"][:2] == (pytest.approx(mean), stage_of(mean))
    assert cells["Mediana de las medias globales"][0] == pytest.approx(statistics.median(globals_))
    for name in ("Reactivo", "Estable", "Proactivo", "Escalable"):
        count = sum(1 for g in globals_ if stage_of(g) == name)
        assert cells[name][:2] == (count, pytest.approx(count / 15))
    every = [tuple(row) for row in ws.iter_rows(values_only=True)]
    at = next(i for i, row in enumerate(every) if row[0] == "Distribución por área")
    spread = {row[0]: row[1:4] for row in every[at + 2 : at + 7]}
    for i, area in enumerate(AREAS):
        values = [float(Fraction(sum(e["grid"][i]), 5)) for e in clients]
        assert spread[area] == tuple(pytest.approx(v) for v in np.percentile(values, [25, 50, 75]))
    assert spread["Puntuación global"] == tuple(
        pytest.approx(v) for v in np.percentile([float(g) for g in globals_], [25, 50, 75])
    )
    every = every[:at] + every[at + 7 :]
    area_rows = [row[:2] for row in every if row[0] in AREAS and not row[3]]
    assert area_rows == [
        (area, pytest.approx(statistics.mean(Fraction(sum(e["grid"][i]), 5) for e in clients)))
        for i, area in enumerate(AREAS)
    ]

    statement_means = []
    for a, area in enumerate(AREAS):
        for n in range(5):
            mean_n = statistics.mean(Fraction(e["grid"][a][n]) for e in clients)
            statement_means.append((mean_n, a, n + 1, area))
    statement_means.sort()
    listed = [(row[0], row[1], row[2]) for row in every if row[0] in AREAS and row[3]]
    assert listed == [(area, n, pytest.approx(m)) for m, _, n, area in statement_means]
    assert len(ws._charts) == 3
    rules = ws.conditional_formatting
    assert [r.type for cf in rules for r in cf.rules] == ["colorScale"]

    answers = sheet_rows(summary, "Respuestas")
    by_id = {r["Id. cliente"]: r for r in answers}
    for entry in clients:
        row = by_id[entry["client"].id]
        flat = [row[st.id] for _, st in instrument.statements]
        assert flat == [v for r in entry["grid"] for v in r]


def test_summary__incidencias__one_row_per_bad_file_with_every_problem(
    portfolio: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    folder, _ = portfolio
    summary = Path(process(str(folder), "-o", str(tmp_path / "out"))["summary"])
    rows = sheet_rows(summary, "Incidencias")
    assert [(Path(r["Archivo"]).name, r["Estado"]) for r in rows] == [
        ("incompleto.xlsx", "Para revisar"),
        ("roto.xlsx", "Ilegible"),
    ]
    incomplete = rows[0]
    assert incomplete["Empresa"] == "Incompleta" and incomplete["Id. cliente"] == "C-900"
    assert incomplete["Nº de problemas"] == 5
    assert incomplete["Código"].split("\n") == ["answer_missing"] * 5
    assert incomplete["Problemas"].split("\n") == ["Falta una respuesta"] * 5
    assert incomplete["Celdas"].split("\n")[0] == "Autoevaluación!B49"
    assert incomplete["Qué hay que hacer"].startswith(
        "1. Afirmación 1 de «Ingresos y crecimiento» (celda Autoevaluación!B49): falta la "
        "respuesta."
    )
    assert rows[1]["Código"] == "file_corrupt" and rows[1]["Empresa"] is None


def test_summary__same_client_twice__newest_counts_and_the_other_is_superseded(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "in"
    low, high = grid_answers([[2] * 5] * 4), grid_answers([[4] * 5] * 4)
    # Same id (different case and company spelling): the later Fecha wins, whatever the file age.
    write_filled(folder / "alfa-nuevo.xlsx", high, client=Client("X-1", "Alfa"), date="15/11/2026")
    write_filled(
        folder / "alfa-viejo.xlsx", low, client=Client("x-1", "Alfa SL"), date="2026-11-01"
    )
    os.utime(folder / "alfa-nuevo.xlsx", (1_000_000, 1_000_000))
    # No id, same company up to case and spaces, no Fecha: the later modification time wins.
    write_filled(folder / "beta-1.xlsx", high, client=Client(company="Beta  Redes"))
    write_filled(folder / "beta-2.xlsx", low, client=Client(company="beta redes"))
    os.utime(folder / "beta-1.xlsx", (2_000_000, 2_000_000))
    os.utime(folder / "beta-2.xlsx", (3_000_000, 3_000_000))

    report = process(str(folder), "-o", str(tmp_path / "out"))
    assert report["counts"]["scored"] == 4
    assert report["superseded"] == [
        {"path": str(folder / "alfa-viejo.xlsx"), "by": str(folder / "alfa-nuevo.xlsx")},
        {"path": str(folder / "beta-1.xlsx"), "by": str(folder / "beta-2.xlsx")},
    ]
    summary = Path(report["summary"])
    resumen = sheet_rows(summary, "Resumen")
    assert [(r["Archivo"], r["Media global"]) for r in resumen] == [
        ("alfa-nuevo.xlsx", 4),
        ("beta-2.xlsx", 2),
    ]
    issues = sheet_rows(summary, "Incidencias")
    assert [(Path(r["Archivo"]).name, r["Estado"], r["Código"]) for r in issues] == [
        ("alfa-viejo.xlsx", "Sustituido", "superseded"),
        ("beta-1.xlsx", "Sustituido", "superseded"),
    ]
    assert "«alfa-nuevo.xlsx» (fecha: 15/11/2026)" in issues[0]["Qué hay que hacer"]
    assert "«beta-2.xlsx» (fecha: sin fecha)" in issues[1]["Qué hay que hacer"]
    stats = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(summary)["Estadísticas"].iter_rows(values_only=True)
        if r[0]
    }
    assert stats["Clientes puntuados (cuentan en el resumen)"] == 2
    assert stats["Libros sustituidos por uno más reciente"] == 2
    assert stats["Media global de la cartera"] == 3


INJECTIONS = {
    "id": "-2+3",
    "company": '=HYPERLINK("http://evil.example","clic")',
    "contact": "@SUM(1+1)",
}


def injected_batch(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    write_filled(
        folder / "malicioso.xlsx",
        grid_answers([[3] * 5] * 4),
        client=Client(INJECTIONS["id"], INJECTIONS["company"], INJECTIONS["contact"]),
    )
    write_filled(
        folder / "malicioso-2.xlsx",
        grid_answers([[3] * 5] * 3),  # incomplete: its client shows up in Incidencias
        client=Client("+1", "\tTabulada", "=1+1", "=cmd@x"),
    )
    return folder


def formulas_in(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as package:
        return [
            name
            for name in package.namelist()
            if name.startswith("xl/worksheets/") and b"<f>" in package.read(name)
        ]


def test_summary__client_text_that_looks_like_a_formula__stays_text_everywhere(
    tmp_path: Path,
) -> None:
    folder = injected_batch(tmp_path)
    out = tmp_path / "out"
    report = process(str(folder), "-o", str(out), "--csv", str(out / "resumen.csv"))
    for written in sorted(out.glob("*.xlsx")):
        assert formulas_in(written) == [], written.name
    resumen = sheet_rows(out / "resumen.xlsx", "Resumen")[0]
    assert (resumen["Id. cliente"], resumen["Empresa"], resumen["Contacto"]) == (
        INJECTIONS["id"],
        INJECTIONS["company"],
        INJECTIONS["contact"],
    )
    incidencias = sheet_rows(out / "resumen.xlsx", "Incidencias")[0]
    assert (incidencias["Id. cliente"], incidencias["Empresa"], incidencias["Contacto"]) == (
        "+1",
        "Tabulada",  # the reader trims surrounding spaces and tabs
        "=1+1",
    )
    text = Path(report["csv"]).read_text(encoding="utf-8-sig")
    row = next(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert (row["Id. cliente"], row["Empresa"], row["Contacto"]) == (
        "'" + INJECTIONS["id"],
        "'" + INJECTIONS["company"],
        "'" + INJECTIONS["contact"],
    )


@pytest.mark.libreoffice
def test_summary__opened_by_libreoffice__shows_injected_text_not_a_formula_result(
    tmp_path: Path,
) -> None:
    require_libreoffice()
    out = tmp_path / "out"
    process(str(injected_batch(tmp_path)), "-o", str(out))
    exported = soffice_convert(
        out / "resumen.xlsx", "csv:Text - txt - csv (StarCalc):44,34,76", tmp_path / "lo"
    )
    rows = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["Id. cliente", "Empresa", "Contacto"]
    assert rows[1][:3] == [INJECTIONS["id"], INJECTIONS["company"], INJECTIONS["contact"]]
    assert rows[1][-4:-2] == ["3.00", "Proactivo"]


@pytest.mark.parametrize(
    ("dialect", "encoding", "separator", "average", "day"),
    [
        ([], "utf-8-sig", ";", "3,55", "20/11/2026"),
        (["--csv-dialect", "es"], "utf-8-sig", ";", "3,55", "20/11/2026"),
        (["--csv-dialect", "standard"], "utf-8", ",", "3.55", "2026-11-20"),
    ],
)
def test_csv__dialects__separator_decimal_mark_dates_and_bom(
    tmp_path: Path,
    dialect: list[str],
    encoding: str,
    separator: str,
    average: str,
    day: str,
) -> None:
    grid = [[5, 5, 5, 4, 4], [3, 3, 3, 4, 3], [4, 4, 4, 3, 4], [3, 3, 2, 2, 3]]  # the document's
    client = Client("C-1", "Redes, del Norte; S.L.", "Iker", "iker@redes.es")
    path = write_filled(
        tmp_path / "in" / "r.xlsx", grid_answers(grid), client=client, date="2026-11-20"
    )
    target = tmp_path / "out" / "tabla.csv"
    process(str(path), "-o", str(tmp_path / "out"), "--csv", str(target), *dialect)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    rows = list(csv.reader(io.StringIO(raw.decode(encoding)), delimiter=separator))
    assert rows[0][0] == "Id. cliente" and len(rows[0]) == 18
    assert rows[1][:2] == ["C-1", "Redes, del Norte; S.L."]
    assert rows[1][5:] == [day, "23", "16", "19", "13"] + [
        m.replace(",", average[1]) for m in ["4,60", "3,20", "3,80", "2,60"]
    ] + [
        average,
        "Proactivo",
        "",
        "los MSP evaluados en esta ronda: 0 MSP, no se muestra (mínimo 10)",
    ]
    assert b"\r\n" in raw


def test_summary__no_scored_client__valid_workbook_that_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "vacio.xlsx").write_bytes(b"")
    out = tmp_path / "out"
    report = process(str(folder), "-o", str(out), "--csv", str(out / "r.csv"))
    assert report["counts"] == {"scored": 0, "invalid": 0, "unreadable": 1}
    summary = Path(report["summary"])
    book = openpyxl.load_workbook(summary)
    assert book.sheetnames == ["Resumen", "Incidencias", "Estadísticas", "Respuestas", "_msp"]
    assert book["_msp"].sheet_state == "hidden"  # our stamp, for a later round's --previous
    message = "Ningún libro se ha podido puntuar en esta ejecución"
    assert any(str(v).startswith(message) for v in all_values(summary, "Resumen"))
    assert any(str(v).startswith(message) for v in all_values(summary, "Estadísticas"))
    assert [r["Código"] for r in sheet_rows(summary, "Incidencias")] == ["file_empty"]
    lines = (out / "r.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 and lines[0].startswith("Id. cliente;Empresa")


@pytest.mark.libreoffice
def test_summary__empty_batch__opens_in_libreoffice(tmp_path: Path) -> None:
    require_libreoffice()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["process", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 1, result.output  # nothing to process is worth a look
    pdf = soffice_convert(out / "resumen.xlsx", "pdf", tmp_path / "lo")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_summary__custom_path_and_not_over_an_input(tmp_path: Path) -> None:
    path = write_filled(
        tmp_path / "in" / "a.xlsx", grid_answers([[1] * 5] * 4), client=Client(company="A")
    )
    target = tmp_path / "informes" / "cartera.xlsx"
    report = process(str(path), "-o", str(tmp_path / "out"), "--summary", str(target))
    assert report["summary"] == str(target) and target.exists()
    assert not (tmp_path / "out" / "resumen.xlsx").exists()
    result = CliRunner().invoke(
        cli, ["process", str(path), "-o", str(tmp_path / "out"), "--summary", str(path)]
    )
    assert result.exit_code == 2 and "elija otro nombre" in result.output
    assert sheet_rows(target, "Resumen")[0]["Etapa"] == "Reactivo"


def test_process_with_client_list__resumen_covers_every_client__response_rate__outsiders_flagged(
    tmp_path: Path,
) -> None:
    from tests.support.mail import write_list

    folder = tmp_path / "recibidos"
    write_examples(folder)
    rows = [
        ("CL-003", "Redes del Norte", "Iker", "iker@redesdelnorte.es"),
        ("CL-004", "Cloud Iberia Servicios", "Lucía", "lucia@cloudiberia.es"),
        ("CL-005", "Sistemas del Sur", "Antonio", "antonio@sistemasdelsur.es"),
        ("CL-006", "Nube Nueva", "Ana", "ana@nubenueva.es"),
        ("CL-007", "Otra Pendiente", "Eva", "eva@otra.es"),
    ]
    clients = write_list(tmp_path / "clientes.csv", rows)
    out = tmp_path / "out"
    summary = Path(process(str(folder), "-o", str(out), "--clients", str(clients))["summary"])
    resumen = sheet_rows(summary, "Resumen")
    situation = [(r["Id. cliente"], r["Situación"]) for r in resumen if r["Situación"]]
    assert situation == [
        ("CL-004", "Puntuado"),
        ("CL-003", "Puntuado"),
        ("CL-002", "Fuera de la lista"),
        ("CL-001", "Fuera de la lista"),
        ("CL-005", "Con problemas (ver Incidencias)"),
        ("CL-006", "Pendiente"),
        ("CL-007", "Pendiente"),
    ]
    wb = openpyxl.load_workbook(summary)
    texts = [c.value for row in wb["Resumen"].iter_rows() for c in row if isinstance(c.value, str)]
    assert (
        "Han respondido 3 de 5 clientes (60 %): 2 puntuados y 1 con problemas; faltan 2." in texts
    )
    stats = [c.value for row in wb["Estadísticas"].iter_rows(max_row=12) for c in row if c.value]
    assert "Clientes en la lista" in stats
    assert any(
        isinstance(v, str)
        and v.endswith("Las cifras de esta hoja se basan en 4 clientes puntuados.")
        for v in stats
    )
    flagged = {
        Path(r["Archivo"]).name: r["Código"].split("\n") for r in sheet_rows(summary, "Incidencias")
    }
    assert flagged["taller-informatico-reactivo.xlsx"] == ["not_on_list"]
    assert flagged["soporte-levante-estable.xlsx"] == ["not_on_list"]
    assert "not_on_list" not in flagged["sistemas-sur-con-problemas.xlsx"]


def test_process_with_a_client_list_with_problems__stops_before_reading_any_file(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "clientes.csv"
    bad.write_text("id;empresa;email\n;Sin id;x@x.es\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["process", str(EXAMPLES), "-o", str(tmp_path / "o"), "--clients", str(bad)]
    )
    assert result.exit_code == 2
    assert "La lista de clientes" in result.output and "Línea 2: falta el id." in result.output
    assert not (tmp_path / "o").exists()


def _parts(data: bytes) -> dict[str, bytes]:
    """A package's parts but its dates (docProps/core.xml: when it was made)."""
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return {n: package.read(n) for n in package.namelist() if n != "docProps/core.xml"}


def test_summary__written_as_its_rows_are_made__same_parts_as_built_whole(
    tmp_path: Path, portfolio: tuple[Path, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary's sheets are made while they are written (streamed): every part is the one
    openpyxl writes when the whole workbook is built first, in the runs that use each sheet's
    every kind of row (a client list with pending clients and outsiders, workbooks to review
    and unreadable ones, a long name that wraps, text that looks like a formula, an earlier
    round and its Evolución, nothing scored at all)."""
    from msp_assessment.processing.portfolio import workbook as summary_module
    from msp_assessment.processing.portfolio.streamed import build_all
    from tests.support.mail import write_list

    made: list[tuple[Any, Instrument, bytes]] = []
    original = summary_module.summary_bytes

    def recorded(consolidation: Any, instrument: Instrument) -> bytes:
        data = original(consolidation, instrument)
        made.append((consolidation, instrument, data))
        return data

    monkeypatch.setattr(summary_module, "summary_bytes", recorded)
    folder, clients = portfolio
    company = "Servicios Gestionados " * 6 + "S.L."
    long_name = Client("C-100", company, '=HYPERLINK("x")', "a@b.es")
    write_filled(folder / "largo.xlsx", grid_answers([[4] * 5] * 4), client=long_name)
    rows = [(e["client"].id, e["client"].company, "x", e["client"].email) for e in clients[:10]]
    listed = write_list(tmp_path / "clientes.csv", [*rows, ("C-200", "Pendiente", "P", "p@p.es")])
    first = process(str(folder), "-o", str(tmp_path / "r1"), "--jobs", "1")
    process(
        str(folder),
        "-o",
        str(tmp_path / "r2"),
        "--jobs",
        "1",
        "--clients",
        str(listed),
        "--previous",
        first["summary"],
    )
    empty = tmp_path / "vacio"
    empty.mkdir()
    (empty / "vacio.xlsx").write_bytes(b"")
    process(str(empty), "-o", str(tmp_path / "r3"), "--jobs", "1")
    assert len(made) == 3
    names = [openpyxl.load_workbook(io.BytesIO(data)).sheetnames for _, _, data in made]
    assert "Evolución" in names[1] and "Evolución" not in names[0]
    for consolidation, instrument, data in made:
        whole = io.BytesIO()
        build_all(summary_module.summary_workbook(consolidation, instrument)).save(whole)
        streamed, built = _parts(data), _parts(whole.getvalue())
        assert streamed.keys() == built.keys()
        assert [n for n in streamed if streamed[n] != built[n]] == []


def test_streamed_sheet__each_row_let_go_once_written__a_row_made_late_is_refused() -> None:
    from msp_assessment.processing.portfolio.streamed import add_sheet, save

    held: list[int] = []

    def rows(ws: Any) -> Any:
        for row in range(1, 2001):
            for col in range(1, 6):
                ws.cell(row=row, column=col, value=row * col)
            held.append(len(ws._cells))
            yield

    wb = openpyxl.Workbook()
    add_sheet(wb, "Datos", rows)
    ws = openpyxl.load_workbook(io.BytesIO(save(wb)))["Datos"]
    assert max(held) == 5  # the row being made, never the ones before
    assert ws.dimensions == "A1:E2000"
    assert [c.value for c in ws[2000]] == [2000, 4000, 6000, 8000, 10000]

    def back(ws: Any) -> Any:
        ws.cell(row=2, column=1, value="b")
        yield
        ws.cell(row=1, column=1, value="a")  # its row was written already
        yield

    late = openpyxl.Workbook()
    add_sheet(late, "Datos", back)
    with pytest.raises(ValueError, match="row 1 made after row 2"):
        save(late)
