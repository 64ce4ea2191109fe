"""A client list's columns as people write them: which header names which field, and which row
of a sheet is the header. A leaf: the list reader and the intake (which tells a client list from
a returned workbook) share it.
"""

from __future__ import annotations

import re
from functools import cache

from msp_assessment.text import fold

# Accepted header spellings, as people write them; compared after header_key() (case, accents,
# spaces and punctuation do not matter: «Cód. cliente» is «cod cliente», «Nº cliente» «no cliente»).
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "Id. cliente",
        "Código cliente",
        "Cód. cliente",
        "Código",
        "Nº cliente",
        "Número de cliente",
        "Referencia",
        "Ref.",
    ),
    "company": ("empresa", "Razón social", "Compañía", "Nombre de la empresa", "Cliente"),
    "contact": ("contacto", "Persona de contacto", "Nombre", "Nombre y apellidos", "Responsable"),
    "email": ("email", "E-mail", "Correo electrónico", "Correo", "Mail", "Email de contacto"),
}
REQUIRED_COLUMNS = ("id", "company", "email")


def header_key(name: str) -> str:
    """A header as compared: folded, punctuation as spaces (``Cód.`` and ``cod`` are one)."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(name)).split())


@cache
def _by_name() -> dict[str, str]:
    """Each accepted spelling, as compared, → its field (made once: every file asks)."""
    return {
        header_key(spelling): key for key, spellings in COLUMNS.items() for spelling in spellings
    }


def columns_of(header: list[str]) -> dict[str, int]:
    """Which column (its index) holds each field a header row names; the first one counts."""
    by_name = _by_name()
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        if not name:
            continue
        key = by_name.get(header_key(name))
        if key is not None:
            columns.setdefault(key, index)
    return columns


HEADER_SEARCH_ROWS = 20  # rows above the header that may hold titles or notes


def names_list_columns(cells: list[str]) -> bool:
    """Whether a row is a client list's header: it names every required column."""
    columns = columns_of(cells)
    return all(key in columns for key in REQUIRED_COLUMNS)
