"""Find the files to process and tell a workbook we can open from everything else.

Nothing here opens a workbook with openpyxl: a file is sniffed by its bytes and its zip directory,
so that encrypted, legacy, OpenDocument, text and oversized (zip bomb) files are refused cheaply.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from io import BytesIO
from pathlib import Path

from msp_assessment.outcome import Skipped
from msp_assessment.problems import Code, Problem, problem
from msp_assessment.workbook_templates import contract

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Other spreadsheets: read with python-calamine (.xls, .xlsb, .ods) or reported (.numbers).
OTHER_SPREADSHEET_SUFFIXES = (".xls", ".xlsb", ".ods", ".numbers")

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_FLAT_ODS = b'office:mimetype="application/vnd.oasis.opendocument.spreadsheet"'
_OLD_EXCEL = "es del formato de Excel 2.x a 4.0"
_FODS = "es una hoja de cálculo OpenDocument en XML plano"


class Format(StrEnum):
    """What a file is, by its content (never its name)."""

    OOXML = "xlsx"  # .xlsx or .xlsm: read from its XML, copies spliced
    ODS = "ods"
    XLS = "xls"
    XLSB = "xlsb"


@dataclass(frozen=True)
class Limits:
    """Safety limits: checked before any workbook is loaded, or held to while one is read."""

    max_file_bytes: int = 50 * 1024 * 1024
    max_uncompressed_bytes: int = 200 * 1024 * 1024
    max_entries: int = 2_000
    max_ratio: int = 200  # per entry, for entries over 1 MiB uncompressed
    # A message collect reads (IMAP, .eml, .msg, one of an .mbox): room for a workbook at the
    # limit above, base64-encoded, and the rest of the message.
    max_message_bytes: int = 100 * 1024 * 1024
    # What the reader of .ods, .xls and .xlsb may take beyond what its process has (apart.py).
    reader_memory_bytes: int = 256 * 1024 * 1024
    reader_seconds: float = 60.0
    # What one file may take in a worker process before it is ended and the batch goes on.
    file_seconds: float = 300.0


def collect(paths: list[Path], *, recursive: bool = False) -> tuple[list[Path], list[Skipped]]:
    """Files to process, in a stable order, and the files of folders that were passed over.

    Files named explicitly are always processed. In folders: .xlsx/.xlsm and other spreadsheet
    formats are taken; lock files (``~$…``), hidden files, our own results and anything else are
    skipped with a note.
    """
    found, skipped = collect_resolved(paths, recursive=recursive)
    return list(found), skipped


def collect_resolved(
    paths: list[Path], *, recursive: bool = False
) -> tuple[dict[Path, Path], list[Skipped]]:
    """``collect``, each file with its ``resolve()`` (``real_paths``: worked out once)."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            found = path.rglob("*") if recursive else path.iterdir()
            for child in sorted(found, key=lambda q: str(q)):
                if child.is_file():
                    reason = _skip_reason(child, root=path)
                    if reason:
                        skipped.append(Skipped(str(child), reason))
                    else:
                        files.append(child)
        else:
            files.append(path)
    unique: dict[Path, Path] = {}  # the same file reached two ways: the first way
    for file, real in real_paths(files).items():
        unique.setdefault(real, file)
    return {file: real for real, file in unique.items()}, skipped


def real_paths(files: Sequence[Path]) -> dict[Path, Path]:
    """Each file's ``resolve()``, with each folder resolved once: a file that is not a link is
    its resolved folder and its name (one system call, not one per folder of its path)."""
    folders: dict[Path, Path] = {}
    found = {}
    for file in files:
        if file.is_symlink() or file.name in ("", ".", ".."):
            found[file] = file.resolve()
            continue
        folder = folders.get(file.parent)
        if folder is None:
            folder = folders[file.parent] = file.parent.resolve()
        found[file] = folder / file.name
    return found


def relative_names(files: Sequence[Path], paths: Sequence[Path]) -> dict[Path, str]:
    """Each file's name as the user knows it: relative to the folder of ``paths`` it was found in
    (``sub/acme.xlsx`` with --recursive), else its own name."""
    folders = [p for p in paths if p.is_dir()]
    names = {}
    for file in files:
        root = next((f for f in folders if file.is_relative_to(f)), None)
        names[file] = file.relative_to(root).as_posix() if root else file.name
    return names


def _skip_reason(path: Path, root: Path) -> str | None:
    name = path.name.lower()
    relative = path.relative_to(root).parts
    if name.startswith("~$"):
        return "archivo de bloqueo de Excel (se crea mientras el libro está abierto)"
    if any(part.startswith(".") for part in relative):
        return "archivo oculto"
    if name.endswith(contract.RESULTS_SUFFIX) or name == contract.SUMMARY_NAME:
        return "es un resultado generado por msp-assessment"
    if name.endswith(WORKBOOK_SUFFIXES + OTHER_SPREADSHEET_SUFFIXES):
        return None
    return "no es una hoja de cálculo (.xlsx, .xlsm, .ods, .xls o .xlsb)"


def sniff(
    path: Path,
    limits: Limits = Limits(),
    data: bytes | None = None,
    archive: zipfile.ZipFile | None = None,
) -> Problem | Format:
    """A file-level problem, or the format of a spreadsheet within limits; ``data``: the file's
    bytes, when the caller has read them already (they are not read again); ``archive``: those
    bytes opened as a zip file, when the caller has (its directory is not read again)."""
    try:
        size = path.stat().st_size if data is None else len(data)
        if size == 0:
            return problem(Code.FILE_EMPTY)
        if size > limits.max_file_bytes:
            detail = f"ocupa {_mb(size)}; el máximo es {_mb(limits.max_file_bytes)}"
            return problem(Code.FILE_TOO_LARGE, detail=detail)
        with path.open("rb") if data is None else BytesIO(data) as fh:
            start = fh.read(4096)  # enough for the magic bytes and an XML root element
            head = start[:8]
            if head == _OLE_MAGIC:
                content = start + fh.read()
                if _ENCRYPTED_STREAM in content or _biff_encrypted(content):
                    return problem(Code.FILE_ENCRYPTED)
                return Format.XLS
        if not head.startswith(b"PK"):
            if head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04"):
                # A BIFF2-4 workbook (Excel 2 to 4, 1987-1992): no container, no reader for it.
                return problem(Code.FILE_FORMAT_UNREADABLE, kind=".xls", detail=_OLD_EXCEL)
            if head.startswith(b"<?xml") and _FLAT_ODS in start:
                return problem(Code.FILE_FORMAT_UNREADABLE, kind=".fods", detail=_FODS)
            return problem(Code.FILE_NOT_WORKBOOK, detail=_describe(head, path))
        return _check_zip(archive or (path if data is None else BytesIO(data)), limits)
    except OSError as err:
        return problem(Code.FILE_UNREADABLE, detail=err.strerror or type(err).__name__)


def _check_zip(source: Path | BytesIO | zipfile.ZipFile, limits: Limits) -> Problem | Format:
    try:
        if isinstance(source, zipfile.ZipFile):  # the caller's, open: left open
            return _zip_format(source, limits)
        with zipfile.ZipFile(source) as archive:
            return _zip_format(archive, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as err:
        return problem(Code.FILE_CORRUPT, detail=f"ZIP no válido: {err}")


def _zip_format(archive: zipfile.ZipFile, limits: Limits) -> Problem | Format:
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        detail = f"contiene {len(entries)} elementos; el máximo es {limits.max_entries}"
        return problem(Code.FILE_TOO_LARGE, detail=detail)
    total = sum(entry.file_size for entry in entries)
    if total > limits.max_uncompressed_bytes:
        detail = (
            f"descomprimido ocuparía {_mb(total)}; el máximo es "
            f"{_mb(limits.max_uncompressed_bytes)}"
        )
        return problem(Code.FILE_TOO_LARGE, detail=detail)
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            detail = f"«{entry.filename}» se comprime {ratio:.0f} veces (posible bomba zip)"
            return problem(Code.FILE_TOO_LARGE, detail=detail)
    # Entry names as written by any zip tool: «xl\\workbook.xml» (Windows), any case.
    names = {entry.filename.replace("\\", "/").casefold() for entry in entries}
    if "mimetype" in names and archive.read("mimetype").strip() == _ODS_MIMETYPE:
        return Format.ODS
    if "content.xml" in names and _ODS_MIMETYPE in _read(archive, "META-INF/manifest.xml"):
        return Format.ODS  # an .ods that lost its mimetype entry
    if any(name.endswith("workbook.bin") for name in names):
        return Format.XLSB
    if any(name.endswith((".iwa", "index.zip")) for name in names):
        return problem(Code.FILE_NUMBERS)  # also a .numbers package zipped as a folder
    if not any(name.rsplit("/", 1)[-1] == "workbook.xml" for name in names):
        return problem(Code.FILE_NOT_WORKBOOK, detail="es un archivo ZIP sin libro dentro")
    return Format.OOXML


def _biff_encrypted(content: bytes) -> bool:
    """Whether an .xls is password-protected the old way (XOR or RC4): a FILEPASS record among
    the first records after the workbook's BOF (BIFF8: id 0x0809, 16 bytes)."""
    position = content.find(b"\x09\x08\x10\x00")
    for _ in range(8 if position >= 0 else 0):
        if position + 4 > len(content):
            break
        record, length = struct.unpack_from("<HH", content, position)
        if record == 0x002F:  # FILEPASS
            return True
        if record == 0x000A:  # EOF of the globals
            break
        position += 4 + length
    return False


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    """The entry ``name`` of ``archive`` (up to 1 MiB), or nothing when there is none."""
    try:
        with archive.open(name) as entry:
            return entry.read(1024 * 1024)
    except KeyError:
        return b""


def _describe(head: bytes, path: Path) -> str:
    if path.suffix.lower() == ".csv" or all(32 <= b < 127 or b in b"\r\n\t" for b in head):
        return "parece un archivo de texto o CSV"
    return "su contenido no es el de un .xlsx"


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",")
