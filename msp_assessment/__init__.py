"""msp-assessment: the MSP development self-assessment as an Excel workbook, at scale."""

from msp_assessment.client import Client
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.workbook_templates import TemplateOptions, build_template, write_template

__version__ = "0.1.0"

__all__ = [
    "Client",
    "Instrument",
    "TemplateOptions",
    "__version__",
    "build_template",
    "load_instrument",
    "write_template",
]
