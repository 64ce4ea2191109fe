"""A package's entries are inflated without zipfile's objects (package.Inflated) when nothing is
unusual about them; what they read is what zipfile reads, and what zipfile refuses still fails."""

from __future__ import annotations

import struct
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from msp_assessment.processing.ooxml import package as package_module
from msp_assessment.processing.ooxml.package import Inflated
from tests.support.corpus import CORPUS
from tests.support.hostile import valid
from tests.support.programs import skip_unless_ci

EXAMPLES = Path(__file__).parent.parent / "examples"


def entries(data: bytes) -> dict[str, bytes | type[BaseException]]:
    """Every entry of ``data`` as Inflated reads it, or the kind of error it raises."""
    archive = zipfile.ZipFile(BytesIO(data))
    inflated = Inflated(data, archive)
    found: dict[str, bytes | type[BaseException]] = {}
    for name in inflated:
        try:
            found[name] = inflated[name]
        except Exception as err:
            found[name] = type(err)
    return found


def by_zipfile(data: bytes) -> dict[str, bytes | type[BaseException]]:
    archive = zipfile.ZipFile(BytesIO(data))
    found: dict[str, bytes | type[BaseException]] = {}
    for info in archive.infolist():
        try:
            found[info.filename] = archive.read(info)
        except Exception as err:
            found[info.filename] = type(err)
    return found


def test_corpus_and_examples__every_entry_as_zipfile_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not CORPUS.is_dir():
        skip_unless_ci(f"el corpus compartido no está en {CORPUS}")
    files = [p for p in CORPUS.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm", ".ods")]
    files += sorted(EXAMPLES.rglob("*.xlsx"))
    fast = 0
    inflate = package_module._inflate

    def counted(entry: package_module.Compressed) -> bytes | None:
        nonlocal fast
        found = inflate(entry)
        fast += found is not None
        return found

    monkeypatch.setattr(package_module, "_inflate", counted)
    package_module._shared_inflate.cache_clear()
    monkeypatch.setattr(package_module, "_shared_inflate", counted)
    opened = 0
    for path in files:
        data = path.read_bytes()
        try:
            expected = by_zipfile(data)
        except zipfile.BadZipFile:
            continue
        opened += 1
        assert entries(data) == expected, path
    assert opened > 300 and fast > 3000, (opened, fast)


def _entry_offset(data: bytes, name: str) -> int:
    return zipfile.ZipFile(BytesIO(data)).getinfo(name).header_offset


def test_what_zipfile_refuses__still_refused(tmp_path: Path) -> None:
    """A wrong CRC, a stream cut short, a local header naming another part: zipfile's error,
    as before; the other entries read as they are."""
    good = valid(tmp_path / "v.xlsx").read_bytes()
    name = "xl/worksheets/sheet1.xml"
    expected = by_zipfile(good)
    assert entries(good) == expected

    at = _entry_offset(good, name)
    info = zipfile.ZipFile(BytesIO(good)).getinfo(name)
    wrong_crc = bytearray(good)  # the directory's CRC, which zipfile checks against
    central = good.find(struct.pack("<L", info.CRC), good.find(b"PK\x01\x02"))
    wrong_crc[central : central + 4] = struct.pack("<L", info.CRC ^ 1)
    assert entries(bytes(wrong_crc))[name] is zipfile.BadZipFile

    renamed = bytearray(good)
    name_at = at + 30
    renamed[name_at : name_at + len(name)] = name.replace("sheet1", "sheetX").encode()
    assert entries(bytes(renamed))[name] is zipfile.BadZipFile

    cut = bytearray(good)
    size = info.compress_size
    data_at = name_at + len(name) + struct.unpack("<H", good[at + 28 : at + 30])[0]
    cut[data_at : data_at + size] = bytes(good[data_at : data_at + size // 2]) + bytes(
        size - size // 2
    )
    found = entries(bytes(cut))[name]
    assert found == by_zipfile(bytes(cut))[name] and not isinstance(found, bytes)
    for other, data in expected.items():
        if other != name:
            assert entries(bytes(cut))[other] == data
