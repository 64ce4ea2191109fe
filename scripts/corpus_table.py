"""Regenerate tests/data/producers.csv: the verdict every file of ../shared/producers gets, and
the program that saved it (from its own metadata), then print the counts per program and verdict.

    python scripts/corpus_table.py [--check]

With --check nothing is written: the differences from the table are printed (exit 1 if any).
Run it after a change to how returns are read, look at every changed verdict, and commit the
table with the change that explains it.
"""

from __future__ import annotations

import csv
import re
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.corpus import CORPUS, TABLE, verdicts  # noqa: E402

_APPLICATION = re.compile(rb"<(?:\w+:)?Application>([^<]*)</")
_GENERATOR = re.compile(rb"<meta:generator>([^<]*)</")


def producer(path: Path) -> str:
    """The program that saved ``path``, as its metadata says, without versions."""
    try:
        with zipfile.ZipFile(path) as package:
            names = {n.replace("\\", "/").lower(): n for n in package.namelist()}
            for part, pattern in (("docprops/app.xml", _APPLICATION), ("meta.xml", _GENERATOR)):
                if part in names:
                    found = pattern.search(package.read(names[part]))
                    if found:
                        name = found.group(1).decode("utf-8", "replace").split("/")[0]
                        return re.sub(r"[\s_]*[\d.]+(?:\s.*)?$", "", name).strip() or "?"
    except Exception:
        pass
    return f"sin metadatos ({path.suffix.lower() or 'sin extensión'})"


def main() -> int:
    check = "--check" in sys.argv
    with tempfile.TemporaryDirectory() as out:
        found = verdicts(sorted(p for p in CORPUS.rglob("*") if p.is_file()), Path(out))
    rows = [(str(p.relative_to(CORPUS)), producer(p), v) for p, v in sorted(found.items())]
    if check:
        with TABLE.open(encoding="utf-8") as fh:
            known = {r["path"]: r["verdict"] for r in csv.DictReader(fh, delimiter=";")}
        changed = [(p, known.get(p), v) for p, _, v in rows if known.get(p) != v]
        for path, old, new in changed:
            print(f"{path}: {old} → {new}")
        return int(bool(changed))
    with TABLE.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\n")
        writer.writerow(["path", "producer", "verdict"])
        writer.writerows(rows)
    by_producer = Counter((prod, verdict.split(":")[0]) for _, prod, verdict in rows)
    for (prod, verdict), n in sorted(by_producer.items()):
        print(f"{n:4d}  {prod:40.40s}  {verdict}")
    print(Counter(v for _, _, v in rows).most_common())
    return 0


if __name__ == "__main__":
    sys.exit(main())
