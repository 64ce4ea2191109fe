"""A returned workbook in Excel's own XML dialect, built from our template.

Excel (365, Windows and Mac) writes what openpyxl does not: shared strings, ``mc:Ignorable`` with
``x14ac``/``xr`` attributes and revision ids, a calculation chain, Excel-style notes (a comments
part and a VML drawing with ``v:``/``o:``/``x:`` prefixes and an ``o:idmap``), threaded comments
with their persons part, printer settings, and x14 data validations in an ``extLst``. The forms
follow workbooks saved by Excel (checked against real ones: namespaces, calcChain's ``i``
attribute, the order of worksheet elements).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl

from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
XR = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
XR2 = "http://schemas.microsoft.com/office/spreadsheetml/2015/revision2"
XR3 = "http://schemas.microsoft.com/office/spreadsheetml/2016/revision3"
X15 = "http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MS_RELS = "http://schemas.microsoft.com/office/2017/10/relationships"
NOTE_CELL = "A5"  # a text cell of the form, with the client's own note
PRINTER_SETTINGS = b"\x00\x01printer settings as Excel keeps them\xff"
VML_NOTE = """<xml xmlns:v="urn:schemas-microsoft-com:vml"
 xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel">
 <o:shapelayout v:ext="edit">
  <o:idmap v:ext="edit" data="1"/>
 </o:shapelayout><v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202"
  path="m,l,21600r21600,l21600,xe">
  <v:stroke joinstyle="miter"/>
  <v:path gradientshapeok="t" o:connecttype="rect"/>
 </v:shapetype><v:shape id="_x0000_s1025" type="#_x0000_t202" style='position:absolute;
  margin-left:59.25pt;margin-top:1.5pt;width:108pt;height:59.25pt;z-index:1;
  visibility:hidden' fillcolor="#ffffe1" o:insetmode="auto">
  <v:fill color2="#ffffe1"/>
  <v:shadow color="black" obscured="t"/>
  <v:path o:connecttype="none"/>
  <v:textbox style='mso-direction-alt:auto'>
   <div style='text-align:left'></div>
  </v:textbox>
  <x:ClientData ObjectType="Note">
   <x:MoveWithCells/>
   <x:SizeWithCells/>
   <x:Anchor>
    1, 15, 3, 2, 3, 15, 7, 16</x:Anchor>
   <x:AutoFill>False</x:AutoFill>
   <x:Row>4</x:Row>
   <x:Column>0</x:Column>
  </x:ClientData>
 </v:shape></xml>"""


def excel_dialect(source: Path, target: Path, *, formulas: bool = True) -> Path:
    """``source`` (a workbook openpyxl wrote from our template) as Excel would save it; with
    ``formulas``, Puntos and TOTAL DE PUNTOS hold formulas, listed in the calculation chain."""
    wb = openpyxl.load_workbook(source)
    formula_cells: list[str] = []
    if formulas:
        form = wb[contract.FORM_SHEET]
        for name in list(wb.defined_names):
            match = re.fullmatch(r"puntos_(\d+)_(\d+)", name)
            if match:
                cell = named_cell(wb, name)
                answer = named_cell(wb, contract.answer_name(*map(int, match.groups())))
                cell.value = f"={answer.coordinate}"
                formula_cells.append(cell.coordinate)
            elif re.fullmatch(r"total_\d+", name):
                cell = named_cell(wb, name)
                above = [c for c in formula_cells if form[c].column == cell.column][-5:]
                cell.value = f"=SUM({above[0]}:{above[-1]})"
                formula_cells.append(cell.coordinate)
    wb.save(target)
    with zipfile.ZipFile(target) as package:
        parts = {name: package.read(name) for name in package.namelist()}
    _shared_strings(parts)
    parts["xl/workbook.xml"] = _workbook(parts["xl/workbook.xml"])
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        parts[name] = _worksheet(parts[name], name.endswith("sheet1.xml"))
    if formula_cells:
        # The first entry names the sheet (sheetId 1); the others inherit it, as Excel writes.
        first, *rest = formula_cells
        chain = f'<c r="{first}" i="1"/>' + "".join(f'<c r="{cell}"/>' for cell in rest)
        _add(
            parts,
            "xl/calcChain.xml",
            f'<calcChain xmlns="{MAIN}">{chain}</calcChain>',
            "application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml",
            ("xl/workbook.xml", "rId90", f"{DOC}/calcChain", "calcChain.xml"),
        )
    _notes(parts)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return target


def _xml(text: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n' + text).encode()


def _add(
    parts: dict[str, bytes],
    name: str,
    text: str,
    content_type: str | None,
    rel: tuple[str, str, str, str] | None,
) -> None:
    parts[name] = text.encode("latin-1") if name.endswith(".bin") else _xml(text)
    if content_type is not None:
        override = f'<Override PartName="/{name}" ContentType="{content_type}"/>'.encode()
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", override + b"</Types>"
        )
    if rel is not None:
        owner, rel_id, kind, rel_target = rel
        folder, file = owner.rsplit("/", 1)
        rels = f"{folder}/_rels/{file}.rels"
        line = f'<Relationship Id="{rel_id}" Type="{kind}" Target="{rel_target}"/>'.encode()
        if rels not in parts:
            rels_ns = "http://schemas.openxmlformats.org/package/2006/relationships"
            parts[rels] = _xml(f'<Relationships xmlns="{rels_ns}"></Relationships>')
        parts[rels] = parts[rels].replace(b"</Relationships>", line + b"</Relationships>")


def _shared_strings(parts: dict[str, bytes]) -> None:
    """Inline strings become shared strings, as Excel stores all text (each item keeps the
    string's own <t> or rich-text runs, already escaped)."""
    table: dict[bytes, int] = {}

    def share(m: re.Match[bytes]) -> bytes:
        index = table.setdefault(m.group(2), len(table))
        return m.group(1) + b' t="s"><v>%d</v></c>' % index

    inline = re.compile(rb'(<c r="[A-Z]+[0-9]+"(?: s="[0-9]+")?) t="inlineStr"><is>(.*?)</is></c>')
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        parts[name] = inline.sub(share, parts[name])
    items = b"".join(b"<si>" + item + b"</si>" for item in table).decode()
    count = f'count="{len(table)}" uniqueCount="{len(table)}"'
    _add(
        parts,
        "xl/sharedStrings.xml",
        f'<sst xmlns="{MAIN}" {count}>{items}</sst>',
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml",
        ("xl/workbook.xml", "rId91", f"{DOC}/sharedStrings", "sharedStrings.xml"),
    )


def _workbook(data: bytes) -> bytes:
    data = re.sub(
        rb"<workbook\b[^>]*>",
        (
            f'<workbook xmlns="{MAIN}" xmlns:r="{DOC}" xmlns:mc="{MC}" mc:Ignorable="x15 xr xr6 '
            f'xr10 xr2" xmlns:x15="{X15}" xmlns:xr="{XR}" xmlns:xr2="{XR2}" '
            'xmlns:xr6="http://schemas.microsoft.com/office/spreadsheetml/2016/revision6" '
            'xmlns:xr10="http://schemas.microsoft.com/office/spreadsheetml/2016/revision10">'
            '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27928"/>'
        ).encode(),
        data,
        count=1,
    )
    data = data.replace(
        b"<bookViews>",
        (
            f'<mc:AlternateContent xmlns:mc="{MC}"><mc:Choice Requires="x15"><x15ac:absPath '
            'url="C:\\Users\\cliente\\Documents\\" xmlns:x15ac="http://schemas.microsoft.com/office/'
            'spreadsheetml/2010/11/ac"/></mc:Choice></mc:AlternateContent><xr:revisionPtr '
            'revIDLastSave="0" documentId="8_{6B0E3A4C-1D2E-4F5A-9B8C-7D6E5F4A3B2C}" '
            'xr6:coauthVersionLast="47" xr6:coauthVersionMax="47" '
            'xr10:uidLastSave="{00000000-0000-0000-0000-000000000000}"/><bookViews>'
        ).encode(),
        1,
    )
    data = re.sub(
        rb"<workbookView\b",
        b'<workbookView xr2:uid="{00000000-000D-0000-FFFF-FFFF00000000}"',
        data,
        count=1,
    )
    data = re.sub(rb"<workbookView([^>]*?) />", rb"<workbookView\1/>", data)
    return data.replace(b"</workbook>", b'<calcPr calcId="191029"/></workbook>')


def _worksheet(data: bytes, form: bool) -> bytes:
    data = re.sub(
        rb"<worksheet\b[^>]*>",
        (
            f'<worksheet xmlns="{MAIN}" xmlns:r="{DOC}" xmlns:mc="{MC}" mc:Ignorable="x14ac xr xr2 '
            f'xr3" xmlns:x14ac="{X14AC}" xmlns:xr="{XR}" xmlns:xr2="{XR2}" xmlns:xr3="{XR3}" '
            'xr:uid="{00000000-0001-0000-0000-000000000000}">'
        ).encode(),
        data,
        count=1,
    )
    data = re.sub(rb"<row r=\"([0-9]+)\"", rb'<row r="\1" spans="1:8" x14ac:dyDescent="0.25"', data)
    data = data.replace(b"<sheetFormatPr ", b'<sheetFormatPr x14ac:dyDescent="0.25" ', 1)
    if form:
        data = re.sub(rb"<pageSetup\b([^>]*?)\s*/>", rb'<pageSetup\1 r:id="rId1"/>', data, count=1)
        data = data.replace(
            b"</worksheet>",
            (
                f'<extLst><ext uri="{{CCE6A557-97BC-4b89-ADB8-52A7C1E8E5A1}}" xmlns:x14="{X14}">'
                f'<x14:dataValidations count="1" xmlns:xm="{XM}"><x14:dataValidation type="list" '
                'allowBlank="1" showInputMessage="1" showErrorMessage="1" '
                'xr:uid="{3F1A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8}"><x14:formula1><xm:f>_msp!$B$1:$B$2'
                "</xm:f></x14:formula1><xm:sqref>D14</xm:sqref></x14:dataValidation>"
                "</x14:dataValidations></ext></extLst></worksheet>"
            ).encode(),
        )
    return data


def _notes(parts: dict[str, bytes]) -> None:
    """The client's own note on the form (Excel's legacy note with its VML) and a threaded
    comment, as Excel 365 saves both; printer settings beside them."""
    sheet = "xl/worksheets/sheet1.xml"
    _add(
        parts,
        "xl/printerSettings/printerSettings1.bin",
        PRINTER_SETTINGS.decode("latin-1"),
        None,
        (sheet, "rId1", f"{DOC}/printerSettings", "../printerSettings/printerSettings1.bin"),
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
        b"</Types>",
        (
            b'<Default Extension="bin" ContentType="application/vnd.openxmlformats-officedocument.'
            b'spreadsheetml.printerSettings"/><Default Extension="vml" ContentType="application/'
            b'vnd.openxmlformats-officedocument.vmlDrawing"/></Types>'
        ),
    )
    thread = "[Threaded comment]\n\nSu versión de Excel le permite leer este comentario."
    _add(
        parts,
        "xl/comments1.xml",
        (
            f'<comments xmlns="{MAIN}" xmlns:mc="{MC}" mc:Ignorable="xr" xmlns:xr="{XR}">'
            "<authors><author>tc={2B5C4E1A-0F3D-4C2B-9A8E-1D2C3B4A5F60}</author></authors>"
            f'<commentList><comment ref="{NOTE_CELL}" authorId="0" shapeId="0" '
            'xr:uid="{2B5C4E1A-0F3D-4C2B-9A8E-1D2C3B4A5F60}"><text><t xml:space="preserve">'
            f"{escape(thread)}</t></text></comment></commentList></comments>"
        ),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml",
        (sheet, "rId3", f"{DOC}/comments", "../comments1.xml"),
    )
    _add(
        parts,
        "xl/drawings/vmlDrawing1.vml",
        VML_NOTE,
        None,
        (sheet, "rId2", f"{DOC}/vmlDrawing", "../drawings/vmlDrawing1.vml"),
    )
    parts["xl/drawings/vmlDrawing1.vml"] = VML_NOTE.encode()  # no XML declaration, as Excel
    _add(
        parts,
        "xl/threadedComments/threadedComment1.xml",
        (
            '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
            'threadedcomments" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<threadedComment ref="{NOTE_CELL}" dT="2026-11-20T10:00:00.00" '
            'personId="{6A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9}" '
            'id="{2B5C4E1A-0F3D-4C2B-9A8E-1D2C3B4A5F60}"><text>Revisado por el equipo.</text>'
            "</threadedComment></ThreadedComments>"
        ),
        "application/vnd.ms-excel.threadedcomments+xml",
        (sheet, "rId4", f"{MS_RELS}/threadedComment", "../threadedComments/threadedComment1.xml"),
    )
    _add(
        parts,
        "xl/persons/person.xml",
        (
            '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/'
            'threadedcomments" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<person displayName="Ana Pérez" id="{6A1B2C3D-4E5F-4061-8273-94A5B6C7D8E9}" '
            'userId="ana@acme.es" providerId="None"/></personList>'
        ),
        "application/vnd.ms-excel.person+xml",
        ("xl/workbook.xml", "rId92", f"{MS_RELS}/person", "persons/person.xml"),
    )
    data = parts[sheet]
    at = data.find(b"<extLst")
    parts[sheet] = data[:at] + b'<legacyDrawing r:id="rId2"/>' + data[at:]
