"""Edits of xl/calcChain.xml, Excel's order of formula cells, as ``bytes → bytes`` functions.

An entry names its cell (``r``) and its sheet by sheetId (``i``); an entry without ``i`` is on the
sheet of the entry before it. A cell whose formula we replace with its value must leave the
chain, or Excel reports the file as damaged.
"""

from __future__ import annotations

import re

from msp_assessment.processing.ooxml.package import SpliceDeclinedError

_ROOT = re.compile(rb"<calcChain\b[^>]*>")
_ENTRY = re.compile(rb"<c\b[^>]*/>")
_REF = re.compile(rb"""\sr=["']([A-Z]+[0-9]+)["']""")
_SHEET = re.compile(rb"""\si=["']([0-9]+)["']""")


def drop_cells(data: bytes, cells: set[tuple[int, str]]) -> bytes | None:
    """The chain without the entries of ``cells`` (sheetId, reference); None when no entry is
    left (an empty chain is not allowed: the part goes)."""
    root = _ROOT.search(data)
    end = data.rfind(b"</calcChain>")
    if root is None or end < 0:
        raise SpliceDeclinedError("calcChain not in the expected form")
    body = data[root.end() : end]
    entries = list(_ENTRY.finditer(body))
    if _ENTRY.sub(b"", body).strip():
        raise SpliceDeclinedError("calcChain holds more than plain entries")
    kept: list[bytes] = []
    sheet = 1
    for entry in entries:
        element = entry.group(0)
        given, ref = _SHEET.search(element), _REF.search(element)
        if ref is None:
            raise SpliceDeclinedError("a calcChain entry without its cell")
        sheet = int(given.group(1)) if given else sheet
        if (sheet, ref.group(1).decode()) in cells:
            continue
        # Each kept entry names its sheet: the entry it inherited it from may be gone.
        kept.append(element if given else element.replace(b"<c", b'<c i="%d"' % sheet, 1))
    if not kept:
        return None
    return data[: root.end()] + b"".join(kept) + data[end:]
