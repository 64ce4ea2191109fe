"""Each bytes → bytes edit of the splice, on short parts: the forms it must accept, and the odd
ones it must decline (so the openpyxl route takes over) rather than write a broken package."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from xml.etree import ElementTree
from xml.parsers import expat

import pytest

from msp_assessment.processing.xlsx import workbook_part, worksheet_part
from msp_assessment.processing.xlsx.comments_part import comments_parts
from msp_assessment.processing.xlsx.edit import PackageEdit
from msp_assessment.processing.xlsx.package import (
    DOC_RELS,
    MAIN,
    SpliceDeclinedError,
    add_default,
    add_overrides,
    add_relationships,
    check_xml,
    relationships_part,
    relative,
    unzip,
)
from msp_assessment.processing.xlsx.sheetml import styles
from msp_assessment.processing.xlsx.styles_part import add_fill_copies, append_styles

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
    out = workbook_part.add_print_area(workbook("<sheets></sheets><calcPr/>"), "Resultados", 9)
    assert out == workbook(
        '<sheets></sheets><definedNames><definedName name="_xlnm.Print_Area" '
        "localSheetId=\"0\">'Resultados'!$A$1:$F$9</definedName></definedNames><calcPr/>"
    )


def test_add_print_area__existing_names__ours_first_theirs_kept() -> None:
    data = workbook(
        '<sheets></sheets><definedNames><definedName name="a">x</definedName></definedNames>'
    )
    out = workbook_part.add_print_area(data, "Resultados", 3)
    assert b'$F$3</definedName><definedName name="a">x</definedName>' in out


def test_add_print_area__self_closing_defined_names__declined() -> None:
    with pytest.raises(SpliceDeclinedError):
        workbook_part.add_print_area(workbook("<sheets></sheets><definedNames/>"), "R", 3)


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
    out, added = append_styles(STYLES)
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
    assert added.problem_fill == 2 + ours.fill_index("problem")
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
        append_styles(data)


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
    out = worksheet_part.set_numbers(SHEET, {"A1": 4, "B1": 20})
    assert b'<c r="A1" s="3"><v>4</v></c><c r="A10" s="4"><v>7</v></c>' in out
    assert b'<c r="B1"><v>20</v></c>' in out
    check_xml(out)


@pytest.mark.parametrize("coord", ["C1", "D1"], ids=["formula", "missing"])
def test_set_numbers__formula_or_missing_cell__declined(coord: str) -> None:
    with pytest.raises(SpliceDeclinedError):
        worksheet_part.set_numbers(SHEET, {coord: 1})


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
