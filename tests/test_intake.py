"""Telling workbooks from everything else, before openpyxl ever opens a file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from msp_assessment.processing.intake import Limits, collect, sniff
from msp_assessment.processing.problems import Code

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def zip_with(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return path


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", Code.FILE_EMPTY),
        (b"Empresa;Respuesta\nAcme;4\n", Code.FILE_NOT_WORKBOOK),
        (OLE + b"\x00" * 600, Code.FILE_LEGACY_XLS),
        (OLE + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le"), Code.FILE_ENCRYPTED),
        (b"PK\x03\x04 truncated", Code.FILE_CORRUPT),
    ],
    ids=["empty", "csv", "xls", "encrypted", "truncated"],
)
def test_sniff__non_workbooks__precise_code(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "devuelto.xlsx"
    path.write_bytes(content)
    found = sniff(path)
    assert found is not None and found.code == code


def test_sniff__ods_and_plain_zip(tmp_path: Path) -> None:
    ods = zip_with(
        tmp_path / "a.ods", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}
    )
    plain = zip_with(tmp_path / "b.xlsx", {"foto.jpg": b"jpeg"})
    assert sniff(ods).code == Code.FILE_ODS  # type: ignore[union-attr]
    assert sniff(plain).code == Code.FILE_NOT_WORKBOOK  # type: ignore[union-attr]


def test_sniff__zip_bomb__refused_by_ratio_without_loading(tmp_path: Path) -> None:
    bomb = zip_with(
        tmp_path / "bomba.xlsx",
        {"xl/workbook.xml": b"<a/>", "xl/big.xml": b"0" * (50 * 1024 * 1024)},
    )
    found = sniff(bomb, Limits())
    assert found is not None and found.code == Code.FILE_TOO_LARGE
    assert "posible bomba zip" in found.message


def test_sniff__real_template__accepted(make_template) -> None:  # type: ignore[no-untyped-def]
    assert sniff(make_template()) is None


def test_collect__folder__skips_lock_hidden_outputs_and_other_files_with_reasons(
    tmp_path: Path,
) -> None:
    for name in [
        "b.xlsx",
        "a.XLSM",
        "viejo.xls",
        "~$b.xlsx",
        ".oculto.xlsx",
        "notas.txt",
        "x-resultados.xlsx",
    ]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.xlsx").write_bytes(b"x")
    files, skipped = collect([tmp_path])
    assert [f.name for f in files] == ["a.XLSM", "b.xlsx", "viejo.xls"]
    reasons = {Path(s.path).name: s.reason for s in skipped}
    assert set(reasons) == {"~$b.xlsx", ".oculto.xlsx", "notas.txt", "x-resultados.xlsx"}
    assert "bloqueo" in reasons["~$b.xlsx"]
    files, _ = collect([tmp_path], recursive=True)
    assert "c.xlsx" in [f.name for f in files]
