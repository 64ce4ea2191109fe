"""What a person reads in the terminal is right: help with examples and nothing cut, one meaning
per exit code, one line per workbook (a blank one, a replaced one), the next step that fits what
happened, and the CSV as full as the Resumen sheet it copies."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
import openpyxl
import pytest

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_filled
from msp_assessment.workbook_templates import contract
from tests.support.mail import CLIENTS, invoke, write_list

FOURS = uniform_answers({a: [4] * 5 for a in range(1, 5)})
THREES = uniform_answers({a: [3] * 5 for a in range(1, 5)})


def every_command(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = [prefix]
    for name, each in group.commands.items():
        if isinstance(each, click.Group):
            found += every_command(each, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("words", every_command(), ids=lambda w: " ".join(w) or "msp-assessment")
def test_help__every_command_ends_with_examples_of_itself(words: tuple[str, ...]) -> None:
    done = invoke(*words, "--help")
    assert done.exit_code == 0
    examples = done.output.split("Ejemplos:\n", 1)[1].splitlines()
    shown = [line.strip() for line in examples if line.strip()]
    assert 1 <= len(shown) <= 2
    command = " ".join(("msp-assessment", *words))
    assert all(line.startswith("msp-assessment ") for line in shown)
    if words:
        assert all(line.startswith(command) for line in shown), shown
    assert all(len(line) <= 100 for line in done.output.splitlines())


def test_help__the_command_list_cuts_no_description_and_follows_a_campaign() -> None:
    listed = invoke("--help").output.split("Comandos:\n", 1)[1].split("Ejemplos:")[0]
    assert "..." not in listed
    assert "(.eml, .msg, .mbox) los libros devueltos." in " ".join(listed.split())
    names = [line.split()[0] for line in listed.splitlines() if line[:2] == "  " and line[2] != " "]
    assert names.index("init") < names.index("prepare") < names.index("send")
    assert names.index("send") < names.index("collect") < names.index("status")


def test_exit_codes__a_command_missing_its_sender__2_whichever_command(tmp_path: Path) -> None:
    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    inbox = tmp_path / "recibidos"
    write_filled(inbox / "a.xlsx", FOURS, client=Client(*CLIENTS[0]))
    results = tmp_path / "resultados"
    assert invoke("process", str(inbox), "-o", str(results)).exit_code == 0
    runs = {
        "prepare": ("prepare", str(clients), "-o", str(tmp_path / "i")),
        "deliver": ("deliver", str(clients), str(results), "-o", str(tmp_path / "e")),
        "status": ("status", str(clients), str(inbox), "--reminders", str(tmp_path / "r")),
    }
    for name, args in runs.items():
        done = invoke(*args)
        assert done.exit_code == 2, (name, done.output)  # the command line is to fix
        assert "--from" in done.output
    bad_sender = invoke(*runs["status"], "--from", "no es una dirección")
    assert bad_sender.exit_code == 2 and "Remitente no válido" in bad_sender.output


def test_blank_workbook__one_line_saying_nothing_was_filled_in(tmp_path: Path) -> None:
    blank = tmp_path / "en-blanco.xlsx"
    assert invoke("template", "-o", str(blank)).exit_code == 0
    done = invoke("check", str(blank))
    line = next(line for line in done.output.splitlines() if line.startswith("REVISAR"))
    assert line.endswith(
        "El libro está en blanco: faltan las 20 respuestas y «Empresa». Escriba «Empresa» en su "
        "celda amarilla y elija un número entero del 1 al 5 en la lista desplegable de cada "
        "afirmación."
    )
    assert "problemas más" not in line
    review = tmp_path / "r"
    assert invoke("process", str(blank), "-o", str(review)).exit_code == 1
    sheet = openpyxl.load_workbook(review / f"en-blanco{contract.REVIEW_SUFFIX}")["Revisión"]
    listed = [row for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)]
    assert len(listed) == 1 and str(listed[0][4]).startswith("El libro está en blanco")


def test_superseded_scored_workbook__one_line_in_the_columns_of_the_others(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "recibidos"
    alfa = Client("A-1", "Alfa")
    old = write_filled(inbox / "alfa.xlsx", THREES, client=alfa, date="20/11/2026")
    new = write_filled(inbox / "alfa-2.xlsx", FOURS, client=alfa, date="24/11/2026")
    beta = write_filled(inbox / "beta.xlsx", FOURS, client=Client("B-1", "Beta"))
    done = invoke("process", str(inbox), "-o", str(tmp_path / "r"))
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert not any(line.startswith("Sustituido") for line in lines)
    replaced = f"SUSTITUIDO · {old} · Alfa · 3,00 Proactivo · no cuenta: cuenta el más reciente"
    assert f"{replaced}, {new.name}" in lines  # in the same folder: by its name
    assert f"PUNTUADO   · {beta} · Beta · 4,00 Escalable" in lines
    per_file = [line for line in lines if " · " in line and not line.startswith("Total")]
    assert len(per_file) == 3 and len({line.index(" · ") for line in per_file}) == 1


def test_next_step__fits_what_happened(tmp_path: Path) -> None:
    unreadable = tmp_path / "roto.xlsx"
    unreadable.write_text("esto no es un libro", encoding="utf-8")
    nothing = invoke("check", str(unreadable)).output.splitlines()[-1]
    assert nothing.startswith("Siguiente paso: cada línea ILEGIBLE dice qué hacer")
    assert "process" not in nothing  # nothing could be read: no results to write
    inbox = tmp_path / "recibidos"
    answers = dict(FOURS)
    del answers[(1, 2)]
    write_filled(inbox / "a.xlsx", answers, client=Client(*CLIENTS[0]))
    out = tmp_path / "r"
    without_list = invoke("process", str(inbox), "-o", str(out)).output.splitlines()[-1]
    assert without_list.startswith("Siguiente paso: envíe a cada cliente su copia -revisar.xlsx")
    assert "status CLIENTES" in without_list and "lista de clientes" in without_list


def test_csv_with_clients__situation_and_pending_clients_as_in_resumen(tmp_path: Path) -> None:
    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    inbox = tmp_path / "recibidos"
    write_filled(inbox / "a.xlsx", FOURS, client=Client(*CLIENTS[0]))
    broken = dict(THREES)
    del broken[(2, 1)]
    write_filled(inbox / "b.xlsx", broken, client=Client(*CLIENTS[1]))
    out, table = tmp_path / "r", tmp_path / "resumen.csv"
    args = ["process", str(inbox), "-o", str(out), "--clients", str(clients), "--csv", str(table)]
    assert invoke(*args).exit_code == 1
    text = table.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    sheet = openpyxl.load_workbook(out / contract.SUMMARY_NAME)["Resumen"]
    values = list(sheet.iter_rows(values_only=True))
    header = [h for h in values[0] if h]
    assert list(rows[0]) == header and header[-1] == "Situación"
    by_id = {row["Id. cliente"]: row for row in rows}
    assert set(by_id) == {c[0] for c in CLIENTS}  # the pending ones too
    assert by_id[CLIENTS[0][0]]["Situación"] == "Puntuado"
    assert by_id[CLIENTS[0][0]]["Media global"] == "4,00"
    assert by_id[CLIENTS[1][0]]["Situación"] == "Con problemas (ver Incidencias)"
    assert by_id[CLIENTS[2][0]]["Situación"] == "Pendiente"
    assert by_id[CLIENTS[2][0]]["Media global"] == ""
    at = header.index("Situación")
    in_sheet = {row[0]: row[at] for row in values[1:] if row[at]}  # not the note below
    assert in_sheet == {key: row["Situación"] for key, row in by_id.items()}


def test_process_with_clients__says_who_is_pending_and_what_is_of_no_client(
    tmp_path: Path,
) -> None:
    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    inbox = tmp_path / "recibidos"
    write_filled(inbox / "a.xlsx", FOURS, client=Client(*CLIENTS[0]))
    stranger = write_filled(inbox / "z.xlsx", FOURS, client=Client("Z-9", "Zeta Redes"))
    args = ["process", str(inbox), "-o", str(tmp_path / "r"), "--clients", str(clients)]
    lines = invoke(*args).output.splitlines()
    total = len(CLIENTS)
    share = round(100 / total)
    assert (
        f"Clientes: Han respondido 1 de {total} clientes ({share} %): 1 puntuado y 0 con "
        f"problemas; faltan {total - 1}."
    ) in lines
    pending = ", ".join(f"{c[0]} · {c[1]}" for c in CLIENTS[1:])
    assert f"Pendientes: {pending}." in lines
    assert (
        f"Sin cliente en la lista: 1 libro ({stranger}); no cuentan en la tasa de respuesta: "
        "vea la hoja Incidencias del resumen."
    ) in lines
    assert lines[-1].startswith("Siguiente paso: compruebe de quién son los libros sin cliente")
