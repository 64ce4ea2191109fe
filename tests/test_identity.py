"""One rule for «the same client»: the same workbooks give the same answer in every command.

The batch: Acme's first workbook carries its id (CL-1); its later one, typed again, carries no id
and «ACME » for the company. Beta answered once (CL-2). A third workbook says «Beta» but carries
another id (CL-9): a different client by the rule, and on no list. CL-3 has not answered.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from msp_assessment.client import Client, ClientIndex, client_keys, find_client, same_client
from msp_assessment.examples import uniform_answers, write_filled
from tests.support.mail import invoke, parse_eml, write_list

SENDER = "Canal MSP <canal@fabricante.es>"
LIST = [
    ("CL-1", "Acme", "Ana", "ana@acme.es"),
    ("CL-2", "Beta", "Bea", "bea@beta.es"),
    ("CL-3", "Gamma", "Gema", "gema@gamma.es"),
]
THREES = {a: [3, 3, 3, 3, 3] for a in range(1, 5)}  # 3,00
FOURS = {a: [4, 4, 4, 4, 4] for a in range(1, 5)}  # 4,00
TWOS = {a: [2, 2, 2, 2, 2] for a in range(1, 5)}  # 2,00


def returns(folder: Path) -> Path:
    folder.mkdir(parents=True)
    acme, beta = Client(*LIST[0]), Client(*LIST[1])
    write_filled(folder / "acme-1.xlsx", uniform_answers(THREES), client=acme, date="01/11/2026")
    again = Client(None, "ACME ", "Ana", "ana@acme.es")
    write_filled(folder / "acme-2.xlsx", uniform_answers(FOURS), client=again, date="20/11/2026")
    write_filled(folder / "beta.xlsx", uniform_answers(TWOS), client=beta, date="15/11/2026")
    other = Client("CL-9", "Beta", "Otro", "otro@beta.es")
    write_filled(
        folder / "beta-otro-id.xlsx", uniform_answers(TWOS), client=other, date="16/11/2026"
    )
    return folder


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[Path, Path]:
    return write_list(tmp_path / "clientes.csv", LIST), returns(tmp_path / "recibidos")


def _names(paths: list[str]) -> list[str]:
    return sorted(Path(p).name for p in paths)


def _resumen_files(summary: Path) -> list[str]:
    ws = openpyxl.load_workbook(summary)["Resumen"]
    header = [c.value for c in ws[1]]
    column = header.index("Archivo")
    return sorted(
        str(row[column]) for row in ws.iter_rows(min_row=2, values_only=True) if row[0] or row[1]
    )


def _statistics(summary: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(summary)["Estadísticas"]
    return {
        row[0]: row[1] for row in ws.iter_rows(values_only=True) if row[0] and row[1] is not None
    }


def test_rule__ids_decide__company_only_when_an_id_is_missing() -> None:
    assert same_client(Client("CL-1", "Acme"), Client(None, "ACME "))
    assert same_client(Client("cl-1 ", "Acme"), Client("CL-1", "Otra"))
    assert not same_client(Client("CL-1", "Beta"), Client("CL-9", "Beta"))
    assert not same_client(Client(None, None), Client(None, None))
    # Against known clients: one match or none (a company two of them share decides nothing).
    known = [Client("A", "Mismo"), Client("B", "MISMO")]
    assert find_client(Client(None, "mismo"), known) is None
    assert find_client(Client("b", "mismo"), known) == 1
    # In a batch: a block without id joins the one id its company is seen with.
    keys = client_keys([Client("CL-1", "Acme"), Client(None, "ACME "), Client(None, "Zeta")])
    assert keys[0] == keys[1] != keys[2]


_TEXTS = st.sampled_from([None, "", "CL-1", "cl-1 ", "CL-2", "Acme", "ACME ", "Ácme", "Beta"])
_BLOCKS = st.builds(Client, id=_TEXTS, company=_TEXTS)


@given(known=st.lists(_BLOCKS, max_size=6), found=_BLOCKS)
def test_client_index__finds_what_the_rule_says__one_match_or_none(
    known: list[Client], found: Client
) -> None:
    matches = [i for i, client in enumerate(known) if same_client(found, client)]
    expected = matches[0] if len(matches) == 1 else None
    assert ClientIndex(known).find(found) == expected


def test_every_command__acme_is_one_client_with_its_newest_workbook(
    campaign: tuple[Path, Path], tmp_path: Path
) -> None:
    clients, inbox = campaign
    # check: the older Acme workbook is superseded by the newer one.
    checked = json.loads(invoke("check", str(inbox), "--json").stdout)
    superseded = {Path(s["path"]).name: Path(s["by"]).name for s in checked["superseded"]}
    assert superseded == {"acme-1.xlsx": "acme-2.xlsx"}

    # process: Resumen has one row per client (CL-9 «Beta» is not CL-2), Estadísticas agrees.
    out = tmp_path / "resultados"
    processed = invoke("process", str(inbox), "-o", str(out), "--json")
    report = json.loads(processed.stdout)
    assert {Path(s["path"]).name: Path(s["by"]).name for s in report["superseded"]} == superseded
    assert _resumen_files(out / "resumen.xlsx") == ["acme-2.xlsx", "beta-otro-id.xlsx", "beta.xlsx"]
    stats = _statistics(out / "resumen.xlsx")
    assert stats["Clientes puntuados (cuentan en el resumen)"] == 3
    assert stats["Libros sustituidos por uno más reciente"] == 1

    # process --clients: the same grouping; the response rate counts Acme once, CL-9 is outside.
    listed = tmp_path / "con-lista"
    with_list = invoke("process", str(inbox), "-o", str(listed), "--clients", str(clients))
    assert with_list.exit_code == 0, with_list.output
    summary = openpyxl.load_workbook(listed / "resumen.xlsx")
    texts = [str(v) for ws in summary for row in ws.iter_rows(values_only=True) for v in row if v]
    assert any(t.startswith("Han respondido 2 de 3 clientes (67 %): 2 puntuados") for t in texts)
    assert _statistics(listed / "resumen.xlsx")["Clientes puntuados (cuentan en el resumen)"] == 3
    incidencias = [row for row in summary["Incidencias"].iter_rows(values_only=True)]
    outside = [row for row in incidencias if row[1] == "CL-9"]
    assert len(outside) == 1 and "Cliente fuera de la lista" in str(outside[0])

    # status: Acme is scored by its newest workbook, with both files; CL-9 is of no client.
    status = json.loads(invoke("status", str(clients), str(inbox), "--json").stdout)
    by_id = {c["client"]["id"]: c for c in status["clients"]}
    assert (by_id["CL-1"]["status"], by_id["CL-1"]["average"]) == ("scored", 4.0)
    assert _names(by_id["CL-1"]["files"]) == ["acme-1.xlsx", "acme-2.xlsx"]
    assert (by_id["CL-2"]["status"], _names(by_id["CL-2"]["files"])) == ("scored", ["beta.xlsx"])
    assert by_id["CL-3"]["status"] == "pending"
    assert [Path(u["path"]).name for u in status["unmatched"]] == ["beta-otro-id.xlsx"]

    # deliver: one draft for Acme, with its newest result; none for CL-9.
    drafts = tmp_path / "entrega"
    delivered = json.loads(
        invoke(
            "deliver", str(clients), str(listed), "-o", str(drafts), "--from", SENDER, "--json"
        ).stdout
    )
    got = {d["client"]["id"]: d["average"] for d in delivered["delivered"]}
    assert got == {"CL-1": 4.0, "CL-2": 2.0}
    acme = next(d for d in delivered["delivered"] if d["client"]["id"] == "CL-1")
    assert parse_eml(Path(acme["draft"]))["To"].addresses[0].addr_spec == "ana@acme.es"

    # rounds: next round, Acme answers again without its id; it is the client of last round.
    second = tmp_path / "ronda-2"
    second.mkdir()
    write_filled(
        second / "acme.xlsx",
        uniform_answers(TWOS),
        client=Client(None, "Acme", "Ana", "ana@acme.es"),
        date="30/11/2026",
    )
    later = invoke(
        "process",
        str(second),
        "-o",
        str(tmp_path / "r2"),
        "--previous",
        str(out / "resumen.xlsx"),
        "--json",
    )
    (file,) = json.loads(later.stdout)["files"]
    assert [p["average"] for p in file["previous"]] == [4.0]
    assert file["change"]["average_text"] == "-2,00"


def test_two_clients_with_one_file_stem__distinct_files__same_names_in_prepare_and_reminders(
    tmp_path: Path,
) -> None:
    # Different ids, but «C/1» and «C-1» fold to one file name: «c-1-acme».
    rows = [("C/1", "Acme", "Ana", "ana@acme.es"), ("C-1", "Acme", "Luis", "luis@acme.es")]
    clients = write_list(tmp_path / "clientes.csv", rows)
    prepared = invoke("prepare", str(clients), "-o", str(tmp_path / "envio"), "--from", SENDER)
    assert prepared.exit_code == 0, prepared.output
    inbox = tmp_path / "recibidos"
    inbox.mkdir()
    reminders = tmp_path / "recordatorios"
    done = invoke(
        "status", str(clients), str(inbox), "--reminders", str(reminders), "--from", SENDER
    )
    assert done.exit_code == 0, done.output
    for folder in (tmp_path / "envio", reminders):
        drafts = sorted(folder.glob("*.eml"))
        assert [d.name for d in drafts] == ["c-1-acme-2.eml", "c-1-acme.eml"]
        to = {d.name: parse_eml(d)["To"].addresses[0].addr_spec for d in drafts}
        assert to == {"c-1-acme.eml": "ana@acme.es", "c-1-acme-2.eml": "luis@acme.es"}
