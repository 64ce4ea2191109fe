"""msp-assessment: the MSP development self-assessment as an Excel workbook, at scale.

The public names are imported on first use, so that ``msp-assessment --help`` does not pay for
openpyxl.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from msp_assessment.client import Client
    from msp_assessment.errors import MspError
    from msp_assessment.instrument import Instrument, load_instrument
    from msp_assessment.outcome import FileOutcome, Report, Status
    from msp_assessment.problems import Code, Problem
    from msp_assessment.processing.run.options import RunOptions
    from msp_assessment.processing.run.pipeline import run
    from msp_assessment.workbook_templates import TemplateOptions, build_template, write_template

__version__ = "0.1.0"

_EXPORTS = {
    "Client": "msp_assessment.client",
    "Code": "msp_assessment.problems",
    "FileOutcome": "msp_assessment.outcome",
    "Instrument": "msp_assessment.instrument",
    "Problem": "msp_assessment.problems",
    "Report": "msp_assessment.outcome",
    "MspError": "msp_assessment.errors",
    "RunOptions": "msp_assessment.processing.run.options",
    "Status": "msp_assessment.outcome",
    "TemplateOptions": "msp_assessment.workbook_templates",
    "build_template": "msp_assessment.workbook_templates",
    "load_instrument": "msp_assessment.instrument",
    "run": "msp_assessment.processing.run.pipeline",
    "write_template": "msp_assessment.workbook_templates",
}

__all__ = [
    "Client",
    "Code",
    "FileOutcome",
    "Instrument",
    "MspError",
    "Problem",
    "Report",
    "RunOptions",
    "Status",
    "TemplateOptions",
    "__version__",
    "build_template",
    "load_instrument",
    "run",
    "write_template",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'msp_assessment' has no attribute {name!r}")
