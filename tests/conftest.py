"""Shared fixtures: tiny builders for workbooks made in code inside tmp_path."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from msp_assessment.client import Client
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.workbook_templates import TemplateOptions, write_template
from tests import smtp_server
from tests.smtp_server import PASSWORD, SmtpServer

DATA = Path(__file__).parent / "data"
UNO_PYTHON = "/usr/bin/python3"


def libreoffice_missing_reason() -> str | None:
    """Why LibreOffice tests cannot run here, or None when they can."""
    if shutil.which("soffice") is None:
        return (
            "LibreOffice no está instalado (falta soffice: apt-get install libreoffice-calc-nogui)"
        )
    if not Path(UNO_PYTHON).exists():
        return "falta Python UNO (apt-get install python3-uno)"
    return None


def in_ci() -> bool:
    """CI sets CI=true: there every test must run, so a missing tool fails instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def skip_unless_ci(reason: str) -> None:
    """Skip with ``reason`` on a developer's machine; under CI, fail with it."""
    if in_ci():
        pytest.fail(f"En CI esta prueba tiene que ejecutarse: {reason}")
    pytest.skip(reason)


def require_libreoffice() -> None:
    """Skip with a clear reason when LibreOffice is absent; in CI that is a failure."""
    reason = libreoffice_missing_reason()
    if reason is not None:
        skip_unless_ci(reason)


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


def soffice_convert(source: Path, target_format: str, outdir: Path) -> Path:
    """Convert ``source`` with headless LibreOffice (its own profile) and return the new file.

    ``target_format`` is what ``soffice --convert-to`` takes, e.g. ``pdf`` or
    ``csv:Text - txt - csv (StarCalc):44,34,76`` (comma, double quote, UTF-8).
    """
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / ".lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.resolve().as_uri()}",
            "--headless",
            "--convert-to",
            target_format,
            "--outdir",
            str(outdir),
            str(source),
        ],
        capture_output=True,
        timeout=300,
        check=True,
    )
    converted = outdir / f"{source.stem}.{target_format.split(':')[0]}"
    if not converted.exists():
        raise AssertionError(f"LibreOffice did not convert {source} to {target_format}")
    return converted


def pytest_report_header() -> str:
    import openpyxl.xml

    return f"openpyxl escribe XML con: {'lxml' if openpyxl.xml.LXML else 'xml.etree (sin lxml)'}"
