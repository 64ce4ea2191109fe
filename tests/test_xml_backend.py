"""Which XML writer openpyxl uses in this run: CI runs the workbook-writing tests under both."""

from __future__ import annotations

import importlib.util
import os

import openpyxl.xml
import pytest

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml


def test_openpyxl_xml_writer__follows_the_openpyxl_lxml_variable() -> None:
    wanted = os.environ.get("OPENPYXL_LXML", "True") == "True"
    has_lxml = importlib.util.find_spec("lxml") is not None
    assert openpyxl.xml.LXML is (wanted and has_lxml)
