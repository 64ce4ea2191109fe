"""The zip package of an .xlsx file: its namespaces and content types, its parts read once, the
XML check every part passes, and relationships (read and written)."""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from xml.etree import ElementTree
from xml.parsers import expat

from msp_assessment.processing.ooxml.strict import to_transitional

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
CUSTOM_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"

WORKBOOK_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
)
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
DRAWING_TYPE = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_TYPE = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
COMMENTS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
VML_TYPE = "application/vnd.openxmlformats-officedocument.vmlDrawing"

WORKSHEET_REL = DOC_RELS + "/worksheet"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


class DeclinedError(Exception):
    """The package is outside what the fast reader handles; openpyxl reads it instead."""


class SpliceDeclinedError(Exception):
    """The package is not one the splice's edits are sure to keep valid."""


@dataclass(frozen=True)
class Parts:
    """Every entry of a zip package, read once: the reader and the splice share them, and the
    trees of the XML parts either has parsed."""

    infos: list[zipfile.ZipInfo]
    data: dict[str, bytes]
    trees: dict[str, ElementTree.Element] = field(default_factory=dict, compare=False)
    # The parts differ from the file's: a Strict package in transitional form (strict.py), a
    # template typed as a workbook, entry names written with backslashes.
    rewritten: bool = False

    def zipped(self) -> bytes:
        """The parts as a package again (what openpyxl reads when the parts were rewritten)."""
        out = BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
            for info in self.infos:
                target.writestr(info.filename, self.data[info.filename])
        return out.getvalue()

    def tree(self, part: str) -> ElementTree.Element:
        """``part`` parsed, once. Parse only what ``check_xml`` has passed."""
        if part not in self.trees:
            self.trees[part] = ElementTree.fromstring(self.data[part])
        return self.trees[part]


def unzip(package: bytes) -> Parts | None:
    """The parts of ``package`` (a Strict package as its transitional twin, see strict.py), or
    None when it is not a zip file that can be read whole."""
    try:
        with zipfile.ZipFile(BytesIO(package)) as source:
            infos = source.infolist()
            renamed = False
            for info in infos:  # «xl\\workbook.xml», as some Windows zip tools write names
                renamed = renamed or "\\" in info.filename
                info.filename = info.filename.replace("\\", "/")
            data = {info.filename: source.read(info) for info in infos}
    except Exception:  # a broken archive: openpyxl says what is wrong with it
        return None
    normal = as_workbook(to_transitional(data))
    return Parts(infos, normal, rewritten=renamed or normal is not data)


# A template («Plantilla de Excel», .xltx/.xltm) saved under an .xlsx name: read, and sent back, as
# the workbook it is (Excel refuses an .xlsx whose main part says template).
_TEMPLATE_TYPES = (
    (
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        WORKBOOK_TYPES[0].encode(),
    ),
    (b"application/vnd.ms-excel.template.macroEnabled.main+xml", WORKBOOK_TYPES[1].encode()),
)


def as_workbook(data: dict[str, bytes]) -> dict[str, bytes]:
    """A package's parts with a template's main part typed as a workbook's."""
    types = data.get("[Content_Types].xml", b"")
    if not any(template in types for template, _ in _TEMPLATE_TYPES):
        return data
    for template, workbook in _TEMPLATE_TYPES:
        types = types.replace(template, workbook)
    return {**data, "[Content_Types].xml": types}


def check_xml(raw: bytes) -> None:
    """Raise unless ``raw`` is well-formed, namespace-valid XML without a DTD (so without
    entities), in any encoding: the parser itself sees the declaration, as defusedxml's does, and
    every prefix must be declared where it is used."""

    def refuse(*_: object) -> None:
        raise DeclinedError("a DTD or an entity declaration")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.Parse(raw, True)  # checks, builds nothing


def rels_part(part: str) -> str:
    """Where the relationships of ``part`` are: xl/_rels/workbook.xml.rels for xl/workbook.xml."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def relationship_targets(rels: ElementTree.Element, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target) from the .rels tree of ``part``; targets inside the
    package as part names, external ones (links) as written."""
    folder = posixpath.dirname(part)
    found: dict[str, tuple[str, str]] = {}
    for rel in rels.iter(f"{{{RELS}}}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            path = target
        elif target.startswith("/"):
            path = target[1:]
        else:
            path = posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return found


def relative(part: str, source: str) -> str:
    """``part`` as a relationship of ``source`` names it (relative to source's folder)."""
    return posixpath.relpath(part, posixpath.dirname(source) or ".")


Relationship = tuple[str, str, str]  # id, type, target


def relationships_part(rels: list[Relationship]) -> bytes:
    """A new .rels part listing ``rels``."""
    return (
        f'{XML_DECLARATION}<Relationships xmlns="{RELS}">{_relationship_elements(rels)}'
        "</Relationships>"
    ).encode()


def add_relationships(data: bytes, rels: list[Relationship]) -> bytes:
    """The .rels part ``data`` with ``rels`` added at its end."""
    return insert_before(data, b"</Relationships>", _relationship_elements(rels).encode())


def add_overrides(content_types: bytes, overrides: list[tuple[str, str]]) -> bytes:
    """[Content_Types].xml with an Override for each (part, content type)."""
    lines = "".join(
        f'<Override PartName="/{part}" ContentType="{kind}"/>' for part, kind in overrides
    )
    return insert_before(content_types, b"</Types>", lines.encode())


def add_default(content_types: bytes, extension: str, kind: str) -> bytes:
    """[Content_Types].xml with a Default for ``extension``, unless it has one already."""
    found = f'Extension="{extension}"'.encode(), f"Extension='{extension}'".encode()
    if any(f.lower() in content_types.lower() for f in found):
        return content_types
    default = f'<Default Extension="{extension}" ContentType="{kind}"/>'.encode()
    return insert_before(content_types, b"</Types>", default)


def remove_relationship(data: bytes, rel_id: str) -> bytes:
    """The .rels part ``data`` without relationship ``rel_id``."""
    found = re.compile(
        rb"""<Relationship\b[^>]*\sId=["']""" + re.escape(rel_id.encode()) + rb"""["'][^>]*/>"""
    )
    if len(found.findall(data)) != 1:
        raise SpliceDeclinedError(f"relationship {rel_id} not found once")
    return found.sub(b"", data)


def remove_override(content_types: bytes, part: str) -> bytes:
    """[Content_Types].xml without the Override of ``part``."""
    name = re.escape(f"/{part}".encode())
    found = re.compile(rb"""<Override\b[^>]*\sPartName=["']""" + name + rb"""["'][^>]*/>""")
    return found.sub(b"", content_types)


def insert_before(data: bytes, closing: bytes, content: bytes) -> bytes:
    """``content`` inserted before the one ``closing`` tag of ``data``."""
    if data.count(closing) != 1:
        raise SpliceDeclinedError(f"{closing!r} not found once")
    return data.replace(closing, content + closing)


def _relationship_elements(rels: list[Relationship]) -> str:
    return "".join(
        f'<Relationship Id="{i}" Type="{kind}" Target="{target}"/>' for i, kind, target in rels
    )
