"""Each bytes → bytes edit of the splice, on short parts: the forms it must accept, and the odd
ones it must decline (so the openpyxl route takes over) rather than write a broken package."""

from __future__ import annotations

import re
import zipfile
import zlib
from io import BytesIO
from xml.etree import ElementTree
from xml.parsers import expat

import pytest

from msp_assessment._zip import Entry, zip_package
from msp_assessment.processing.copies.looks import styles
from msp_assessment.processing.ooxml import calc_chain_part, workbook_part, worksheet_part
from msp_assessment.processing.ooxml.comments_part import (
    add_comments,
    add_shapes,
    comments_parts,
    first_free_id,
    place_shapes,
)
from msp_assessment.processing.ooxml.edit import PackageEdit
from msp_assessment.processing.ooxml.package import (
    DOC_RELS,
    MAIN,
    DeclinedError,
    SpliceDeclinedError,
    add_default,
    add_overrides,
    add_relationships,
    check_xml,
    relationships_part,
    relative,
    unzip,
    without_dtd,
)
from msp_assessment.processing.ooxml.styles_part import add_fill_copies, append_styles
from msp_assessment.workbook_templates import styles as palette

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml

NS = f'xmlns="{MAIN}" xmlns:r="{DOC_RELS}"'


def workbook(body: str, ns: str = NS) -> bytes:
    return f"<workbook {ns}>{body}</workbook>".encode()


# --- workbook.xml ---------------------------------------------------------------------------


def test_list_first_sheet__listed_first__sheet_scoped_names_shift_whatever_their_quotes() -> None:
    data = workbook(
        '<sheets><sheet name="A" sheetId="1" r:id="rId1"/></sheets>'
        "<definedNames><definedName name='x' localSheetId='0'>A!$A$1</definedName>"
        '<definedName name="y" localSheetId="1">B!$A$1</definedName></definedNames>'
    )
    out = workbook_part.list_first_sheet(data, "Resultados", 7, "rIdMsp1")
    assert out.startswith(
        workbook('<sheets><sheet name="Resultados" sheetId="7" r:id="rIdMsp1"/>')[:-11]
    )
    assert b'localSheetId="1">A!$A$1' in out and b'localSheetId="2">B!$A$1' in out
    check_xml(out)


def test_list_first_sheet__relationships_prefix_other_than_r__used_as_declared() -> None:
    ns = f'xmlns="{MAIN}" xmlns:rel="{DOC_RELS}"'
    data = workbook('<sheets><sheet name="A" sheetId="1" rel:id="rId1"/></sheets>', ns)
    out = workbook_part.list_first_sheet(data, "Resultados", 2, "rIdMsp1")
    assert b'<sheets><sheet name="Resultados" sheetId="2" rel:id="rIdMsp1"/>' in out


@pytest.mark.parametrize(
    "data",
    [
        workbook("<sheets/>"),  # self-closing: nowhere to add ours
        workbook("<sheets></sheets><sheets></sheets>"),  # a second <sheets>
        workbook("<x:sheets></x:sheets>", f'xmlns:x="{MAIN}" xmlns:r="{DOC_RELS}"'),  # prefixed
    ],
    ids=["self-closing", "second-sheets", "prefixed"],
)
def test_list_first_sheet__unexpected_form__declined(data: bytes) -> None:
    with pytest.raises(SpliceDeclinedError):
        workbook_part.list_first_sheet(data, "Resultados", 2, "rIdMsp1")


@pytest.mark.parametrize(
    "data",
    [
        # openpyxl with lxml declares the prefix on each <sheet>, not on the root.
        workbook(
            f'<sheets><sheet xmlns:r="{DOC_RELS}" name="A" sheetId="1" r:id="rId1"/></sheets>',
            f'xmlns="{MAIN}"',
        ),
        workbook("<sheets></sheets>", f"xmlns='{MAIN}' xmlns:r='{DOC_RELS}'"),  # single quotes
        workbook("<sheets></sheets>", f'xmlns="{MAIN}" xmlns:rel="{DOC_RELS}"'),  # other prefix
        workbook("<sheets></sheets>", f'xmlns="{MAIN}" xmlns:r="urn:other"'),  # r is not ours
    ],
    ids=["declared-per-sheet", "single-quoted-ns", "other-prefix", "r-bound-elsewhere"],
)
def test_list_first_sheet__any_namespace_valid_form__our_sheet_refers_to_its_relationship(
    data: bytes,
) -> None:
    out = workbook_part.list_first_sheet(data, "Resultados", 2, "rIdMsp1")
    check_xml(out)  # namespace-aware: every prefix bound where it is used
    sheets = ElementTree.fromstring(out).find(f"{{{MAIN}}}sheets")
    assert sheets is not None
    assert sheets[0].get("name") == "Resultados"
    assert sheets[0].get(f"{{{DOC_RELS}}}id") == "rIdMsp1"


def test_check_xml__unbound_prefix__refused() -> None:
    with pytest.raises(expat.ExpatError):
        check_xml(b'<workbook><sheet r:id="rId1"/></workbook>')


def test_add_print_area__no_defined_names__element_added_after_sheets() -> None:
    out = workbook_part.add_print_area(workbook("<sheets></sheets><calcPr/>"), "Resultados", "F", 9)
    assert out == workbook(
        '<sheets></sheets><definedNames><definedName name="_xlnm.Print_Area" '
        "localSheetId=\"0\">'Resultados'!$A$1:$F$9</definedName></definedNames><calcPr/>"
    )


def test_add_print_area__existing_names__ours_first_theirs_kept() -> None:
    data = workbook(
        '<sheets></sheets><definedNames><definedName name="a">x</definedName></definedNames>'
    )
    out = workbook_part.add_print_area(data, "Resultados", "F", 3)
    assert b'$F$3</definedName><definedName name="a">x</definedName>' in out


def test_add_print_area__repeated_header_row__print_titles_too() -> None:
    out = workbook_part.add_print_area(workbook("<sheets></sheets>"), "Revisión", "E", 12, 5)
    assert (
        b"'Revisi\xc3\xb3n'!$A$1:$E$12</definedName><definedName name=\"_xlnm.Print_Titles\" "
        b"localSheetId=\"0\">'Revisi\xc3\xb3n'!$5:$5</definedName></definedNames>"
    ) in out


@pytest.mark.parametrize("empty", ["<definedNames/>", "<definedNames />"])
def test_add_print_area__empty_defined_names__filled_in_place(empty: str) -> None:
    # Google Sheets writes it, and so does openpyxl for a workbook without names.
    out = workbook_part.add_print_area(workbook(f"<sheets></sheets>{empty}<calcPr/>"), "R", "F", 3)
    assert out == workbook(
        '<sheets></sheets><definedNames><definedName name="_xlnm.Print_Area" '
        "localSheetId=\"0\">'R'!$A$1:$F$3</definedName></definedNames><calcPr/>"
    )


@pytest.mark.parametrize(
    "names",
    [
        "<definedNames/><definedNames/>",
        '<definedNames x="1"></definedNames>',
        "<x:definedNames></x:definedNames>",
    ],
)
def test_add_print_area__defined_names_in_an_unexpected_form__declined(names: str) -> None:
    with pytest.raises(SpliceDeclinedError):
        workbook_part.add_print_area(workbook(f"<sheets></sheets>{names}"), "R", "F", 3)


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (
            "<workbookView activeTab='2' firstSheet=\"1\" xr2:uid='u'/>",
            "<workbookView xr2:uid='u' activeTab=\"0\"/>",
        ),
        (
            '<workbookView windowWidth="9"></workbookView>',
            '<workbookView windowWidth="9" activeTab="0"></workbookView>',
        ),
    ],
    ids=["self-closing-single-quotes", "open-close"],
)
def test_open_on_first_sheet__active_tab_zero_first_sheet_dropped(view: str, expected: str) -> None:
    out = workbook_part.open_on_first_sheet(f"<bookViews>{view}</bookViews>".encode())
    assert out == f"<bookViews>{expected}</bookViews>".encode()


# --- styles.xml -----------------------------------------------------------------------------

STYLES = (
    f'<styleSheet xmlns="{MAIN}"><fonts count="1"><font/></fonts>'
    "<fills count='2'><fill/><fill/></fills><borders><border/></borders>"
    '<cellXfs count="2"><xf fontId="0"/><xf fillId=\'1\' applyFill="1"><alignment/></xf></cellXfs>'
    "<extLst><ext/></extLst></styleSheet>"
).encode()


def test_append_styles__ours_appended__counts_fixed__indexes_after_the_clients() -> None:
    ours = styles()
    out, added = append_styles(STYLES, styles())
    tree = ElementTree.fromstring(out)
    for tag, before, extra in [
        ("fonts", 1, ours.fonts),
        ("fills", 2, ours.fills),
        ("borders", 1, ours.borders),
        ("cellXfs", 2, ours.looks),
    ]:
        node = tree.find(f"{{{MAIN}}}{tag}")
        assert node is not None
        assert len(node) == before + len(extra)
        assert node.get("count") == str(before + len(extra))
    assert sorted(added.xf.values()) == list(range(2, 2 + len(ours.looks)))
    # Each look's fill is found at the index given, after the client's two fills.
    fills = tree.find(f"{{{MAIN}}}fills")
    assert fills is not None
    problem = fills[added.fills["problem"]].find(f"{{{MAIN}}}patternFill/{{{MAIN}}}fgColor")
    assert problem is not None and problem.get("rgb") == palette.PROBLEM_FILL.fgColor.rgb
    assert min(added.fills.values()) == 2
    # The client's own entries stay first, where its cells point; the rest of the part is kept.
    assert b'<fonts count="%d"><font/><font>' % (1 + len(ours.fonts)) in out
    assert out.endswith(b"</cellXfs><extLst><ext/></extLst></styleSheet>")


@pytest.mark.parametrize(
    "data",
    [
        STYLES.replace(b"<borders><border/></borders>", b""),
        STYLES.replace(b"<borders><border/></borders>", b"<borders/>"),
    ],
    ids=["missing", "self-closing"],
)
def test_append_styles__element_missing_or_self_closing__declined(data: bytes) -> None:
    with pytest.raises(SpliceDeclinedError):
        append_styles(data, styles())


def test_add_fill_copies__one_copy_per_format_in_order__own_fill_replaced() -> None:
    out, copies = add_fill_copies(STYLES, [1, 0, 1], 9)
    assert copies == {1: 2, 0: 3}
    xfs = ElementTree.fromstring(out).find(f"{{{MAIN}}}cellXfs")
    assert xfs is not None and xfs.get("count") == "4"
    assert [(x.get("fillId"), x.get("applyFill")) for x in xfs] == [
        (None, None),
        ("1", "1"),
        ("9", "1"),
        ("9", "1"),
    ]
    assert xfs[2].find(f"{{{MAIN}}}alignment") is not None  # the rest of the look kept


def test_add_fill_copies__format_out_of_range__declined__none_asked__unchanged() -> None:
    with pytest.raises(SpliceDeclinedError):
        add_fill_copies(STYLES, [5], 9)
    assert add_fill_copies(STYLES, [], 9) == (STYLES, {})


# --- a worksheet ----------------------------------------------------------------------------

SHEET = (
    f"<worksheet {NS}><sheetViews><sheetView tabSelected='1' workbookViewId=\"0\"/></sheetViews>"
    '<sheetData><row r="1"><c r="A1" s=\'3\'/><c r="A10" s="4"><v>7</v></c>'
    '<c r="B1" t="s"><v>0</v></c><c r="C1"><f>1+1</f><v>2</v></c></row></sheetData>'
    "</worksheet>"
).encode()


def test_unselect__single_quoted_flag_removed() -> None:
    assert b"tabSelected" not in worksheet_part.unselect(SHEET)


def test_set_numbers__self_closing_and_full_cells__style_kept_type_dropped() -> None:
    out, replaced = worksheet_part.set_numbers(SHEET, {"A1": 4, "B1": 20})
    assert b'<c r="A1" s="3"><v>4</v></c><c r="A10" s="4"><v>7</v></c>' in out
    assert b'<c r="B1"><v>20</v></c>' in out
    assert replaced == []
    check_xml(out)


@pytest.mark.parametrize(
    "formula",
    ["<f>1+1</f>", '<f t="shared" si="3"/>', '<f t="array" ref="C1">1+1</f>'],
    ids=["plain", "shared-member", "one-cell-array"],
)
def test_set_numbers__formula__replaced_by_the_number_and_reported(formula: str) -> None:
    sheet = SHEET.replace(b"<f>1+1</f>", formula.encode())
    out, replaced = worksheet_part.set_numbers(sheet, {"C1": 6})
    assert b'<c r="C1"><v>6</v></c>' in out and b"<f" not in out
    assert replaced == ["C1"]


@pytest.mark.parametrize(
    ("formula", "coord"),
    [
        ('<f t="shared" ref="C1:C9" si="0">A1</f>', "C1"),
        ('<f t="array" ref="C1:D2">A1:B2</f>', "C1"),
        ("<f>1+1</f>", "D1"),
    ],
    ids=["shared-first-cell", "array-over-cells", "missing-cell"],
)
def test_set_numbers__formula_others_depend_on_or_missing_cell__declined(
    formula: str, coord: str
) -> None:
    with pytest.raises(SpliceDeclinedError):
        worksheet_part.set_numbers(SHEET.replace(b"<f>1+1</f>", formula.encode()), {coord: 1})


def test_set_numbers__prefixed_cells__declined() -> None:
    prefixed = SHEET.replace(b"<c ", b"<x:c ").replace(b"</c>", b"</x:c>")
    with pytest.raises(SpliceDeclinedError):
        worksheet_part.set_numbers(prefixed, {"A10": 1})


def test_cell_styles_and_restyle__new_format_given__content_untouched() -> None:
    assert worksheet_part.cell_styles(SHEET, ["A1", "A10", "B1"]) == [3, 4, 0]
    out = worksheet_part.restyle(SHEET, {"A1": 8, "B1": 9})
    assert b'<c r="A1" s="8"/>' in out and b'<c r="B1" t="s" s="9"><v>0</v></c>' in out
    check_xml(out)


@pytest.mark.parametrize(
    ("tail", "before"),
    [
        ("</worksheet>", b"</worksheet>"),
        ('<tableParts count="0"/></worksheet>', b"<tableParts"),
        ("<extLst><ext uri='x'/></extLst></worksheet>", b"<extLst"),
    ],
    ids=["at-end", "before-table-parts", "before-extLst"],
)
def test_add_legacy_drawing__at_its_schema_place(tail: str, before: bytes) -> None:
    sheet = SHEET.replace(b"</worksheet>", tail.encode())
    out = worksheet_part.add_legacy_drawing(sheet, "rIdN")
    drawing = f'<legacyDrawing xmlns:r="{DOC_RELS}" r:id="rIdN"/>'.encode()
    assert drawing + before in out
    check_xml(out)


@pytest.mark.parametrize(
    "tail",
    [
        '<legacyDrawing r:id="x"/></worksheet>',
        "<extLst><ext/></extLst><tableParts/></worksheet>",
        '<mc:AlternateContent xmlns:mc="m"/></worksheet>',
    ],
    ids=["notes-already", "extLst-not-last", "alternate-content"],
)
def test_add_legacy_drawing__unexpected_form__declined(tail: str) -> None:
    with pytest.raises(SpliceDeclinedError):
        worksheet_part.add_legacy_drawing(SHEET.replace(b"</worksheet>", tail.encode()), "r")


# --- comments, relationships, content types, the package ------------------------------------


def test_comments_parts__one_note_per_cell__well_formed() -> None:
    comments, shapes = comments_parts({"B2": "falta <la> respuesta", "C3": "otra"}, "msp")
    check_xml(comments)
    check_xml(shapes)
    tree = ElementTree.fromstring(comments)
    refs = [node.get("ref") for node in tree.iter(f"{{{MAIN}}}comment")]
    assert refs == ["B2", "C3"]
    assert "falta <la> respuesta" in "".join(tree.itertext())
    assert len(re.findall(rb"<[\w]+:Row>", shapes)) == 2  # the prefix is openpyxl's choice


def test_relationships__new_part_and_added_to_existing() -> None:
    new = relationships_part([("rId1", "t", "../a.xml")])
    check_xml(new)
    out = add_relationships(new, [("rId2", "u", "b.xml")])
    assert out.endswith(
        b'Target="../a.xml"/><Relationship Id="rId2" Type="u" Target="b.xml"/></Relationships>'
    )
    assert relative("xl/charts/chart1.xml", "xl/drawings/drawing1.xml") == "../charts/chart1.xml"


def test_content_types__override_added__default_only_when_missing() -> None:
    types = b"<Types><Default Extension='VML' ContentType='x'/></Types>"
    assert add_default(types, "vml", "y") == types
    assert add_default(b"<Types></Types>", "vml", "y") == (
        b'<Types><Default Extension="vml" ContentType="y"/></Types>'
    )
    assert add_overrides(b"<Types></Types>", [("xl/a.xml", "k")]) == (
        b'<Types><Override PartName="/xl/a.xml" ContentType="k"/></Types>'
    )
    with pytest.raises(SpliceDeclinedError):
        add_overrides(b"<Types/>", [("xl/a.xml", "k")])


def _zip(entries: dict[str, bytes]) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name, data in entries.items():
            target.writestr(zipfile.ZipInfo(name, (2020, 1, 2, 3, 4, 6)), data)
    return out.getvalue()


def test_zip_package__the_bytes_zipfile_writes__which_it_reads_back() -> None:
    """Stored and deflated entries, ASCII and other names, any timestamp: the same bytes as
    ``ZipFile.writestr`` of the same entries (at level 1, mode ?rw-------)."""
    parts = {
        "[Content_Types].xml": (b"<Types/>", zipfile.ZIP_DEFLATED, (2020, 1, 2, 3, 4, 6)),
        "xl/media/imagen año.png": (
            bytes(range(256)) * 9,
            zipfile.ZIP_STORED,
            (1980, 1, 1, 0, 0, 0),
        ),
        "xl/worksheets/sheet1.xml": (
            b"<a>" + b"x" * 5000 + b"</a>",
            zipfile.ZIP_DEFLATED,
            (2107, 12, 31, 23, 59, 58),
        ),
        "docProps/empty.xml": (b"", zipfile.ZIP_DEFLATED, (2026, 12, 1, 19, 0, 1)),
    }
    expected = BytesIO()
    with zipfile.ZipFile(expected, "w") as target:
        for name, (data, method, when) in parts.items():
            info = zipfile.ZipInfo(name, when)
            info.compress_type, info.external_attr = method, 0o600 << 16
            target.writestr(info, data, compresslevel=1)
    entries = []
    for name, (data, method, when) in parts.items():
        packed = data
        if method == zipfile.ZIP_DEFLATED:
            compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
            packed = compressor.compress(data) + compressor.flush()
        entries.append(Entry(name, when, method, zlib.crc32(data), len(data), packed))
    written = zip_package(entries)
    assert written == expected.getvalue()
    with zipfile.ZipFile(BytesIO(zip_package(entries, as_zipfile=False))) as package:
        assert package.testzip() is None
        assert {name: package.read(name) for name in package.namelist()} == {
            name: data for name, (data, _, _) in parts.items()
        }
    for bad in ([*entries, entries[0]], [entries[0]._replace(date_time=(1979, 12, 31, 0, 0, 0))]):
        with pytest.raises(ValueError):
            zip_package(bad)


def test_package_edit__free_names_ignore_case__new_parts_last_with_the_package_timestamp() -> None:
    package = unzip(_zip({"xl/Sheet1.xml": b"<a/>", "xl/_rels/sheet2.xml.rels": b"<b/>"}))
    assert package is not None
    edit = PackageEdit(package)
    assert edit.free("xl/sheet{}.xml") == "xl/sheet3.xml"  # 1 taken (case), 2 has rels
    assert edit.free("xl/sheet{}.xml") == "xl/sheet4.xml"  # reserved once given
    edit.parts["xl/sheet3.xml"] = b"<c/>"
    with zipfile.ZipFile(BytesIO(edit.to_bytes())) as out:
        infos = out.infolist()
    assert [i.filename for i in infos] == [
        "xl/Sheet1.xml",
        "xl/_rels/sheet2.xml.rels",
        "xl/sheet3.xml",
    ]
    assert {i.date_time for i in infos} == {(2020, 1, 2, 3, 4, 6)}


def test_package_edit__a_changed_part_not_well_formed__declined_before_writing() -> None:
    package = unzip(_zip({"xl/a.xml": b"<a/>"}))
    assert package is not None
    edit = PackageEdit(package)
    edit.parts["xl/a.xml"] = b"<a>"
    with pytest.raises(SpliceDeclinedError):
        edit.to_bytes()


# --- calcChain ------------------------------------------------------------------------------

CHAIN = (
    f'<calcChain xmlns="{MAIN}"><c r="H22" i="1"/><c r="H23"/><c r="B2" i="3" l="1"/>'
    '<c r="C9"/></calcChain>'
).encode()


def test_calc_chain__entries_dropped_by_sheet_id__inherited_sheet_made_explicit() -> None:
    out = calc_chain_part.drop_cells(CHAIN, {(1, "H22"), (3, "B2")})
    assert (
        out
        == (f'<calcChain xmlns="{MAIN}"><c i="1" r="H23"/><c i="3" r="C9"/></calcChain>').encode()
    )


def test_calc_chain__same_cell_on_another_sheet__kept() -> None:
    out = calc_chain_part.drop_cells(CHAIN, {(3, "H23")})
    assert out is not None and b'r="H23"' in out


def test_calc_chain__every_entry_dropped__none_left() -> None:
    cells = {(1, "H22"), (1, "H23"), (3, "B2"), (3, "C9")}
    assert calc_chain_part.drop_cells(CHAIN, cells) is None


def test_calc_chain__prefixed_or_unexpected_content__declined() -> None:
    with pytest.raises(SpliceDeclinedError):
        calc_chain_part.drop_cells(b'<x:calcChain xmlns:x="m"><x:c r="A1"/></x:calcChain>', set())
    with pytest.raises(SpliceDeclinedError):
        calc_chain_part.drop_cells(CHAIN.replace(b"</calcChain>", b"<extLst/></calcChain>"), set())


# --- notes into existing parts --------------------------------------------------------------

EXCEL_VML = (
    b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:'
    b'office"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/></o:shapelayout>'
    b'<v:shapetype id="_x0000_t202" coordsize="21600,21600"/>'
    b'<v:shape id="_x0000_s1025" type="#_x0000_t202"/></xml>'
)


def test_first_free_id__above_every_id_and_claimed_block() -> None:
    assert first_free_id([]) == 1025
    assert first_free_id([EXCEL_VML]) == 2049
    claims_three = EXCEL_VML.replace(b'data="1"', b'data="1,3"')
    assert first_free_id([claims_three]) == 4097
    assert first_free_id([EXCEL_VML.replace(b"1025", b"5000")]) == 5121


def test_place_shapes__ours_numbered_from_the_first_free_id__block_claimed() -> None:
    _, ours = comments_parts({"B2": "uno", "C3": "dos"}, "msp")
    placed = place_shapes(ours, 2049)
    assert re.findall(rb'id="_x0000_s([0-9]+)"', placed) == [b"2049", b"2050"]
    assert re.search(rb'data="2"', placed)
    check_xml(placed)


def test_add_shapes__into_the_sheets_drawing__its_ids_and_shapetype_kept() -> None:
    _, ours = comments_parts({"B2": "uno"}, "msp")
    out = add_shapes(EXCEL_VML, ours, 2049)
    check_xml(out)
    assert re.findall(rb'id="_x0000_s([0-9]+)"', out) == [b"1025", b"2049"]
    assert b'data="1,2"' in out
    assert out.count(b'id="_x0000_t202"') == 1  # its own note shape type serves ours
    root = ElementTree.fromstring(out)
    assert len(list(root.iter("{urn:schemas-microsoft-com:vml}shape"))) == 2


def test_add_shapes__drawing_without_idmap__declined() -> None:
    _, ours = comments_parts({"B2": "uno"}, "msp")
    with pytest.raises(SpliceDeclinedError):
        add_shapes(b"<xml></xml>", ours, 2049)


COMMENTS = (
    f'<comments xmlns="{MAIN}"><authors><author>Ana</author><author/></authors><commentList>'
    '<comment ref="A5" authorId="0"><text><t>suya</t></text></comment></commentList></comments>'
).encode()


def test_add_comments__author_listed__notes_appended_with_its_index() -> None:
    out = add_comments(COMMENTS, {"B2": "falta <algo> & más"}, "msp-assessment")
    check_xml(out)
    tree = ElementTree.fromstring(out)
    authors = [a.text for a in tree.iter(f"{{{MAIN}}}author")]
    assert authors == ["Ana", None, "msp-assessment"]
    ours = [c for c in tree.iter(f"{{{MAIN}}}comment") if c.get("ref") == "B2"]
    assert ours[0].get("authorId") == "2"
    assert "".join(ours[0].itertext()) == "falta <algo> & más"


@pytest.mark.parametrize(
    ("data", "coord"),
    [(COMMENTS, "A5"), (COMMENTS.replace(b"</authors>", b"").replace(b"<authors>", b""), "B2")],
    ids=["cell-has-a-note", "no-authors"],
)
def test_add_comments__cell_with_a_note_or_odd_part__declined(data: bytes, coord: str) -> None:
    with pytest.raises(SpliceDeclinedError):
        add_comments(data, {coord: "x"}, "msp")


@pytest.mark.parametrize(
    ("raw", "sure"),
    [
        (b'<?xml version="1.0" encoding="UTF-8"?><a/>', True),
        (b"\xef\xbb\xbf<a/>", True),
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', False),
        (b'<?xml version="1.0" encoding="UTF-16"?><a/>'.decode().encode("utf-16"), False),
        (b'<?xml version="1.0" encoding="cp037"?>\x4c\x81\x61\x6e', False),  # EBCDIC after
        (b'<?xml version="1.0"' + b" " * 300 + b' encoding="cp037"?>\x4c\x81\x61\x6e', False),
        (b" <a/>", False),  # whitespace first: expat decides
    ],
    ids=["utf8", "bom", "dtd", "utf16", "ebcdic-declared", "ebcdic-declared-late", "leading-space"],
)
def test_without_dtd__sure_only_where_the_bytes_say_so(raw: bytes, sure: bool) -> None:
    """The byte look that spares expat's check: never «no DTD» when it cannot tell."""
    assert without_dtd(raw) is sure


def test_utf16_part_with_an_entity__still_refused_before_it_is_parsed() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'
    with pytest.raises(DeclinedError):
        check_xml(text.encode("utf-16"))
    assert not without_dtd(text.encode("utf-16"))


def test_append_styles__our_date_format_added_first_in_the_stylesheet_or_after_the_clients() -> (
    None
):
    """«DD/MM/YYYY» is no built-in format: it is added as a number format, first in a styleSheet
    that has none (where the schema puts numFmts), after the client's own otherwise, and our
    date looks point at it."""
    ours = styles()
    assert "DD/MM/YYYY" in ours.formats
    for given, first_id in (
        (STYLES, 164),
        (
            STYLES.replace(
                b"<fonts",
                b'<numFmts count="1"><numFmt numFmtId="170" formatCode="0.000"/></numFmts><fonts',
                1,
            ),
            171,
        ),
    ):
        out, added = append_styles(given, ours)
        tree = ElementTree.fromstring(out)
        assert tree[0].tag == f"{{{MAIN}}}numFmts"
        codes = {int(n.get("numFmtId", "0")): n.get("formatCode") for n in tree[0]}
        assert codes[first_id + ours.formats.index("DD/MM/YYYY")] == "DD/MM/YYYY"
        assert tree[0].get("count") == str(len(codes))
        xfs = tree.find(f"{{{MAIN}}}cellXfs")
        assert xfs is not None
        date_xf = xfs[added.xf["date"]]
        assert codes[int(date_xf.get("numFmtId", "0"))] == "DD/MM/YYYY"
        assert date_xf.get("applyNumberFormat") == "1"
