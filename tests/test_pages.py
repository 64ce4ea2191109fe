"""What a person sees on the pages of a two-round campaign is right: one date format, real dates,
rounds named as the client knows them, our own sheets hidden whatever program saved the workbook,
nothing cut or split when the summary is printed, and the results e-mail saying what moved."""

from __future__ import annotations

import re
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_filled
from msp_assessment.workbook_templates import contract
from tests.support.hostile import rewrite_parts, to_1904
from tests.support.mail import invoke, parse_eml, plain_text, write_list
from tests.support.poppler import page_count, page_text
from tests.support.programs import gnumeric_save, require_gnumeric, to_pdf

LONG = "Consultoría Aragonesa de Sistemas Informáticos y Comunicaciones Avanzadas, S.L."
ROWS = [
    ("MSP-000", LONG, "Pilar Lázaro", "pilar@aragonesa.es"),
    *[
        (f"MSP-{i:03d}", f"Empresa {i:02d} Servicios TI", f"Contacto {i}", f"c{i}@e{i}.es")
        for i in range(1, 8)
    ],
]
SENDER = "Canal <canal@fabricante.es>"
pytestmark = pytest.mark.writes_workbooks


def grid(level: int) -> dict[tuple[int, int], object]:
    return uniform_answers({a: [min(5, level + (a % 2))] * 5 for a in range(1, 5)})


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A campaign of eight clients over two rounds named «2026-T1» and «2026-T2», six answering
    each; the first client's name is 80 characters long. Returns, dropped in by hand."""
    base = tmp_path_factory.mktemp("campaña")
    clients = write_list(base / "clientes.csv", ROWS)
    root = base / "c"
    made = invoke(
        "init",
        str(root),
        "--clients",
        str(clients),
        "--from",
        SENDER,
        "--smtp-host",
        "",
        "--round",
        "2026-T1",
    )
    assert made.exit_code == 0, made.output
    for i, row in enumerate(ROWS[:6]):
        day = f"{3 + i:02d}/11/2026" if i else "03-11-26"  # the first typed as text
        write_filled(
            root / "2026-T1/recibidos" / f"r{i}.xlsx",
            grid(1 + i % 3),
            client=Client(*row),
            date=day,
        )
    assert invoke("--campaign", str(root), "process", "--pdf").exit_code == 0
    assert invoke("--campaign", str(root), "deliver").exit_code == 0
    assert invoke("--campaign", str(root), "round", "new", "2026-T2").exit_code == 0
    for i, row in enumerate(ROWS[:6]):
        write_filled(
            root / "2026-T2/recibidos" / f"r{i}.xlsx",
            grid(2 + i % 3),
            client=Client(*row),
            date=f"{20 + i}/11/2026",
        )
    assert invoke("--campaign", str(root), "process", "--pdf").exit_code == 0
    done = invoke("--campaign", str(root), "deliver")
    assert done.exit_code == 0, done.output
    return root


def test_results_sheet__fecha_a_real_date_shown_dd_mm_aaaa__even_typed_as_text(
    campaign: Path,
) -> None:
    for folder, expected in (
        ("2026-T1", datetime(2026, 11, 3)),
        ("2026-T2", datetime(2026, 11, 20)),
    ):
        ws = openpyxl.load_workbook(campaign / folder / "resultados" / "r0-resultados.xlsx")[
            "Resultados"
        ]
        label = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Fecha")
        cell = ws.cell(label, 2)
        assert cell.value == expected and cell.number_format == "DD/MM/YYYY"


def test_pdf__dates_dd_mm_aaaa__earlier_round_by_its_name(campaign: Path) -> None:
    first = flat(page_text(campaign / "2026-T1/resultados/r0-informe.pdf", 1))
    assert "Fecha de las respuestas 03/11/2026" in first and "2026-11-03" not in first
    second = flat(page_text(campaign / "2026-T2/resultados/r1-informe.pdf", 1))
    assert "Fecha de las respuestas 21/11/2026" in second
    # The round the client answered in, by its name: never the newest answer of the round (08/11).
    assert re.search(r"Evolución: \d,\d\d en la ronda «2026-T1»; ahora", second), second
    assert "08/11/2026" not in second


def test_plan_sheet__change_since_the_round_by_its_name(campaign: Path) -> None:
    ws = openpyxl.load_workbook(campaign / "2026-T2/resultados/r1-resultados.xlsx")[
        contract.PLAN_SHEET
    ]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value]
    assert "Cambio desde la ronda «2026-T1»" in texts
    assert any(t.startswith("Desde la ronda «2026-T1»: ") for t in texts)


def test_second_round_email__one_line_on_the_change__company_dot_not_doubled(
    campaign: Path,
) -> None:
    drafts = sorted((campaign / "2026-T2/entrega").glob("*.eml"))
    body = plain_text(parse_eml(drafts[0]))
    line = next(line for line in body.splitlines() if line.startswith("Desde la ronda"))
    assert re.fullmatch(
        r"Desde la ronda «2026-T1», su puntuación global ha pasado de \d,\d\d a \d,\d\d "
        r"\([+−-]\d,\d\d\) y (sigue en la etapa \w+|pasa de la etapa \w+ a \w+)\.",
        line,
    ), line
    assert "S.L.." not in body and f"de {LONG} Su puntuación" in body.replace("\n", " ")
    first_round = plain_text(parse_eml(sorted((campaign / "2026-T1/entrega").glob("*.eml"))[0]))
    assert "Desde la ronda" not in first_round  # nothing to compare with yet


def test_summary_incidencias__the_newer_workbook_dated_dd_mm_aaaa(tmp_path: Path) -> None:
    alfa = Client("A-1", "Alfa")
    write_filled(tmp_path / "in/a.xlsx", grid(2), client=alfa, date="20/11/2026")
    write_filled(tmp_path / "in/b.xlsx", grid(3), client=alfa, date="2026-11-24")
    assert invoke("process", str(tmp_path / "in"), "-o", str(tmp_path / "out")).exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "out" / contract.SUMMARY_NAME)["Incidencias"]
    messages = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert "(fecha: 24/11/2026)" in messages and "2026-11-24" not in messages


def test_summary_printed__long_names_wrap__response_line_whole__evolution_chart_on_one_page(
    campaign: Path, tmp_path: Path
) -> None:
    summary = campaign / "2026-T2/resultados" / contract.SUMMARY_NAME
    ws = openpyxl.load_workbook(summary)["Resumen"]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 2).value == LONG)
    assert ws.cell(row, 2).alignment.wrap_text and ws.row_dimensions[row].height >= 45
    pdf = to_pdf(summary, tmp_path)
    texts = [flat(page_text(pdf, p)) for p in range(1, page_count(pdf) + 1)]
    response = "Han respondido 6 de 8 clientes (75 %): 6 puntuados y 0 con problemas; faltan 2."
    resumen = texts[:2]  # Resumen, the first sheet, in its two halves
    assert "Total · " in resumen[0] and "Pendiente" in resumen[1]  # Situación, the last column
    assert len(resumen) == 2 and all(response in t for t in resumen)  # whole on both halves
    assert all(LONG in t for t in resumen)
    chart = [i for i, t in enumerate(texts) if "Media de cada área por ronda" in t]
    # The table and its chart share one page: title, legend («Esta ronda») and axis there.
    assert len(chart) == 1 and "Esta ronda («2026-T2»)" in texts[chart[0]]


def test_gnumeric_round_trip__our_hidden_sheet_hidden_again_in_the_copies(tmp_path: Path) -> None:
    require_gnumeric()
    (tmp_path / "in").mkdir()
    filled = write_filled(tmp_path / "lleno.xlsx", grid(3), client=Client("MSP-010", "Alfa"))
    saved = gnumeric_save(filled, tmp_path / "in" / "gnumeric.xlsx")
    book = openpyxl.load_workbook(saved)
    assert book[contract.META_SHEET].sheet_state == "visible"  # what Gnumeric does to it
    answers = dict(grid(3))
    del answers[(1, 1)]
    broken = gnumeric_save(
        write_filled(tmp_path / "mal.xlsx", answers, client=Client("MSP-011", "Beta")),
        tmp_path / "in" / "mal.xlsx",
    )
    assert invoke("process", str(tmp_path / "in"), "-o", str(tmp_path / "out")).exit_code == 1
    for copy in ("gnumeric-resultados.xlsx", "mal-revisar.xlsx"):
        wb = openpyxl.load_workbook(tmp_path / "out" / copy)
        assert wb[contract.META_SHEET].sheet_state == "hidden", copy
        with zipfile.ZipFile(tmp_path / "out" / copy) as z:
            assert z.read("xl/workbook.xml").count(b'state="hidden"') == 1
    pdf = to_pdf(tmp_path / "out" / "gnumeric-resultados.xlsx", tmp_path / "pdf")
    printed = " ".join(page_text(pdf, p) for p in range(1, page_count(pdf) + 1))
    assert "msp_client_id" not in printed
    assert broken.exists()


def test_numbers__formats_the_reader_shows_in_their_own_decimal_mark__text_with_a_comma(
    campaign: Path,
) -> None:
    """A number cell's format is a locale-neutral code (Excel in Spanish shows «3,55» for
    «0.00»); a number we write as text is Spanish whatever the reader's settings."""
    results = campaign / "2026-T2/resultados"
    neutral = {"General", "0.00", "0.0%", "0", "DD/MM/YYYY", "mm-dd-yy"}
    decimal_point = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
    for path in (results / "r1-resultados.xlsx", results / contract.SUMMARY_NAME):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            if ws.title in (contract.FORM_SHEET, contract.META_SHEET):
                continue  # the client's own sheet and our hidden one
            for row in ws.iter_rows():
                for cell in row:
                    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                        assert cell.number_format in neutral, (path.name, ws.title, cell.coordinate)
                    if isinstance(cell.value, str):
                        assert not decimal_point.search(cell.value), (ws.title, cell.value)


def test_pdf__a_105_character_company__wraps_within_the_page__still_one_page(
    tmp_path: Path,
) -> None:
    name = ("Servicios Integrales de Informática, Comunicaciones y Ciberseguridad del " * 2)[:104]
    name = name.strip() + "."
    write_filled(tmp_path / "in/largo.xlsx", grid(2), client=Client("L-1", name, "Ana"))
    assert (
        invoke("process", str(tmp_path / "in"), "-o", str(tmp_path / "o"), "--pdf").exit_code == 0
    )
    pdf = tmp_path / "o" / "largo-informe.pdf"
    assert page_count(pdf) == 1
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    width = float(re.search(r'<page width="([\d.]+)"', boxes)[1])  # type: ignore[index]
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', boxes))
    assert right <= width - 28  # inside the page's right margin (1 cm)
    assert name.split()[-1] in flat(page_text(pdf, 1))  # its end is there, not cut


def test_results_sheet__fecha_in_a_1904_workbook__the_same_day(tmp_path: Path) -> None:
    """A workbook in the 1904 date system (old Excel for Mac): the Fecha we write is the serial
    of its own system, so every program reads the same day."""
    path = write_filled(
        tmp_path / "in/mac.xlsx", grid(3), client=Client("M-1", "Mac"), date="20/11/2026"
    )

    rewrite_parts(path, to_1904)
    assert invoke("process", str(path), "-o", str(tmp_path / "o")).exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "o" / "mac-resultados.xlsx")
    assert wb.epoch.year == 1904
    ws = wb["Resultados"]
    label = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Fecha")
    assert ws.cell(label, 2).value == datetime(2026, 11, 20)
