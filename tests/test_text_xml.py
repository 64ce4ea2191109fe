"""Our XML escaping gives what the standard library's does (xml.sax.saxutils, which the package
does not import: it brings urllib, http and ssl into every start-up; test_imports checks)."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import pytest

from msp_assessment.text import xml_attribute, xml_escape

TEXTS = [
    "",
    "Ñandú & Cía <S.L.>",
    'comillas "dobles"',
    "comillas 'simples'",
    "las dos: \"a\" y 'b'",
    "saltos\nde\rlínea\tcon tabulador",
    "&amp; ya escapado",
    "]]> fin de CDATA",
]


@pytest.mark.parametrize("text", TEXTS)
def test_as_saxutils(text: str) -> None:
    assert xml_escape(text) == escape(text)
    assert xml_escape(text, {'"': "&quot;"}) == escape(text, {'"': "&quot;"})
    assert xml_attribute(text) == quoteattr(text)
