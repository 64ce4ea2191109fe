"""The zip package of an .xlsx file: its namespaces and content types, its parts read once, the
XML check every part passes, and relationships (read and written)."""

from __future__ import annotations

import functools
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from io import BytesIO
from typing import NamedTuple, TypeVar
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


# The parts most packages of a campaign share byte for byte (those of our template, or of one
# Excel: styles, theme, workbook, relationships) are parsed, checked, edited and compressed once
# per process. Small parts only, and a few: the memory this keeps is bounded, whatever the batch.
SHARED_PART_BYTES = 64 * 1024
SHARED_PARTS = 16


class DeclinedError(Exception):
    """The package is outside what the fast reader handles; openpyxl reads it instead."""


class SpliceDeclinedError(Exception):
    """The package is not one the splice's edits are sure to keep valid."""


class Inflated(Mapping[str, bytes]):
    """The entries of a zip package by name, each inflated the first time it is asked for (and
    kept); the compressed bytes of an entry as the package holds them (``raw``)."""

    def __init__(self, package: bytes, archive: zipfile.ZipFile) -> None:
        self._package = package
        self._archive = archive
        self._infos = {info.filename: info for info in archive.infolist()}
        self._read: dict[str, bytes] = {}

    def __getitem__(self, name: str) -> bytes:
        found = self._read.get(name)
        if found is None:
            info = self._infos[name]
            found = _inflated(self.raw(name, header_name=info.orig_filename))
            if found is None:  # anything unusual: zipfile reads it (or says what is wrong)
                found = self._archive.read(info)
            self._read[name] = found
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)

    def __contains__(self, name: object) -> bool:
        return name in self._infos

    def inflated(self, name: str) -> bool:
        """Whether ``name`` has been inflated (so read, and its CRC checked)."""
        return name in self._read

    def raw(self, name: str, *, header_name: str | None = None) -> Compressed | None:
        """The entry compressed as the package holds it, to be copied as it is; None when it
        cannot be (encrypted, or compressed other than stored or deflated, which Excel reads),
        or when its local header does not name it ``header_name`` (when given)."""
        info = self._infos[name]
        if info.flag_bits & _UNUSUAL_FLAGS or info.compress_type not in RAW_METHODS:
            return None
        start = info.header_offset
        header = self._package[start : start + LOCAL_HEADER_SIZE]
        if len(header) < LOCAL_HEADER_SIZE or header[:4] != b"PK\x03\x04":
            return None
        flags, name_length, extra_length = struct.unpack("<H18xHH", header[6:30])
        if header_name is not None:
            encoded = self._package[
                start + LOCAL_HEADER_SIZE : start + LOCAL_HEADER_SIZE + name_length
            ]
            utf8 = flags & 0x800  # as zipfile decodes names (we never give it an encoding)
            try:
                if encoded.decode("utf-8" if utf8 else "cp437") != header_name:
                    return None
            except UnicodeDecodeError:
                return None
        begin = start + LOCAL_HEADER_SIZE + name_length + extra_length
        data = self._package[begin : begin + info.compress_size]
        if len(data) != info.compress_size:
            return None
        return Compressed(info.compress_type, info.CRC, info.file_size, data)


def _inflated(entry: Compressed | None) -> bytes | None:
    """The bytes of an entry inflated, when its stream ends where its size says and its CRC is
    the one recorded (then zipfile reads the same bytes); None otherwise: zipfile decides. The
    small parts of a campaign's packages that are the same bytes are inflated once."""
    if entry is None:
        return None
    if len(entry.data) > SHARED_PART_BYTES:
        return _inflate(entry)
    return _shared_inflate(entry)


def _inflate(entry: Compressed) -> bytes | None:
    if entry.method == zipfile.ZIP_STORED:
        data = entry.data
    else:
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(entry.data, entry.size + 1)
        except zlib.error:
            return None
        if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
            return None
    if len(data) != entry.size or zlib.crc32(data) != entry.crc:
        return None
    return data


_shared_inflate = functools.lru_cache(maxsize=SHARED_PARTS)(_inflate)


class Compressed(NamedTuple):
    """An entry's bytes compressed, with what its zip records say of them."""

    method: int
    crc: int
    size: int  # uncompressed
    data: bytes


RAW_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_UNUSUAL_FLAGS = 0x1 | 0x20 | 0x40  # encrypted, compressed patch data, strong encryption
LOCAL_HEADER_SIZE = 30  # a zip local file header before its name and extra field


@dataclass(frozen=True)
class Parts:
    """Every entry of a zip package, read once: the reader and the splice share them, and the
    trees of the XML parts either has parsed."""

    infos: list[zipfile.ZipInfo]
    data: Mapping[str, bytes]
    trees: dict[str, ElementTree.Element] = field(default_factory=dict, compare=False)
    # The parts differ from the file's: a Strict package in transitional form (strict.py), a
    # template typed as a workbook, entry names written with backslashes.
    rewritten: bool = False

    def raw(self, name: str) -> Compressed | None:
        """Part ``name`` compressed as the file holds it (``Inflated.raw``), when it is there
        unchanged."""
        if self.rewritten or not isinstance(self.data, Inflated):
            return None
        return self.data.raw(name)

    def zipped(self) -> bytes:
        """The parts as a package again (what openpyxl reads when the parts were rewritten)."""
        out = BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
            for info in self.infos:
                target.writestr(info.filename, self.data[info.filename])
        return out.getvalue()

    def tree(self, part: str) -> ElementTree.Element:
        """``part`` parsed, once. Parse only what is free of DTDs (``without_dtd`` or
        ``check_xml``). Never changed: a part with the same bytes as one of an earlier package
        shares its tree (``parsed``)."""
        if part not in self.trees:
            self.trees[part] = parsed(self.data[part])
        return self.trees[part]


def unzip(
    package: bytes, *, lazy: bool = False, archive: zipfile.ZipFile | None = None
) -> Parts | None:
    """The parts of ``package`` (a Strict package as its transitional twin, see strict.py), or
    None when it is not a zip file that can be read whole; ``archive``: ``package`` opened as a
    zip file already (``open_zip``), taken over.

    ``lazy``: each part is inflated when it is first asked for, for a package read before whose
    unchanged parts are copied as they are (a broken entry then fails where it is read).
    """
    try:
        source = archive or zipfile.ZipFile(BytesIO(package))
        infos = source.infolist()
        renamed = False
        for info in infos:  # «xl\\workbook.xml», as some Windows zip tools write names
            renamed = renamed or "\\" in info.filename
            info.filename = info.filename.replace("\\", "/")
        inflated = Inflated(package, source)
        data: Mapping[str, bytes] = inflated
        if renamed:
            data = {name: inflated[name] for name in inflated}
        elif not lazy:
            for name in inflated:  # every entry read now: a broken one fails here
                inflated[name]
    except Exception:  # a broken archive: openpyxl says what is wrong with it
        return None
    normal = as_workbook(to_transitional(data))
    return Parts(infos, normal, rewritten=renamed or normal is not data)


def open_zip(package: bytes) -> zipfile.ZipFile | None:
    """``package`` opened as a zip file (its directory read), or None when it is not one."""
    try:
        return zipfile.ZipFile(BytesIO(package))
    except Exception:  # not a zip file, or a broken one: who reads it says what is wrong
        return None


# A template («Plantilla de Excel», .xltx/.xltm) saved under an .xlsx name: read, and sent back, as
# the workbook it is (Excel refuses an .xlsx whose main part says template).
_TEMPLATE_TYPES = (
    (
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
        WORKBOOK_TYPES[0].encode(),
    ),
    (b"application/vnd.ms-excel.template.macroEnabled.main+xml", WORKBOOK_TYPES[1].encode()),
)


def as_workbook(data: Mapping[str, bytes]) -> Mapping[str, bytes]:
    """A package's parts with a template's main part typed as a workbook's."""
    types = data.get("[Content_Types].xml", b"")
    if not any(template in types for template, _ in _TEMPLATE_TYPES):
        return data
    for template, workbook in _TEMPLATE_TYPES:
        types = types.replace(template, workbook)
    return {**data, "[Content_Types].xml": types}


Result = TypeVar("Result")


def once_per_part(work: Callable[[bytes], Result]) -> Callable[[bytes], Result]:
    """``work`` on a part's bytes, done once for the same bytes of a small part (its result is
    shared: no caller may change it); a call that raises is not kept, so it raises again."""
    cached = functools.lru_cache(maxsize=SHARED_PARTS)(work)

    @functools.wraps(work)
    def call(raw: bytes) -> Result:
        return cached(raw) if len(raw) <= SHARED_PART_BYTES else work(raw)

    return call


@once_per_part
def parsed(raw: bytes) -> ElementTree.Element:
    """``raw`` parsed, the same tree for the same bytes (which no caller changes)."""
    return ElementTree.fromstring(raw)


def check_xml(raw: bytes) -> None:
    """Raise unless ``raw`` is well-formed, namespace-valid XML without a DTD (so without
    entities), in any encoding: the parser itself sees the declaration, as defusedxml's does, and
    every prefix must be declared where it is used. Bytes that passed once pass again at once,
    and so do the rows of a worksheet (``_check_by_rows``)."""
    if not _BY_ROWS_FROM <= len(raw) <= _BY_ROWS_UP_TO or not _check_by_rows(raw):
        _check_whole(raw)


@once_per_part
def _check_whole(raw: bytes) -> None:
    def refuse(*_: object) -> None:
        raise DeclinedError("a DTD or an entity declaration")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.Parse(raw, True)  # checks, builds nothing


# A worksheet of a campaign's workbooks is mostly rows every copy has (the template's texts, an
# answer of 1 to 5 and its points): checked once per process, with the same namespaces in scope.
_BY_ROWS_FROM = 8 * 1024  # bytes: a smaller part is checked whole
_BY_ROWS_UP_TO = 4 * 1024 * 1024  # and a bigger one too (no copies of its rows in memory)
_ATTRIBUTES = rb"""(?:\s+[^\s=<>/]+\s*=\s*(?:"[^"<>]*"|'[^'<>]*'))*\s*>"""
_WORKSHEET_START = re.compile(
    rb"(?:\xef\xbb\xbf)?(?:<\?xml(?P<declaration>[^<>]*)\?>)?\s*(?P<tag><worksheet\b"
    + _ATTRIBUTES
    + b")"
)
_UTF8 = re.compile(rb"""encoding\s*=\s*["']utf-?8["']""", re.IGNORECASE)
_SHEET_DATA_START = re.compile(rb"<sheetData\b" + _ATTRIBUTES)
_ROW_START = re.compile(rb"\s*<row\b" + _ATTRIBUTES)  # not «<row/>» (the space: parsed)
_XML_SPACE = b" \t\r\n"
_CHECKED_ROWS: dict[bytes, set[bytes]] = {}  # the start tags rows are inside → rows that passed
_CHECKED_ROW_BYTES = 2048  # kept: rows of up to 2 KB, 8 192 of them before starting again
_CHECKED_ROWS_MAX = 8192


def worksheet_start(raw: bytes) -> re.Match[bytes] | None:
    """Where a worksheet part written the plain way starts: its root's start tag (group «tag»),
    when the part is UTF-8 (declared so, or no encoding declared), the root a «worksheet» without
    prefix and nothing in that tag's quoted values a «<» or «>»; None otherwise (the part is then
    read and checked the general way)."""
    root = _WORKSHEET_START.match(raw)
    if root is None:
        return None
    declaration = root["declaration"]
    if declaration is not None and b"encoding" in declaration and not _UTF8.search(declaration):
        return None
    return root


def _check_by_rows(raw: bytes) -> bool:
    """Whether ``raw``, a worksheet, is well formed by its parts: the document without the rows
    (the same in most copies: checked once), and each row not seen before, inside the start tags
    of the worksheet and sheetData (the only elements above a row, whose namespace declarations
    are the ones in scope). False when that cannot say (another encoding, an unusual layout, a
    row that does not pass): the whole document is checked then.

    Sound because well-formed element content is well-formed wherever it is put in scope of the
    same declarations, and the rows are: each starts with one «<row …>» (not self-closing), holds
    no other «<row» and ends at its «</row>», so it is one element, closed where it ends.
    """
    root = worksheet_start(raw)
    start = raw.find(b"<sheetData")
    end = raw.find(b"</sheetData>")
    if root is None or start < 0 or end < start or raw.find(b"<sheetData", start + 1) >= 0:
        return False
    data = _SHEET_DATA_START.match(raw, start)
    if data is None or raw.find(b"</sheetData>", end + 1) >= 0:
        return False
    rows = raw[data.end() : end].split(b"</row>")
    if rows[-1].strip(_XML_SPACE):  # after the last row, only what XML calls white space
        return False
    inside = root["tag"] + data.group()
    known = _CHECKED_ROWS.get(inside, set())
    new = [row for row in rows[:-1] if row not in known]
    if any(row.count(b"<row") != 1 or _ROW_START.match(row) is None for row in new):
        return False
    try:
        if new:
            _check_whole(inside + b"</row>".join(new) + b"</row></sheetData></worksheet>")
        _check_whole(raw[: data.end()] + raw[end:])
    except (expat.ExpatError, DeclinedError):
        return False
    if sum(map(len, _CHECKED_ROWS.values())) + len(new) > _CHECKED_ROWS_MAX:
        _CHECKED_ROWS.clear()
    _CHECKED_ROWS.setdefault(inside, set()).update(r for r in new if len(r) <= _CHECKED_ROW_BYTES)
    return True


_DECLARED_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""
)
# Encodings in which «<!DOCTYPE» and «<!ENTITY» are those very bytes (ASCII is ASCII in them).
_ASCII_BASED = frozenset(
    {
        b"utf-8",
        b"utf8",
        b"us-ascii",
        b"ascii",
        b"iso-8859-1",
        b"latin-1",
        b"latin1",
        b"windows-1252",
        b"cp1252",
    }
)


def without_dtd(raw: bytes) -> bool:
    """Whether ``raw`` surely declares no DTD and no entity, by a look at its bytes: an XML
    document in UTF-8 or another encoding where ASCII is ASCII, without «<!DOCTYPE» or
    «<!ENTITY». False when unsure (UTF-16, an encoding declared that is not one of those):
    ``check_xml`` decides then."""
    if not raw.startswith((b"<", b"\xef\xbb\xbf<")):
        return False
    declared = _DECLARED_ENCODING.match(raw)  # the whole declaration: it ends at its «>»
    if declared is not None and declared.group(1).lower() not in _ASCII_BASED:
        return False
    return b"<!DOCTYPE" not in raw and b"<!ENTITY" not in raw


@functools.lru_cache(maxsize=1024)
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


@functools.lru_cache(maxsize=1024)  # the same few part names in every copy (relpath asks the OS)
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
