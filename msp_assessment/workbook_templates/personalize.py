"""Personalized workbooks by the thousand: the template is built once, each client's copy is its
bytes with the client's texts put in.

Building the template with openpyxl costs about 0.15 s (styles, merges, validations); a campaign
of 100 000 clients would spend four hours on it. The workbook of one client differs from the next
only in four texts, which openpyxl writes as inline strings in the form sheet (the id also in the
hidden metadata sheet and the custom document properties). So the template is built once with a
marker in each client field, and a client's workbook is the same package with the markers
replaced by the client's texts, escaped for XML as openpyxl stores them (``set_text``: control
characters dropped, cut to a cell's 32 767 characters); a field left empty (a contact) is an
empty cell, as openpyxl writes it. The result reads back as the openpyxl-built
workbook of the same client does (tests/test_personalize.py compares them cell by cell).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from msp_assessment._zip import Entry, zip_package
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.text import clean_text, xml_escape
from msp_assessment.workbook_templates.template import TemplateOptions, build_template

# One marker per field the list fills. Filled in one pass (``_FILL``), so a client's text is never
# scanned again, whatever it holds.
MARKERS = {key: f"msp-marca-{key}-5c1e9a" for key in ("id", "company", "contact", "email")}
EXPECTED = {"id": 3, "company": 1, "contact": 1, "email": 1}  # where openpyxl writes each


class Personalizer:
    """The template of ``instrument`` once, then one client's workbook per call."""

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        marked = Client(**MARKERS)
        out = io.BytesIO()
        build_template(instrument, TemplateOptions(client=marked)).save(out)
        self._entries: list[_Entry] = []
        found: dict[bytes, int] = {}
        with zipfile.ZipFile(io.BytesIO(out.getvalue())) as package:
            for info in package.infolist():
                data = package.read(info)
                pieces = _FILL.split(data)  # text, (empty, marker), text, (empty, marker)…
                for marker in pieces[2::3]:
                    found[marker] = found.get(marker, 0) + 1
                fixed = None if len(pieces) > 1 else _deflated(data)
                self._entries.append(_Entry(info, pieces, fixed))
        for key, marker in MARKERS.items():  # each where it is expected, as often
            if found.get(marker.encode(), 0) != EXPECTED[key]:
                raise AssertionError(f"the template holds {marker!r} {found} times")

    def workbook(self, client: Client) -> bytes:
        """The template of ``client``, as ``build_template`` writes it."""
        if not (client.id and client.company and client.email):
            # Outside what a clean client list gives: openpyxl builds it.
            out = io.BytesIO()
            build_template(self.instrument, TemplateOptions(client=client)).save(out)
            return out.getvalue()
        values = {MARKERS[key].encode(): getattr(client, key) or "" for key in MARKERS}
        files = []
        for entry in self._entries:
            if entry.fixed is not None:
                files.append((entry.info, entry.fixed))
                continue
            pieces = entry.pieces
            joined = [pieces[0]]
            for i in range(1, len(pieces), 3):
                cell, marker, text = pieces[i], pieces[i + 1], pieces[i + 2]
                value = values[marker]
                if not value:  # an empty field: in a cell, an empty cell, as openpyxl writes it
                    joined.append(b't="n">' if cell else b"")
                elif cell:
                    joined.append(b't="inlineStr"><is><t>' + _encoded(value) + b"</t></is>")
                else:
                    joined.append(_encoded(value))
                joined.append(text)
            files.append((entry.info, _deflated(b"".join(joined))))
        return _zip(files)


@dataclass(frozen=True)
class _Entry:
    info: zipfile.ZipInfo
    pieces: list[bytes]  # the part split at its markers (see _FILL)
    fixed: _Deflated | None  # a part without markers, compressed once


@dataclass(frozen=True)
class _Deflated:
    data: bytes
    crc: int
    size: int


def _deflated(data: bytes) -> _Deflated:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return _Deflated(packer.compress(data) + packer.flush(), zlib.crc32(data), len(data))


def _zip(files: list[tuple[zipfile.ZipInfo, _Deflated]]) -> bytes:
    """A ZIP package of already deflated parts (without compressing the unchanged parts again
    for every client)."""
    entries = (
        Entry(info.filename, info.date_time, zipfile.ZIP_DEFLATED, part.crc, part.size, part.data)
        for info, part in files
    )
    return zip_package(entries, as_zipfile=False)


_FILL = re.compile(
    rb'(t="inlineStr"><is><t>)?('
    + b"|".join(re.escape(m.encode()) for m in MARKERS.values())
    + rb")(?(1)</t></is>)"
)


def _encoded(text: str) -> bytes:
    """``text`` as a cell of ours holds it, in the XML of the package."""
    return xml_escape(clean_text(text)).encode()
