"""A package while its parts are edited: free part names, relationships, content types, and
zipping it again with the client's parts in their own order and timestamps."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator, Mapping, MutableMapping
from xml.etree import ElementTree
from xml.parsers import expat

from msp_assessment._zip import Entry, zip_package
from msp_assessment.processing.ooxml.package import (
    Compressed,
    DeclinedError,
    Parts,
    Relationship,
    SpliceDeclinedError,
    add_overrides,
    add_relationships,
    check_xml,
    once_per_part,
    relationship_targets,
    relationships_part,
    rels_part,
)

_CHECKED = (".xml", ".rels", ".vml")
CONTENT_TYPES_PART = "[Content_Types].xml"


class Edited(MutableMapping[str, bytes]):
    """A package's parts as edited: what was written or deleted over the parts as read (read,
    and inflated, only when asked for). New parts follow the package's, in the order added."""

    def __init__(self, source: Mapping[str, bytes]) -> None:
        self.source = source
        self.written: dict[str, bytes] = {}
        self.deleted: set[str] = set()

    def __getitem__(self, name: str) -> bytes:
        if name in self.deleted:
            raise KeyError(name)
        return self.written[name] if name in self.written else self.source[name]

    def __setitem__(self, name: str, data: bytes) -> None:
        self.deleted.discard(name)
        self.written[name] = data

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self.written.pop(name, None)
        self.deleted.add(name)

    def __contains__(self, name: object) -> bool:
        return name not in self.deleted and (name in self.written or name in self.source)

    def __iter__(self) -> Iterator[str]:
        yield from (name for name in self.source if name not in self.deleted)
        yield from (name for name in self.written if name not in self.source)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def changed(self, name: str) -> bool:
        """Whether part ``name`` is not the one read (new, or written with other bytes)."""
        if name not in self.written:
            return False
        if name not in self.source:
            return True
        before, now = self.source[name], self.written[name]
        return now is not before and now != before


class PackageEdit:
    """The parts of one package (``parts``, name → bytes) while they are edited."""

    def __init__(self, package: Parts) -> None:
        names = [info.filename for info in package.infos]
        if len(set(names)) != len(names):
            raise SpliceDeclinedError("duplicated parts")
        self.source = package
        self.parts = Edited(package.data)
        self._lower = {name.casefold() for name in self.parts}

    def tree(self, part: str) -> ElementTree.Element:
        """``part`` parsed: the reader's tree while the part is as read."""
        if part not in self.parts:
            raise SpliceDeclinedError(f"missing {part}")
        if not self.parts.changed(part):
            return self.source.tree(part)
        return ElementTree.fromstring(self.parts[part])

    def free(self, pattern: str) -> str:
        """The first name of that pattern no part has (names are case-insensitive in a package),
        reserved from now on."""
        n = 1
        while (
            pattern.format(n).casefold() in self._lower
            or rels_part(pattern.format(n)).casefold() in self._lower
        ):
            n += 1
        name = pattern.format(n)
        self._lower.add(name.casefold())
        return name

    def relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id → (type, target part) of ``part``."""
        rels = rels_part(part)
        return relationship_targets(self.tree(rels), part) if rels in self.parts else {}

    def add_relationships(self, part: str, rels: list[Relationship]) -> None:
        """Add relationships of ``part``, making its .rels part if need be."""
        name = rels_part(part)
        if name in self.parts:
            self.parts[name] = add_relationships(self.parts[name], rels)
        else:
            self.parts[name] = relationships_part(rels)

    def add_content_types(self, overrides: list[tuple[str, str]]) -> None:
        """List each (part, content type) in [Content_Types].xml."""
        self.parts[CONTENT_TYPES_PART] = add_overrides(self.parts[CONTENT_TYPES_PART], overrides)

    def to_bytes(self) -> bytes:
        """The package zipped: every part of the client's we changed checked first (the parts we
        add come from our own writers, which escape what they write); the others copied
        compressed as the client's package holds them, when it holds them so (``Parts.raw``)."""
        parts, original = self.parts, self.source.data
        for name in parts:
            if name in original and parts.changed(name) and name.endswith(_CHECKED):
                try:
                    check_xml(parts[name])
                except (expat.ExpatError, DeclinedError) as err:  # a bug must not ship broken
                    raise SpliceDeclinedError(f"{name} would not be well formed: {err}") from err
        # New parts take the package's own timestamp, so the same input always gives the same
        # bytes. Level 1: a tenth bigger than the default, three times faster; small files.
        infos = self.source.infos
        stamp = infos[0].date_time if infos else (1980, 1, 1, 0, 0, 0)
        entries = [(i.filename, i.date_time) for i in infos if i.filename in parts]
        entries += [(name, stamp) for name in parts if name not in self.source.data]
        zipped = []
        for name, date_time in entries:
            kept = None if parts.changed(name) else self.source.raw(name)
            zipped.append(Entry(name, date_time, *(kept or deflated(parts[name]))))
        try:
            return zip_package(zipped)
        except ValueError as err:  # a name twice, a part too big, a date before 1980
            raise SpliceDeclinedError(f"the package cannot be copied as it is: {err}") from err


@once_per_part
def deflated(data: bytes) -> Compressed:
    """``data`` deflated at level 1, as ``ZipFile.writestr`` deflates it (the same bytes); the
    parts many copies share (our styles, content types, chart) once per process."""
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)  # zipfile's raw deflate stream
    packed = compressor.compress(data) + compressor.flush()
    return Compressed(zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data), packed)
