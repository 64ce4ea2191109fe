"""The notes we attach to marked cells: a comments part and its VML shapes, as openpyxl writes
them (Excel shows a note only when both are there)."""

from __future__ import annotations

from xml.etree import ElementTree

from msp_assessment.workbook_templates.cells import clean_text

COMMENT_SIZE = (320, 140)  # width, height of the note that shows a problem


def comments_parts(messages: dict[str, str], author: str) -> tuple[bytes, bytes]:
    """(comments part, VML shapes part) for one sheet: a note with each message at its cell."""
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
