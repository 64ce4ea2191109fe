"""Edits of xl/workbook.xml, as plain ``bytes → bytes`` functions (see splice.py for why bytes)."""

from __future__ import annotations

import re

from msp_assessment.processing.ooxml.package import DOC_RELS, SpliceDeclinedError

_ROOT_START = re.compile(rb"<workbook\b[^>]*>")
_LOCAL_SHEET = re.compile(rb"""localSheetId=["']([0-9]+)["']""")
_SHEET = re.compile(rb"<sheet\b[^>]*/>")  # within <sheets>, as every program writes them
_WORKBOOK_VIEW = re.compile(rb"<workbookView\b[^>]*?(/?)>")
_DEFINED_NAMES = re.compile(rb"<definedNames\s*/?>")  # unprefixed, no attributes: all we edit
_VIEW_TAB = re.compile(rb"""\s(?:activeTab|firstSheet)=["'][0-9]*["']""")
_STATE = re.compile(rb"""\sstate=["'][a-zA-Z]*["']""")


def hide_sheets(data: bytes, titles: frozenset[str]) -> bytes:
    """The workbook with each sheet named in ``titles`` hidden again (a program that saved it
    may have shown it)."""

    def hidden(m: re.Match[bytes]) -> bytes:
        name = re.search(rb"""\sname=["']([^"']*)["']""", m.group(0))
        if name is None or name.group(1).decode("utf-8", "replace") not in titles:
            return m.group(0)
        return _STATE.sub(b"", m.group(0))[:-2] + b' state="hidden"/>'

    return _SHEET.sub(hidden, data)


def list_first_sheet(data: bytes, title: str, sheet_id: int, rel_id: str) -> bytes:
    """The workbook with sheet ``title`` (relationship ``rel_id``) listed first, and every
    sheet-scoped name moved along with the sheet it belongs to (see ``list_sheet``)."""
    return list_sheet(data, title, sheet_id, rel_id, 0)


def list_sheet(data: bytes, title: str, sheet_id: int, rel_id: str, index: int) -> bytes:
    """The workbook with sheet ``title`` (relationship ``rel_id``) listed at ``index`` (0: first),
    and every sheet-scoped name of a sheet at or after it moved along with its sheet.

    The relationship prefix is the one the root element declares, which is in scope everywhere;
    where the root declares none (openpyxl with lxml declares it on each ``<sheet>``), our sheet
    declares its own.
    """
    root = _ROOT_START.search(data)
    if root is None or data.count(b"<sheets>") != 1:
        raise SpliceDeclinedError("workbook.xml not in the expected form")
    declared = re.search(
        rb"""\sxmlns:([A-Za-z_][\w.-]*)=["']""" + re.escape(DOC_RELS.encode()), root.group(0)
    )
    if declared is None:
        sheet = f'<sheet xmlns:r="{DOC_RELS}" name="{title}" sheetId="{sheet_id}" r:id="{rel_id}"/>'
    else:
        r = declared.group(1).decode()
        sheet = f'<sheet name="{title}" sheetId="{sheet_id}" {r}:id="{rel_id}"/>'
    start = data.index(b"<sheets>") + len(b"<sheets>")
    for _ in range(index):  # after the first ``index`` sheets
        found = _SHEET.search(data, start)
        if found is None:
            raise SpliceDeclinedError("fewer sheets than expected")
        start = found.end()
    data = data[:start] + sheet.encode() + data[start:]

    def moved(m: re.Match[bytes]) -> bytes:
        n = int(m.group(1))
        return b'localSheetId="%d"' % (n + 1 if n >= index else n)

    return _LOCAL_SHEET.sub(moved, data)


def add_print_area(
    data: bytes,
    title: str,
    last_col: str,
    rows: int,
    repeat_row: int | None = None,
    index: int = 0,
) -> bytes:
    """The workbook with a print area of columns A to ``last_col`` and ``rows`` rows on its
    sheet ``index`` (0: the first), and ``repeat_row`` printed on every page of it."""
    area = (
        f'<definedName name="_xlnm.Print_Area" localSheetId="{index}">'
        f"'{title}'!$A$1:${last_col}${rows}</definedName>"
    )
    if repeat_row is not None:
        area += (
            f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
            f"'{title}'!${repeat_row}:${repeat_row}</definedName>"
        )
    return _add_defined_names(data, area.encode())


def _add_defined_names(data: bytes, area: bytes) -> bytes:
    found = _DEFINED_NAMES.findall(data)
    closing = data.count(b"</definedNames>")
    if len(found) > 1 or data.count(b"definedNames") != len(found) + closing:
        raise SpliceDeclinedError("definedNames not in the expected form")
    if found and found[0].endswith(b"/>"):  # empty: Google Sheets, and openpyxl with no names
        return data.replace(found[0], b"<definedNames>" + area + b"</definedNames>", 1)
    if found:
        return data.replace(found[0], found[0] + area, 1)
    after = max(
        data.rfind(tag) + len(tag)
        for tag in (b"</sheets>", b"</functionGroups>", b"</externalReferences>")
    )
    return data[:after] + b"<definedNames>" + area + b"</definedNames>" + data[after:]


def open_on_first_sheet(data: bytes) -> bytes:
    """The workbook opening on its first sheet, with its first tab in view."""
    return _WORKBOOK_VIEW.sub(
        lambda m: (
            _VIEW_TAB.sub(b"", m.group(0)[: -len(m.group(1)) - 1])
            + b' activeTab="0"'
            + m.group(1)
            + b">"
        ),
        data,
    )
