"""Read the user's client list (.csv or .xlsx) and report every bad row at once, by line number."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.headerregistry import Address
from pathlib import Path

from msp_assessment.client import Client, id_key
from msp_assessment.problems import Code, Problem, problem, shorten
from msp_assessment.text import EMAIL, cell_text, fold, has_controls, printable

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


@dataclass(frozen=True)
class ClientList:
    clients: tuple[Client, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def read_client_list(path: Path) -> ClientList:
    """Clients of a .csv (``,``, ``;`` or tab; UTF-8, UTF-16 or Windows-1252) or .xlsx."""
    try:
        rows = list(
            _xlsx_rows(path) if path.suffix.lower() in (".xlsx", ".xlsm") else _csv_rows(path)
        )
    except (OSError, ValueError, KeyError, csv.Error) as err:
        return ClientList((), (problem(Code.LIST_UNREADABLE, detail=shorten(err, 100)),))
    if not rows:
        return ClientList((), (problem(Code.LIST_EMPTY),))
    header_line, header = rows[0]
    columns = _columns(header)
    missing = [key for key in REQUIRED_COLUMNS if key not in columns]
    if missing:
        names = "; ".join(
            f"{COLUMNS[key][0]} (vale también: {', '.join(f'«{s}»' for s in COLUMNS[key][1:])})"
            for key in missing
        )
        found = ", ".join(f"«{h}»" for h in header if h) or "ninguna"
        return ClientList(
            (), (problem(Code.LIST_COLUMNS, line=header_line, missing=names, found=found),)
        )
    clients: list[Client] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, cells in rows[1:]:
        value = {key: _cell(cells, index) for key, index in columns.items()}
        if not any(value.values()):
            continue  # blank rows are common at the end of a sheet
        client = Client(value.get("id"), value.get("company"), value.get("contact"), value["email"])
        problems += _row_problems(client, line, first_line)
        clients.append(client)
    if not clients and not problems:
        problems.append(problem(Code.LIST_EMPTY))
    return ClientList(tuple(clients), tuple(problems))


def _row_problems(client: Client, line: int, first_line: dict[str, int]) -> list[Problem]:
    found: list[Problem] = []
    if not client.id:
        found.append(problem(Code.LIST_ID_MISSING, line=line))
    else:
        key = id_key(client.id)
        if key in first_line:
            found.append(
                problem(Code.LIST_ID_DUPLICATE, line=line, id=client.id, first=first_line[key])
            )
        else:
            first_line[key] = line
    found += _unsafe_text(client, line)
    if not client.company:
        found.append(problem(Code.LIST_COMPANY_MISSING, line=line))
    if not client.email:
        found.append(problem(Code.LIST_EMAIL_MISSING, line=line))
    elif not deliverable(client.email):
        found.append(problem(Code.LIST_EMAIL_INVALID, line=line, found=shorten(client.email)))
    return found


# RFC 2047 encoded words («=?utf-8?q?…?=»): a mail program decodes them in a header, so a list
# field holding one could smuggle a line break, and with it a header, into every draft.
ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[bq]\?", re.IGNORECASE)


def _unsafe_text(client: Client, line: int) -> list[Problem]:
    """A problem for every field holding a control character or an encoded word: they go into
    the headers of every draft, where they could add recipients (CVE-2024-6923)."""
    found = []
    for key, value in client.to_dict().items():
        if value is None:
            continue
        if has_controls(value):
            why = "contiene caracteres de control"
        elif ENCODED_WORD.search(value):
            why = "contiene una palabra codificada de correo («=?…?=»)"
        else:
            continue
        column = COLUMNS[key][0]
        shown = shorten(printable(value))
        found.append(problem(Code.LIST_TEXT_UNSAFE, line=line, column=column, why=why, found=shown))
    return found


def deliverable(address: str) -> bool:
    """A plausible address that the email library can also put in a To header."""
    if not EMAIL.match(address):
        return False
    try:
        Address(addr_spec=address)
        address.rpartition("@")[2].encode("idna")  # an internationalised domain, in ASCII
    except (ValueError, IndexError, HeaderParseError, UnicodeError):
        return False
    return True


def header_key(name: str) -> str:
    """A header as compared: folded, punctuation as spaces (``Cód.`` and ``cod`` are one)."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(name)).split())


def _columns(header: list[str]) -> dict[str, int]:
    by_name = {
        header_key(spelling): key for key, spellings in COLUMNS.items() for spelling in spellings
    }
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        key = by_name.get(header_key(name))
        if key is not None:
            columns.setdefault(key, index)
    return columns


def _cell(cells: list[str], index: int) -> str | None:
    if index >= len(cells):
        return None
    return " ".join(cells[index].split()) or None


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = _decoded(path.read_bytes())
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)  # «Texto Unicode» separates with tabs
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1


def _decoded(data: bytes) -> str:
    """A CSV's text: UTF-16 (Excel's «Texto Unicode», with its BOM or recognisable by its zero
    bytes), UTF-8 with or without BOM, else Windows-1252, what Spanish Excel writes for «CSV
    (delimitado por comas)»."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:200]
    if head and head.count(0) * 3 >= len(head):  # UTF-16 without its BOM: every other byte 0
        return data.decode("utf-16-le" if head[1::2].count(0) > head[::2].count(0) else "utf-16-be")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.worksheets[0]
        for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) or "" for v in row]
    finally:
        wb.close()
