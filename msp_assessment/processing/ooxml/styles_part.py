"""Edits of xl/styles.xml, as plain ``bytes → bytes`` functions: ours are appended, never changed
in place, so every cell of the client's keeps the format it had."""

from __future__ import annotations

import re
from typing import NamedTuple
from xml.etree import ElementTree

from msp_assessment.processing.ooxml.package import MAIN, SpliceDeclinedError, insert_before
from msp_assessment.processing.ooxml.sheetml import Styles
from msp_assessment.text import xml_escape

_XF = re.compile(rb"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
_CELL_XFS = re.compile(rb"<cellXfs\b[^>]*>")
_STYLESHEET = re.compile(rb"<styleSheet\b[^>]*>")
_FILL_ATTRS = re.compile(rb"""\s(?:fillId|applyFill)=["'][0-9a-z]*["']""")


class AddedStyles(NamedTuple):
    """Where our looks landed in a package's styles."""

    xf: dict[str, int]  # look name → cell-format index
    fills: dict[str, int]  # look name → index of its fill, for the looks that have one


def append_styles(
    data: bytes, ours: Styles, tree: ElementTree.Element | None = None
) -> tuple[bytes, AddedStyles]:
    """The fonts, fills, borders and cell formats of ``ours`` appended to the styles part
    ``data``.

    ``tree`` is ``data`` parsed, when the caller has it already.
    """
    root = ElementTree.fromstring(data) if tree is None else tree
    counts = {}
    for tag in ("fonts", "fills", "borders", "cellXfs"):
        node = root.find(f"{{{MAIN}}}{tag}")
        if node is None:
            raise SpliceDeclinedError(f"styles without {tag}")
        counts[tag] = len(node)
    data, format_base = _append_formats(data, root, ours.formats)
    added = {
        "fonts": ours.fonts,
        "fills": ours.fills,
        "borders": ours.borders,
        "cellXfs": tuple(
            ours.xf(i, counts["fonts"], counts["fills"], counts["borders"], format_base)
            for i in range(len(ours.looks))
        ),
    }
    for tag, elements in added.items():
        data = append_children(data, tag.encode(), elements, counts[tag] + len(elements))
    xf = {look.name: counts["cellXfs"] + i for i, look in enumerate(ours.looks)}
    fills = {look.name: counts["fills"] + look.fill for look in ours.looks if look.fill is not None}
    return data, AddedStyles(xf, fills)


FIRST_CUSTOM_FORMAT = 164  # ids below are Excel's built-in number formats


def _append_formats(
    data: bytes, root: ElementTree.Element, codes: tuple[str, ...]
) -> tuple[bytes, int]:
    """``codes`` added as number formats after the package's own; the id of the first."""
    node = root.find(f"{{{MAIN}}}numFmts")
    used = [
        int(n.get("numFmtId", "0"))
        for n in (() if node is None else node)
        if n.get("numFmtId", "").isdigit()
    ]
    base = max([FIRST_CUSTOM_FORMAT - 1, *used]) + 1
    if not codes:
        return data, base
    elements = tuple(
        b'<numFmt numFmtId="%d" formatCode="%s"/>'
        % (base + i, xml_escape(code, {'"': "&quot;"}).encode())
        for i, code in enumerate(codes)
    )
    if node is not None:
        return append_children(data, b"numFmts", elements, len(node) + len(elements)), base
    opening = _STYLESHEET.search(data)  # numFmts comes first in a styleSheet
    if opening is None or opening.group(0).endswith(b"/>"):
        raise SpliceDeclinedError("styleSheet not in the expected form")
    listed = b'<numFmts count="%d">' % len(elements) + b"".join(elements) + b"</numFmts>"
    return data[: opening.end()] + listed + data[opening.end() :], base


def add_fill_copies(data: bytes, xfs: list[int], fill: int) -> tuple[bytes, dict[int, int]]:
    """A copy of each cell format in ``xfs`` with ``fill`` instead of its own, appended in that
    order; each original index → its copy's index."""
    opening = _CELL_XFS.search(data)
    closing = data.find(b"</cellXfs>")
    if opening is None or closing < 0:
        raise SpliceDeclinedError("styles without cellXfs")
    formats = list(_XF.finditer(data, opening.end(), closing))
    copies: dict[int, int] = {}
    elements: list[bytes] = []
    for xf in dict.fromkeys(xfs):
        if xf >= len(formats):
            raise SpliceDeclinedError(f"no cell format {xf}")
        copy = _FILL_ATTRS.sub(b"", formats[xf].group(0))
        copy = copy.replace(b"<xf", b'<xf fillId="%d" applyFill="1"' % fill, 1)
        copies[xf] = len(formats) + len(elements)
        elements.append(copy)
    if elements:
        data = append_children(data, b"cellXfs", tuple(elements), len(formats) + len(elements))
    return data, copies


def append_children(data: bytes, tag: bytes, children: tuple[bytes, ...], count: int) -> bytes:
    """Add ``children`` at the end of the single ``<tag …>…</tag>`` element, and fix its count."""
    opening = re.compile(rb"<" + tag + rb"\b([^>]*?)(/?)>")
    found = opening.findall(data)
    if len(found) != 1 or found[0][1] == b"/":
        raise SpliceDeclinedError(f"{tag!r} not in the expected form")
    data = insert_before(data, b"</" + tag + b">", b"".join(children))

    def recount(m: re.Match[bytes]) -> bytes:
        attrs = re.sub(rb"""\scount=["'][0-9]*["']""", b"", m.group(1))
        return b"<" + tag + attrs + b' count="%d">' % count

    return opening.sub(recount, data, count=1)
