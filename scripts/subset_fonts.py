"""Write the report's fonts: DejaVu Sans and DejaVu Sans Bold, cut to the letters of Europe.

DejaVu Sans is Bitstream Vera (the font reportlab ships) extended to Latin Extended, Greek and
Cyrillic, with Vera's shapes and widths for the characters they share. The full fonts weigh
1.5 MB; cut to the blocks below they weigh a fraction of that and still write every European
language. Run once, from a machine with the fonts (Debian: fonts-dejavu-core) and fontTools:

    python scripts/subset_fonts.py /usr/share/fonts/truetype/dejavu
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset

BLOCKS = [
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x00FF),  # Latin-1 Supplement
    (0x0100, 0x017F),  # Latin Extended-A (ő ź ł č ş …)
    (0x0180, 0x024F),  # Latin Extended-B (ș ț …)
    (0x0370, 0x03FF),  # Greek
    (0x0400, 0x04FF),  # Cyrillic
    (0x1E00, 0x1EFF),  # Latin Extended Additional
    (0x2010, 0x205E),  # General Punctuation (dashes, quotes, ellipsis)
    (0x20A0, 0x20BF),  # Currency Symbols (€)
    (0x2100, 0x2122),  # Letterlike (™, №)
    (0xFFFD, 0xFFFD),  # the replacement character, drawn for any other
]
TARGET = Path(__file__).resolve().parents[1] / "msp_assessment" / "report" / "typefaces"


def main(folder: Path) -> None:
    unicodes = [c for low, high in BLOCKS for c in range(low, high + 1)]
    for name in ("DejaVuSans", "DejaVuSans-Bold"):
        options = subset.Options()
        options.layout_features = []  # reportlab draws glyph by glyph: no shaping tables
        options.hinting = False
        options.name_IDs = ["*"]  # keep the copyright and licence names
        font = subset.load_font(str(folder / f"{name}.ttf"), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        target = TARGET / f"{name}.ttf"
        subset.save_font(font, str(target), options)
        print(f"{target}: {target.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
