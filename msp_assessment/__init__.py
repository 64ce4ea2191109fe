"""msp-assessment: the MSP development self-assessment as an Excel workbook, at scale.

The public names are imported on first use, so that ``msp-assessment --help`` does not pay for
openpyxl and pandas.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from msp_assessment.client import Client
    from msp_assessment.instrument import Instrument, load_instrument
    from msp_assessment.workbook_templates import TemplateOptions, build_template, write_template

__version__ = "0.1.0"

_EXPORTS = {
    "Client": "msp_assessment.client",
    "Instrument": "msp_assessment.instrument",
    "load_instrument": "msp_assessment.instrument",
    "TemplateOptions": "msp_assessment.workbook_templates",
    "build_template": "msp_assessment.workbook_templates",
    "write_template": "msp_assessment.workbook_templates",
}

__all__ = [
    "Client",
    "Instrument",
    "TemplateOptions",
    "__version__",
    "build_template",
    "load_instrument",
    "write_template",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'msp_assessment' has no attribute {name!r}")
