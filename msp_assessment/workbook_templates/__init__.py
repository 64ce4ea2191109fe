"""Writing workbooks: the template's layout, styles and the cell-name contract."""

from msp_assessment.workbook_templates.template import (
    TemplateOptions,
    build_template,
    write_template,
)

__all__ = ["TemplateOptions", "build_template", "write_template"]
