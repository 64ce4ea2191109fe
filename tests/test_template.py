"""The template workbook: structure, names, dropdowns, protection, metadata, personalization."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell.cell import MergedCell
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell
from tests.support.programs import require_libreoffice, run_libreoffice_fill

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml


def cell_of(wb: openpyxl.Workbook, name: str) -> tuple[Worksheet, str]:
    cell = named_cell(wb, name)
    return cell.parent, cell.coordinate


def test_template__every_contract_name__points_at_the_right_cell(
    make_template: Callable[..., Path], instrument: Instrument
) -> None:
    wb = openpyxl.load_workbook(make_template())
    for area, st in instrument.statements:
        ws, text_coord = cell_of(wb, contract.statement_name(area.number, st.number))
        assert ws.title == contract.FORM_SHEET
        assert ws[text_coord].value == st.text
        _, answer = cell_of(wb, contract.answer_name(area.number, st.number))
        _, points = cell_of(wb, contract.points_name(area.number, st.number))
        assert ws[answer].row == ws[text_coord].row == ws[points].row
        assert ws[answer].value is None and ws[points].value is None
    for area in instrument.areas:
        ws, total = cell_of(wb, contract.total_name(area.number))
        assert ws[total].value is None
        label_row = ws[total].row
        assert ws.cell(row=label_row, column=1).value == instrument.total_label
    for field in contract.CLIENT_FIELDS:
        assert field.name in wb.defined_names
    assert contract.CLIENT_ID_NAME in wb.defined_names


def test_template__area_tables__have_the_documents_columns(
    make_template: Callable[..., Path], instrument: Instrument
) -> None:
    wb = openpyxl.load_workbook(make_template())
    ws, first_answer = cell_of(wb, contract.answer_name(1, 1))
    header_row = ws[first_answer].row - 1
    header = [ws.cell(row=header_row, column=col).value for col in range(1, 9)]
    assert header == [
        "Afirmación",
        contract.ANSWER_HEADER,
        "Completamente en desacuerdo",
        "En desacuerdo",
        "Ni de acuerdo ni en desacuerdo",
        "De acuerdo",
        "Completamente de acuerdo",
        "Puntos",
    ]
    assert ws.cell(row=header_row - 1, column=1).value == instrument.areas[0].name
    texts = {ws.cell(row=r, column=1).value for r in range(1, 12)}
    assert instrument.stages_line in texts and instrument.instructions in texts


def test_template__answer_cells__have_a_1_to_5_dropdown_that_rejects_other_values(
    make_template: Callable[..., Path], instrument: Instrument
) -> None:
    wb = openpyxl.load_workbook(make_template())
    ws = wb[contract.FORM_SHEET]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1
    dv = lists[0]
    assert dv.formula1 == '"1,2,3,4,5"'
    assert dv.showErrorMessage and dv.errorStyle in (None, "stop")
    assert dv.showInputMessage and "Completamente de acuerdo" in (dv.prompt or "")
    answers = {
        cell_of(wb, contract.answer_name(a.number, s.number))[1] for a, s in instrument.statements
    }
    covered = {
        ws.cell(row=r, column=col).coordinate for rng in dv.sqref.ranges for r, col in rng.cells
    }
    assert covered == answers


def test_template__chosen_level__is_marked_by_conditional_formatting(
    make_template: Callable[..., Path],
) -> None:
    wb = openpyxl.load_workbook(make_template())
    ws, answer = cell_of(wb, contract.answer_name(2, 3))
    row = ws[answer].row
    formulas = {}
    for rng in ws.conditional_formatting:
        for rule in rng.rules:
            for cell_range in rng.sqref.ranges:
                if cell_range.min_row <= row <= cell_range.max_row:
                    formulas[cell_range.min_col] = rule.formula[0]
    # Columns C..G mark levels 1..5 when the answer column (B) holds that value.
    first = row - 2
    assert formulas == {3 + k: f"$B{first}={k + 1}" for k in range(5)}


def test_template__protection__only_answers_and_client_cells_unlocked(
    make_template: Callable[..., Path], instrument: Instrument
) -> None:
    wb = openpyxl.load_workbook(make_template(password="secreto"))
    ws = wb[contract.FORM_SHEET]
    assert ws.protection.sheet and ws.protection.password
    unlocked = {
        cell.coordinate
        for row in ws.iter_rows()
        for cell in row
        if not cell.protection.locked and not isinstance(cell, MergedCell)
    }
    expected = {
        cell_of(wb, contract.answer_name(a.number, s.number))[1] for a, s in instrument.statements
    }
    expected |= {cell_of(wb, f.name)[1] for f in contract.CLIENT_FIELDS}
    assert unlocked == expected


def test_template__without_password__protected_with_no_password(
    make_template: Callable[..., Path],
) -> None:
    ws = openpyxl.load_workbook(make_template())[contract.FORM_SHEET]
    assert ws.protection.sheet and not ws.protection.password


def test_template__metadata__stored_as_property_and_hidden_sheet(
    make_template: Callable[..., Path], instrument: Instrument
) -> None:
    wb = openpyxl.load_workbook(make_template(client=Client(id="C-042")))
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props == {
        contract.META_INSTRUMENT_ID: instrument.id,
        contract.META_INSTRUMENT_VERSION: instrument.version,
        contract.META_CLIENT_ID: "C-042",
    }
    meta = wb[contract.META_SHEET]
    assert meta.sheet_state == "hidden"
    assert {row[0]: row[1] for row in meta.iter_rows(values_only=True)} == props


def test_template__personalized__client_block_prefilled_as_inert_text(
    make_template: Callable[..., Path],
) -> None:
    client = Client(id="C-7", company='=HYPERLINK("http://x")', contact="Ana Pérez", email="a@b.es")
    wb = openpyxl.load_workbook(make_template(client=client))
    values = {f.name: cell_of(wb, f.name) for f in contract.CLIENT_FIELDS}
    ws, coord = values["cliente_empresa"]
    assert ws[coord].value == client.company and ws[coord].data_type == "s"
    ws, coord = values["cliente_contacto"]
    assert ws[coord].value == "Ana Pérez"
    ws, coord = values["cliente_email"]
    assert ws[coord].value == "a@b.es"
    ws, coord = cell_of(wb, contract.CLIENT_ID_NAME)
    assert ws[coord].value == "C-7"


def test_template__print_setup__a4_one_page_wide(make_template: Callable[..., Path]) -> None:
    ws = openpyxl.load_workbook(make_template())[contract.FORM_SHEET]
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.freeze_panes == "A2"


@pytest.mark.libreoffice
def test_template__round_trip_through_libreoffice__keeps_dropdowns_names_protection(
    make_template: Callable[..., Path], tmp_path: Path, instrument: Instrument
) -> None:
    require_libreoffice()
    source = make_template(client=Client(id="C-9"))
    saved = tmp_path / "guardado-por-libreoffice.xlsx"
    values: dict[str, object] = {
        contract.answer_name(a.number, s.number): (a.number + s.number) % 5 + 1
        for a, s in instrument.statements
    }
    values["cliente_empresa"] = "Soluciones Ñandú, S.L."
    report = run_libreoffice_fill(source, saved, values)
    assert report["protected"] is True

    wb = openpyxl.load_workbook(saved)
    assert set(values) <= set(wb.defined_names)
    for name, value in values.items():
        ws, coord = cell_of(wb, name)
        assert ws[coord].value == value
    ws = wb[contract.FORM_SHEET]
    assert ws.protection.sheet
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and lists[0].formula1 == '"1,2,3,4,5"'
    assert wb[contract.META_SHEET].sheet_state == "hidden"
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props[contract.META_CLIENT_ID] == "C-9"
