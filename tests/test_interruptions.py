"""Killed, interrupted or out of disk: no half-written output, and a re-run finishes the job."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import write_filled
from tests.support.hostile import ANSWERS

FILES = 24


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lote") / "recibidos"
    for i in range(FILES):
        write_filled(folder / f"cliente-{i:02d}.xlsx", ANSWERS, client=Client(f"C-{i}", f"E{i}"))
    return folder


def start_process(inbox: Path, out: Path) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "msp_assessment", "process", str(inbox), "-o", str(out)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for_results(out: Path, proc: subprocess.Popen[bytes], at_least: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir() and len(list(out.glob("*-resultados.xlsx"))) >= at_least:
            return
        time.sleep(0.005)
    raise AssertionError("the batch finished or stalled before it could be interrupted")


def assert_every_visible_output_complete(out: Path) -> None:
    for path in out.glob("*.xlsx"):
        openpyxl.load_workbook(path).close()  # a half-written file would not open


def test_killed_mid_batch__no_partial_output_and_rerun_completes(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    proc = start_process(inbox, out)
    wait_for_results(out, proc, at_least=3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = len(list(out.glob("*-resultados.xlsx")))
    assert 3 <= done < FILES
    assert not (out / "resumen.xlsx").exists()
    assert_every_visible_output_complete(out)
    result = CliRunner().invoke(cli, ["process", str(inbox), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*-resultados.xlsx"))) == FILES
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no leftovers
    summary = openpyxl.load_workbook(out / "resumen.xlsx")["Resumen"]
    assert summary.max_row == FILES + 1


def test_ctrl_c__clear_message_exit_130_and_no_partial_output(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = start_process(inbox, out)
    wait_for_results(out, proc, at_least=2)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    text = stderr.decode()
    assert "Interrumpido." in text and "Traceback" not in text
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert_every_visible_output_complete(out)


def limit_file_size() -> None:
    """In the child: any file may grow to 8 KB at most, as if the disk were full beyond that.

    Python ignores SIGXFSZ, so a write past the limit fails with EFBIG instead of killing it.
    """
    resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024, 8 * 1024))


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_disk_full__clear_spanish_error_no_traceback_no_leftovers(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = [sys.executable, "-m", "msp_assessment", "process", str(inbox), "-o", str(out)]
    done = subprocess.run(
        args, capture_output=True, timeout=300, preexec_fn=limit_file_size, env=os.environ.copy()
    )
    stderr = done.stderr.decode()
    assert done.returncode == 1
    assert "Traceback" not in stderr
    assert "No se pudo escribir" in stderr
    assert "el archivo supera el tamaño máximo que admite el sistema" in stderr
    assert list(out.iterdir()) == []  # the one output tried was removed, nothing half-written


def test_output_folder_that_cannot_be_created__clear_error(inbox: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "archivo.txt"
    blocker.write_text("no soy una carpeta")
    result = CliRunner().invoke(
        cli, ["process", str(inbox / "cliente-00.xlsx"), "-o", str(blocker / "sub")]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: No se pudo escribir {blocker / 'sub' / 'cliente-00-resultados.xlsx'}: una parte "
        "de la ruta no es una carpeta."
    )
