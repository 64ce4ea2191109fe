"""Strict Open XML («Hoja de cálculo Open XML estricta» in Excel's Guardar como) read as the
transitional form every program and our reader know.

Strict differs from transitional in its namespaces, which map one to one (ECMA-376 Part 1, §A:
purl.oclc.org names for schemas.openxmlformats.org ones), and in writing dates as ISO text
(``t="d"``), which the reader handles anyway. Rewriting the namespaces of every XML part gives a
transitional package with the same content: the reader reads it, the splice edits it, and the copy
we send back is transitional, which every Excel opens.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_STRICT = b"http://purl.oclc.org/ooxml/"
_TRANSITIONAL = b"http://schemas.openxmlformats.org/"
# The names that are not just the same path under another root (the rest map as a prefix).
_RENAMED = {
    b"officeDocument/relationships/extendedProperties": (
        b"officeDocument/2006/relationships/extended-properties"
    ),
    b"officeDocument/relationships/customProperties": (
        b"officeDocument/2006/relationships/custom-properties"
    ),
    b"officeDocument/extendedProperties": b"officeDocument/2006/extended-properties",
    b"officeDocument/customProperties": b"officeDocument/2006/custom-properties",
}
_URI = re.compile(rb"http://purl\.oclc\.org/ooxml/([A-Za-z]+)/([A-Za-z0-9/]*)")
_CONFORMANCE = re.compile(rb"""\sconformance=["']strict["']""")


def is_strict(data: Mapping[str, bytes]) -> bool:
    """Whether the package's relationships name its workbook with a Strict type."""
    return _STRICT in data.get("_rels/.rels", b"")


def to_transitional(data: Mapping[str, bytes]) -> Mapping[str, bytes]:
    """A package's parts with every Strict namespace written as its transitional twin and the
    workbook's ``conformance="strict"`` dropped; a package that is not Strict is returned as it
    is."""
    if not is_strict(data):
        return data
    return {
        name: _transitional(raw) if name.endswith((".xml", ".rels")) else raw
        for name, raw in data.items()
    }


def _transitional(raw: bytes) -> bytes:
    if _STRICT not in raw:
        return raw
    return _CONFORMANCE.sub(b"", _URI.sub(_map, raw))


def _map(match: re.Match[bytes]) -> bytes:
    family, rest = match.group(1), match.group(2)
    path = family + b"/" + rest
    if path in _RENAMED:
        return _TRANSITIONAL + _RENAMED[path]
    # officeDocument/relationships/worksheet → officeDocument/2006/relationships/worksheet,
    # spreadsheetml/main → spreadsheetml/2006/main, drawingml/chart → drawingml/2006/chart
    return _TRANSITIONAL + family + b"/2006/" + rest
