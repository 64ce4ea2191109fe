"""The report's embedded fonts, with PDF objects built once per process instead of once per page.

reportlab subsets a TrueType font for each document: it gives every character a code in the
order the document first uses it, and when the document is saved it builds the subset's font
program, its widths and its ToUnicode map, and compresses them. For our one-page report that was
more than half of the cost of the page.

Here every document first claims the same characters in the same order (:meth:`FixedFont.claim`):
printable ASCII, every character of the instrument's texts and the Spanish letters and signs.
A report then uses one subset, the same in every document, so its objects are made once and
copied into each document, and a text drawn in one document is encoded the same in the next
(the report caches the drawn text on that basis). A report that needs a character outside the
claimed ones (a company called «Façade») gets it added to its subset, and that subset is built
once too. More than 256 characters take reportlab's own path.
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import Any

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.ttfonts import (
    FF_NONSYMBOLIC,
    FF_SYMBOLIC,
    SUBSETN,
    TTFont,
    makeToUnicodeCMap,
)

# The letters and signs of Spain's languages that a company or contact name may use, beyond the
# instrument's own text: Spanish, Catalan (à è ò ï ç l·l), Galician and Basque.
SPANISH = "ÁÉÍÓÚÜÑáéíóúüñÀÈÒÏÇàèòïç¿¡«»—–÷ºª€·“”‘’…"


class _Formatted(pdfdoc.PDFObject):
    """A PDF value already written out (the subset's widths, which never change)."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def format(self, document: Any) -> bytes:
        return self.data


def _flate(content: bytes, **entries: Any) -> pdfdoc.PDFStream:
    """A stream whose content is already compressed: reportlab leaves a stream alone when its
    dictionary names its filter."""
    stream = pdfdoc.PDFStream(content=content)
    stream.dictionary["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
    for key, value in entries.items():
        stream.dictionary[key] = value
    return stream


class FixedFont(TTFont):
    """A TrueType font whose characters get the same codes in every document."""

    def __init__(self, name: str, filename: str, claimed: str) -> None:
        super().__init__(name, filename)
        self.claimed = "".join(dict.fromkeys(" " + claimed))
        self._claimed_set = frozenset(self.claimed)
        self._parts = lru_cache(maxsize=64)(self._make_parts)

    def claim(self, doc: Any) -> None:
        """Give the claimed characters their codes in ``doc``, before anything is drawn."""
        self.splitString(self.claimed, doc)
        self.getSubsetInternalName(0, doc)

    def covers(self, text: str) -> bool:
        """Whether ``text`` has only claimed characters: it is encoded alike in every document."""
        return set(text) <= self._claimed_set

    def _make_parts(self, subset: tuple[int, ...]) -> tuple[str, bytes, int, bytes, bytes]:
        face: Any = self.face
        base = b"".join((SUBSETN(0), b"+", face.name, face.subfontNameX)).decode("pdfdoc")
        program = face.makeSubset(list(subset))
        widths = pdfdoc.PDFArray([face.getCharWidth(code) for code in subset]).format(None)
        cmap = makeToUnicodeCMap(base, list(subset)).encode("latin-1")
        return base, zlib.compress(program, 9), len(program), zlib.compress(cmap, 9), widths

    def addObjects(self, doc: Any) -> None:  # noqa: N802 (reportlab's name)
        state = self.state.get(doc)
        if state is None or len(state.subsets) != 1:
            super().addObjects(doc)
            return
        subset = state.subsets[0]
        base, program, length, cmap, widths = self._parts(tuple(subset))
        face = self.face
        program_ref = doc.Reference(
            _flate(program, Length1=length), f"fontFile:{face.filename}({base})"
        )
        descriptor = pdfdoc.PDFDictionary(
            {
                "Type": "/FontDescriptor",
                "Ascent": face.ascent,
                "CapHeight": face.capHeight,
                "Descent": face.descent,
                "Flags": (face.flags & ~FF_NONSYMBOLIC) | FF_SYMBOLIC,
                "FontBBox": pdfdoc.PDFArray(face.bbox),
                "FontName": pdfdoc.PDFName(base),
                "ItalicAngle": face.italicAngle,
                "StemV": face.stemV,
                "FontFile2": program_ref,
                "MissingWidth": face.defaultWidth,
            }
        )
        internal = self.getSubsetInternalName(0, doc)[1:]
        font: Any = pdfdoc.PDFTrueTypeFont()  # reportlab sets its entries as attributes
        font.Name = internal
        font.BaseFont = base
        font.FirstChar = 0
        font.LastChar = len(subset) - 1
        font.Widths = _Formatted(widths)
        font.ToUnicode = doc.Reference(_flate(cmap), f"toUnicodeCMap:{base}")
        font.FontDescriptor = doc.Reference(descriptor, f"fontDescriptor:{base}")
        doc.Reference(font, internal)
        doc.idToObject["BasicFonts"].dict[internal] = font
        del self.state[doc]
