"""Write resumen.xlsx: Resumen, Incidencias, Estadísticas and Respuestas (always atomically)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome, Status
from msp_assessment.problems import LABELS, Problem
from msp_assessment.processing.portfolio.cells import (
    NO_CLIENT,
    header_row,
    put_date,
    put_decimal,
    put_note,
    put_text,
)
from msp_assessment.processing.portfolio.consolidate import (
    OUTSIDE_LABEL,
    STATUS_LABELS,
    SUPERSEDED_LABEL,
    Consolidation,
    comparison,
    outside_problem,
    resumen_headers,
    resumen_rows,
    superseded_problem,
)
from msp_assessment.processing.portfolio.rounds import (
    INSTRUMENT_ID,
    INSTRUMENT_VERSION,
    ROUND_DATE,
    ROUND_NAME,
)
from msp_assessment.processing.portfolio.statistics import write_statistics
from msp_assessment.processing.portfolio.streamed import add_sheet, save, whole
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette
from msp_assessment.workbook_templates.cells import (
    print_setup,
    set_text,
    stage_cell,
    styled,
)
from msp_assessment.workbook_templates.contract import STAMP_MARK, STAMP_SHEET

SHEETS = ("Resumen", "Incidencias", "Estadísticas", "Respuestas")
EVOLUTION = "Evolución"


def summary_bytes(consolidation: Consolidation, instrument: Instrument) -> bytes:
    """The summary workbook as a file's bytes (written atomically by run.pipeline, which may
    build it ahead of time: run.ahead), each sheet made while it is written (streamed): with
    thousands of clients, their rows are never all held at once."""
    return save(summary_workbook(consolidation, instrument))


def summary_workbook(consolidation: Consolidation, instrument: Instrument) -> Workbook:
    """The summary workbook: Resumen, Incidencias, Estadísticas, Respuestas (and Evolución),
    each sheet still to be made by its builder (``streamed.build_all`` makes them all)."""
    wb = Workbook()
    wb.remove(wb.worksheets[0])  # the sheet a Workbook starts with: ours are streamed
    cons = consolidation
    add_sheet(wb, SHEETS[0], partial(_resumen, cons=cons, instrument=instrument))
    add_sheet(wb, SHEETS[1], partial(_incidencias, cons=cons))
    add_sheet(wb, SHEETS[2], whole(partial(write_statistics, cons=cons, instrument=instrument)))
    add_sheet(wb, SHEETS[3], partial(_respuestas, cons=cons, instrument=instrument))
    if cons.rounds:
        from msp_assessment.processing.portfolio.evolution import evolve
        from msp_assessment.processing.portfolio.evolution_sheet import write_evolution

        evo = evolve(cons.counted, cons.rounds, instrument, cons.round_label)
        add_sheet(wb, EVOLUTION, whole(partial(write_evolution, evo=evo)), 3)
    for ws in wb.worksheets:
        _print_setup(ws)
    add_sheet(wb, STAMP_SHEET, whole(partial(_stamp, cons=cons, instrument=instrument)))
    wb.properties.creator = contract.GENERATOR
    wb.properties.title = "Resumen de la autoevaluación del desarrollo como MSP"
    return wb


def _stamp(ws: Worksheet, cons: Consolidation, instrument: Instrument) -> None:
    """Our mark, for a later round's --previous: the hidden sheet «_msp» (LibreOffice keeps it
    when it saves the file) with the instrument, its version and this round's date."""
    day = cons.round_date
    rows = [
        STAMP_MARK,
        (INSTRUMENT_ID, instrument.id),
        (INSTRUMENT_VERSION, instrument.version),
        (ROUND_DATE, day.isoformat() if day else ""),
        (ROUND_NAME, cons.round_name or ""),
    ]
    for key, value in rows:
        ws.append([key, value])
        set_text(ws.cell(row=ws.max_row, column=2), value)
    ws.sheet_state = "hidden"


def _print_setup(ws: Worksheet) -> None:
    """Every sheet prints readably on A4: the wide tables two pages wide (a page holds about half
    their columns at a size one can read), with the header row and the columns that say whose
    row it is on every page; Estadísticas, tall with its charts beside the tables, one page
    wide."""
    if ws.title == SHEETS[2]:
        print_setup(ws)
        return
    if ws.title == EVOLUTION:
        print_setup(ws, landscape=True)
        return
    who = {SHEETS[0]: "A:B", SHEETS[1]: "A:A", SHEETS[3]: "A:B"}[ws.title]
    print_setup(ws, landscape=True, pages_wide=2, repeat_rows="1:1", repeat_cols=who)


def _resumen(ws: Worksheet, cons: Consolidation, instrument: Instrument) -> Iterator[None]:
    with_list = cons.roster is not None
    headers = resumen_headers(instrument, with_list)
    n_areas = len(instrument.areas)
    widths = [14, 28, 22, 28, 28, 12, *([16] * (2 * n_areas)), 12, 12, 12, 44, 30]
    header_row(ws, headers, widths[: len(headers)])
    ws.row_dimensions[1].height = 62
    ws.freeze_panes = "C2"
    rows = resumen_rows(cons)
    for row, entry in enumerate(rows, start=2):
        client, outcome, score = entry.client, entry.outcome, entry.score
        who = (client.id, client.company, client.contact, client.email)
        _who_cells(ws, row, (*who, outcome.file_name if outcome is not None else None), widths)
        if entry.situation is not None:
            ws.cell(row=row, column=len(headers), value=entry.situation)
        if score is None or outcome is None:
            yield
            continue
        put_date(ws, row, 6, outcome.date)
        for i, area in enumerate(score.areas):
            ws.cell(row=row, column=7 + i, value=area.total)
            put_decimal(
                ws, row, 7 + n_areas + i, area.average, fill=palette.stage_fill(area.stage.id)
            )
        put_decimal(ws, row, 7 + 2 * n_areas, score.average, font=palette.BOLD)
        stage_cell(ws, row, 8 + 2 * n_areas, score.stage.id, score.stage.name)
        percentile, against = comparison(outcome)
        ws.cell(row=row, column=9 + 2 * n_areas, value=percentile).alignment = palette.CENTER
        put_text(ws, row, 10 + 2 * n_areas, against)
        yield
    last = len(rows) + 1
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(last, 2)}"
    if cons.response is not None:
        # Within the columns printed on every page (A:B), wrapped: whole on each page.
        put_note(ws, last + 2, cons.response, 2)
        ws.row_dimensions[last + 2].height = palette.row_height(cons.response, sum(widths[:2]))
    elif not cons.counted:
        put_note(ws, 3, NO_CLIENT + " Vea la hoja Incidencias.", 8)


def _who_cells(ws: Worksheet, row: int, values: tuple[str | None, ...], widths: list[int]) -> None:
    """Whose row it is (id, company, contact, email, file), as text; a value longer than its
    column wraps within it, the row as tall as it needs, rather than being cut at its edge."""
    height = 0.0
    for col, value in enumerate(values, start=1):
        put_text(ws, row, col, value)
        if value and len(value) > widths[col - 1] - 2:
            styled(ws.cell(row=row, column=col), alignment=palette.WRAP)
            height = max(height, palette.row_height(value, widths[col - 1] - 2))
    if height:
        ws.row_dimensions[row].height = height


def _incidencias(ws: Worksheet, cons: Consolidation) -> Iterator[None]:
    headers = [
        "Archivo",
        "Id. cliente",
        "Empresa",
        "Contacto",
        "Email",
        "Estado",
        "Nº de problemas",
        "Problemas",
        "Qué hay que hacer",
        "Celdas",
        "Código",
    ]
    header_row(ws, headers, [30, 14, 26, 22, 28, 14, 11, 26, 80, 18, 16])
    ws.freeze_panes = "B2"
    outside = {id(o) for o in cons.outside}

    def flagged(o: FileOutcome) -> tuple[Problem, ...]:
        return (*o.problems, outside_problem(o)) if id(o) in outside else o.problems

    entries: list[tuple[FileOutcome, str, tuple[Problem, ...]]] = [
        (o, STATUS_LABELS[o.status], flagged(o))
        for o in cons.issues
        if not (o.status is Status.UNREADABLE and id(o) in outside)
    ]
    entries += [(o, OUTSIDE_LABEL, (outside_problem(o),)) for o in cons.counted if id(o) in outside]
    entries += [(e.outcome, SUPERSEDED_LABEL, (superseded_problem(e),)) for e in cons.superseded]
    for row, (outcome, label, problems) in enumerate(entries, start=2):
        known = outcome.status is not Status.UNREADABLE
        client = outcome.client
        messages = "\n".join(f"{i}. {prob.message}" for i, prob in enumerate(problems, start=1))
        texts = [
            outcome.file_name,
            *((client.id, client.company, client.contact, client.email) if known else [None] * 4),
            None,
            None,
            "\n".join(LABELS[prob.code] for prob in problems),
            messages,
            "\n".join(_where(prob) for prob in problems),
            "\n".join(prob.code for prob in problems),
        ]
        for col, text in enumerate(texts, start=1):  # each cell fetched once: thousands of rows
            cell = ws.cell(row=row, column=col)
            if text:
                set_text(cell, text)
            if col < 11:
                styled(cell, alignment=palette.WRAP)
            else:
                styled(cell, alignment=palette.WRAP, font=palette.CODE_FONT)
        ws.cell(row=row, column=6, value=label)
        ws.cell(row=row, column=7, value=len(problems))
        ws.row_dimensions[row].height = min(409, palette.row_height(messages, 95))
        yield
    if entries:
        ws.auto_filter.ref = f"A1:K{len(entries) + 1}"
    else:
        put_note(ws, 3, "Sin incidencias: todos los libros de esta ejecución se han puntuado.", 11)


def _where(prob: Problem) -> str:
    return f"{prob.sheet}!{prob.cell}" if prob.sheet and prob.cell else "—"


def _respuestas(ws: Worksheet, cons: Consolidation, instrument: Instrument) -> Iterator[None]:
    statements = [st for _, st in instrument.statements]
    headers = ["Id. cliente", "Empresa", "Archivo", *(st.id for st in statements)]
    header_row(ws, headers, [14, 28, 28, *([13] * len(statements))])
    for col, st in enumerate(statements, start=4):
        ws.cell(row=1, column=col).comment = Comment(
            st.text, contract.GENERATOR, width=300, height=90
        )
    ws.freeze_panes = "D2"
    for row, outcome in enumerate(cons.counted, start=2):
        put_text(ws, row, 1, outcome.client.id)
        put_text(ws, row, 2, outcome.client.company)
        put_text(ws, row, 3, outcome.file_name)
        for col, st in enumerate(statements, start=4):
            ws.cell(row=row, column=col, value=outcome.answers[st.id])
        yield
    if cons.counted:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{len(cons.counted) + 1}"
    else:
        put_note(ws, 3, NO_CLIENT, 8)
