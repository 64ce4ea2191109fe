"""Reading returned workbooks back: intake, reading, validation, scoring, outputs."""
