"""Edits of a client's worksheet part, as plain ``bytes → bytes`` functions: only the cells we
name, the selected-tab flag and the notes' drawing are touched (see splice.py for why bytes)."""

from __future__ import annotations

import re
from functools import lru_cache

from msp_assessment.processing.ooxml.package import DOC_RELS, SpliceDeclinedError

_STYLE = re.compile(rb"""\ss=["']([0-9]+)["']""")
_FORMULA = re.compile(rb"<f\b([^>]*)")
_FORMULA_REF = re.compile(rb"""\sref=["']([A-Z0-9:$]+)["']""")
_LEGACY_DRAWING = re.compile(rb"""<legacyDrawing\b[^>]*\s[\w]+:id=["']([^"']+)["']""")
_TAB_SELECTED = re.compile(rb"""\stabSelected=["'](?:1|true)["']""")
# Elements that follow <legacyDrawing> in a worksheet (ECMA-376, CT_Worksheet).
_AFTER_LEGACY_DRAWING = (
    b"<legacyDrawingHF",
    b"<drawingHF",
    b"<picture",
    b"<oleObjects",
    b"<controls",
    b"<webPublishItems",
    b"<tableParts",
)


def unselect(sheet: bytes) -> bytes:
    """The sheet without ``tabSelected``: the sheet we add is the selected one."""
    if b"tabSelected" not in sheet:  # a pattern that starts with «\s» looks at every byte
        return sheet
    return _TAB_SELECTED.sub(b"", sheet)


def set_numbers(sheet: bytes, numbers: dict[str, int]) -> tuple[bytes, list[str]]:
    """Put each number in its (existing) cell, keeping the cell's format; a formula there is
    replaced by the number. The cells whose formula went, for the calculation chain."""
    spans = []
    replaced = []
    found = cell_spans(sheet, list(numbers))
    for coord, value in numbers.items():
        start, head_end, end = found[coord]
        formula = _FORMULA.search(sheet, head_end, end)
        if formula is not None:
            attrs = formula.group(1)
            # A shared formula's first cell, or an array over several cells, carries formulas
            # of other cells: replacing it would change them.
            span = _FORMULA_REF.search(attrs)
            if span is not None and span.group(1).decode() not in (coord, f"{coord}:{coord}"):
                raise SpliceDeclinedError(f"{coord} holds a formula other cells share")
            replaced.append(coord)
        style = _STYLE.search(sheet, start, head_end)
        s_attr = b' s="%s"' % style.group(1) if style else b""
        spans.append((start, end, b'<c r="%s"%s><v>%d</v></c>' % (coord.encode(), s_attr, value)))
    return _replace_spans(sheet, spans), replaced


def cell_styles(sheet: bytes, coords: list[str]) -> list[int]:
    """The cell-format index of each cell (0 where it has none)."""
    found = []
    spans = cell_spans(sheet, coords)
    for coord in coords:
        start, head_end, _ = spans[coord]
        style = _STYLE.search(sheet[start:head_end])
        found.append(int(style.group(1)) if style else 0)
    return found


def restyle(sheet: bytes, new_styles: dict[str, int]) -> bytes:
    """Give each cell (coordinate → cell-format index) its new format; content untouched."""
    spans = []
    found = cell_spans(sheet, list(new_styles))
    for coord, new in new_styles.items():
        start, head_end, _ = found[coord]
        head = sheet[start:head_end]
        style = _STYLE.search(head)
        replaced = b' s="%d"' % new
        if style:
            head = head[: style.start()] + replaced + head[style.end() :]
        elif head.endswith(b"/"):
            head = head[:-1].rstrip() + replaced + b"/"
        else:
            head = head + replaced
        spans.append((start, head_end, head))
    return _replace_spans(sheet, spans)


def legacy_drawing_id(sheet: bytes) -> str | None:
    """The relationship id of the sheet's notes drawing, if it has notes."""
    found = _LEGACY_DRAWING.search(sheet)
    return None if found is None else found.group(1).decode()


def add_legacy_drawing(sheet: bytes, rel_id: str) -> bytes:
    """The sheet with ``<legacyDrawing>`` (the notes' shapes, relationship ``rel_id``) at its
    place in the schema: before the first later element the sheet has."""
    if b"<legacyDrawing" in sheet or b"AlternateContent" in sheet:
        raise SpliceDeclinedError("comments or alternate content already there")
    found = [sheet.find(tag) for tag in _AFTER_LEGACY_DRAWING if tag in sheet]
    ext = sheet.rfind(b"<extLst")
    if ext >= 0:
        if not re.fullmatch(rb"<extLst\b.*</extLst>\s*</worksheet>\s*", sheet[ext:], re.S):
            raise SpliceDeclinedError("extLst where it was not expected")
        found.append(ext)
    if found:
        at = min(found)
    else:
        at = sheet.rfind(b"</worksheet>")
        if at < 0:
            raise SpliceDeclinedError("no </worksheet>")
    drawing = f'<legacyDrawing xmlns:r="{DOC_RELS}" r:id="{rel_id}"/>'.encode()
    return sheet[:at] + drawing + sheet[at:]


def cell_spans(sheet: bytes, coords: list[str]) -> dict[str, tuple[int, int, int]]:
    """(start, end of start tag, end) of the one ``<c r="coord" …>`` element of each of
    ``coords`` in a sheet, found in one pass over it."""
    at: dict[str, list[int]] = {coord: [] for coord in coords}
    if coords:
        for found in _references(tuple(sorted(at))).finditer(sheet):
            at[found.group(1).decode()].append(found.start())
    spans = {}
    for coord, places in at.items():
        if len(places) != 1:
            raise SpliceDeclinedError(f"{coord} is not one plain cell element")
        spans[coord] = _span(sheet, coord, places[0])
    return spans


@lru_cache(maxsize=64)  # the same cells of every copy
def _references(coords: tuple[str, ...]) -> re.Pattern[bytes]:
    """`` r="coord"`` for any of ``coords``, exactly (not ``r="B22"`` for B2)."""
    either = b"|".join(re.escape(coord.encode()) for coord in coords)
    return re.compile(rb' r="(' + either + rb')"')


def _span(sheet: bytes, coord: str, at: int) -> tuple[int, int, int]:
    start = sheet.rfind(b"<c", 0, at)
    if start < 0 or sheet[start : start + 3] != b"<c ":
        raise SpliceDeclinedError(f"{coord} is not one plain cell element")
    if b">" in sheet[start:at]:
        raise SpliceDeclinedError(f"{coord} found outside a cell's start tag")
    head_end = sheet.find(b">", at)
    if sheet[head_end - 1 : head_end] == b"/":
        return start, head_end, head_end + 1
    close = sheet.find(b"</c>", head_end)
    if close < 0:
        raise SpliceDeclinedError(f"{coord} is not closed")
    return start, head_end, close + len(b"</c>")


def _replace_spans(data: bytes, spans: list[tuple[int, int, bytes]]) -> bytes:
    pieces = []
    last = 0
    for start, end, new in sorted(spans):
        if start < last:
            raise SpliceDeclinedError("overlapping cells")
        pieces += [data[last:start], new]
        last = end
    pieces.append(data[last:])
    return b"".join(pieces)
