"""The registry of problem codes and their Spanish messages, and the one Problem type.

A problem is data: a stable ``code``, where it is (area, statement, sheet and cell of a workbook, or
a line of the client list) and a message rendered on demand from one template, written as *where →
what is wrong → what was found → how to fix it*.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from msp_assessment.instrument import Instrument


class Code(StrEnum):
    """A problem's stable code: what the JSON report, the summary and the tests key on."""

    # File-level problems: the file cannot be read as a workbook (status "unreadable").
    FILE_EMPTY = "file_empty"
    FILE_NOT_WORKBOOK = "file_not_workbook"
    FILE_NUMBERS = "file_numbers"
    FILE_ENCRYPTED = "file_encrypted"
    FILE_CORRUPT = "file_corrupt"
    FILE_TOO_LARGE = "file_too_large"
    FILE_UNREADABLE = "file_unreadable"
    FILE_UNSAFE = "file_unsafe"
    FILE_FORMAT_UNREADABLE = "file_format_unreadable"
    FILE_READER_STOPPED = "file_reader_stopped"
    INTERNAL_ERROR = "internal_error"
    # A message collect could not read (a .msg file, one over the size limit): nothing of it
    # is collected; the rest is.
    MAIL_UNREADABLE = "mail_unreadable"
    MAIL_TOO_LARGE = "mail_too_large"
    OWN_FILE = "own_file"  # one of our files among the returns: passed over (report.skipped)
    # Workbook-level and answer-level problems (status "invalid").
    NOT_ASSESSMENT = "not_assessment"
    UNKNOWN_INSTRUMENT = "unknown_instrument"
    UNKNOWN_VERSION = "unknown_version"
    STATEMENT_MISSING = "statement_missing"
    STATEMENT_CHANGED = "statement_changed"
    ANSWER_MISSING = "answer_missing"
    ANSWER_OUT_OF_RANGE = "answer_out_of_range"
    ANSWER_NOT_INTEGER = "answer_not_integer"
    ANSWER_UNREADABLE = "answer_unreadable"
    ANSWER_AMBIGUOUS = "answer_ambiguous"
    ANSWER_MERGED = "answer_merged"
    ANSWER_FORMULA = "answer_formula"
    CLIENT_MISSING = "client_missing"
    CLIENT_EMAIL_INVALID = "client_email_invalid"
    CLIENT_DATE_FUTURE = "client_date_future"
    # Summary-level: a scored workbook that a newer one of the same client replaces; a workbook
    # of no client on the list given with --clients.
    SUPERSEDED = "superseded"
    CORRECTED = "corrected"  # a workbook with problems whose -revisar copy came back
    NOT_ON_LIST = "not_on_list"
    # The user's client list (prepare, status): located by line, 1 being the header.
    LIST_UNREADABLE = "list_unreadable"
    LIST_EMPTY = "list_empty"
    LIST_COLUMNS = "list_columns"
    LIST_ID_MISSING = "list_id_missing"
    LIST_ID_DUPLICATE = "list_id_duplicate"
    LIST_COMPANY_MISSING = "list_company_missing"
    LIST_EMAIL_MISSING = "list_email_missing"
    LIST_EMAIL_INVALID = "list_email_invalid"
    LIST_TEXT_UNSAFE = "list_text_unsafe"


_SAVE_AS_XLSX = "Ábralo y guárdelo como «Libro de Excel (.xlsx)»."
_SCALE = "Elija un número entero del 1 al 5 en la lista desplegable."
_WHERE = "Afirmación {statement} de «{area_name}» (celda {cell})"

TEMPLATES: dict[Code, str] = {
    Code.FILE_EMPTY: "El archivo está vacío (0 bytes). Pida al cliente que lo envíe de nuevo.",
    Code.FILE_NOT_WORKBOOK: "El archivo no es un libro de Excel: {detail}. " + _SAVE_AS_XLSX,
    Code.FILE_NUMBERS: (
        "El archivo es un libro de Numbers (.numbers), que no se puede leer. Pida al cliente que "
        "en Numbers elija Archivo > Exportar a > Excel… y envíe el .xlsx."
    ),
    Code.FILE_ENCRYPTED: (
        "El libro está cifrado con una contraseña de apertura y no se puede leer. Pida al cliente "
        "que lo guarde sin contraseña (Archivo > Información > Proteger libro) y lo envíe de nuevo."
    ),
    Code.FILE_CORRUPT: (
        "El archivo está dañado o incompleto y no se puede abrir ({detail}). Pida al cliente que "
        "lo envíe de nuevo."
    ),
    Code.FILE_TOO_LARGE: (
        "El archivo supera un límite de seguridad ({detail}) y no se abre. Un libro de la "
        "autoevaluación ocupa unos pocos KB; pida al cliente que envíe el libro original."
    ),
    Code.FILE_UNREADABLE: (
        "No se pudo leer el archivo ({detail}). Compruebe que existe y que tiene permiso "
        "de lectura."
    ),
    Code.FILE_UNSAFE: (
        "El libro contiene construcciones XML que no se aceptan por seguridad ({detail}); no se "
        "ha leído. Pida al cliente que rellene la plantilla original con Excel, LibreOffice, "
        "Google Sheets o Numbers y la envíe de nuevo."
    ),
    Code.FILE_FORMAT_UNREADABLE: (
        "El archivo es un libro {kind} que esta herramienta no consigue leer ({detail}). Pida al "
        "cliente que lo abra y lo guarde como «Libro de Excel (.xlsx)»."
    ),
    Code.FILE_READER_STOPPED: (
        "El archivo hace que el lector de libros {kind} se detenga ({detail}); no se ha leído y "
        "el resto del lote no se ve afectado. Pida al cliente que lo abra y lo guarde como «Libro "
        "de Excel (.xlsx)»."
    ),
    Code.OWN_FILE: "El archivo {what}.",
    Code.MAIL_UNREADABLE: (
        "El mensaje no se puede leer ({detail}); no se ha recogido nada de él. Ábralo en su "
        "programa de correo y guarde el adjunto en la carpeta de recibidos, o expórtelo de nuevo "
        "(en Outlook, Archivo > Guardar como)."
    ),
    Code.MAIL_TOO_LARGE: (
        "El mensaje supera el límite de tamaño ({detail}) y no se ha descargado. Un libro de la "
        "autoevaluación ocupa unos pocos KB: ábralo en su programa de correo y, si trae el libro, "
        "guárdelo en la carpeta de recibidos."
    ),
    Code.INTERNAL_ERROR: (
        "msp-assessment no pudo procesar este archivo por un error interno ({detail}). El resto "
        "del lote no se ve afectado; vuelva a ejecutar con --debug e informe del error."
    ),
    Code.NOT_ASSESSMENT: (
        "El libro no contiene la autoevaluación: no tiene los datos de la plantilla ni ninguna de "
        "sus afirmaciones. Envíe al cliente la plantilla generada con «msp-assessment template»."
    ),
    Code.UNKNOWN_INSTRUMENT: (
        "El libro es de otro cuestionario («{found}»), no de «{expected}». Envíe al cliente la "
        "plantilla de la autoevaluación."
    ),
    Code.UNKNOWN_VERSION: (
        "El libro es de la versión «{found}» del cuestionario y esta herramienta procesa la "
        "versión «{expected}». Envíe al cliente la plantilla actual."
    ),
    Code.STATEMENT_MISSING: (
        "Afirmación {statement} de «{area_name}»: no se encuentra en el libro («{expected}»). "
        "Puede que se haya borrado su fila; pida al cliente que rellene la plantilla original."
    ),
    Code.STATEMENT_CHANGED: (
        _WHERE + ": el texto se ha modificado y ahora dice «{found}». Restaure el texto original "
        "(«{expected}») para que la respuesta se pueda puntuar."
    ),
    Code.ANSWER_MISSING: _WHERE + ": falta la respuesta. " + _SCALE,
    Code.ANSWER_OUT_OF_RANGE: _WHERE + ": la respuesta es {found}, fuera de la escala. " + _SCALE,
    Code.ANSWER_NOT_INTEGER: _WHERE
    + ": la respuesta es {found}, que no es un número entero. "
    + _SCALE,
    Code.ANSWER_UNREADABLE: _WHERE
    + ": contiene «{found}», que no es una respuesta válida. "
    + _SCALE,
    Code.ANSWER_AMBIGUOUS: (
        _WHERE
        + ": «{found}» mezcla el número {number} con otro nivel de acuerdo ({label}). "
        + _SCALE
    ),
    Code.ANSWER_MERGED: (
        _WHERE + ": la celda de respuesta se ha combinado con otras ({found}), así que no se sabe "
        "a qué afirmación corresponde. Separe las celdas (Inicio > Combinar y centrar) y "
        + _SCALE[0].lower()
        + _SCALE[1:]
    ),
    Code.ANSWER_FORMULA: (
        _WHERE + ": contiene la fórmula «{found}» sin valor calculado. Escriba directamente el "
        "número: " + _SCALE[0].lower() + _SCALE[1:]
    ),
    Code.CLIENT_MISSING: (
        "Datos de la empresa (celda {cell}): falta «{field}». Escríbalo en la celda amarilla "
        "junto a «{field}»."
    ),
    Code.CLIENT_EMAIL_INVALID: (
        "Datos de la empresa (celda {cell}): «{found}» no parece un email válido. Escriba una "
        "dirección como nombre@empresa.com."
    ),
    Code.CLIENT_DATE_FUTURE: (
        "Datos de la empresa (celda {cell}): la fecha {found} es posterior a hoy ({today}). "
        "Escriba la fecha en que respondió, como DD/MM/AAAA."
    ),
    Code.SUPERSEDED: (
        "Hay un libro más reciente del mismo cliente, «{winner}» (fecha: {date}), y es el que "
        "cuenta en el resumen. Si este es el bueno, retire el otro de la carpeta y vuelva a "
        "procesar."
    ),
    Code.CORRECTED: (
        "El cliente devolvió corregida la copia de revisión de este libro, «{winner}»: es esa "
        "la que cuenta."
    ),
    Code.NOT_ON_LIST: (
        "El libro no es de ningún cliente de la lista (id. «{id}», empresa «{company}»). "
        "Compruebe esos datos en el libro, o añada el cliente a la lista."
    ),
    Code.LIST_UNREADABLE: (
        "No se pudo leer la lista de clientes ({detail}). Guárdela como .xlsx o como CSV "
        "(separado por comas o por punto y coma)."
    ),
    Code.LIST_EMPTY: "La lista de clientes no tiene ningún cliente: añada una fila por cliente.",
    Code.LIST_COLUMNS: (
        "Línea {line}: faltan las columnas {missing} (se han encontrado: {found}). La primera fila "
        "debe tener las columnas id, empresa, contacto y email."
    ),
    Code.LIST_ID_MISSING: "Línea {line}: falta el id. del cliente. Dé a cada cliente un id. único.",
    Code.LIST_ID_DUPLICATE: (
        "Línea {line}: el id. «{id}» ya está en la línea {first}. Cada cliente necesita un id. "
        "distinto."
    ),
    Code.LIST_COMPANY_MISSING: "Línea {line}: falta la empresa. Escriba el nombre de la empresa.",
    Code.LIST_EMAIL_MISSING: "Línea {line}: falta el email. Escriba la dirección del contacto.",
    Code.LIST_TEXT_UNSAFE: (
        "Línea {line}, columna «{column}»: {why} («{found}»). Escriba el texto tal como debe "
        "leerse, sin caracteres de control ni codificación de correo."
    ),
    Code.LIST_EMAIL_INVALID: (
        "Línea {line}: «{found}» no parece un email válido. Escriba una dirección como "
        "nombre@empresa.com."
    ),
}

# What each problem is, in a few words, for a manager's table (the template says how to fix it).
LABELS: dict[Code, str] = {
    Code.FILE_EMPTY: "Archivo vacío",
    Code.FILE_NOT_WORKBOOK: "No es un libro de Excel",
    Code.FILE_NUMBERS: "Libro de Numbers",
    Code.FILE_ENCRYPTED: "Cifrado con contraseña",
    Code.FILE_CORRUPT: "Archivo dañado",
    Code.FILE_TOO_LARGE: "Supera un límite de seguridad",
    Code.FILE_UNREADABLE: "No se pudo leer",
    Code.FILE_UNSAFE: "XML no admitido por seguridad",
    Code.FILE_FORMAT_UNREADABLE: "Formato que no se puede leer",
    Code.FILE_READER_STOPPED: "Detiene al lector",
    Code.OWN_FILE: "Archivo de msp-assessment",
    Code.MAIL_UNREADABLE: "Mensaje ilegible",
    Code.MAIL_TOO_LARGE: "Mensaje demasiado grande",
    Code.INTERNAL_ERROR: "Error interno",
    Code.NOT_ASSESSMENT: "No es la autoevaluación",
    Code.UNKNOWN_INSTRUMENT: "Otro cuestionario",
    Code.UNKNOWN_VERSION: "Otra versión del cuestionario",
    Code.STATEMENT_MISSING: "Falta una afirmación",
    Code.STATEMENT_CHANGED: "Afirmación modificada",
    Code.ANSWER_MISSING: "Falta una respuesta",
    Code.ANSWER_OUT_OF_RANGE: "Respuesta fuera de 1–5",
    Code.ANSWER_NOT_INTEGER: "Respuesta con decimales",
    Code.ANSWER_UNREADABLE: "Respuesta no válida",
    Code.ANSWER_AMBIGUOUS: "Respuesta contradictoria",
    Code.ANSWER_MERGED: "Respuesta en celda combinada",
    Code.ANSWER_FORMULA: "Fórmula sin valor",
    Code.CLIENT_MISSING: "Falta un dato de la empresa",
    Code.CLIENT_EMAIL_INVALID: "Email no válido",
    Code.CLIENT_DATE_FUTURE: "Fecha futura",
    Code.SUPERSEDED: "Sustituido por uno más reciente",
    Code.CORRECTED: "Corregido en su copia de revisión",
    Code.NOT_ON_LIST: "Cliente fuera de la lista",
    Code.LIST_UNREADABLE: "Lista ilegible",
    Code.LIST_EMPTY: "Lista vacía",
    Code.LIST_COLUMNS: "Faltan columnas",
    Code.LIST_ID_MISSING: "Falta el id.",
    Code.LIST_ID_DUPLICATE: "Id. repetido",
    Code.LIST_COMPANY_MISSING: "Falta la empresa",
    Code.LIST_EMAIL_MISSING: "Falta el email",
    Code.LIST_EMAIL_INVALID: "Email no válido",
    Code.LIST_TEXT_UNSAFE: "Texto no admitido",
}

# Codes located by a line of the user's client list (1: its header), not by a workbook's cell.
LIST_CODES = frozenset(code for code in Code if code.startswith("list_"))


@dataclass(frozen=True)
class Problem:
    """A problem as data: its code, where it is and what its message needs (``context``).

    The message is rendered from the registry when it is read, so moving a problem (another cell)
    or recoding it (another code, more context) never means patching text.
    """

    code: Code
    area: int | None = None
    statement: int | None = None
    sheet: str | None = None
    cell: str | None = None
    line: int | None = None  # a client list's line, for LIST_CODES
    context: tuple[tuple[str, object], ...] = ()

    @property
    def message(self) -> str:
        where = (
            self.cell if self.sheet is None or self.cell is None else f"{self.sheet}!{self.cell}"
        )
        return TEMPLATES[self.code].format(
            cell=where or "desconocida",
            statement=self.statement,
            line=self.line,
            **dict(self.context),
        )

    def recoded(self, code: Code, **context: object) -> Problem:
        """The same place with another code, its context extended by ``context``."""
        merged = dict(self.context) | context
        return replace(self, code=code, context=tuple(merged.items()))

    def to_dict(self) -> dict[str, Any]:
        if self.code in LIST_CODES:
            return {"code": self.code, "line": self.line, "message": self.message}
        return {
            "code": self.code,
            "message": self.message,
            "area": self.area,
            "statement": self.statement,
            "sheet": self.sheet,
            "cell": self.cell,
        }


def problem(
    code: Code,
    *,
    area: int | None = None,
    statement: int | None = None,
    sheet: str | None = None,
    cell: str | None = None,
    line: int | None = None,
    **context: object,
) -> Problem:
    """A problem of the registry; ``context`` fills its message template."""
    return Problem(code, area, statement, sheet, cell, line, tuple(context.items()))


def shorten(text: object, limit: int = 60) -> str:
    """Quote-safe, single-line excerpt of what a client typed, for messages."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Line:
    """One line of a problem list for a person: a problem, or every missing answer at once."""

    message: str
    problems: tuple[Problem, ...]


def grouped(problems: list[Problem] | tuple[Problem, ...], instrument: Instrument) -> list[Line]:
    """``problems`` with every missing answer on one line, where the first was: «Faltan 10
    respuestas: Procesos y operaciones 1–5; Tecnología y automatización 1, 3 …»; when none of the
    ``instrument``'s statements is answered, that line says so."""
    area_names = [area.name for area in instrument.areas]
    statements = len(instrument.statements)
    missing = [p for p in problems if p.code is Code.ANSWER_MISSING and p.area and p.statement]
    if len(missing) < 2:
        return [Line(p.message, (p,)) for p in problems]
    if len(missing) == statements and (
        blank := [p for p in problems if p.code is Code.CLIENT_MISSING]
    ):  # nothing filled in at all: one line, with the client's fields that are missing too
        fields = [f"«{dict(p.context)['field']}»" for p in blank]
        named = ", ".join(fields[:-1]) + " y " + fields[-1] if len(fields) > 1 else fields[0]
        text = (
            f"El libro está en blanco: faltan las {len(missing)} respuestas y {named}. Escriba "
            f"{named} en {'sus celdas amarillas' if len(fields) > 1 else 'su celda amarilla'} "
            "y elija un número entero del 1 al 5 en la lista desplegable de cada afirmación."
        )
        missing += blank
    elif len(missing) == statements:
        text = (
            f"No ha respondido ninguna de las {len(missing)} afirmaciones. Elija un número entero "
            "del 1 al 5 en la lista desplegable de cada una."
        )
    else:
        by_area: dict[int, list[int]] = {}
        for p in missing:
            by_area.setdefault(p.area or 0, []).append(p.statement or 0)
        where = "; ".join(
            f"{area_names[area - 1]} {number_ranges(numbers)}"
            for area, numbers in sorted(by_area.items())
        )
        text = (
            f"Faltan {len(missing)} respuestas: {where}. Elija un número entero del 1 al 5 en "
            "la lista desplegable de cada afirmación (las celdas están marcadas en color)."
        )
    lines, placed = [], False
    for p in problems:
        if p in missing:
            if not placed:
                lines.append(Line(text, tuple(missing)))
                placed = True
        else:
            lines.append(Line(p.message, (p,)))
    return lines


def number_ranges(numbers: list[int]) -> str:
    """1, 2, 3, 5 → «1–3, 5»."""
    ordered = sorted(set(numbers))
    runs: list[list[int]] = []
    for n in ordered:
        if runs and n == runs[-1][-1] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    return ", ".join(
        f"{run[0]}–{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs
    )
