"""A personalized workbook made from the template's bytes reads back exactly as the one openpyxl
builds for the same client: every sheet, cell, defined name and property."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.processing.ooxml.package import unzip
from msp_assessment.processing.ooxml.read import read_package
from msp_assessment.processing.returns.locate import read_book
from msp_assessment.workbook_templates import TemplateOptions, build_template
from msp_assessment.workbook_templates.personalize import MARKERS, Personalizer

CLIENTS = [
    Client("C-001", "Taller Informático Ruiz", "Marta Ruiz", "marta@tallerruiz.es"),
    Client("C-002", 'Hijos & <Nietos> "S.L."', None, "info@hijos.es"),  # no contact
    Client("C-003", '=HYPERLINK("http://x.example")', "+34 600", "a@b.es"),
    Client("C-004", f"Empresa {MARKERS['contact']}", "Ana", "ana@x.es"),  # a marker as text
    Client("C-005", "Łódź " + "x" * 40_000, "Ζωή", "z@x.es"),  # longer than a cell holds
]


def everything(data: bytes) -> dict[str, Any]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    return {
        "sheets": {
            ws.title: [[(c.value, c.data_type, c.style_id) for c in row] for row in ws.iter_rows()]
            for ws in wb.worksheets
        },
        "states": [ws.sheet_state for ws in wb.worksheets],
        "names": {name: d.attr_text for name, d in wb.defined_names.items()},
        "properties": [(p.name, p.value) for p in wb.custom_doc_props],
        "merged": [str(r) for r in wb.worksheets[0].merged_cells.ranges],
        "validations": len(wb.worksheets[0].data_validations.dataValidation),
    }


@pytest.fixture(scope="module")
def personalizer(instrument: Instrument) -> Personalizer:
    return Personalizer(instrument)


@pytest.mark.parametrize("client", CLIENTS, ids=[c.id for c in CLIENTS])
def test_personalized_from_bytes__same_workbook_as_openpyxl_builds(
    personalizer: Personalizer, instrument: Instrument, client: Client
) -> None:
    built = io.BytesIO()
    build_template(instrument, TemplateOptions(client=client)).save(built)
    fast = personalizer.workbook(client)
    assert everything(fast) == everything(built.getvalue())
    parts = unzip(fast)
    assert parts is not None
    book = read_package(parts)
    assert book is not None
    reading = read_book(book, instrument)
    expected = Client(client.id, (client.company or "")[:32_767], client.contact, client.email)
    assert reading.client == expected
