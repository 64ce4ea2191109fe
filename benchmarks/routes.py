"""How often is a copy still written through openpyxl's re-save instead of the splice?

    python benchmarks/routes.py          # prints a table; needs soffice and ssconvert

It builds a battery of returns the way clients make them: the Quick start examples as our
template writes them, the same saved again by LibreOffice and by Gnumeric, in Excel's dialect
(formula Puntos, the client's notes and a threaded comment), with the client's own notes added,
-revisar copies sent back corrected and not, and the hostile battery. Each is processed, and each
copy written is counted by route: spliced into the client's own package, or re-saved by openpyxl
first, with the reason the splice gave.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test builders: tests/hostile.py, tests/excel_dialect.py

from msp_assessment.examples import write_examples  # noqa: E402
from msp_assessment.processing.run.options import RunOptions  # noqa: E402
from msp_assessment.processing.run.pipeline import run  # noqa: E402
from tests.support.excel_dialect import excel_dialect  # noqa: E402
from tests.support.hostile import build_battery  # noqa: E402


def examples(folder: Path) -> list[Path]:
    return [p for p in write_examples(folder) if p.name != "exportado-como-csv.xlsx"]


def saved_by_libreoffice(sources: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True)
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(folder),
            *map(str, sources),
        ],
        check=True,
        capture_output=True,
    )


def saved_by_gnumeric(sources: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True)
    for source in sources:
        subprocess.run(
            [
                "ssconvert",
                "--export-type=Gnumeric_Excel:xlsx2",
                str(source),
                str(folder / source.name),
            ],
            check=True,
            capture_output=True,
        )


def with_client_notes(sources: list[Path], folder: Path) -> None:
    folder.mkdir(parents=True)
    for source in sources:
        wb = openpyxl.load_workbook(source)
        wb.worksheets[0]["A5"].comment = Comment("Lo rellenó el equipo técnico.", "Cliente")
        wb.save(folder / source.name)


def review_copies(sources: list[Path], folder: Path, work: Path) -> None:
    """-revisar copies as clients send them back: untouched, and with the problems corrected."""
    out = work / "revisar"
    run(sources, RunOptions(output_dir=out, jobs=1))
    folder.mkdir(parents=True)
    for copy in out.glob("*-revisar.xlsx"):
        shutil.copyfile(copy, folder / copy.name)
        wb = openpyxl.load_workbook(copy)
        for name in list(wb.defined_names):
            if name.startswith("resp_"):
                for sheet, ref in wb.defined_names[name].destinations:
                    cell = wb[sheet][ref.replace("$", "")]
                    if not isinstance(cell.value, int) or not 1 <= cell.value <= 5:
                        cell.value = 3
        wb.save(folder / f"corregido-{copy.name}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sources = examples(work / "plantilla")
        kinds = {"plantilla (openpyxl)": work / "plantilla"}
        saved_by_libreoffice(sources, kinds.setdefault("LibreOffice", work / "lo"))
        saved_by_gnumeric(sources, kinds.setdefault("Gnumeric", work / "gnumeric"))
        excel = kinds.setdefault("Excel (dialecto)", work / "excel")
        excel.mkdir()
        for source in sources:
            excel_dialect(source, excel / source.name)
        with_client_notes(sources, kinds.setdefault("con notas del cliente", work / "notas"))
        review_copies(sources, kinds.setdefault("-revisar devueltos", work / "devueltos"), work)
        build_battery(kinds.setdefault("batería hostil", work / "hostil" / "recibidos"))
        total: Counter[str] = Counter()
        print(f"{'devoluciones':<24} {'copias':>6} {'empalme':>8} {'openpyxl':>8}  motivos")
        for kind, folder in kinds.items():
            report = run([folder], RunOptions(output_dir=work / "out" / kind, jobs=1))
            written = [f for f in report.files if f.output]
            reasons = Counter(f.resaved for f in written if f.resaved)
            spliced = len(written) - sum(reasons.values())
            total.update({"copias": len(written), "empalme": spliced})
            total.update(reasons)
            listed = "; ".join(f"{n} × {why}" for why, n in reasons.most_common())
            print(f"{kind:<24} {len(written):>6} {spliced:>8} {sum(reasons.values()):>8}  {listed}")
        resaved = total["copias"] - total["empalme"]
        print(f"{'total':<24} {total['copias']:>6} {total['empalme']:>8} {resaved:>8}")


if __name__ == "__main__":
    main()
