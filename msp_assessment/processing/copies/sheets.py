"""What the Resultados and Revisión sheets show, laid out as a ``Draft`` (ooxml/sheetml.py writes
it as SpreadsheetML, and the splice adds it to the client's own package)."""

from __future__ import annotations

from msp_assessment.benchmark import Benchmark, NoBenchmark, Standing
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import PastResult, change
from msp_assessment.problems import Problem, grouped
from msp_assessment.processing.copies.looks import header, paragraph
from msp_assessment.processing.ooxml.sheetml import Draft
from msp_assessment.scoring import CHART_TITLE, Score, computation
from msp_assessment.text import day_label, signed_es
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
    client_rows = [
        ("Empresa", client.company),
        ("Contacto", client.contact),
        ("Email", client.email),
        ("Fecha", when),
        (contract.CLIENT_ID_LABEL, client.id),
        ("Archivo recibido", source),
    ]
    for label, value in client_rows:
        row += 1
        d.put(row, 1, label, "bold")
        d.put(row, 2, value or "—")
    return row


def _global_section(
    d: Draft, row: int, score: Score, benchmark: Benchmark | NoBenchmark | None
) -> int:
    """The global average, its stage and the stage's characteristics; where it stands among the
    reference's MSPs."""
    d.put(row, 1, "Resultado global", "heading")
    shown = isinstance(benchmark, Benchmark)
    header(
        d, row + 1, ["Puntuación global", "Media", "Etapa", *(BENCHMARK_HEADERS if shown else [])]
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
    dates = [f"Media {day_label(p.round_date)}" for p in past]
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
    names = [area.name for area in instrument.areas]
    for i, line in enumerate(grouped(problems, names, len(instrument.statements)), start=1):
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
