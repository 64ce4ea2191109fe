"""Add the Resultados (or Revisión) sheet to a client's own package, part by part, without
re-saving it.

Re-saving a workbook through openpyxl costs as much as loading it, and drops whatever openpyxl
does not model. Here the client's parts are copied as they are, except for a handful of small,
well-defined edits:

- the Puntos and TOTAL DE PUNTOS cells get their numbers (cells that already exist, without a
  formula: a formula would need Excel's calculation chain updated);
- on a -revisar copy, each problem cell gets a copy of its own cell format with the problem fill,
  and a note (a comments part and its VML shapes, as openpyxl writes them);
- every sheet loses ``tabSelected`` and the workbook opens on our sheet, the new first one;
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
from collections.abc import Callable
from io import BytesIO
from xml.etree import ElementTree
from xml.parsers import expat

from msp_assessment.instrument import Instrument
from msp_assessment.processing.book import (
    CONTENT_TYPES,
    DOC_RELS,
    MAIN,
    RELS,
    WORKBOOK_TYPES,
    DeclinedError,
    Parts,
    check_xml,
    relationship_targets,
    rels_part,
)
from msp_assessment.processing.results_sheet import Draft, chart_parts, render_sheet, styles
from msp_assessment.workbook_templates import contract as c
from msp_assessment.workbook_templates.cells import clean_text

WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
_OURS = {c.RESULTS_SHEET.casefold(), c.REVIEW_SHEET.casefold()}
# Parts never passed on in a results workbook (the openpyxl route drops them too): macros,
# ActiveX controls, embedded objects, links to other files and data connections.
_ACTIVE_CONTENT = re.compile(
    r"vba|activex|embeddings/|externallink|customui|connections\.xml|querytable", re.IGNORECASE
)
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"
COMMENT_SIZE = (320, 140)  # width, height of the note that shows a problem
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
_STYLE = re.compile(rb"""\ss=["']([0-9]+)["']""")
_XF = re.compile(rb"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
_TAB_SELECTED = re.compile(rb"""\stabSelected=["'](?:1|true)["']""")
_LOCAL_SHEET = re.compile(rb"""localSheetId=["']([0-9]+)["']""")
_WORKBOOK_VIEW = re.compile(rb"<workbookView\b[^>]*?(/?)>")
_VIEW_TAB = re.compile(rb"""\s(?:activeTab|firstSheet)=["'][0-9]*["']""")


class SpliceDeclinedError(Exception):
    """The package is not one these edits are sure to keep valid."""


def splice_results(
    package: Parts,
    numbers: dict[str, dict[str, int]],
    draft: Draft,
    instrument: Instrument,
    *,
    placeholder: bool = False,
) -> bytes:
    """``package`` with ``numbers`` (sheet → cell → value) written and Resultados added first.

    With ``placeholder``, the package already starts with an empty Resultados sheet (openpyxl
    wrote it) whose content is replaced.
    """
    edit = _Edit(package, c.RESULTS_SHEET if placeholder else None)
    for title, cells in numbers.items():
        part = edit.sheet_part(title)
        edit.parts[part] = _set_numbers(edit.parts[part], cells)
    xf = edit.add_styles()
    drawing, chart = chart_parts(instrument, draft.chart_header_row, draft.chart_row)
    sheet = edit.first_sheet_part()
    drawing_part = edit.free("xl/drawings/drawing{}.xml")
    chart_part = edit.free("xl/charts/chart{}.xml")
    edit.add_first_sheet(c.RESULTS_SHEET, sheet, render_sheet(draft, xf, "rId1"), draft.last_row)
    edit.parts[rels_part(sheet)] = _relationships(
        [("rId1", f"{DOC_RELS}/drawing", _relative(drawing_part, sheet))]
    )
    edit.parts[drawing_part] = drawing
    edit.parts[rels_part(drawing_part)] = _relationships(
        [("rId1", f"{DOC_RELS}/chart", _relative(chart_part, drawing_part))]
    )
    edit.parts[chart_part] = chart
    edit.add_content_types([(drawing_part, DRAWING_TYPE), (chart_part, CHART_TYPE)])
    return edit.package()


def splice_review(
    package: Parts, marks: dict[str, dict[str, str]], draft: Draft, *, placeholder: bool = False
) -> bytes:
    """``package`` with each marked cell (sheet → cell → message) coloured and commented, and
    Revisión added first (or filled in, with ``placeholder``, as splice_results)."""
    edit = _Edit(package, c.REVIEW_SHEET if placeholder else None)
    xf = edit.add_styles()
    for title, messages in marks.items():
        edit.mark(title, messages)
    sheet = edit.first_sheet_part()
    edit.add_first_sheet(c.REVIEW_SHEET, sheet, render_sheet(draft, xf, None), None)
    return edit.package()


class _Edit:
    """The parts of one package while they are edited; ``package()`` zips them again."""

    def __init__(self, package: Parts, placeholder: str | None = None) -> None:
        self.infos = package.infos
        names = [info.filename for info in self.infos]
        if len(set(names)) != len(names):
            raise SpliceDeclinedError("duplicated parts")
        if any(_ACTIVE_CONTENT.search(name) for name in names):
            raise SpliceDeclinedError("active content or links to other files")
        self.source = package
        self.parts = dict(package.data)
        self.original = package.data
        self.lower = {name.casefold() for name in self.parts}
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
        self.workbook = workbook
        self.rels = self.relationships(workbook)
        self.sheets = [
            (node.get("name", ""), node.get("sheetId", "0"), node.get(f"{{{DOC_RELS}}}id", ""))
            for node in self.tree(workbook).iter(f"{{{MAIN}}}sheet")
        ]
        ours = [name for name, _, _ in self.sheets if name.casefold() in _OURS]
        if ours != ([placeholder] if placeholder else []) or (
            placeholder and self.sheets[0][0] != placeholder
        ):
            raise SpliceDeclinedError("one of our sheets is already there")
        self.placeholder = placeholder
        self.by_title = {}
        for name, _, rel in self.sheets:
            if rel not in self.rels or self.rels[rel][1] not in self.parts:
                raise SpliceDeclinedError("a sheet without its part")
            part = self.rels[rel][1]
            self.by_title[name] = part
            self.parts[part] = _TAB_SELECTED.sub(b"", self.parts[part])  # ours will be selected

    def package(self) -> bytes:
        for name, data in self.parts.items():
            if self.original.get(name) is not data and name.endswith((".xml", ".rels", ".vml")):
                try:
                    check_xml(data)
                except (expat.ExpatError, DeclinedError) as err:  # a bug must not ship broken
                    raise SpliceDeclinedError(f"{name} would not be well formed: {err}") from err
        out = BytesIO()
        # New parts take the package's own timestamp, so the same input always gives the same
        # bytes. Level 1: a tenth bigger than the default, three times faster; small files.
        stamp = self.infos[0].date_time if self.infos else (1980, 1, 1, 0, 0, 0)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
            entries = [(i.filename, i.date_time) for i in self.infos]
            entries += [(name, stamp) for name in self.parts if name not in self.original]
            for name, date_time in entries:
                entry = zipfile.ZipInfo(name, date_time=date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                target.writestr(entry, self.parts[name], compresslevel=1)
        return out.getvalue()

    def tree(self, part: str) -> ElementTree.Element:
        if part not in self.parts:
            raise SpliceDeclinedError(f"missing {part}")
        if self.parts[part] is self.original.get(part):  # as read: the reader's tree serves
            return self.source.tree(part)
        return ElementTree.fromstring(self.parts[part])

    def sheet_part(self, title: str) -> str:
        if title not in self.by_title:
            raise SpliceDeclinedError(f"no sheet {title}")
        return self.by_title[title]

    def mark(self, title: str, messages: dict[str, str]) -> None:
        """Colour each cell with the problem fill over its own look, and attach its message."""
        part = self.sheet_part(title)
        sheet = self.parts[part]
        if any(name.casefold().endswith(".vml") for name in self.original):
            # Notes elsewhere in the workbook: their shape ids would have to be renumbered with
            # ours, which the openpyxl route does.
            raise SpliceDeclinedError("the workbook has notes or VML shapes already")
        sheet = _restyle(sheet, list(messages), self.with_problem_fill)
        at = _legacy_drawing_at(sheet)
        comments, shapes = _comments(messages)
        comments_part = self.free("xl/comments/comment{}.xml")
        shapes_part = self.free("xl/drawings/commentsDrawing{}.vml")
        self.add_relationships(
            part,
            [
                ("rIdMspComments", f"{DOC_RELS}/comments", _relative(comments_part, part)),
                ("rIdMspNotes", f"{DOC_RELS}/vmlDrawing", _relative(shapes_part, part)),
            ],
        )
        drawing = f'<legacyDrawing xmlns:r="{DOC_RELS}" r:id="rIdMspNotes"/>'.encode()
        self.parts[part] = sheet[:at] + drawing + sheet[at:]
        self.parts[comments_part] = comments
        self.parts[shapes_part] = shapes
        self.add_content_types([(comments_part, COMMENTS_TYPE)])
        types = self.parts["[Content_Types].xml"]
        if not re.search(rb"""Extension=["']vml["']""", types, re.IGNORECASE):
            default = f'<Default Extension="vml" ContentType="{VML_TYPE}"/>'.encode()
            self.parts["[Content_Types].xml"] = _insert_before(types, b"</Types>", default)

    def with_problem_fill(self, xf: int) -> int:
        """The index of a copy of cell format ``xf`` with the problem fill (made once)."""
        if xf not in self.problem_xfs:
            data = self.parts[self.styles]
            opening = re.search(rb"<cellXfs\b[^>]*>", data)
            closing = data.find(b"</cellXfs>")
            assert opening is not None  # add_styles checked the element
            formats = list(_XF.finditer(data, opening.end(), closing))
            if xf >= len(formats):
                raise SpliceDeclinedError(f"no cell format {xf}")
            copy = formats[xf].group(0)
            copy = re.sub(rb"""\s(?:fillId|applyFill)=["'][0-9a-z]*["']""", b"", copy)
            copy = copy.replace(b"<xf", b'<xf fillId="%d" applyFill="1"' % self.problem_fill, 1)
            self.problem_xfs[xf] = len(formats)
            self.parts[self.styles] = _append_children(data, b"cellXfs", (copy,), len(formats) + 1)
        return self.problem_xfs[xf]

    def first_sheet_part(self) -> str:
        """The part our sheet goes in: the placeholder's, or a new one."""
        if self.placeholder is not None:
            return self.by_title[self.placeholder]
        return self.free("xl/worksheets/sheet{}.xml")

    def add_first_sheet(self, title: str, part: str, xml: bytes, print_rows: int | None) -> None:
        """List ``xml`` as the workbook's first sheet, the one it opens on."""
        if self.placeholder is not None:
            self.parts[part] = xml
            self.add_sheet_to_workbook(title, None, 0, print_rows)
            return
        rel_id = next(
            f"rIdMsp{n}" for n in range(1, len(self.rels) + 2) if f"rIdMsp{n}" not in self.rels
        )
        sheet_id = 1 + max((int(i) for _, i, _ in self.sheets if i.isdigit()), default=0)
        self.add_sheet_to_workbook(title, rel_id, sheet_id, print_rows)
        self.add_relationships(
            self.workbook, [(rel_id, f"{DOC_RELS}/worksheet", _relative(part, self.workbook))]
        )
        self.parts[part] = xml
        self.add_content_types([(part, WORKSHEET_TYPE)])

    def add_content_types(self, overrides: list[tuple[str, str]]) -> None:
        lines = b"".join(
            f'<Override PartName="/{part}" ContentType="{kind}"/>'.encode()
            for part, kind in overrides
        )
        self.parts["[Content_Types].xml"] = _insert_before(
            self.parts["[Content_Types].xml"], b"</Types>", lines
        )

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        rels = rels_part(part)
        return relationship_targets(self.tree(rels), part) if rels in self.parts else {}

    def free(self, pattern: str) -> str:
        """The first name of that pattern no part has (names are case-insensitive in a package)."""
        n = 1
        while (
            pattern.format(n).casefold() in self.lower
            or rels_part(pattern.format(n)).casefold() in self.lower
        ):
            n += 1
        name = pattern.format(n)
        self.lower.add(name.casefold())
        return name

    def add_styles(self) -> dict[str, int]:
        """Append our fonts, fills, borders and cell formats; each look's cell-format index."""
        part = next((p for t, p in self.rels.values() if t == f"{DOC_RELS}/styles"), None)
        if part is None:
            raise SpliceDeclinedError("no styles")
        self.styles = part
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
        self.problem_fill = counts["fills"] + ours.fill_index("problem")
        self.problem_xfs: dict[int, int] = {}
        return {look.name: counts["cellXfs"] + i for i, look in enumerate(ours.looks)}

    def add_sheet_to_workbook(
        self, title: str, rel_id: str | None, sheet_id: int, print_rows: int | None
    ) -> None:
        """List the sheet first (unless ``rel_id`` is None: it is listed already), give it a
        print area of ``print_rows`` rows, and open the workbook on it."""
        part = self.workbook
        data = self.parts[part]
        if rel_id is not None:
            prefix = re.search(rb'xmlns:([A-Za-z_][\w.-]*)="' + DOC_RELS.encode() + b'"', data)
            if prefix is None or data.count(b"<sheets>") != 1:
                raise SpliceDeclinedError("workbook.xml not in the expected form")
            r = prefix.group(1).decode()
            sheet = f'<sheet name="{title}" sheetId="{sheet_id}" {r}:id="{rel_id}"/>'
            data = data.replace(b"<sheets>", b"<sheets>" + sheet.encode(), 1)
            data = _LOCAL_SHEET.sub(lambda m: b'localSheetId="%d"' % (int(m.group(1)) + 1), data)
        area = (
            f'<definedName name="_xlnm.Print_Area" localSheetId="0">'
            f"'{title}'!$A$1:$F${print_rows}</definedName>"
        ).encode()
        if print_rows is None:
            pass
        elif b"<definedNames>" in data:
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

    def add_relationships(self, part: str, rels: list[tuple[str, str, str]]) -> None:
        """Add (id, type, target) relationships of ``part``, making its .rels part if need be."""
        name = rels_part(part)
        if name not in self.parts:
            self.parts[name] = _relationships(rels)
            return
        lines = b"".join(
            f'<Relationship Id="{i}" Type="{kind}" Target="{target}"/>'.encode()
            for i, kind, target in rels
        )
        self.parts[name] = _insert_before(self.parts[name], b"</Relationships>", lines)


def _relative(part: str, source: str) -> str:
    """``part`` as a relationship of ``source`` names it (relative to source's folder)."""
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


def _relationships(rels: list[tuple[str, str, str]]) -> bytes:
    lines = "".join(
        f'<Relationship Id="{i}" Type="{kind}" Target="{target}"/>' for i, kind, target in rels
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{RELS}">{lines}</Relationships>'
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


def _cell_span(sheet: bytes, coord: str) -> tuple[int, int, int]:
    """(start, end of start tag, end) of the one ``<c r="coord" …>`` element in a sheet."""
    attr = b' r="%s"' % coord.encode()
    at = sheet.find(attr)
    start = sheet.rfind(b"<c", 0, at)
    if at < 0 or sheet.find(attr, at + 1) >= 0 or sheet[start : start + 3] != b"<c ":
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


def _set_numbers(sheet: bytes, numbers: dict[str, int]) -> bytes:
    """Put each number in its (existing, formula-free) cell, keeping the cell's format."""
    spans = []
    for coord, value in numbers.items():
        start, head_end, end = _cell_span(sheet, coord)
        if b"<f" in sheet[head_end:end]:
            raise SpliceDeclinedError(f"{coord} holds a formula")
        style = _STYLE.search(sheet, start, head_end)
        s_attr = b' s="%s"' % style.group(1) if style else b""
        spans.append((start, end, b'<c r="%s"%s><v>%d</v></c>' % (coord.encode(), s_attr, value)))
    return _replace_spans(sheet, spans)


def _restyle(sheet: bytes, coords: list[str], new_style: Callable[[int], int]) -> bytes:
    """Give each cell the format ``new_style`` maps its current one to; content untouched."""
    spans = []
    for coord in coords:
        start, head_end, _ = _cell_span(sheet, coord)
        head = sheet[start:head_end]
        style = _STYLE.search(head)
        old = int(style.group(1)) if style else 0
        replaced = b' s="%d"' % new_style(old)
        if style:
            head = head[: style.start()] + replaced + head[style.end() :]
        elif head.endswith(b"/"):
            head = head[:-1].rstrip() + replaced + b"/"
        else:
            head = head + replaced
        spans.append((start, head_end, head))
    return _replace_spans(sheet, spans)


def _comments(messages: dict[str, str]) -> tuple[bytes, bytes]:
    """(comments part, VML shapes part) for one sheet, as openpyxl writes them."""
    from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet

    records = []
    for coord, message in messages.items():
        record = CommentRecord(ref=coord, author=c.GENERATOR, height=COMMENT_SIZE[1])
        record.width = COMMENT_SIZE[0]
        record.text.t = clean_text(message)
        records.append(record)
    sheet = CommentSheet.from_comments(records)  # type: ignore[no-untyped-call]
    shapes = sheet.write_shapes()
    return ElementTree.tostring(sheet.to_tree()), (
        shapes if isinstance(shapes, bytes) else shapes.encode()
    )


def _legacy_drawing_at(sheet: bytes) -> int:
    """Where ``<legacyDrawing>`` goes: before the first later element the sheet has."""
    if b"<legacyDrawing" in sheet or b"AlternateContent" in sheet:
        raise SpliceDeclinedError("comments or alternate content already there")
    found = [sheet.find(tag) for tag in _AFTER_LEGACY_DRAWING if tag in sheet]
    ext = sheet.rfind(b"<extLst")
    if ext >= 0:
        if not re.fullmatch(rb"<extLst\b.*</extLst>\s*</worksheet>\s*", sheet[ext:], re.S):
            raise SpliceDeclinedError("extLst where it was not expected")
        found.append(ext)
    if found:
        return min(found)
    end = sheet.rfind(b"</worksheet>")
    if end < 0:
        raise SpliceDeclinedError("no </worksheet>")
    return end
