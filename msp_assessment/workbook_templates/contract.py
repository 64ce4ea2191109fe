"""The cell-name contract between the template writer and the reader.

Everything that identifies a place in our workbooks lives here: sheet names, defined names, metadata
keys and header texts that are not part of the questionnaire, and the names of the files we write.
Writer and reader both import this module, so a rename happens in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

FORM_SHEET = "Autoevaluación"
META_SHEET = "_msp"
RESULTS_SHEET = "Resultados"
RESULTS_TITLE = "Resultados de la autoevaluación"  # A1 of the Resultados sheet
REVIEW_SHEET = "Revisión"
PLAN_SHEET = "Plan de acción"  # second in a results copy, after Resultados
# A2 of the Revisión sheet: which workbook the copy was made from (the sha256 of its bytes), so that
# the copy, corrected and returned, supersedes it whatever the file dates say.
REVIEW_ORIGIN_LABEL = "Referencia de esta copia (no la borre):"

# The files a run writes beside each other: a copy per workbook and one summary.
RESULTS_SUFFIX = "-resultados.xlsx"
REVIEW_SUFFIX = "-revisar.xlsx"
REPORT_SUFFIX = "-informe.pdf"
SUMMARY_NAME = "resumen.xlsx"
# The summary's stamp: a hidden sheet whose first row says what the workbook is.
STAMP_SHEET = "_msp"
STAMP_MARK = ("msp_summary", "resumen")

ANSWER_HEADER = "Respuesta (1-5)"
GENERATOR = "msp-assessment"

# Metadata, stored twice: as custom document properties and on the hidden META_SHEET.
META_INSTRUMENT_ID = "msp_instrument_id"
META_INSTRUMENT_VERSION = "msp_instrument_version"
META_CLIENT_ID = "msp_client_id"
META_KEYS = (META_INSTRUMENT_ID, META_INSTRUMENT_VERSION, META_CLIENT_ID)
# A results copy's custom property: where the client stands among their peers, as the copy
# shows it (benchmark.to_record), read back by deliver.
META_BENCHMARK = "msp_benchmark"


def answer_name(area: int, statement: int) -> str:
    """Defined name of the answer cell of area ``area`` (1-4), statement ``statement`` (1-5)."""
    return f"resp_{area}_{statement}"


def points_name(area: int, statement: int) -> str:
    return f"puntos_{area}_{statement}"


def statement_name(area: int, statement: int) -> str:
    """Defined name of the cell holding the statement's text (used to detect edited text)."""
    return f"afirm_{area}_{statement}"


def total_name(area: int) -> str:
    return f"total_{area}"


@dataclass(frozen=True)
class ClientField:
    key: str  # attribute of msp_assessment.client.Client
    name: str  # workbook-level defined name
    label: str  # what the client reads next to the input cell
    prompt: str  # input prompt shown when the cell is selected


CLIENT_FIELDS = (
    ClientField("company", "cliente_empresa", "Empresa", "Nombre de su empresa."),
    ClientField("contact", "cliente_contacto", "Contacto", "Persona que rellena el cuestionario."),
    ClientField("email", "cliente_email", "Email", "Correo electrónico de contacto."),
    ClientField("date", "cliente_fecha", "Fecha", "Fecha en que rellena el cuestionario."),
)
CLIENT_ID_NAME = "cliente_id"
CLIENT_ID_LABEL = "Referencia"
