"""The notes we attach to marked cells: a comments part and its VML shapes (Excel shows a note
only when both are there), new or added to the ones a sheet already has.

VML shape ids are unique across the whole workbook, in blocks of 1,024 that each drawing claims
in its ``<o:idmap data="…">``, no block claimed twice: ours start a block above every id and block
the workbook uses, and the drawing that holds them claims it.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

from msp_assessment.processing.ooxml.package import SpliceDeclinedError, insert_before
from msp_assessment.text import clean_text, xml_escape

COMMENT_SIZE = (320, 140)  # width, height of the note that shows a problem
VML = "urn:schemas-microsoft-com:vml"
BLOCK = 1024  # shape ids per idmap block
_SHAPE_ID = re.compile(rb"""\bid=["']_x0000_s([0-9]+)["']""")
_IDMAP = re.compile(rb"""(<(?:\w+:)?idmap\b[^>]*?\bdata=["'])([0-9, ]*)(["'])""")
_AUTHOR = re.compile(rb"<author[\s/>]")
_SHAPETYPE_202 = re.compile(rb"""\bid=["']_x0000_t202["']""")


def comments_parts(messages: dict[str, str], author: str) -> tuple[bytes, bytes]:
    """(comments part, VML shapes part) for one sheet: a note with each message at its cell,
    as openpyxl writes them (shape ids still to be placed with ``place_shapes``)."""
    from openpyxl.comments.comment_sheet import CommentRecord, CommentSheet

    records = []
    for coord, message in messages.items():
        record = CommentRecord(ref=coord, author=author, height=COMMENT_SIZE[1])
        record.width = COMMENT_SIZE[0]
        record.text.t = clean_text(message)
        records.append(record)
    sheet = CommentSheet.from_comments(records)  # type: ignore[no-untyped-call]
    shapes = sheet.write_shapes()
    return ElementTree.tostring(sheet.to_tree()), (
        shapes if isinstance(shapes, bytes) else shapes.encode()
    )


def first_free_id(vml_parts: list[bytes]) -> int:
    """The first shape id of the first block above every id and block the drawings use."""
    highest = 0
    for data in vml_parts:
        highest = max([highest, *(int(n) for n in _SHAPE_ID.findall(data))])
        for claim in _IDMAP.finditer(data):
            blocks = [int(b) for b in claim.group(2).replace(b" ", b"").split(b",") if b]
            highest = max([highest, *(BLOCK * b for b in blocks)])
    return (highest // BLOCK + 1) * BLOCK + 1


def place_shapes(vml: bytes, first_id: int) -> bytes:
    """Our VML part with its shapes numbered from ``first_id`` on, claiming their blocks."""
    numbered = _number(vml, first_id)
    count = len(_SHAPE_ID.findall(vml))
    blocks = _blocks(first_id, count)
    return _IDMAP.sub(lambda m: m.group(1) + blocks + m.group(3), numbered, count=1)


def add_shapes(existing: bytes, ours: bytes, first_id: int) -> bytes:
    """The sheet's own VML part with our note shapes (numbered from ``first_id``) added, and the
    blocks of their ids claimed in its idmap."""
    claim = _IDMAP.search(existing)
    if claim is None or b"</xml>" not in existing:
        raise SpliceDeclinedError("a VML drawing not in the expected form")
    root = ElementTree.fromstring(_number(ours, first_id))
    elements = [ElementTree.tostring(shape) for shape in root.iter(f"{{{VML}}}shape")]
    if not _SHAPETYPE_202.search(existing):  # the note shape type ours refer to
        elements = [ElementTree.tostring(t) for t in root.iter(f"{{{VML}}}shapetype")] + elements
    count = len(elements)
    held = [b for b in claim.group(2).replace(b" ", b"").split(b",") if b]
    wanted = held + [b for b in _blocks(first_id, count).split(b",") if b not in held]
    data = existing[: claim.start(2)] + b",".join(wanted) + existing[claim.end(2) :]
    return insert_before(data, b"</xml>", b"".join(elements))


def add_comments(existing: bytes, messages: dict[str, str], author: str) -> bytes:
    """The sheet's own comments part with ``author`` listed and a note with each message; a cell
    that has a note already is left to the openpyxl route."""
    if b"</authors>" not in existing or b"</commentList>" not in existing:
        raise SpliceDeclinedError("a comments part not in the expected form")
    for coord in messages:
        if re.search(rb"""\sref=["']""" + coord.encode() + rb"""["']""", existing):
            raise SpliceDeclinedError(f"{coord} has a note already")
    authors = existing[: existing.index(b"</authors>")]
    author_id = len(_AUTHOR.findall(authors))
    data = insert_before(existing, b"</authors>", f"<author>{xml_escape(author)}</author>".encode())
    notes = "".join(
        f'<comment ref="{coord}" authorId="{author_id}" shapeId="0"><text>'
        f'<t xml:space="preserve">{xml_escape(clean_text(message))}</t></text></comment>'
        for coord, message in messages.items()
    )
    return insert_before(data, b"</commentList>", notes.encode())


def _number(vml: bytes, first_id: int) -> bytes:
    counter = iter(range(first_id, first_id + 1_000_000))
    return _SHAPE_ID.sub(lambda _: b'id="_x0000_s%d"' % next(counter), vml)


def _blocks(first_id: int, count: int) -> bytes:
    """The idmap data that claims ids first_id … first_id + count - 1."""
    first, last = first_id // BLOCK, (first_id + max(count, 1) - 1) // BLOCK
    return b",".join(b"%d" % b for b in range(first, last + 1))
