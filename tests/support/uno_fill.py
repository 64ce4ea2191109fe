"""Open a workbook in headless LibreOffice Calc, fill named cells, save it as .xlsx.

Run with the Python that has LibreOffice's ``uno`` module (Debian: /usr/bin/python3 with
python3-uno), not the project's interpreter:

    python3 uno_fill.py INPUT OUTPUT VALUES_JSON

VALUES_JSON maps defined names to values (numbers or text). The script prints a JSON report of what
LibreOffice saw in the saved document: defined names, validations and sheet protection.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]


def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def connect(port, profile):
    proc = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            f"-env:UserInstallation={Path(profile).as_uri()}",
            f"--accept=socket,host=127.0.0.1,port={port};urp;",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local
    )
    deadline = time.monotonic() + 90
    while True:
        try:
            ctx = resolver.resolve(
                f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext"
            )
            break
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise
            time.sleep(0.5)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    return proc, desktop


def main():
    source, target, values_json = sys.argv[1], sys.argv[2], sys.argv[3]
    values = json.loads(values_json)
    port = 20000 + os.getpid() % 20000
    with tempfile.TemporaryDirectory() as profile:
        proc, desktop = connect(port, profile)
        try:
            doc = desktop.loadComponentFromURL(
                Path(source).resolve().as_uri(), "_blank", 0, (prop("Hidden", True),)
            )
            names = doc.NamedRanges
            for name, value in values.items():
                cell = names.getByName(name).getReferredCells().getCellByPosition(0, 0)
                if isinstance(value, str):
                    cell.setString(value)
                else:
                    cell.setValue(value)
            doc.calculateAll()
            doc.storeToURL(
                Path(target).resolve().as_uri(),
                (prop("FilterName", "Calc MS Excel 2007 XML"), prop("Overwrite", True)),
            )
            sheet = doc.Sheets.getByIndex(0)
            report = {
                "names": sorted(names.ElementNames),
                "sheets": list(doc.Sheets.ElementNames),
                "protected": bool(sheet.isProtected()),
            }
            doc.close(True)
        finally:
            with contextlib.suppress(Exception):
                desktop.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
