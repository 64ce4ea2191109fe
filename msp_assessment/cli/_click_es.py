"""Spanish for click's own words (usage line, headings, common usage errors).

click looks its messages up through ``gettext`` by module-level ``_``/``ngettext`` names but ships
no Spanish catalog; we point those names at a small table. Unknown messages pass through unchanged.
"""

from __future__ import annotations

import importlib
from typing import Any

SPANISH = {
    "Usage:": "Uso:",
    "Options": "Opciones",
    "Commands": "Comandos",
    "Show this message and exit.": "Muestra esta ayuda y termina.",
    "Show the version and exit.": "Muestra la versión y termina.",
    "%(prog)s, version %(version)s": "%(prog)s, versión %(version)s",
    "Try '{command} {option}' for help.": "Pruebe '{command} {option}' para ver la ayuda.",
    "Error: {message}": "Error: {message}",
    "Aborted!": "Cancelado.",
    "Missing argument": "Falta el argumento",
    "Missing option": "Falta la opción",
    "Missing parameter": "Falta un parámetro",
    "Missing command.": "Falta el comando.",
    "No such command {name!r}.": "No existe el comando {name!r}.",
    "No such option {name!r}.": "No existe la opción {name!r}.",
    "Option {name!r} does not take a value.": "La opción {name!r} no admite valor.",
    "Invalid value for {param_hint}: {message}": "Valor no válido para {param_hint}: {message}",
    "Invalid value: {message}": "Valor no válido: {message}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} no existe.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} es una carpeta.",
    "{name} {filename!r} is a file.": "{name} {filename!r} es un archivo.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} no se puede leer.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} no se puede escribir.",
    "{value!r} is not a valid {number_type}.": "{value!r} no es un {number_type} válido.",
    "{value} is not in the range {range}.": "{value} no es un valor admitido ({range}).",
    "{value!r} is not one of {choices}.": "{value!r} no es ninguno de {choices}.",
    "{value!r} is not {choice}.": "{value!r} no es {choice}.",
    "Path": "La ruta",
    "File": "El archivo",
    "Directory": "La carpeta",
    "file": "archivo",
    "directory": "carpeta",
    "path": "ruta",
    "integer": "número entero",
    "default: {default}": "por defecto: {default}",
    "required": "obligatoria",
    "Password": "Contraseña",
    "Repeat for confirmation": "Repita para confirmar",
    "Error: The two entered values do not match.": "Error: los dos valores no coinciden.",
    "Got unexpected extra argument ({args})": "Argumento adicional inesperado ({args})",
    "Got unexpected extra arguments ({args})": "Argumentos adicionales inesperados ({args})",
    "Option {name!r} requires an argument.": "La opción {name!r} necesita un valor.",
    "Option {name!r} requires {nargs} arguments.": "La opción {name!r} necesita {nargs} valores.",
    "Did you mean {possibility}?": "¿Quería decir {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(¿Quería decir una de estas: {possibilities}?)",
    "(Possible options: {possibilities})": "(Opciones posibles: {possibilities})",
}

_MODULES = ("core", "exceptions", "formatting", "parser", "types", "decorators", "termui", "utils")


def gettext(message: str) -> str:
    return SPANISH.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def describe_range(self: Any) -> str:
    """A number option's allowed range, as the help shows it: «1 o más», «de 1 a 5»."""
    low, high = self.min, self.max
    if low is None:
        return f"menos de {high}" if self.max_open else f"{high} o menos"
    if high is None:
        return f"más de {low}" if self.min_open else f"{low} o más"
    return f"de {low} a {high}"


def install() -> None:
    """Point click's message lookups at the Spanish table (idempotent)."""
    from click import types

    types._NumberRangeBase._describe_range = describe_range  # type: ignore[method-assign]
    # A type's name goes into «… no es un {name} válido» as it is, not through gettext.
    types.IntParamType.name = types.IntRange.name = "número entero"
    types.FloatParamType.name = types.FloatRange.name = "número"
    for name in _MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            setattr(module, "_", gettext)  # noqa: B010 (module attribute, not a literal one)
        if hasattr(module, "ngettext"):
            setattr(module, "ngettext", ngettext)  # noqa: B010
