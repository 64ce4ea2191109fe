"""Reading returned workbooks: names first, statement text as fallback; validation of everything."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_filled
from msp_assessment.instrument import Instrument
from msp_assessment.problems import Code
from msp_assessment.processing.ooxml.read import from_workbook
from msp_assessment.processing.returns.locate import open_workbook, read_book
from msp_assessment.processing.returns.validate import Validation, validate
from msp_assessment.workbook_templates import contract

EXAMPLE = {1: [5, 5, 5, 4, 4], 2: [3, 3, 3, 4, 3], 3: [4, 4, 4, 3, 4], 4: [3, 3, 2, 2, 3]}
ACME = Client("A-1", "Acme", "Ana", "ana@acme.es")


def check(path: Path, instrument: Instrument) -> Validation:
    return validate(read_book(from_workbook(open_workbook(path)), instrument), instrument)


def codes(validation: Validation) -> list[tuple[str, int | None, int | None, str | None]]:
    return [(x.code, x.area, x.statement, x.cell) for x in validation.problems]


def filled(tmp_path: Path, answers: dict[int, list[object]] = EXAMPLE) -> Path:
    return write_filled(tmp_path / "f.xlsx", uniform_answers(answers), client=ACME)


def test_complete_workbook__valid__answers_in_document_order(
    tmp_path: Path, instrument: Instrument
) -> None:
    result = check(filled(tmp_path), instrument)
    assert result.problems == []
    assert [result.answers[s.id] for _, s in instrument.statements] == [
        v for a in EXAMPLE.values() for v in a
    ]


def test_every_problem_reported_at_once__with_area_statement_and_cell(
    tmp_path: Path, instrument: Instrument
) -> None:
    answers: dict[int, list[object]] = {
        1: [None, 7, 2.5, "sí", 3],
        2: [3, 3, 3, 3, 3],
        3: [3, 3, 3, 3, 3],
        4: [3, 3, 3, 3, 0],
    }
    result = check(filled(tmp_path, answers), instrument)
    assert codes(result) == [
        (Code.ANSWER_MISSING, 1, 1, "B22"),
        (Code.ANSWER_OUT_OF_RANGE, 1, 2, "B23"),
        (Code.ANSWER_NOT_INTEGER, 1, 3, "B24"),
        (Code.ANSWER_UNREADABLE, 1, 4, "B25"),
        (Code.ANSWER_OUT_OF_RANGE, 4, 5, "B53"),
    ]
    assert result.problems[1].message == (
        "Afirmación 2 de «Procesos y operaciones» (celda Autoevaluación!B23): la respuesta es 7, "
        "fuera de la escala. Elija un número entero del 1 al 5 en la lista desplegable."
    )


def test_missing_company__client_problem_names_the_cell(
    tmp_path: Path, instrument: Instrument
) -> None:
    path = write_filled(tmp_path / "x.xlsx", uniform_answers(EXAMPLE), client=Client(email="mal"))
    result = check(path, instrument)
    assert codes(result) == [
        (Code.CLIENT_MISSING, None, None, "B14"),
        (Code.CLIENT_EMAIL_INVALID, None, None, "B16"),
    ]
    assert "falta «Empresa»" in result.problems[0].message


def test_inserted_rows_and_renamed_sheet__still_scored_through_names(
    tmp_path: Path, instrument: Instrument
) -> None:
    path = filled(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb[contract.FORM_SHEET]
    ws.title = "Mi evaluación"
    # What Excel does on "insert rows": cells move down and every name follows them. openpyxl's
    # move_range does not move merged ranges, so unmerge first.
    for merged in list(ws.merged_cells.ranges):
        ws.unmerge_cells(str(merged))
    ws.move_range("A20:H60", rows=3)
    for dn in wb.defined_names.values():
        _, ref = next(iter(dn.destinations))
        col, row = ref.replace("$", "")[0], int(ref.replace("$", "")[1:])
        new_row = row + 3 if row >= 20 else row
        dn.attr_text = f"'Mi evaluación'!${col}${new_row}"
    wb.save(path)
    result = check(path, instrument)
    assert result.problems == []
    assert len(result.answers) == 20


def test_names_dropped__statements_found_by_text(tmp_path: Path, instrument: Instrument) -> None:
    path = filled(tmp_path)
    wb = openpyxl.load_workbook(path)
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    wb.save(path)
    reading = read_book(from_workbook(open_workbook(path)), instrument)
    result = validate(reading, instrument)
    assert result.problems == []
    assert reading.client.company == "Acme"
    assert reading.statements[0].points_at is not None
    assert reading.totals_at[1].cell == "H27"


def test_table_copied_into_new_workbook__found_by_text(
    tmp_path: Path, instrument: Instrument
) -> None:
    source = openpyxl.load_workbook(filled(tmp_path))[contract.FORM_SHEET]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in source.iter_rows(min_row=20, max_row=60, max_col=8, values_only=True):
        ws.append([None, *row])  # shifted one column to the right, on row 1 onwards
    wb["Sheet"]["B1"] = "Empresa"
    wb["Sheet"]["C1"] = "Copiado S.A."
    path = tmp_path / "copiado.xlsx"
    wb.save(path)
    result = check(path, instrument)
    assert result.problems == []
    assert [result.answers[s.id] for _, s in instrument.statements][:5] == [5, 5, 5, 4, 4]


def test_paper_form_copy_with_x_marks__read_as_levels(
    tmp_path: Path, instrument: Instrument
) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Empresa", "Marcas S.L."])
    header = ["Afirmación", *(lv.label for lv in instrument.scale), "Puntos"]
    for area in instrument.areas:
        ws.append([area.name])
        ws.append(header)
        for st in area.statements:
            row: list[object] = [st.text, None, None, None, None, None, None]
            row[1 + (st.number % 5)] = "X"
            ws.append(row)
    path = tmp_path / "x.xlsx"
    wb.save(path)
    result = check(path, instrument)
    assert result.problems == []
    assert [result.answers[f"procesos_{n}"] for n in range(1, 6)] == [2, 3, 4, 5, 1]


def test_edited_statement__reported_as_changed(tmp_path: Path, instrument: Instrument) -> None:
    path = filled(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb[contract.FORM_SHEET]["A24"] = "Documentamos lo que nos da la gana."
    wb.save(path)
    result = check(path, instrument)
    assert codes(result) == [(Code.STATEMENT_CHANGED, 1, 3, "A24")]
    assert "Documentamos lo que nos da la gana." in result.problems[0].message


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        (contract.META_INSTRUMENT_ID, "otra-encuesta", Code.UNKNOWN_INSTRUMENT),
        (contract.META_INSTRUMENT_VERSION, "99", Code.UNKNOWN_VERSION),
    ],
)
def test_other_questionnaire_or_version__reported(
    tmp_path: Path, instrument: Instrument, key: str, value: str, code: str
) -> None:
    path = filled(tmp_path)
    wb = openpyxl.load_workbook(path)
    for prop in wb.custom_doc_props.props:
        if prop.name == key:
            prop.value = value
    wb.save(path)
    result = check(path, instrument)
    assert [x.code for x in result.problems] == [code]
    assert f"«{value}»" in result.problems[0].message


def test_unrelated_workbook__not_an_assessment(tmp_path: Path, instrument: Instrument) -> None:
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Presupuesto 2026"  # type: ignore[index]
    path = tmp_path / "presupuesto.xlsx"
    wb.save(path)
    assert [x.code for x in check(path, instrument).problems] == [Code.NOT_ASSESSMENT]


def test_formula_in_answer_cell__cached_value_is_read(
    tmp_path: Path, instrument: Instrument
) -> None:
    path = filled(tmp_path)
    # Write the formula with a cached value, as Excel and LibreOffice save it.
    import zipfile

    with zipfile.ZipFile(path) as zin:
        parts = {n: zin.read(n) for n in zin.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    old = '<c r="B22" s="'
    start = sheet.index(old)
    end = sheet.index("</c>", start) + 4
    style = sheet[start:end].split('s="')[1].split('"')[0]
    sheet = sheet[:start] + f'<c r="B22" s="{style}"><f>2+3</f><v>5</v></c>' + sheet[end:]
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    result = check(path, instrument)
    assert result.problems == []
    assert result.answers["procesos_1"] == 5
