"""Add the Resultados (or Revisión) sheet to a client's own package, part by part, without
re-saving it.

Re-saving a workbook through openpyxl costs as much as loading it, and drops whatever openpyxl
does not model. Here the client's parts are copied as they are, except for a handful of small,
well-defined edits, each a ``bytes → bytes`` function of the part it edits:

- worksheet_part: the Puntos and TOTAL DE PUNTOS cells get their numbers (cells that already
  exist, without a formula: a formula would need Excel's calculation chain updated); on a
  -revisar copy, each problem cell gets a copy of its own cell format with the problem fill and
  a note; every sheet loses ``tabSelected``;
- comments_part: the notes, as a comments part and its VML shapes;
- workbook_part: the new sheet is listed first, sheet-scoped names shift by one, a print area,
  and the workbook opens on our sheet;
- styles_part: our fonts, fills, borders and cell formats are appended, never changed;
- package: the relationships and content types list the new parts.

Why bytes and not ElementTree: parsing and serializing a part renames its namespace prefixes
(``ns0:``…) and drops declarations it does not see used, such as ``xmlns:x15``, while keeping
``mc:Ignorable="x15"``; Excel refuses such a file. Editing bytes leaves every byte we do not mean
to change as the client's program wrote it.

Anything that does not look the way these edits expect (an element with a namespace prefix,
macros or links to other files, one of our sheets already there, a missing cell) raises
``SpliceDeclinedError``, and the caller re-saves the workbook through openpyxl first, whose output
always fits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from openpyxl.utils.cell import get_column_letter

from msp_assessment.instrument import Instrument
from msp_assessment.processing.copies.looks import chart_parts, styles
from msp_assessment.processing.ooxml import calc_chain_part, workbook_part, worksheet_part
from msp_assessment.processing.ooxml.comments_part import (
    add_comments,
    add_shapes,
    comments_parts,
    first_free_id,
    place_shapes,
)
from msp_assessment.processing.ooxml.custom_part import set_text_property
from msp_assessment.processing.ooxml.edit import CONTENT_TYPES_PART, PackageEdit
from msp_assessment.processing.ooxml.package import (
    CHART_TYPE,
    COMMENTS_TYPE,
    CONTENT_TYPES,
    DOC_RELS,
    DRAWING_TYPE,
    MAIN,
    VML_TYPE,
    WORKBOOK_TYPES,
    WORKSHEET_TYPE,
    Parts,
    SpliceDeclinedError,
    add_default,
    once_per_part,
    parsed,
    relationships_part,
    relative,
    rels_part,
    remove_override,
    remove_relationship,
)
from msp_assessment.processing.ooxml.read import date_system
from msp_assessment.processing.ooxml.sheetml import Draft, render_sheet
from msp_assessment.processing.ooxml.styles_part import AddedStyles, add_fill_copies, append_styles
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette

# Parts never passed on in a results workbook (the openpyxl route drops them too): macros,
# ActiveX controls, embedded objects, links to other files and data connections.
_ACTIVE_CONTENT = re.compile(
    r"vba|activex|embeddings/|externallink|customui|connections\.xml|querytable", re.IGNORECASE
)
_PAGE = (palette.PAGE_MARGINS, palette.PAGE_FOOTER)  # our sheets' margins and footer
_OURS = {
    name.casefold() for name in (contract.RESULTS_SHEET, contract.REVIEW_SHEET, contract.PLAN_SHEET)
}
NOTES_RELS = ("rIdMspComments", "rIdMspNotes")
_HIDDEN = frozenset({contract.META_SHEET})  # our sheets a client never sees


def splice_results(
    package: Parts,
    numbers: dict[str, dict[str, int]],
    draft: Draft,
    instrument: Instrument,
    *,
    placeholder: bool = False,
    properties: dict[str, str] | None = None,
    plan: Draft | None = None,
) -> bytes:
    """``package`` with ``numbers`` (sheet → cell → value) written and Resultados added first,
    then ``plan`` (the Plan de acción); ``properties``, custom text properties, set.

    With ``placeholder``, the package already starts with an empty Resultados sheet (openpyxl
    wrote it) whose content is replaced.
    """
    book = _Workbook.open(package, contract.RESULTS_SHEET if placeholder else None)
    edit = book.edit
    for name, value in (properties or {}).items():
        set_text_property(edit, name, value)
    replaced: set[tuple[int, str]] = set()  # (sheetId, cell) whose formula became its value
    for title, cells in numbers.items():
        part = book.sheet_part(title)
        edit.parts[part], formulas = worksheet_part.set_numbers(edit.parts[part], cells)
        replaced |= {(book.sheet_id(title), coord) for coord in formulas}
    if replaced:
        book.drop_from_calc_chain(replaced)
    added = book.append_styles()
    drawing, chart = chart_parts(
        instrument, draft.chart_title, draft.chart_header_row, draft.chart_row, draft.chart_series
    )
    sheet = book.first_sheet_part()
    drawing_part = edit.free("xl/drawings/drawing{}.xml")
    chart_part = edit.free("xl/charts/chart{}.xml")
    book.add_first_sheet(
        contract.RESULTS_SHEET,
        sheet,
        render_sheet(draft, added.xf, "rId1", *_PAGE, book.epoch),
        draft,
    )
    edit.parts[rels_part(sheet)] = relationships_part(
        [("rId1", f"{DOC_RELS}/drawing", relative(drawing_part, sheet))]
    )
    edit.parts[drawing_part] = drawing
    edit.parts[rels_part(drawing_part)] = relationships_part(
        [("rId1", f"{DOC_RELS}/chart", relative(chart_part, drawing_part))]
    )
    edit.parts[chart_part] = chart
    edit.add_content_types([(drawing_part, DRAWING_TYPE), (chart_part, CHART_TYPE)])
    if plan is not None:
        plan_part = edit.free("xl/worksheets/sheet{}.xml")
        xml = render_sheet(plan, added.xf, None, *_PAGE, book.epoch)
        book.add_sheet(contract.PLAN_SHEET, plan_part, xml, plan, 1)
    return edit.to_bytes()


def splice_review(
    package: Parts, marks: dict[str, dict[str, str]], draft: Draft, *, placeholder: bool = False
) -> bytes:
    """``package`` with each marked cell (sheet → cell → message) coloured and commented, and
    Revisión added first (or filled in, with ``placeholder``, as splice_results)."""
    book = _Workbook.open(package, contract.REVIEW_SHEET if placeholder else None)
    edit = book.edit
    added = book.append_styles()
    parts = {title: book.sheet_part(title) for title in marks}
    old = {
        title: worksheet_part.cell_styles(edit.parts[parts[title]], list(messages))
        for title, messages in marks.items()
    }
    styles = book.styles_part()
    edit.parts[styles], copies = add_fill_copies(
        edit.parts[styles], [xf for found in old.values() for xf in found], added.fills["problem"]
    )
    for title, messages in marks.items():
        restyled = {coord: copies[xf] for coord, xf in zip(messages, old[title], strict=True)}
        restyled_sheet = worksheet_part.restyle(edit.parts[parts[title]], restyled)
        _add_notes(edit, parts[title], restyled_sheet, messages)
    first = book.first_sheet_part()
    book.add_first_sheet(
        contract.REVIEW_SHEET, first, render_sheet(draft, added.xf, None, *_PAGE, book.epoch), draft
    )
    return edit.to_bytes()


def _add_notes(edit: PackageEdit, part: str, sheet: bytes, messages: dict[str, str]) -> None:
    """Attach each message as a note to its cell of the worksheet ``part`` (now ``sheet``): in
    the sheet's own comments and VML parts when it has notes already, else in new ones."""
    comments, shapes = comments_parts(messages, contract.GENERATOR)
    first_id = first_free_id(
        [edit.parts[name] for name in edit.parts if name.casefold().endswith(".vml")]
    )
    drawing_rel = worksheet_part.legacy_drawing_id(sheet)
    if drawing_rel is not None:
        rels = edit.relationships(part)
        own = [target for kind, target in rels.values() if kind == f"{DOC_RELS}/comments"]
        if drawing_rel not in rels or len(own) != 1 or own[0] not in edit.parts:
            raise SpliceDeclinedError("notes whose parts are not where expected")
        vml = rels[drawing_rel][1]
        edit.parts[part] = sheet
        edit.parts[own[0]] = add_comments(edit.parts[own[0]], messages, contract.GENERATOR)
        edit.parts[vml] = add_shapes(edit.parts[vml], shapes, first_id)
        return
    sheet = worksheet_part.add_legacy_drawing(sheet, NOTES_RELS[1])
    shapes = place_shapes(shapes, first_id)
    comments_part = edit.free("xl/comments/comment{}.xml")
    shapes_part = edit.free("xl/drawings/commentsDrawing{}.vml")
    edit.add_relationships(
        part,
        [
            (NOTES_RELS[0], f"{DOC_RELS}/comments", relative(comments_part, part)),
            (NOTES_RELS[1], f"{DOC_RELS}/vmlDrawing", relative(shapes_part, part)),
        ],
    )
    edit.parts[part] = sheet
    edit.parts[comments_part] = comments
    edit.parts[shapes_part] = shapes
    edit.add_content_types([(comments_part, COMMENTS_TYPE)])
    edit.parts[CONTENT_TYPES_PART] = add_default(edit.parts[CONTENT_TYPES_PART], "vml", VML_TYPE)


@once_per_part  # most copies share their styles
def _with_our_styles(data: bytes) -> tuple[bytes, AddedStyles]:
    """A styles part with our looks appended, the same for the same bytes (never changed)."""
    return append_styles(data, styles(), parsed(data))


def _our_notes(name: str, data: Mapping[str, bytes]) -> bool:
    """Whether part ``name`` of ``data`` is a comments part with notes we wrote (only such a part
    is read)."""
    author = f"<author>{contract.GENERATOR}</author>".encode()
    return name.startswith("xl/comments") and author in data[name]


@dataclass
class _Workbook:
    """The package being edited, with where its workbook, sheets and styles are."""

    edit: PackageEdit
    part: str  # the workbook part
    rels: dict[str, tuple[str, str]]  # its relationships
    sheets: list[tuple[str, str, str]]  # (name, sheetId, relationship id), in order
    by_title: dict[str, str]  # sheet name → worksheet part
    placeholder: str | None  # our empty sheet openpyxl already listed first
    # The moment its date serials count from (``read.date_system``, as the reader reads).
    epoch: datetime

    @classmethod
    def open(cls, package: Parts, placeholder: str | None) -> _Workbook:
        """The package, ready for our edits; every sheet already unselected."""
        if any(_ACTIVE_CONTENT.search(info.filename) for info in package.infos):
            raise SpliceDeclinedError("active content or links to other files")
        if placeholder is None and any(_our_notes(n, package.data) for n in package.data):
            # A -revisar copy that came back: the openpyxl route removes our marks (and its
            # re-save, which holds the new ones, comes back here with a placeholder).
            raise SpliceDeclinedError("our review notes are there")
        edit = PackageEdit(package)
        types = edit.tree(CONTENT_TYPES_PART)
        part = next(
            (
                o.get("PartName", "").lstrip("/")
                for o in types.iter(f"{{{CONTENT_TYPES}}}Override")
                if o.get("ContentType") == WORKBOOK_TYPES[0]  # never a macro workbook
            ),
            None,
        )
        if part is None:
            raise SpliceDeclinedError("no plain workbook part")
        rels = edit.relationships(part)
        sheets = [
            (node.get("name", ""), node.get("sheetId", "0"), node.get(f"{{{DOC_RELS}}}id", ""))
            for node in edit.tree(part).iter(f"{{{MAIN}}}sheet")
        ]
        ours = [name for name, _, _ in sheets if name.casefold() in _OURS]
        if ours != ([placeholder] if placeholder else []) or (
            placeholder and sheets[0][0] != placeholder
        ):
            raise SpliceDeclinedError("one of our sheets is already there")
        by_title = {}
        for name, _, rel in sheets:
            if rel not in rels or rels[rel][1] not in edit.parts:
                raise SpliceDeclinedError("a sheet without its part")
            sheet = rels[rel][1]
            by_title[name] = sheet
            edit.parts[sheet] = worksheet_part.unselect(edit.parts[sheet])
        epoch = date_system(edit.tree(part))
        # Our own sheet hidden again: a program the client saved with may have shown it.
        edit.parts[part] = workbook_part.hide_sheets(edit.parts[part], _HIDDEN)
        return cls(edit, part, rels, sheets, by_title, placeholder, epoch)

    def sheet_id(self, title: str) -> int:
        """The sheetId of ``title`` (what the calculation chain names sheets by)."""
        found = next((i for name, i, _ in self.sheets if name == title), None)
        if found is None or not found.isdigit():
            raise SpliceDeclinedError(f"no sheetId for {title}")
        return int(found)

    def drop_from_calc_chain(self, cells: set[tuple[int, str]]) -> None:
        """Take ``cells`` (sheetId, reference) out of the calculation chain, and the chain out
        of the package when nothing is left in it."""
        chain = [(i, p) for i, (t, p) in self.rels.items() if t == f"{DOC_RELS}/calcChain"]
        if not chain:
            return
        if len(chain) > 1 or chain[0][1] not in self.edit.parts:
            raise SpliceDeclinedError("calcChain not where expected")
        rel_id, part = chain[0]
        kept = calc_chain_part.drop_cells(self.edit.parts[part], cells)
        if kept is not None:
            self.edit.parts[part] = kept
            return
        del self.edit.parts[part]
        rels = rels_part(self.part)
        self.edit.parts[rels] = remove_relationship(self.edit.parts[rels], rel_id)
        types = self.edit.parts[CONTENT_TYPES_PART]
        self.edit.parts[CONTENT_TYPES_PART] = remove_override(types, part)

    def sheet_part(self, title: str) -> str:
        if title not in self.by_title:
            raise SpliceDeclinedError(f"no sheet {title}")
        return self.by_title[title]

    def styles_part(self) -> str:
        part = next((p for t, p in self.rels.values() if t == f"{DOC_RELS}/styles"), None)
        if part is None:
            raise SpliceDeclinedError("no styles")
        return part

    def append_styles(self) -> AddedStyles:
        part = self.styles_part()
        self.edit.parts[part], added = _with_our_styles(self.edit.parts[part])
        return added

    def first_sheet_part(self) -> str:
        """The part our sheet goes in: the placeholder's, or a new one."""
        if self.placeholder is not None:
            return self.by_title[self.placeholder]
        return self.edit.free("xl/worksheets/sheet{}.xml")

    def add_first_sheet(self, title: str, part: str, xml: bytes, draft: Draft) -> None:
        """List ``xml`` (``draft`` rendered) as the workbook's first sheet, the one it opens on."""
        edit = self.edit
        if self.placeholder is not None:
            edit.parts[part] = xml
            self._edit_workbook(draft, title)
            return
        self.add_sheet(title, part, xml, draft, 0)
        self._edit_workbook(draft, title)

    def add_sheet(self, title: str, part: str, xml: bytes, draft: Draft, index: int) -> None:
        """List ``xml`` (``draft`` rendered) as sheet ``index`` (0: the first), with its print
        area when it is not the first (the first's is _edit_workbook's)."""
        edit = self.edit
        rel_id = next(
            f"rIdMsp{n}" for n in range(1, len(self.rels) + 2) if f"rIdMsp{n}" not in self.rels
        )
        sheet_id = 1 + max((int(i) for _, i, _ in self.sheets if i.isdigit()), default=0)
        edit.parts[self.part] = workbook_part.list_sheet(
            edit.parts[self.part], title, sheet_id, rel_id, index
        )
        worksheet_rel = f"{DOC_RELS}/worksheet"
        edit.add_relationships(self.part, [(rel_id, worksheet_rel, relative(part, self.part))])
        self.rels[rel_id] = (worksheet_rel, part)
        self.sheets.insert(index, (title, str(sheet_id), rel_id))
        edit.parts[part] = xml
        edit.add_content_types([(part, WORKSHEET_TYPE)])
        if index and draft.print_area:
            last_col = get_column_letter(len(draft.widths))
            edit.parts[self.part] = workbook_part.add_print_area(
                edit.parts[self.part], title, last_col, draft.last_row, draft.repeat_row, index
            )

    def _edit_workbook(self, draft: Draft, title: str) -> None:
        data = self.edit.parts[self.part]
        if draft.print_area:
            last_col = get_column_letter(len(draft.widths))
            data = workbook_part.add_print_area(
                data, title, last_col, draft.last_row, draft.repeat_row
            )
        self.edit.parts[self.part] = workbook_part.open_on_first_sheet(data)
