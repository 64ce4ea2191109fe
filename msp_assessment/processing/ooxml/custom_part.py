"""docProps/custom.xml, the package's custom document properties: one text property set (added,
or replaced), with the part, its relationship and its content type made when the package has
none. What the properties mean is the caller's."""

from __future__ import annotations

import re

from msp_assessment.processing.ooxml.edit import PackageEdit
from msp_assessment.processing.ooxml.package import (
    CUSTOM_PROPS,
    DOC_RELS,
    VT,
    XML_DECLARATION,
    SpliceDeclinedError,
    insert_before,
)
from msp_assessment.text import xml_attribute, xml_escape

CUSTOM_PART = "docProps/custom.xml"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"  # the one user-defined properties take
PACKAGE_RELS = "_rels/.rels"


def set_text_property(edit: PackageEdit, name: str, value: str) -> None:
    """Property ``name`` of ``edit``'s package set to the text ``value``."""
    data = edit.parts.get(CUSTOM_PART)
    if data is None:
        if PACKAGE_RELS not in edit.parts:
            raise SpliceDeclinedError("a package without _rels/.rels")
        data = (
            f'{XML_DECLARATION}<Properties xmlns="{CUSTOM_PROPS}" xmlns:vt="{VT}"></Properties>'
        ).encode()
        edit.add_relationships("", [("rIdMspCustom", f"{DOC_RELS}/custom-properties", CUSTOM_PART)])
        edit.add_content_types([(CUSTOM_PART, CUSTOM_TYPE)])
    own = re.compile(
        rb"<property\b[^>]*\bname=([\"'])"
        + re.escape(xml_escape(name).encode())
        + rb"\1.*?</property>",
        re.S,
    )
    data = own.sub(b"", data)
    pids = [int(p) for p in re.findall(rb"\bpid=[\"'](\d+)[\"']", data)]
    pid = max([1, *pids]) + 1
    prop = (
        f'<property fmtid="{FMTID}" pid="{pid}" name={xml_attribute(name)}>'
        f'<vt:lpwstr xmlns:vt="{VT}">{xml_escape(value)}</vt:lpwstr></property>'
    ).encode()
    edit.parts[CUSTOM_PART] = insert_before(data, b"</Properties>", prop)
