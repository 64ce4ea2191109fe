"""Add the Resultados sheet to a client's own package, part by part, without re-saving it.

Re-saving a workbook through openpyxl costs as much as loading it, and drops whatever openpyxl
does not model. Here the client's parts are copied as they are, except for a handful of small,
well-defined edits:

- the Puntos and TOTAL DE PUNTOS cells get their numbers (cells that already exist, without a
  formula: a formula would need Excel's calculation chain updated);
- every sheet loses ``tabSelected`` and the workbook opens on Resultados, the new first sheet;
- the workbook lists the new sheet, shifts sheet-scoped names by one and gets a print area;
- styles.xml gets our fonts, fills, borders and cell formats appended, never changed;
- the relationships and content types list the new parts.

Anything that does not look the way these edits expect (an element with a namespace prefix,
macros or links to other files, one of our sheets already there, a missing cell) raises
``SpliceDeclinedError``, and the caller re-saves the workbook through openpyxl first, whose output
always fits.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from io import BytesIO
from xml.etree import ElementTree

from msp_assessment.instrument import Instrument
from msp_assessment.processing.book import CONTENT_TYPES, DOC_RELS, MAIN, RELS, WORKBOOK_TYPES
from msp_assessment.processing.results_sheet import Draft, chart_parts, render_sheet, styles
from msp_assessment.workbook_templates import contract as c

WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_OURS = {c.RESULTS_SHEET.casefold(), c.REVIEW_SHEET.casefold()}
# Parts never passed on in a results workbook (the openpyxl route drops them too): macros,
# ActiveX controls, embedded objects, links to other files and data connections.
_ACTIVE_CONTENT = re.compile(
    r"vba|activex|embeddings/|externallink|customui|connections\.xml|querytable", re.IGNORECASE
)
_CELL = re.compile(rb"<c(\s[^>]*?)?(?:/>|>(.*?)</c>)", re.S)
_REF = re.compile(rb"""\sr=["']([A-Z]{1,3}[0-9]{1,7})["']""")
_STYLE = re.compile(rb"""\ss=["']([0-9]+)["']""")
_TAB_SELECTED = re.compile(rb"""\stabSelected=["'](?:1|true)["']""")
_LOCAL_SHEET = re.compile(rb"""localSheetId=["']([0-9]+)["']""")
_WORKBOOK_VIEW = re.compile(rb"<workbookView\b[^>]*?(/?)>")
_VIEW_TAB = re.compile(rb"""\s(?:activeTab|firstSheet)=["'][0-9]*["']""")


class SpliceDeclinedError(Exception):
    """The package is not one these edits are sure to keep valid."""


@dataclass(frozen=True)
class _Names:
    sheet: str
    drawing: str
    chart: str


def splice_results(
    package: bytes, numbers: dict[str, dict[str, int]], draft: Draft, instrument: Instrument
) -> bytes:
    """``package`` with ``numbers`` (sheet → cell → value) written and Resultados added first."""
    with zipfile.ZipFile(BytesIO(package)) as source:
        infos = source.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise SpliceDeclinedError("duplicated parts")
        if any(_ACTIVE_CONTENT.search(name) for name in names):
            raise SpliceDeclinedError("active content or links to other files")
        parts = {name: source.read(name) for name in names}
    edit = _Edit(parts)
    edit.splice(numbers, draft, instrument)
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in infos:
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(copy, edit.parts.pop(info.filename))
        for name, data in edit.parts.items():  # the new parts
            target.writestr(name, data)
    return out.getvalue()


class _Edit:
    def __init__(self, parts: dict[str, bytes]) -> None:
        self.parts = parts
        self.lower = {name.casefold() for name in parts}

    def tree(self, part: str) -> ElementTree.Element:
        if part not in self.parts:
            raise SpliceDeclinedError(f"missing {part}")
        return ElementTree.fromstring(self.parts[part])

    def splice(
        self, numbers: dict[str, dict[str, int]], draft: Draft, instrument: Instrument
    ) -> None:
        types = self.tree("[Content_Types].xml")
        workbook = next(
            (
                o.get("PartName", "").lstrip("/")
                for o in types.iter(f"{{{CONTENT_TYPES}}}Override")
                if o.get("ContentType") == WORKBOOK_TYPES[0]  # never a macro workbook
            ),
            None,
        )
        if workbook is None:
            raise SpliceDeclinedError("no plain workbook part")
        rels = self.relationships(workbook)
        sheets = [
            (node.get("name", ""), node.get("sheetId", "0"), node.get(f"{{{DOC_RELS}}}id", ""))
            for node in self.tree(workbook).iter(f"{{{MAIN}}}sheet")
        ]
        if any(name.casefold() in _OURS for name, _, _ in sheets):
            raise SpliceDeclinedError("one of our sheets is already there")
        by_title = {}
        for name, _, rel in sheets:
            if rel not in rels:
                raise SpliceDeclinedError("a sheet without its part")
            by_title[name] = rels[rel][1]
        for part in by_title.values():
            if part not in self.parts:
                raise SpliceDeclinedError(f"missing {part}")
            self.parts[part] = _TAB_SELECTED.sub(b"", self.parts[part])
        for title, cells in numbers.items():
            if title not in by_title:
                raise SpliceDeclinedError(f"no sheet {title}")
            self.parts[by_title[title]] = _set_numbers(self.parts[by_title[title]], cells)
        new = _Names(
            self.free("xl/worksheets/sheet{}.xml"),
            self.free("xl/drawings/drawing{}.xml"),
            self.free("xl/charts/chart{}.xml"),
        )
        style_part = next((p for t, p in rels.values() if t == f"{DOC_RELS}/styles"), None)
        if style_part is None:
            raise SpliceDeclinedError("no styles")
        xf = self.add_styles(style_part)
        rel_id = next(f"rIdMsp{n}" for n in range(1, len(rels) + 2) if f"rIdMsp{n}" not in rels)
        sheet_id = 1 + max((int(i) for _, i, _ in sheets if i.isdigit()), default=0)
        self.add_sheet_to_workbook(workbook, rel_id, sheet_id, draft.last_row)
        folder = posixpath.dirname(workbook)
        self.add_relationship(
            workbook, rel_id, f"{DOC_RELS}/worksheet", posixpath.relpath(new.sheet, folder or ".")
        )
        drawing, chart = chart_parts(instrument, draft.chart_header_row, draft.chart_row)
        self.parts[new.sheet] = render_sheet(draft, xf, "rId1")
        self.parts[_rels_of(new.sheet)] = _relationships(
            f"{DOC_RELS}/drawing", posixpath.relpath(new.drawing, posixpath.dirname(new.sheet))
        )
        self.parts[new.drawing] = drawing
        self.parts[_rels_of(new.drawing)] = _relationships(
            f"{DOC_RELS}/chart", posixpath.relpath(new.chart, posixpath.dirname(new.drawing))
        )
        self.parts[new.chart] = chart
        overrides = b"".join(
            f'<Override PartName="/{part}" ContentType="{kind}"/>'.encode()
            for part, kind in (
                (new.sheet, WORKSHEET_TYPE),
                (new.drawing, DRAWING_TYPE),
                (new.chart, CHART_TYPE),
            )
        )
        self.parts["[Content_Types].xml"] = _insert_before(
            self.parts["[Content_Types].xml"], b"</Types>", overrides
        )

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        folder = posixpath.dirname(part)
        found = {}
        for rel in self.tree(_rels_of(part)).iter(f"{{{RELS}}}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                path = target
            elif target.startswith("/"):
                path = target[1:]
            else:
                path = posixpath.normpath(posixpath.join(folder, target))
            found[rel.get("Id", "")] = (rel.get("Type", ""), path)
        return found

    def free(self, pattern: str) -> str:
        """The first name of that pattern no part has (names are case-insensitive in a package)."""
        n = 1
        while (
            pattern.format(n).casefold() in self.lower
            or _rels_of(pattern.format(n)).casefold() in self.lower
        ):
            n += 1
        name = pattern.format(n)
        self.lower.add(name.casefold())
        return name

    def add_styles(self, part: str) -> dict[str, int]:
        """Append our fonts, fills, borders and cell formats; each look's cell-format index."""
        ours = styles()
        tree = self.tree(part)
        data = self.parts[part]
        counts = {}
        for tag in ("fonts", "fills", "borders", "cellXfs"):
            node = tree.find(f"{{{MAIN}}}{tag}")
            if node is None:
                raise SpliceDeclinedError(f"styles without {tag}")
            counts[tag] = len(node)
        added = {
            "fonts": ours.fonts,
            "fills": ours.fills,
            "borders": ours.borders,
            "cellXfs": tuple(
                ours.xf(i, counts["fonts"], counts["fills"], counts["borders"])
                for i in range(len(ours.looks))
            ),
        }
        for tag, elements in added.items():
            data = _append_children(data, tag.encode(), elements, counts[tag] + len(elements))
        self.parts[part] = data
        return {look[0]: counts["cellXfs"] + i for i, look in enumerate(ours.looks)}

    def add_sheet_to_workbook(self, part: str, rel_id: str, sheet_id: int, last_row: int) -> None:
        data = self.parts[part]
        prefix = re.search(rb'xmlns:([A-Za-z_][\w.-]*)="' + DOC_RELS.encode() + b'"', data)
        if prefix is None or data.count(b"<sheets>") != 1:
            raise SpliceDeclinedError("workbook.xml not in the expected form")
        r = prefix.group(1).decode()
        sheet = f'<sheet name="{c.RESULTS_SHEET}" sheetId="{sheet_id}" {r}:id="{rel_id}"/>'
        data = data.replace(b"<sheets>", b"<sheets>" + sheet.encode(), 1)
        data = _LOCAL_SHEET.sub(lambda m: b'localSheetId="%d"' % (int(m.group(1)) + 1), data)
        area = (
            f'<definedName name="_xlnm.Print_Area" localSheetId="0">'
            f"'{c.RESULTS_SHEET}'!$A$1:$F${last_row}</definedName>"
        ).encode()
        if b"<definedNames>" in data:
            data = data.replace(b"<definedNames>", b"<definedNames>" + area, 1)
        elif b"<definedNames" in data:
            raise SpliceDeclinedError("definedNames not in the expected form")
        else:
            after = max(
                data.rfind(tag) + len(tag)
                for tag in (b"</sheets>", b"</functionGroups>", b"</externalReferences>")
            )
            data = data[:after] + b"<definedNames>" + area + b"</definedNames>" + data[after:]
        data = _WORKBOOK_VIEW.sub(
            lambda m: (
                _VIEW_TAB.sub(b"", m.group(0)[: -len(m.group(1)) - 1])
                + b' activeTab="0"'
                + m.group(1)
                + b">"
            ),
            data,
        )
        self.parts[part] = data

    def add_relationship(self, part: str, rel_id: str, kind: str, target: str) -> None:
        rels = _rels_of(part)
        line = f'<Relationship Id="{rel_id}" Type="{kind}" Target="{target}"/>'.encode()
        self.parts[rels] = _insert_before(self.parts[rels], b"</Relationships>", line)


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _relationships(kind: str, target: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{kind}" Target="{target}"/>'
        "</Relationships>"
    ).encode()


def _insert_before(data: bytes, closing: bytes, content: bytes) -> bytes:
    if data.count(closing) != 1:
        raise SpliceDeclinedError(f"{closing!r} not found once")
    return data.replace(closing, content + closing)


def _append_children(data: bytes, tag: bytes, children: tuple[bytes, ...], count: int) -> bytes:
    """Add ``children`` at the end of the single ``<tag …>…</tag>`` element, and fix its count."""
    opening = re.compile(rb"<" + tag + rb"\b([^>]*?)(/?)>")
    found = opening.findall(data)
    if len(found) != 1 or found[0][1] == b"/":
        raise SpliceDeclinedError(f"{tag!r} not in the expected form")
    data = _insert_before(data, b"</" + tag + b">", b"".join(children))

    def recount(m: re.Match[bytes]) -> bytes:
        attrs = re.sub(rb"""\scount=["'][0-9]*["']""", b"", m.group(1))
        return b"<" + tag + attrs + b' count="%d">' % count

    return opening.sub(recount, data, count=1)


def _set_numbers(sheet: bytes, numbers: dict[str, int]) -> bytes:
    """Put each number in its (existing, formula-free) cell, keeping the cell's format."""
    pieces = []
    done = set()
    last = 0
    for match in _CELL.finditer(sheet):
        ref = _REF.search(match.group(1) or b"")
        coord = ref.group(1).decode() if ref else None
        if coord not in numbers:
            continue
        assert coord is not None
        if b"<f" in (match.group(2) or b""):
            raise SpliceDeclinedError(f"{coord} holds a formula")
        style = _STYLE.search(match.group(1) or b"")
        s_attr = b' s="%s"' % style.group(1) if style else b""
        pieces += [
            sheet[last : match.start()],
            b'<c r="%s"%s><v>%d</v></c>' % (coord.encode(), s_attr, numbers[coord]),
        ]
        last = match.end()
        done.add(coord)
    if done != set(numbers):
        raise SpliceDeclinedError(f"cells not in the sheet: {sorted(set(numbers) - done)}")
    pieces.append(sheet[last:])
    return b"".join(pieces)
