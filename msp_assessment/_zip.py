"""A zip package written from entries compressed already: the bytes ``zipfile`` writes, without
its per-entry objects (our copies and personalized workbooks are mostly parts compressed once).

Only what our packages need: stored or deflated entries, no ZIP64 (a part of 2 GB or more, or
more than 65 535 entries, raises ``ValueError``), no comments, no extra fields.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Iterable
from typing import NamedTuple

DateTime = tuple[int, int, int, int, int, int]


class Entry(NamedTuple):
    """One entry: its name, timestamp and bytes as compressed (``method``: 0 stored, 8 deflated),
    with the CRC-32 and size of the bytes uncompressed."""

    name: str
    date_time: DateTime
    method: int
    crc: int
    size: int
    data: bytes


LIMIT = (1 << 31) - 1  # zipfile's ZIP64_LIMIT: beyond it an entry needs ZIP64 records
_MAX_ENTRIES = 0xFFFF
_UTF8_NAME = 0x800  # the flag of a name that is not ASCII
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # zipfile's DEFAULT_VERSION: what deflate needs


def zip_package(entries: Iterable[Entry], *, as_zipfile: bool = True) -> bytes:
    """The package of ``entries``, in their order.

    ``as_zipfile``: byte for byte what ``ZipFile.writestr`` writes for each entry (made on this
    system, mode ?rw-------); otherwise the plainer records of personalized workbooks (made on
    MS-DOS, no attributes), which those have always had.
    """
    system = (0 if sys.platform == "win32" else 3) if as_zipfile else 0
    attributes = 0o600 << 16 if as_zipfile else 0
    chunks: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    names: set[str] = set()
    for entry in entries:
        name, when = entry.name, entry.date_time
        if name in names:
            raise ValueError(f"{name} twice")
        names.add(name)
        if max(entry.size, len(entry.data), offset) > LIMIT or when[0] < 1980:
            raise ValueError(f"{name} needs ZIP64 records or a date before 1980")
        try:
            encoded, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            encoded, flags = name.encode(), _UTF8_NAME
        dos_time = when[3] << 11 | when[4] << 5 | when[5] // 2
        dos_date = (when[0] - 1980) << 9 | when[1] << 5 | when[2]
        fields = (entry.method, dos_time, dos_date, entry.crc, len(entry.data), entry.size)
        local = _LOCAL.pack(b"PK\x03\x04", _VERSION, 0, flags, *fields, len(encoded), 0)
        chunks += (local, encoded, entry.data)
        central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                _VERSION,
                system,
                _VERSION,
                0,
                flags,
                *fields,
                len(encoded),
                0,
                0,
                0,
                0,
                attributes,
                offset,
            )
            + encoded
        )
        offset += len(local) + len(encoded) + len(entry.data)
    if len(central) > _MAX_ENTRIES or offset > LIMIT:
        raise ValueError("more than a zip file holds without ZIP64 records")
    directory = b"".join(central)
    end = _END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
    chunks += (directory, end)
    return b"".join(chunks)
