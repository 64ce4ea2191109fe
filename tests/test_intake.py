"""Telling workbooks from everything else, before openpyxl ever opens a file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from msp_assessment.problems import Code, Problem
from msp_assessment.processing.returns.intake import Format, Limits, collect, real_paths, sniff

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
        (OLE + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le"), Code.FILE_ENCRYPTED),
        (b"PK\x03\x04 truncated", Code.FILE_CORRUPT),
    ],
    ids=["empty", "csv", "encrypted", "truncated"],
)
def test_sniff__non_workbooks__precise_code(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "devuelto.xlsx"
    path.write_bytes(content)
    found = sniff(path)
    assert isinstance(found, Problem) and found.code == code


def test_sniff__other_spreadsheets__their_format_by_content_whatever_the_name(
    tmp_path: Path,
) -> None:
    ods = zip_with(
        tmp_path / "a.xlsx", {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}
    )
    xlsb = zip_with(tmp_path / "b.xlsx", {"xl/workbook.bin": b"\x83\x01\x00"})
    (tmp_path / "c.ods").write_bytes(OLE + b"\x00" * 600)
    assert sniff(ods) is Format.ODS
    assert sniff(xlsb) is Format.XLSB
    assert sniff(tmp_path / "c.ods") is Format.XLS


def test_sniff__numbers_and_plain_zip__unreadable_with_their_own_message(tmp_path: Path) -> None:
    numbers = zip_with(tmp_path / "a.numbers", {"Index/Document.iwa": b"\x00", "Data/x": b""})
    plain = zip_with(tmp_path / "b.xlsx", {"foto.jpg": b"jpeg"})
    found = sniff(numbers)
    assert isinstance(found, Problem) and found.code == Code.FILE_NUMBERS
    assert "Exportar a > Excel" in found.message
    found = sniff(plain)
    assert isinstance(found, Problem) and found.code == Code.FILE_NOT_WORKBOOK


def test_sniff__zip_bomb__refused_by_ratio_without_loading(tmp_path: Path) -> None:
    bomb = zip_with(
        tmp_path / "bomba.xlsx",
        {"xl/workbook.xml": b"<a/>", "xl/big.xml": b"0" * (50 * 1024 * 1024)},
    )
    found = sniff(bomb, Limits())
    assert isinstance(found, Problem) and found.code == Code.FILE_TOO_LARGE
    assert "posible bomba zip" in found.message


def test_sniff__real_template__accepted(make_template) -> None:  # type: ignore[no-untyped-def]
    assert sniff(make_template()) is Format.OOXML


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


def test_summary__files_named_relative_to_the_folder_passed__wherever_it_lies(
    tmp_path: Path,
) -> None:
    from msp_assessment.client import Client
    from msp_assessment.examples import uniform_answers, write_filled
    from msp_assessment.processing.run.options import RunOptions
    from msp_assessment.processing.run.pipeline import run

    deep = tmp_path / ("carpeta-con-un-nombre-largo-" * 4) / "recibidos"
    (deep / "zona-norte").mkdir(parents=True)
    answers = uniform_answers({a: [3, 3, 3, 3, 3] for a in range(1, 5)})
    write_filled(deep / "zona-norte" / "acme.xlsx", answers, client=Client("A-1", "Acme"))
    (deep / "roto.xlsx").write_bytes(b"no es un libro")
    alone = tmp_path / "suelto.xlsx"
    write_filled(alone, answers, client=Client("B-1", "Beta"))
    report = run([deep, alone], RunOptions(output_dir=tmp_path / "out", recursive=True, jobs=1))
    assert sorted(f.file_name for f in report.files) == [
        "roto.xlsx",
        "suelto.xlsx",
        "zona-norte/acme.xlsx",
    ]
    summary = openpyxl.load_workbook(tmp_path / "out" / "resumen.xlsx")
    resumen = [r[4] for r in summary["Resumen"].iter_rows(min_row=2, values_only=True) if r[1]]
    assert sorted(resumen) == ["suelto.xlsx", "zona-norte/acme.xlsx"]
    incidencias = [r[0] for r in summary["Incidencias"].iter_rows(min_row=2, values_only=True)]
    assert incidencias == ["roto.xlsx"]


def test_real_paths__as_resolve__links_and_dots_included(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each folder is resolved once; a file that is a link, or a folder reached through one, is
    where resolve() says."""
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.xlsx").write_bytes(b"PK")
    (tmp_path / "enlace").symlink_to(tmp_path / "a")
    (tmp_path / "a" / "y.xlsx").symlink_to(tmp_path / "a" / "x.xlsx")
    monkeypatch.chdir(tmp_path)
    files = [
        tmp_path / "a" / "x.xlsx",
        tmp_path / "enlace" / "x.xlsx",
        tmp_path / "a" / "y.xlsx",
        tmp_path / "enlace" / "y.xlsx",
        tmp_path / "a" / ".." / "a" / "x.xlsx",
        tmp_path / "no-existe.xlsx",
        Path("a") / "x.xlsx",
    ]
    found = real_paths(files)
    assert found == {file: file.resolve() for file in files}
    assert len(set(found.values())) == 2  # x.xlsx, however reached, and the missing one
