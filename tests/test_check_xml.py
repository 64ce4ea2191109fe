"""A worksheet checked by its rows (package._check_by_rows) passes and fails exactly where the
whole document checked by expat does, the first time and once its rows are known."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.parsers import expat

import pytest

from msp_assessment.processing.ooxml import package
from msp_assessment.processing.ooxml.package import DeclinedError, check_xml
from tests.support.corpus import CORPUS
from tests.support.hostile import valid
from tests.support.programs import skip_unless_ci

MAIN = package.MAIN
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<worksheet xmlns="{MAIN}" xmlns:x14ac="{X14AC}"><dimension ref="A1:B40"/>'
    "<sheetData>"
)
TAIL = '</sheetData><pageMargins left="0.7" right="0.7"/></worksheet>'
FILLER = "".join(
    f'<row r="{n}" x14ac:dyDescent="0.25"><c r="A{n}" t="inlineStr"><is><t>Afirmación {n} '
    f'{"texto largo " * 20}</t></is></c><c r="B{n}" s="3"/></row>'
    for n in range(2, 40)
)


def sheet(row: str, *, head: str = HEAD, tail: str = TAIL) -> bytes:
    """A worksheet big enough to be checked by rows, with ``row`` among the common ones."""
    return (head + FILLER + row + tail).encode()


def whole(raw: bytes) -> type[Exception] | None:
    """What expat says of the whole document: None, or the kind of error."""
    try:
        package._check_whole.__wrapped__(raw)  # type: ignore[attr-defined]
    except (expat.ExpatError, DeclinedError) as err:
        return type(err)
    return None


def by_check_xml(raw: bytes) -> type[Exception] | None:
    try:
        check_xml(raw)
    except (expat.ExpatError, DeclinedError) as err:
        return type(err)
    return None


CASES = {
    "fine": sheet('<row r="40"><c r="A40"><v>3</v></c></row>'),
    "an undeclared prefix in a row": sheet('<row r="40"><c r="A40" y:z="1"/></row>'),
    "an entity in a row": sheet('<row r="40"><c r="A40" t="str"><v>&nbsp;</v></c></row>'),
    "a cell closed twice": sheet('<row r="40"><c r="A40"/></c></row>'),
    "a row inside a row": sheet('<row r="40"><row r="41"></row></row>'),
    "a self-closing row, then a stray end": sheet('<row r="40"/><c r="A40"/></row>'),
    "a comment across rows": sheet('<row r="40"><!-- </row><row r="41"> --></row>'),
    "a CDATA section holding a row end": sheet(
        '<row r="40"><c r="A40" t="str"><v><![CDATA[</row>]]></v></c></row>'
    ),
    "text after the last row": sheet('<row r="40"></row>texto'),
    "a form feed after the last row": sheet('<row r="40"></row>\x0c'),
    "a form feed before a row": sheet('\x0c<row r="40"></row>'),
    "a row left open": sheet('<row r="40"><c r="A40"/>'),
    "an undeclared prefix outside the rows": sheet(
        '<row r="40"></row>', tail="</sheetData><q:x/></worksheet>"
    ),
    "a DTD": ("<!DOCTYPE worksheet []>" + HEAD[HEAD.index("\n") + 1 :] + FILLER + TAIL).encode(),
    "two sheetData": sheet(
        '<row r="40"></row>', tail="</sheetData><sheetData></sheetData></worksheet>"
    ),
    "a > in the root's attributes": sheet(
        '<row r="40"></row>', head=HEAD.replace("<worksheet ", '<worksheet a=">" ')
    ),
    "another encoding": sheet('<row r="40"></row>', head=HEAD.replace("UTF-8", "ISO-8859-1")),
    "prefix declared on a row of its own": sheet(
        f'<row r="40" xmlns:y="{X14AC}"><c r="A40" y:z="1"/></row>'
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hand_made_sheets__as_the_whole_check(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = CASES[name]
    assert len(raw) >= package._BY_ROWS_FROM
    expected = whole(raw)
    monkeypatch.setattr(package, "_CHECKED_ROWS", {})
    assert by_check_xml(raw) is expected, name  # rows new
    assert by_check_xml(raw) is expected, name  # rows known (those that passed)
    assert by_check_xml(CASES["fine"]) is None
    assert by_check_xml(raw) is expected, name  # after another sheet's rows


def test_rows_that_balance_only_together__never_pass_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two «rows» that make one element only one after the other (a row left open, then an
    end) are not rows: neither is kept as checked, so a sheet with the first alone fails."""
    monkeypatch.setattr(package, "_CHECKED_ROWS", {})
    together = sheet('<row r="40"><row r="41"></row></row>')
    alone = sheet('<row r="40"><row r="41"></row>')
    assert by_check_xml(together) is whole(together) is None
    assert by_check_xml(alone) is whole(alone) is expat.ExpatError


def test_fine_sheets__checked_by_rows__known_rows_not_parsed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(package, "_CHECKED_ROWS", {})
    parsed: list[int] = []
    check = package._check_whole

    def counted(raw: bytes) -> None:
        parsed.append(len(raw))
        check(raw)

    monkeypatch.setattr(package, "_check_whole", counted)
    first = sheet('<row r="40"><c r="A40"><v>1</v></c></row>')
    assert package._check_by_rows(first)
    second = sheet('<row r="40"><c r="A40"><v>2</v></c></row>')
    parsed.clear()
    assert package._check_by_rows(second)
    # The new row inside the two start tags, then the document without its rows.
    assert parsed == [parsed[0], len(HEAD) + len(TAIL)] and parsed[0] < 400, parsed


def test_corpus_and_battery_sheets__as_the_whole_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not CORPUS.is_dir():
        skip_unless_ci(f"el corpus compartido no está en {CORPUS}")
    monkeypatch.setattr(package, "_CHECKED_ROWS", {})
    paths = [p for p in CORPUS.rglob("*") if p.suffix.lower() in (".xlsx", ".xlsm")]
    paths.append(valid(tmp_path / "v.xlsx"))
    by_rows = 0
    for path in paths:
        try:
            archive = zipfile.ZipFile(path)
            sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
            parts = [archive.read(n) for n in sheets]
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            continue
        for raw in parts:
            if len(raw) >= package._BY_ROWS_FROM:
                by_rows += package._check_by_rows(raw)
            assert by_check_xml(raw) is whole(raw), path
    assert by_rows > 30, by_rows


def test_a_very_big_sheet__checked_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past a few MB a sheet is parsed once, whole: checking it by rows would hold copies of its
    rows in memory."""
    asked: list[int] = []
    monkeypatch.setattr(package, "_check_by_rows", lambda raw: asked.append(len(raw)) or False)
    big = sheet(FILLER * (package._BY_ROWS_UP_TO // len(FILLER) + 1))
    assert by_check_xml(big) is whole(big) is None and asked == []
    assert by_check_xml(CASES["fine"]) is None and asked == [len(CASES["fine"])]
