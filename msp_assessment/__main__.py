"""``python -m msp_assessment`` and the ``msp-assessment`` command."""

from __future__ import annotations

import sys


def main() -> None:
    # openpyxl imports numpy whenever it is installed, only to accept numpy's number types,
    # which the program never hands it: a third of a one-file run's start-up. The command keeps
    # it out (the library, imported by others, leaves it be).
    sys.modules.setdefault("numpy", None)  # type: ignore[arg-type]
    from msp_assessment.cli import main as command

    command()


if __name__ == "__main__":
    main()
