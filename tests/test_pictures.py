"""The README's pictures can be regenerated: scripts/make_pictures.py runs end to end."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.programs import require_libreoffice, require_poppler

ROOT = Path(__file__).parents[1]
PICTURES = [
    "estadisticas.png",
    "evolucion.png",
    "informe.png",
    "plantilla.png",
    "resultados.png",
    "resumen.png",
]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.libreoffice
def test_make_pictures__writes_every_readme_picture_cropped_to_content(tmp_path: Path) -> None:
    require_libreoffice()
    require_poppler()
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_pictures.py"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    assert sorted(p.name for p in tmp_path.glob("*.png")) == PICTURES
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in PICTURES:
        assert f"](docs/img/{name})" in readme
        assert (ROOT / "docs" / "img" / name).exists()
        width, height = png_size(tmp_path / name)
        # Cropped to what is printed: never a whole blank A4 page (1286 x 909 px at 110 dpi).
        assert width > 300 and 100 < height < 1800
    assert png_size(tmp_path / "resumen.png")[1] < png_size(tmp_path / "resumen.png")[0] / 4
