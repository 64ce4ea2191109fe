"""Where a run writes: one distinct output name per input, and the checks that keep outputs
away from the inputs."""

from __future__ import annotations

import os
import re
from pathlib import Path

from msp_assessment._files import MAX_NAME_BYTES
from msp_assessment.errors import UsageError
from msp_assessment.text import distinct_names, fit_bytes
from msp_assessment.workbook_templates.contract import REPORT_SUFFIX, RESULTS_SUFFIX, REVIEW_SUFFIX


def output_stems(resolved: dict[Path, Path]) -> dict[Path, str]:
    """A distinct output name per input (input → its resolved path): same-named inputs from
    different folders get -2, -3…

    Deterministic (ordered by full path) and case-insensitive, as file systems on Windows and macOS
    are.
    """
    ordered = sorted(resolved, key=lambda f: str(resolved[f]))
    stems = [fit_bytes(_without_our_suffix(path.stem), MAX_STEM_BYTES) for path in ordered]
    names = distinct_names(stems)
    return dict(zip(ordered, names, strict=True))


def output_listing(folder: Path) -> frozenset[str] | None:
    """The names in ``folder``, casefolded (none when it is not there yet): what a run's copies
    could replace; None when it cannot be listed (every name is then looked for on disk)."""
    try:
        with os.scandir(folder) as entries:
            return frozenset(entry.name.casefold() for entry in entries)
    except FileNotFoundError:
        return frozenset()
    except OSError:
        return None


# A file name may have 255 bytes: the longest of ours is the stem, a «-N» that tells same-named
# inputs apart, and our longest suffix.
MAX_STEM_BYTES = (
    MAX_NAME_BYTES
    - len("-99999")
    - max(len(s.encode()) for s in (RESULTS_SUFFIX, REVIEW_SUFFIX, REPORT_SUFFIX))
)

_OUR_SUFFIX = re.compile(r"(?:\s*[-_]\s*|\s+)(?:revisar|resultados)$", re.IGNORECASE)


def _without_our_suffix(stem: str) -> str:
    """A returned copy named after ours («ACME-revisar», «… - revisar») is named after the
    client's workbook again: its results are «ACME-resultados», not «ACME-revisar-resultados»."""
    return _OUR_SUFFIX.sub("", stem) or stem


def check_output_dir(output_dir: Path, inputs: list[Path], resolved: dict[Path, Path]) -> None:
    out = output_dir.resolve()
    for real in resolved.values():
        if real.parent == out:
            raise UsageError(
                f"La carpeta de resultados {output_dir} contiene archivos de entrada; "
                "elija otra carpeta con -o para no mezclar resultados y originales."
            )
    for given in inputs:
        if given.is_dir() and given.resolve() == out:
            raise UsageError(
                f"La carpeta de resultados {output_dir} es también una carpeta de entrada; "
                "elija otra con -o."
            )
    if out.exists() and not out.is_dir():
        raise UsageError(f"{output_dir} existe y no es una carpeta.")


def check_not_inputs(targets: list[Path | None], resolved: dict[Path, Path]) -> None:
    inputs = set(resolved.values())
    for target in targets:
        if target is not None and target.resolve() in inputs:
            raise UsageError(
                f"{target} es uno de los libros que se procesan; elija otro nombre para no "
                "sobrescribirlo."
            )


def check_user_files(summary: Path, csv: Path | None, kept: dict[str, Path | None]) -> None:
    """UsageError when the summary and the CSV would be one file, or either would replace a file
    the run reads (``kept``: what each is called in a message → its path): the client list, an
    earlier round's summary."""
    if csv is not None and _same_file(csv, summary):
        raise UsageError(
            f"--csv {csv} es el mismo archivo que el resumen; elija otro nombre para el CSV."
        )
    for option, target in (("el resumen", summary), ("--csv", csv)):
        for what, path in kept.items():
            if target is not None and path is not None and _same_file(target, path):
                raise UsageError(
                    f"{option} ({target}) sustituiría {what} ({path}), que esta ejecución lee; "
                    "elija otro nombre."
                )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False
