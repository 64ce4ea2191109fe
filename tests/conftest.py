"""Shared fixtures: tiny builders for workbooks made in code inside tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from msp_assessment.client import Client
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.workbook_templates import TemplateOptions, write_template
from tests.support import smtp_server
from tests.support.smtp_server import PASSWORD, SmtpServer


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (STARTTLS, AUTH) for one test; the clients trust its CA."""
    running = smtp_server.start(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(running.ca_file))
    monkeypatch.setenv("MSP_SMTP_PASSWORD", PASSWORD)
    yield running
    running.controller.stop()


@pytest.fixture(scope="session")
def instrument() -> Instrument:
    return load_instrument()


@pytest.fixture
def make_template(tmp_path: Path) -> Callable[..., Path]:
    """Write a template (optionally personalized) into tmp_path and return its path."""

    def make(
        name: str = "plantilla.xlsx", client: Client = Client(), password: str | None = None
    ) -> Path:
        path = tmp_path / name
        write_template(path, options=TemplateOptions(client=client, password=password))
        return path

    return make


def pytest_report_header() -> str:
    import openpyxl.xml

    return f"openpyxl escribe XML con: {'lxml' if openpyxl.xml.LXML else 'xml.etree (sin lxml)'}"
