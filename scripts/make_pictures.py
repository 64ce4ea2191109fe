"""Regenerate the README's pictures from the example workbooks: LibreOffice → PDF → PNG.

    python scripts/make_pictures.py [FOLDER]     # writes docs/img/*.png (or FOLDER/*.png)

Needs LibreOffice (soffice) and poppler-utils (pdftoppm, pdftotext): apt-get install
libreoffice-calc-nogui poppler-utils. Each picture is the PDF page that holds a marker text,
cropped to what is printed on it (pdftoppm's PPM output is read here, so no imaging library is
needed).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from msp_assessment import TemplateOptions, write_template
from msp_assessment.examples import EXAMPLES, uniform_answers, write_examples, write_filled
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' poppler helpers, shared with this script
from tests.support.poppler import page_pixels, pages_with  # noqa: E402

TARGET = ROOT / "docs" / "img"
DPI = 110
DPI_WIDE = 150  # the Resumen table is printed smaller, two pages wide
MARGIN = 12  # pixels kept around the printed area
FOOTER_BAND = 0.94  # share of the page height above the footer

# picture name → (workbook in the work folder, text that is on the wanted page, resolution)
PICTURES = {
    "plantilla.png": ("plantilla.xlsx", "Procesos y operaciones", DPI),
    "resultados.png": ("out/documento-ejemplo-proactivo-resultados.xlsx", "Resultados de la", DPI),
    # Resumen prints two pages wide: the half with the averages and stages, in their colours.
    "resumen.png": ("out/resumen.xlsx", "Media global", DPI_WIDE),
    "estadisticas.png": ("out/resumen.xlsx", "Estadísticas de la cartera", DPI),
    "informe.png": ("out/documento-ejemplo-proactivo-informe.pdf", "Resultados de la", 90),
    "evolucion.png": ("out/resumen.xlsx", "Media de cada área por ronda", DPI),
}


def to_pdf(workbook: Path, work: Path) -> Path:
    profile = (work / ".lo-profile").resolve().as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workbook.parent),
            str(workbook),
        ],
        check=True,
        capture_output=True,
    )
    return workbook.with_suffix(".pdf")


def page_with(pdf: Path, marker: str) -> int:
    pages = pages_with(pdf, marker)
    if not pages:
        raise SystemExit(f"{marker!r} is on no page of {pdf}")
    return pages[0]


def printed_box(pdf: Path, page: int, dpi: int) -> tuple[int, int, int, int]:
    """x, y, width, height of the non-white area of ``page`` at ``dpi``, from a PPM rendering."""
    width, height, pixels = page_pixels(pdf, page, dpi)
    stride = width * 3
    content = int(height * FOOTER_BAND)  # below it, only the page-number footer is printed
    rows = [y for y in range(content) if pixels[y * stride : (y + 1) * stride].strip(b"\xff")]
    cols = [
        x
        for x in range(width)
        if any(pixels[y * stride + 3 * x : y * stride + 3 * x + 3] != b"\xff\xff\xff" for y in rows)
    ]
    x0, x1 = max(0, cols[0] - MARGIN), min(width, cols[-1] + MARGIN)
    y0, y1 = max(0, rows[0] - MARGIN), min(height, rows[-1] + MARGIN)
    return x0, y0, x1 - x0, y1 - y0


def render(pdf: Path, page: int, target: Path, dpi: int) -> None:
    x, y, w, h = printed_box(pdf, page, dpi)
    stem = target.with_suffix("")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-singlefile",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-x",
            str(x),
            "-y",
            str(y),
            "-W",
            str(w),
            "-H",
            str(h),
            str(pdf),
            str(stem),
        ],
        check=True,
    )


def earlier_round(folder: Path) -> Path:
    """The examples' clients a year earlier, each a point lower where they could be."""
    for name, (client, values) in EXAMPLES.items():
        if all(isinstance(v, int) for vs in values.values() for v in vs):
            lower = {a: [max(1, int(v) - 1) for v in vs] for a, vs in values.items()}
            write_filled(folder / name, uniform_answers(lower), client=client, date="2025-11-20")
    return folder


def main(target: Path = TARGET) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_template(work / "plantilla.xlsx", options=TemplateOptions())
        write_examples(work / "examples")
        earlier = earlier_round(work / "ronda-anterior")
        run([earlier], RunOptions(output_dir=work / "out-anterior"))
        previous = (work / "out-anterior" / "resumen.xlsx",)
        run([work / "examples"], RunOptions(output_dir=work / "out", pdf=True, previous=previous))
        pdfs: dict[str, Path] = {}
        for name, (workbook, marker, dpi) in PICTURES.items():
            if workbook not in pdfs:  # our own PDF report is a picture already
                is_pdf = workbook.endswith(".pdf")
                pdfs[workbook] = work / workbook if is_pdf else to_pdf(work / workbook, work)
            pdf = pdfs[workbook]
            render(pdf, page_with(pdf, marker), target / name, dpi)
            print(target / name, file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
