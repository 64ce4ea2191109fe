"""Reading PDF pages with poppler-utils (pdfinfo, pdftotext, pdftoppm): for the tests and for
scripts/make_pictures.py, so it needs nothing but the standard library."""

from __future__ import annotations

import subprocess
from pathlib import Path


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(next(x.split()[-1] for x in info.stdout.splitlines() if x.startswith("Pages:")))


def page_text(pdf: Path, page: int, mode: str = "-layout") -> str:
    """The text of ``page``: laid out as printed, or (``-raw``) in the order it was drawn."""
    return subprocess.run(
        ["pdftotext", mode, "-f", str(page), "-l", str(page), str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def pages_with(pdf: Path, marker: str) -> list[int]:
    """The pages whose text holds ``marker``."""
    return [p for p in range(1, page_count(pdf) + 1) if marker in page_text(pdf, p)]


def page_pixels(pdf: Path, page: int, dpi: int) -> tuple[int, int, bytes]:
    """Width, height and RGB bytes (three a pixel, row by row) of ``page`` at ``dpi``."""
    ppm = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), str(pdf)],
        check=True,
        capture_output=True,
    ).stdout
    header = ppm.split(maxsplit=4)  # P6, width, height, maxval, pixels
    return int(header[1]), int(header[2]), header[4]
