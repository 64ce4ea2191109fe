"""Real spreadsheet programs and renderers for the tests: LibreOffice (UNO) fills and saves,
Gnumeric's ssconvert re-saves, LibreOffice prints to PDF, poppler turns pages into pixels."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.support.poppler import page_pixels

UNO_PYTHON = "/usr/bin/python3"


def libreoffice_missing_reason() -> str | None:
    """Why LibreOffice tests cannot run here, or None when they can."""
    if shutil.which("soffice") is None:
        return (
            "LibreOffice no está instalado (falta soffice: apt-get install libreoffice-calc-nogui)"
        )
    if not Path(UNO_PYTHON).exists():
        return "falta Python UNO (apt-get install python3-uno)"
    return None


def in_ci() -> bool:
    """CI sets CI=true: there every test must run, so a missing tool fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def skip_unless_ci(reason: str) -> None:
    """Skip with ``reason`` on a developer's machine; under CI, fail with it."""
    if in_ci():
        pytest.fail(f"En CI esta prueba tiene que ejecutarse: {reason}")
    pytest.skip(reason)


def require_libreoffice() -> None:
    """Skip with a clear reason when LibreOffice is absent; in CI that is a failure."""
    reason = libreoffice_missing_reason()
    if reason is not None:
        skip_unless_ci(reason)


def soffice_convert(source: Path, target_format: str, outdir: Path) -> Path:
    """Convert ``source`` with headless LibreOffice (its own profile) and return the new file.

    ``target_format`` is what ``soffice --convert-to`` takes, e.g. ``pdf`` or
    ``csv:Text - txt - csv (StarCalc):44,34,76`` (comma, double quote, UTF-8).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / ".lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--convert-to",
            target_format,
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    converted = outdir / f"{source.stem}.{target_format.split(':')[0]}"
    if not converted.exists():
        raise AssertionError(f"LibreOffice did not convert {source} to {target_format}")
    return converted


UNO_FILL = Path(__file__).parent / "uno_fill.py"
_DRAWING = re.compile(rb"<drawing\b[^>]*/>")


def run_libreoffice_fill(
    source: Path, target: Path, values: dict[str, object]
) -> dict[str, object]:
    """Fill named cells of ``source`` in headless LibreOffice and save to ``target`` as .xlsx."""
    require_libreoffice()
    done = subprocess.run(
        [UNO_PYTHON, str(UNO_FILL), str(source), str(target), json.dumps(values)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def require_gnumeric() -> None:
    if shutil.which("ssconvert") is None:
        skip_unless_ci("falta Gnumeric (ssconvert: apt-get install gnumeric)")


def gnumeric_export(source: Path, target: Path, export_type: str) -> Path:
    """``source`` opened and saved by Gnumeric with ``export_type`` (``ssconvert
    --list-exporters``: Gnumeric_Excel:xlsx2, Gnumeric_OpenCalc:odf…)."""
    require_gnumeric()
    subprocess.run(
        ["ssconvert", f"--export-type={export_type}", str(source), str(target)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def gnumeric_ods(source: Path, target: Path) -> Path:
    """``source`` saved by Gnumeric as OpenDocument (.ods), indented as Gnumeric writes it."""
    return gnumeric_export(source, target, "Gnumeric_OpenCalc:odf")


def gnumeric_save(source: Path, target: Path) -> Path:
    """``source`` opened and saved again as .xlsx by Gnumeric."""
    return gnumeric_export(source, target, "Gnumeric_Excel:xlsx2")


def require_poppler() -> None:
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        skip_unless_ci("faltan pdftoppm y pdftotext (apt-get install poppler-utils)")


def to_pdf(workbook: Path, outdir: Path) -> Path:
    """``workbook`` printed to PDF by LibreOffice: every sheet, as its page setup says."""
    require_libreoffice()
    require_poppler()
    return soffice_convert(workbook, "pdf", outdir)


def pixels_near(pdf: Path, page: int, color: str, dpi: int = 80, tolerance: int = 40) -> int:
    """How many pixels of ``page`` are within ``tolerance`` (per channel) of ``color`` (RRGGBB)."""
    _, _, data = page_pixels(pdf, page, dpi)
    target = bytes.fromhex(color)
    count = 0
    for i in range(0, len(data) - 2, 3):
        if (
            abs(data[i] - target[0]) <= tolerance
            and abs(data[i + 1] - target[1]) <= tolerance
            and abs(data[i + 2] - target[2]) <= tolerance
        ):
            count += 1
    return count


def without_drawings(workbook: Path, target: Path) -> Path:
    """A copy of ``workbook`` whose sheets show no chart (their ``<drawing>`` removed), to tell
    what a chart draws from what the cells around it already show."""
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                data = _DRAWING.sub(b"", data)
            out.writestr(info, data)
    return target
