"""What the Resultados and Revisión sheets show, laid out as a ``Draft`` (ooxml/sheetml.py writes
it as SpreadsheetML, and the splice adds it to the client's own package)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from openpyxl.utils.cell import get_column_letter

from msp_assessment.benchmark import Benchmark, NoBenchmark, Standing
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import Change, PastResult, change
from msp_assessment.problems import Problem, grouped
from msp_assessment.processing.copies.looks import header, paragraph
from msp_assessment.processing.ooxml.sheetml import Draft
from msp_assessment.scoring import (
    CHART_TITLE,
    Score,
    area_next_stage,
    computation,
    global_next_stage,
)
from msp_assessment.text import count, format_es, parse_date, signed_es
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates import styles as palette

CHART_ROWS = 18  # rows the radar chart covers below the area table
BENCHMARK_HEADERS = ["Posición entre otros MSP", "Referencia: P25 – mediana – P75"]
GLOBAL_BENCHMARK_HEADERS = ["Percentil", BENCHMARK_HEADERS[1]]  # column D is narrower
SHOWN_ROUNDS = 3  # earlier rounds the Evolución table has room for (the latest ones)
WIDTHS = {"A": 42, "B": 16, "C": 14, "D": 16, "E": 30, "F": 30}
LAST_COL = len(WIDTHS)
REVIEW_WIDTHS = {"A": 6, "B": 30, "C": 12, "D": 18, "E": 90}
REVIEW_HEADERS = ["Nº", "Área", "Afirmación", "Celda", "Qué hay que corregir"]
REVIEW_FIRST_ROW = 6  # the first problem; rows above stay in view
INTERVALS_NOTE = (
    "Cómo se leen los intervalos: cada etapa incluye su límite inferior y excluye el superior, "
    "salvo Escalable, que incluye el 5: [1, 2) Reactivo, [2, 3) Estable, [3, 4) Proactivo, [4, 5] "
    "Escalable. Así, una media de 1,95 corresponde a Reactivo y una de 4,00 a Escalable."
)


def results_draft(
    instrument: Instrument,
    score: Score,
    client: Client,
    when: str | None,
    source_name: str,
    past: tuple[PastResult, ...] = (),
    benchmark: Benchmark | NoBenchmark | None = None,
) -> Draft:
    """What the Resultados sheet shows for one scored workbook (with ``past``, the client's
    results in earlier rounds, a section «Evolución» and one radar series per round; with
    ``benchmark``, where the client stands among the reference's MSPs)."""
    d = Draft(widths=dict(WIDTHS), chart_title=CHART_TITLE)
    d.put(1, 1, contract.RESULTS_TITLE, "title")
    d.heights[1] = 26
    row = _client_section(d, 3, client, when, source_name)
    row = _global_section(d, row + 2, score, benchmark)
    row = _areas_section(d, row + 2, score, benchmark)
    if past:
        row = _evolution_section(d, row + 2, score, past[-SHOWN_ROUNDS:])
    d.chart_row = row + 2
    row = d.chart_row + CHART_ROWS
    row = _tips_section(d, row + 2, instrument, score)
    row = _stages_section(d, row + 2, instrument)
    _scoring_section(d, row + 2, instrument, score)
    return d


def _client_section(d: Draft, row: int, client: Client, when: str | None, source: str) -> int:
    """Who answered, from ``row``; the last row used."""
    d.put(row, 1, "Datos de la empresa", "heading")
    client_rows: list[tuple[str, object]] = [
        ("Empresa", client.company),
        ("Contacto", client.contact),
        ("Email", client.email),
        ("Fecha", parse_date(when) or when),  # a real date, however it was typed
        (contract.CLIENT_ID_LABEL, client.id),
        ("Archivo recibido", source),
    ]
    for label, value in client_rows:
        row += 1
        d.put(row, 1, label, "bold")
        d.put(row, 2, value or "—", "date" if isinstance(value, date) else None)
    return row


def _global_section(
    d: Draft, row: int, score: Score, benchmark: Benchmark | NoBenchmark | None
) -> int:
    """The global average, its stage and the stage's characteristics; where it stands among the
    reference's MSPs."""
    d.put(row, 1, "Resultado global", "heading")
    shown = isinstance(benchmark, Benchmark)
    header(
        d,
        row + 1,
        ["Puntuación global", "Media", "Etapa", *(GLOBAL_BENCHMARK_HEADERS if shown else [])],
    )
    row += 2
    d.put(row, 1, "Media de las cuatro áreas", "boxed")
    d.put(row, 2, float(score.average), "average")
    d.put(row, 3, score.stage.name, f"stage:{score.stage.id}")
    if isinstance(benchmark, Benchmark):
        _standing(d, row, 4, benchmark.overall)
    row += 1
    d.put(row, 1, "Características de la etapa", "bold_wrap")
    d.put(row, 2, score.stage.characteristics, "wrap")
    d.merge(row, 2, LAST_COL)
    d.heights[row] = 32
    if benchmark is not None:
        row += 1
        d.put(row, 1, "Frente a otros MSP", "bold_wrap")
        d.put(row, 2, benchmark.sentence, "wrap")
        d.merge(row, 2, LAST_COL)
        d.heights[row] = palette.row_height(benchmark.sentence, 115)
    return row


def _standing(d: Draft, row: int, col: int, found: Standing) -> None:
    """A value's percentile and the reference's band, in two cells from ``col``."""
    d.put(row, col, f"percentil {found.position.percentile}", "boxed_center")
    d.put(row, col + 1, found.band.text, "boxed_center")


def _areas_section(
    d: Draft, row: int, score: Score, benchmark: Benchmark | NoBenchmark | None
) -> int:
    """One row per area (the table the radar reads), then room for the radar."""
    d.put(row, 1, "Resultados por área", "heading")
    row += 1
    d.chart_header_row = row
    d.chart_series = (3,)
    shown = benchmark if isinstance(benchmark, Benchmark) else None
    header(
        d, row, ["Área", "Total de puntos", "Media", "Etapa", *(BENCHMARK_HEADERS if shown else [])]
    )
    for i, area_score in enumerate(score.areas):
        row += 1
        d.put(row, 1, area_score.area.name, "boxed")
        d.put(row, 2, area_score.total, "boxed_center")
        d.put(row, 3, float(area_score.average), "average")
        d.put(row, 4, area_score.stage.name, f"stage:{area_score.stage.id}")
        if shown is not None:
            _standing(d, row, 5, shown.areas[i])
    return row


def _evolution_section(d: Draft, row: int, score: Score, past: tuple[PastResult, ...]) -> int:
    """Each area's average in the earlier rounds and now, and the change since the last one;
    the radar reads this table, one series per round."""
    d.put(row, 1, "Evolución", "heading")
    row += 1
    now = 2 + len(past)  # the column of this round
    dates = [f"Media {p.label}" for p in past]
    header(d, row, ["Área", *dates, "Media actual", "Cambio"])
    d.heights[row] = 30  # the dates wrap onto a second line
    d.chart_header_row = row
    d.chart_series = tuple(range(2, now + 1))
    lines = [
        (a.area.name, a.average, [p.score.areas[i].average for p in past])
        for i, a in enumerate(score.areas)
    ]
    lines.append(("Puntuación global", score.average, [p.score.average for p in past]))
    for name, current, earlier in lines:
        row += 1
        d.put(row, 1, name, "boxed")
        for col, value in enumerate(earlier, start=2):
            d.put(row, col, float(value), "average")
        d.put(row, now, float(current), "average")
        d.put(row, now + 1, signed_es(current - earlier[-1]), "boxed_center")
    row += 1
    d.put(row, 1, "Etapa", "bold")
    d.put(row, 2, change(score, past[-1]).stage_text)
    d.merge(row, 2, LAST_COL)
    return row


def _tips_section(d: Draft, row: int, instrument: Instrument, score: Score) -> int:
    """The document's tip for each area at that area's stage."""
    d.put(row, 1, "Consejos para avanzar", "heading")
    row += 1
    paragraph(d, row, instrument.tips_intro)
    row += 1
    header(d, row, ["Área", "Etapa del área", "Consejo"])
    d.merge(row, 3, LAST_COL)
    for area_score in score.areas:
        row += 1
        d.put(row, 1, area_score.area.name, "wrap")
        d.put(row, 2, area_score.stage.name, f"stage:{area_score.stage.id}")
        tip = instrument.tip(area_score.area, area_score.stage)
        d.put(row, 3, tip, "wrap")
        d.merge(row, 3, LAST_COL)
        d.heights[row] = palette.row_height(tip, 85)
    return row


def _stages_section(d: Draft, row: int, instrument: Instrument) -> int:
    """The document's table of stages, and how its intervals are read."""
    d.put(row, 1, instrument.stages_heading, "heading")
    row += 1
    header(d, row, list(instrument.stages_columns))
    d.merge(row, 3, LAST_COL)
    for stage in instrument.stages:
        row += 1
        d.put(row, 1, stage.range_text, "center")
        d.put(row, 2, stage.name, f"stage:{stage.id}")
        d.put(row, 3, stage.characteristics, "wrap")
        d.merge(row, 3, LAST_COL)
        d.heights[row] = palette.row_height(stage.characteristics, 85)
    row += 1
    paragraph(d, row, INTERVALS_NOTE)
    return row


def _scoring_section(d: Draft, row: int, instrument: Instrument, score: Score) -> int:
    """The document's scoring steps, and the arithmetic of this workbook."""
    d.put(row, 1, instrument.scoring.heading, "heading")
    for step in instrument.scoring.steps:
        row += 1
        paragraph(d, row, f"• {step}")
    row += 1
    paragraph(d, row, f"En este libro: {computation(score)}")
    return row


def review_draft(
    instrument: Instrument, problems: list[Problem], source_name: str, origin: str
) -> Draft:
    """What the Revisión sheet shows: every problem, where it is and how to fix it."""
    d = Draft(
        widths=dict(REVIEW_WIDTHS),
        freeze_row=REVIEW_FIRST_ROW,
        landscape=True,
        repeat_row=REVIEW_FIRST_ROW - 1,
    )
    d.put(1, 1, "Revisión de la autoevaluación", "title")
    d.heights[1] = 26
    d.put(2, 1, f"{contract.REVIEW_ORIGIN_LABEL} {origin}", "wrap")
    d.merge(2, 1, len(REVIEW_WIDTHS))
    intro = (
        f"El libro «{source_name}» no se ha podido puntuar todavía. Corrija cada punto de esta "
        "lista (las celdas afectadas están marcadas en color en la hoja del cuestionario), "
        "guarde el libro y envíelo de nuevo."
    )
    d.put(3, 1, intro, "wrap")
    d.merge(3, 1, len(REVIEW_WIDTHS))
    d.heights[3] = 34
    header(d, REVIEW_FIRST_ROW - 1, REVIEW_HEADERS)
    for i, line in enumerate(grouped(problems, instrument), start=1):
        row = REVIEW_FIRST_ROW - 1 + i
        # Every cell of the row reads from the top, beside the first line of the message; the
        # area wraps in its column rather than being cut at its edge.
        d.put(row, 1, i, "top_center")
        if len(line.problems) == 1:
            (prob,) = line.problems
            area = instrument.areas[prob.area - 1].name if prob.area else "—"
            d.put(row, 3, prob.statement, "top_center")
            d.put(row, 4, f"{prob.sheet}!{prob.cell}" if prob.sheet and prob.cell else "—", "wrap")
        else:  # every missing answer, on one line
            area = "Varias"
            d.put(row, 3, "—", "top_center")
            d.put(row, 4, "marcadas en color", "wrap")
        d.put(row, 2, area, "wrap")
        d.put(row, 5, line.message, "wrap")
        d.heights[row] = max(
            palette.row_height(line.message, 95),
            palette.row_height(area, REVIEW_WIDTHS["B"] - 4),
        )
    return d


PLAN_STATES = ("No iniciado", "En curso", "Completado")
PLAN_WIDTHS = [24.0, 12, 24, 50, 46, 18, 14, 14]
PLAN_WIDTHS_WITH_CHANGE = [24.0, 12, 16, 24, 46, 42, 18, 14, 14]  # «Cambio desde …» third
PLAN_HEADERS = [
    "Área",
    "Etapa",
    "Para la siguiente etapa",
    "Afirmaciones a trabajar",
    "Consejo del documento",
    "Responsable",
    "Fecha objetivo",
    "Estado",
]
PLAN_FIRST_ROW = 6
PLAN_NOTE = (
    "Una fila por área, de la que más margen tiene a la que menos. Las afirmaciones a trabajar son "
    "las de respuesta más baja del área, las que bastan para sumar los puntos que faltan. Las "
    "columnas Responsable, Fecha objetivo y Estado son suyas: rellénelas y guarde el libro como "
    "su plan."
)


def plan_draft(
    instrument: Instrument,
    score: Score,
    answers: Mapping[str, int],
    past: tuple[PastResult, ...] = (),
) -> Draft:
    """What the Plan de acción sheet shows: for each area, weakest first, the points to its next
    stage, the statements that hold it back (the document's words), the document's tip for its
    stage and the client's own columns; with ``past``, what moved since the latest round."""
    headers = list(PLAN_HEADERS)
    moved = change(score, past[-1]) if past else None
    if moved is not None:  # «Cambio desde …» after the stage
        headers.insert(2, f"Cambio desde {past[-1].since}")
    sizes = PLAN_WIDTHS_WITH_CHANGE if moved is not None else PLAN_WIDTHS
    widths = {get_column_letter(i): float(w) for i, w in enumerate(sizes, start=1)}
    d = Draft(widths=widths, landscape=True, repeat_row=PLAN_FIRST_ROW - 1, selected=False)
    last = len(widths)
    d.put(1, 1, contract.PLAN_SHEET, "title")
    d.heights[1] = 26
    paragraph(d, 2, _global_plan(instrument, score))
    paragraph(d, 3, PLAN_NOTE)
    if moved is not None:
        paragraph(d, 4, f"Desde {past[-1].since}: {_moved_text(moved)}")
    header(d, PLAN_FIRST_ROW - 1, headers)
    d.heights[PLAN_FIRST_ROW - 1] = 30
    ordered = sorted(score.areas, key=lambda a: (a.average, a.area.number))
    row = PLAN_FIRST_ROW - 1
    for area_score in ordered:
        row += 1
        step = area_next_stage(instrument, area_score, answers)
        cells: list[tuple[object, str]] = [
            (area_score.area.name, "boxed_wrap"),
            (area_score.stage.name, f"stage:{area_score.stage.id}"),
        ]
        if moved is not None:
            delta = dict(moved.areas)[area_score.area.id]
            cells.append((signed_es(delta), "boxed_center"))
        if step.stage is None:
            needed = f"Ya en {area_score.stage.name}, la etapa más alta"
            statements = "—"
        else:
            needed = (
                f"{count(step.points, 'punto más', 'puntos más')} para {step.stage.name} (hoy "
                f"{area_score.total} de {len(area_score.area.statements) * instrument.max_value})"
            )
            statements = "\n".join(
                f"{st.number}. {st.text} (respuesta {answers[st.id]})" for st in step.holding
            )
        tip = instrument.tip(area_score.area, area_score.stage)
        cells += [
            (needed, "boxed_wrap"),
            (statements, "boxed_wrap"),
            (tip, "boxed_wrap"),
            (None, "editable"),
            (None, "editable_date"),
            (PLAN_STATES[0], "editable"),
        ]
        for col, (value, look) in enumerate(cells, start=1):
            d.put(row, col, value, look)
        width_d = widths[get_column_letter(len(cells) - 4)]
        d.heights[row] = max(
            sum(palette.row_height(line, width_d * 1.1) for line in statements.split("\n")),
            palette.row_height(tip, widths[get_column_letter(len(cells) - 3)] * 1.1),
            30,
        )
    state_col = get_column_letter(last)
    d.validations.append((f"{state_col}{PLAN_FIRST_ROW}:{state_col}{row}", PLAN_STATES))
    return d


def _global_plan(instrument: Instrument, score: Score) -> str:
    step = global_next_stage(instrument, score)
    now = f"Puntuación global {format_es(score.average, 2)}, etapa {score.stage.name}"
    if step.stage is None:
        return f"{now}, la más alta."
    total = sum(a.total for a in score.areas)
    most = sum(len(a.area.statements) for a in score.areas) * instrument.max_value
    return (
        f"{now}. Para la etapa {step.stage.name} le faltan "
        f"{count(step.points, 'punto', 'puntos')}: la suma de los cuatro totales, hoy {total} de "
        f"{most}, tiene que llegar a {total + step.points}."
    )


def _moved_text(moved: Change) -> str:
    stage = moved.stage_words(moved="ha pasado de")
    return f"la puntuación global ha cambiado {signed_es(moved.average)} y {stage}."
