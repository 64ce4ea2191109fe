"""The raw package XML of .xlsx files, in one place.

- ``package``: namespaces, content types, the parts of a package read once, the XML check and
  relationships;
- ``read``: a workbook's values straight from its XML (the fast reader);
- ``sheetml``: the sheets we add, written as SpreadsheetML, their styles and chart parts;
- ``splice``: adds those sheets to a client's own package, through ``edit`` (the package while
  it is edited) and one module of ``bytes → bytes`` functions per part it edits:
  ``workbook_part``, ``styles_part``, ``worksheet_part`` and ``comments_part``.
"""
