"""Filled workbooks made in code: the shipped examples and the tests use the same builder."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from openpyxl import load_workbook

from msp_assessment.client import Client
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.workbook_templates import TemplateOptions, contract, write_template
from msp_assessment.workbook_templates.cells import named_cell

Answers = Mapping[tuple[int, int], object]  # (area 1-4, statement 1-5) -> what the client typed


def uniform_answers(values: Mapping[int, list[object]]) -> dict[tuple[int, int], object]:
    """{area: [five values]} → {(area, statement): value}."""
    return {(a, n): v for a, vs in values.items() for n, v in enumerate(vs, start=1)}


def write_filled(
    path: Path,
    answers: Answers,
    *,
    client: Client = Client(),
    date: str | None = None,
    instrument: Instrument | None = None,
) -> Path:
    """A template for ``client`` with ``answers`` typed into the named answer cells."""
    write_template(path, options=TemplateOptions(client=client), force=True, instrument=instrument)
    wb = load_workbook(path)
    for (area, statement), value in answers.items():
        named_cell(wb, contract.answer_name(area, statement)).value = value  # type: ignore[assignment]  # whatever a client might type
    if date is not None:
        named_cell(wb, "cliente_fecha").value = date
    wb.save(path)
    return path


EXAMPLES: dict[str, tuple[Client, dict[int, list[object]]]] = {
    "taller-informatico-reactivo.xlsx": (
        Client("CL-001", "Taller Informático Ruiz", "Marta Ruiz", "marta@tallerruiz.es"),
        {1: [1, 2, 1, 2, 1], 2: [2, 1, 1, 2, 2], 3: [2, 2, 1, 1, 2], 4: [1, 2, 2, 1, 1]},
    ),
    "soporte-levante-estable.xlsx": (
        Client("CL-002", "Soporte Levante", "Jordi Puig", "jordi@soportelevante.es"),
        {1: [3, 2, 3, 2, 3], 2: [3, 3, 2, 2, 3], 3: [2, 3, 3, 2, 2], 4: [3, 2, 2, 3, 2]},
    ),
    "documento-ejemplo-proactivo.xlsx": (
        Client("CL-003", "Redes del Norte", "Iker Etxeberria", "iker@redesdelnorte.es"),
        # The source document's worked example: 4,6 + 3,2 + 3,8 + 2,6 → 3,55.
        {1: [5, 5, 5, 4, 4], 2: [3, 3, 3, 4, 3], 3: [4, 4, 4, 3, 4], 4: [3, 3, 2, 2, 3]},
    ),
    "cloud-iberia-escalable.xlsx": (
        Client("CL-004", "Cloud Iberia Servicios", "Lucía Gómez", "lucia@cloudiberia.es"),
        {1: [5, 4, 5, 4, 4], 2: [4, 5, 4, 4, 5], 3: [4, 4, 5, 4, 4], 4: [5, 4, 4, 4, 4]},
    ),
    "sistemas-sur-con-problemas.xlsx": (
        Client("CL-005", "Sistemas del Sur", "Antonio Vega", "antonio@sistemasdelsur"),
        {1: [4, "4 - De acuerdo", 3, None, 4], 2: [3, 7, 3, 3, 2.5], 3: [4, 4, "sí", 4, 4]},
    ),
}


def write_examples(folder: Path) -> list[Path]:
    """Write the Quick start's returned workbooks into ``folder`` (valid, invalid, unreadable)."""
    folder.mkdir(parents=True, exist_ok=True)
    instrument = load_instrument()
    written = []
    for name, (client, values) in EXAMPLES.items():
        answers = uniform_answers(values)
        written.append(
            write_filled(
                folder / name, answers, client=client, date="2026-11-20", instrument=instrument
            )
        )
    unreadable = folder / "exportado-como-csv.xlsx"
    unreadable.write_text("Afirmación;Respuesta\nHemos estandarizado…;4\n", encoding="utf-8")
    written.append(unreadable)
    return written
