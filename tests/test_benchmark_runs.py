"""The peer benchmark end to end: `process` on built cohorts gives each client their exact
standing, the same in the JSON, the Resultados sheet and the PDF; nothing below the minimum; the
client never in their own reference; a frozen reference that a late reply does not move."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import write_filled
from msp_assessment.workbook_templates import contract
from tests.support.cohorts import cell_answers
from tests.support.mail import (
    campaign_in,
    invoke,
    invoke_json,
    parse_eml,
    plain_text,
    write_list,
)
from tests.support.poppler import page_count, page_text
from tests.support.programs import require_poppler
from tests.support.smtp_server import SmtpServer

# Area 1's totals of the cohort (the other areas at 15): averages 1; 1,6; 2; 2; 2,4; 3; 3; 3;
# 4; 5, and the client «YO» at 3 (15).
AREA_ONE = [5, 8, 10, 10, 12, 15, 15, 15, 20, 25]


def cohort(folder: Path, totals: list[int], *, me: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, total in enumerate(totals):
        client = Client(f"P-{i:02d}", f"Par {i}", "X", f"p{i}@par{i}.es")
        write_filled(folder / f"par-{i:02d}.xlsx", cell_answers((total, 15, 15, 15)), client=client)
    if me:
        client = Client("YO", "Mi Empresa", "Yo", "yo@mi.es")
        write_filled(folder / "yo.xlsx", cell_answers((15, 15, 15, 15)), client=client)
    return folder


def process(*args: str) -> dict[str, Any]:
    done = CliRunner().invoke(cli, ["process", *args, "--json", "--jobs", "2"])
    assert done.exit_code in (0, 1), done.output
    return dict(json.loads(done.stdout))


def mine(report: dict[str, Any], client_id: str = "YO") -> dict[str, Any]:
    return next(f for f in report["files"] if f["client"]["id"] == client_id)


def test_process__a_built_cohort__exact_standing_in_json_sheet_and_pdf(tmp_path: Path) -> None:
    require_poppler()
    folder = cohort(tmp_path / "recibidos", AREA_ONE)
    report = process(str(folder), "-o", str(tmp_path / "out"), "--pdf")
    found = mine(report)["benchmark"]
    assert found["size"] == 10  # the other ten: the client is not in their own reference
    area = found["areas"][0]
    assert (area["below"], area["equal"], area["percentile"], area["above_of_ten"]) == (5, 3, 65, 7)
    assert (area["p25"], area["median"], area["p75"]) == (2.0, 2.7, 3.0)
    # Globally every peer is at 15 in three areas: (area 1 + 45) / 20; the client at 3,00.
    assert (found["global"]["below"], found["global"]["equal"]) == (5, 3)
    # The Resultados sheet says the same.
    ws = openpyxl.load_workbook(mine(report)["output"])[contract.RESULTS_SHEET]
    texts = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "percentil 65" in texts and "2,00 – 2,70 – 3,00" in texts
    heads = next(r for r in ws.iter_rows(values_only=True) if r[0] == "Puntuación global")
    assert heads[3:5] == ("Percentil", "Referencia: P25 – mediana – P75")  # D fits «Percentil»
    assert any(
        "por encima de 7 de cada 10" not in t and "percentil 65, entre 10 MSP" in t for t in texts
    ) or any("percentil 65, entre 10 MSP" in t for t in texts)
    # And the PDF report (one page).
    pdf = Path(mine(report)["output"].replace(contract.RESULTS_SUFFIX, contract.REPORT_SUFFIX))
    assert page_count(pdf) == 1
    assert "percentil 65, entre 10 MSP" in " ".join(page_text(pdf, 1, "-raw").split())


def test_process__the_minimum__none_one_short_of_it__shown_at_it(tmp_path: Path) -> None:
    at = process(str(cohort(tmp_path / "a", AREA_ONE)), "-o", str(tmp_path / "oa"))
    assert mine(at)["benchmark"]["size"] == 10 and "areas" in mine(at)["benchmark"]
    short = process(str(cohort(tmp_path / "b", AREA_ONE[1:])), "-o", str(tmp_path / "ob"))
    assert mine(short)["benchmark"] == {
        "reference": "los MSP evaluados en esta ronda",
        "reference_id": mine(short)["benchmark"]["reference_id"],
        "size": 9,
        "minimum": 10,
        "shown": False,
    }
    ws = openpyxl.load_workbook(mine(short)["output"])[contract.RESULTS_SHEET]
    texts = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "tiene 9 MSP además de usted y hacen falta al menos 10" in texts
    assert "percentil" not in texts
    lowered = process(str(tmp_path / "b"), "-o", str(tmp_path / "oc"), "--benchmark-min", "9")
    assert mine(lowered)["benchmark"]["size"] == 9 and "areas" in mine(lowered)["benchmark"]


def test_process__at_the_minimum__a_client_learns_nothing_of_another(tmp_path: Path) -> None:
    """With exactly the minimum, the client's copy holds the band and their rank, never a peer:
    swapping two peers' answers (the same reference, other owners) changes nothing in it, and
    no peer's name, id or address appears."""
    first = process(str(cohort(tmp_path / "a", AREA_ONE)), "-o", str(tmp_path / "oa"))
    swapped = cohort(tmp_path / "b", AREA_ONE)
    shutil.copy(tmp_path / "a" / "par-00.xlsx", tmp_path / "tmp.xlsx")
    write_filled(
        swapped / "par-00.xlsx",
        cell_answers((AREA_ONE[9], 15, 15, 15)),
        client=Client("P-00", "Par 0", "X", "p0@par0.es"),
    )
    write_filled(
        swapped / "par-09.xlsx",
        cell_answers((AREA_ONE[0], 15, 15, 15)),
        client=Client("P-09", "Par 9", "X", "p9@par9.es"),
    )
    second = process(str(swapped), "-o", str(tmp_path / "ob"))

    def sheet(report: dict[str, Any]) -> list[object]:
        ws = openpyxl.load_workbook(mine(report)["output"])[contract.RESULTS_SHEET]
        return [c.value for row in ws.iter_rows() for c in row if c.row > 8]  # below the file

    assert sheet(first) == sheet(second)
    words = " ".join(str(v) for v in sheet(first) if v is not None)
    assert not any(
        f"Par {i}" in words or f"P-{i:02d}" in words or f"par{i}.es" in words for i in range(10)
    )


def test_process__a_frozen_reference__a_late_reply_moves_nothing(tmp_path: Path) -> None:
    folder = cohort(tmp_path / "recibidos", AREA_ONE)
    before = process(str(folder), "-o", str(tmp_path / "uno"))
    summary = tmp_path / "uno" / contract.SUMMARY_NAME
    late = Client("TARDE", "Llega Tarde", "T", "t@tarde.es")
    write_filled(folder / "tarde.xlsx", cell_answers((25, 25, 25, 25)), client=late)
    moving = process(str(folder), "-o", str(tmp_path / "dos"))
    frozen = process(str(folder), "-o", str(tmp_path / "tres"), "--reference", str(summary))
    assert mine(moving)["benchmark"]["size"] == 11  # the late reply joined the reference
    assert mine(moving)["benchmark"]["global"] != mine(before)["benchmark"]["global"]
    kept = {k: v for k, v in mine(frozen)["benchmark"].items() if k != "reference"}
    assert kept == {k: v for k, v in mine(before)["benchmark"].items() if k != "reference"}
    assert mine(frozen)["benchmark"]["reference"].startswith(contract.SUMMARY_NAME)
    # The late client is compared with the frozen reference too (they are not in it: all 11).
    assert mine(frozen, "TARDE")["benchmark"]["size"] == 11


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_process__the_same_figures_whatever_the_jobs(tmp_path: Path, jobs: str) -> None:
    folder = cohort(tmp_path / "r", AREA_ONE)
    done = CliRunner().invoke(
        cli, ["process", str(folder), "-o", str(tmp_path / jobs), "--json", "--jobs", jobs]
    )
    found = mine(json.loads(done.stdout))["benchmark"]
    assert found["areas"][0]["percentile"] == 65 and found["global"]["percentile"] == 65


def test_deliver__the_message_and_its_report_say_what_the_copy_says(tmp_path: Path) -> None:
    require_poppler()
    folder = cohort(tmp_path / "recibidos", AREA_ONE)
    out = tmp_path / "resultados"
    report = process(str(folder), "-o", str(out))  # no --pdf: deliver makes the reports
    rows = [(f"P-{i:02d}", f"Par {i}", "X", f"p{i}@par{i}.es") for i in range(len(AREA_ONE))]
    clients = write_list(tmp_path / "lista.csv", [*rows, ("YO", "Mi Empresa", "Yo", "yo@mi.es")])
    done = CliRunner().invoke(
        cli,
        [
            "deliver",
            str(clients),
            str(out),
            "-o",
            str(tmp_path / "entrega"),
            "--from",
            "Canal <canal@fabricante.es>",
        ],
    )
    assert done.exit_code == 0, done.output
    (draft,) = (tmp_path / "entrega").glob("yo*.eml")
    msg = parse_eml(draft)
    body = " ".join(plain_text(msg).split())
    sentence = (
        "Su puntuación global está por encima de 7 de cada 10 MSP de la referencia (percentil "
        "65, entre 10 MSP: los MSP evaluados en esta ronda)."
    )
    assert sentence in body
    assert mine(report)["benchmark"]["global"]["percentile"] == 65
    # Per area too: 65 in the first, the middle of ten ties (50) in the others.
    assert "Por áreas: Procesos y operaciones, percentil 65; Tecnología y automatización, " in body
    assert body.count("percentil 50") == 3
    pdf = next(a for a in msg.iter_attachments() if a.get_filename().endswith(".pdf"))
    (tmp_path / "informe.pdf").write_bytes(pdf.get_content())
    assert sentence in " ".join(page_text(tmp_path / "informe.pdf", 1, "-raw").split())


def campaign_of_twelve(tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Twelve clients; eleven answer (area 1 as AREA_ONE, «YO» at 15), are processed, and get
    their results by mail."""
    rows = [(f"P-{i:02d}", f"Par {i}", "X", f"p{i}@par{i}.es") for i in range(len(AREA_ONE))]
    rows += [("YO", "Mi Empresa", "Yo", "yo@mi.es"), ("TARDE", "Llega Tarde", "T", "t@tarde.es")]
    root = campaign_in(tmp_path, server, rows, monkeypatch, "--round", "2026")
    cohort(root / "2026" / "recibidos", AREA_ONE)
    assert invoke("process").exit_code == 0
    assert invoke("deliver").exit_code == 0
    assert invoke("send").exit_code == 0
    return root


def late_reply(root: Path) -> None:
    late = Client("TARDE", "Llega Tarde", "T", "t@tarde.es")
    write_filled(root / "2026" / "recibidos" / "tarde.xlsx", cell_answers((25,) * 4), client=late)
    assert invoke("process").exit_code == 0


def line_of(client_id: str) -> str:
    status = invoke("status")
    return next(line for line in status.output.splitlines() if f" · {client_id} · " in line)


def test_campaign__a_late_reply_moves_the_reference__status_says_so_and_nothing_is_resent(
    tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = campaign_of_twelve(tmp_path, server, monkeypatch)
    assert line_of("YO").endswith("resultados enviados")
    late_reply(root)
    assert "ha cambiado la referencia con la que se le compara" in line_of("YO")
    assert invoke("deliver", "--force").exit_code == 0
    sent = invoke("send")
    assert "Total: 1 enviado" in sent.output  # only the late client: results are not re-sent


def test_campaign__a_frozen_reference__the_late_reply_changes_nobodys_figures(
    tmp_path: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = campaign_of_twelve(tmp_path, server, monkeypatch)
    before = {f["client"]["id"]: f["benchmark"] for f in invoke_json("process")[1]["files"]}
    frozen = invoke("round", "freeze")
    assert frozen.exit_code == 0, frozen.output
    assert (root / "2026" / "referencia.xlsx").is_file()
    assert 'referencia = "2026/referencia.xlsx"' in (root / "campaña.toml").read_text("utf-8")
    late_reply(root)
    after = {f["client"]["id"]: f["benchmark"] for f in invoke_json("process")[1]["files"]}
    for client_id, found in before.items():  # the same figures, against the frozen summary
        assert {k: v for k, v in after[client_id].items() if k != "reference"} == {
            k: v for k, v in found.items() if k != "reference"
        }
    assert after["TARDE"]["size"] == 11  # compared with the eleven of the frozen reference
    assert line_of("YO").endswith("resultados enviados")
