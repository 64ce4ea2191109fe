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
from typing import Any

from msp_assessment.client import Client, id_key
from msp_assessment.list_columns import (
    COLUMNS,
    HEADER_SEARCH_ROWS,
    REQUIRED_COLUMNS,
    columns_of,
    names_list_columns,
)
from msp_assessment.problems import Code, Problem, problem, shorten
from msp_assessment.text import EMAIL, cell_text, has_controls, printable


@dataclass(frozen=True)
class ClientList:
    clients: tuple[Client, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def read_client_list(path: Path) -> ClientList:
    """Clients of a .csv (``,``, ``;`` or tab; UTF-8, UTF-16 or Windows-1252), .xlsx, .ods or
    .xls, whose header row may come under a title and blank rows."""
    try:
        rows = [(line, cells) for line, cells in _rows(path) if any(c.strip() for c in cells)]
    except (OSError, ValueError, KeyError, csv.Error) as err:
        return ClientList((), (problem(Code.LIST_UNREADABLE, detail=shorten(err, 100)),))
    except _UnreadableError as err:
        return ClientList((), (err.problem,))
    if not rows:
        return ClientList((), (problem(Code.LIST_EMPTY),))
    # The header is the first row that names the required columns: a title («Listado de
    # clientes 2026») or a blank row may come before it.
    start = next(
        (i for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]) if names_list_columns(cells)),
        0,
    )
    rows = rows[start:]
    header_line, header = rows[0]
    columns = columns_of(header)
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


def _cell(cells: list[str], index: int) -> str | None:
    if index >= len(cells):
        return None
    return " ".join(cells[index].split()) or None


class _UnreadableError(Exception):
    """A list in a spreadsheet format its reader could not read (the problem says why)."""

    def __init__(self, found: Problem) -> None:
        super().__init__(found.message)
        self.problem = found


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The list's rows, numbered as the user sees them, by what the file is (not its name)."""
    from msp_assessment.processing.returns.intake import Format, sniff

    found = sniff(path) if path.suffix.lower() != ".csv" else None
    if found is Format.OOXML:
        return _xlsx_rows(path)
    if isinstance(found, Format):  # .ods, .xls, .xlsb: read as a return is, apart and bounded
        return _book_rows(path, found)
    if isinstance(found, Problem) and found.code != Code.FILE_NOT_WORKBOOK:
        raise _UnreadableError(problem(Code.LIST_UNREADABLE, detail=found.message))
    return _csv_rows(path)


def _book_rows(path: Path, kind: Any) -> Iterator[tuple[int, list[str]]]:
    from msp_assessment.processing.returns.calamine import read_other
    from msp_assessment.processing.returns.intake import Limits

    book = read_other(path, kind, Limits())
    if isinstance(book, Problem):
        raise _UnreadableError(problem(Code.LIST_UNREADABLE, detail=book.message))
    sheet = book.sheets[0]
    if not sheet.values:
        return
    last_row = max(row for row, _ in sheet.values)
    last_col = max(col for _, col in sheet.values)
    for row in range(1, last_row + 1):
        yield row, [cell_text(sheet.value(row, col)) or "" for col in range(1, last_col + 1)]


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    text = decode_csv(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text))
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1


def csv_delimiter(text: str) -> str:
    """The separator of a CSV list: the commonest of «,», «;» and tab in its first line (Excel's
    «Texto Unicode» separates with tabs)."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=first.count)


def decode_csv(data: bytes) -> str:
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
