"""The questionnaire data reproduces the source document character for character."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from msp_assessment.instrument import Instrument
from tests.support.programs import skip_unless_ci

DATA = Path(__file__).parent / "data"
SEED = Path(__file__).parents[2] / "shared" / "seed" / "autoevaluacion-msp.md"


def render_source_document(ins: Instrument) -> str:
    """Rebuild the whole source document, in its own markdown layout, from the instrument data."""
    header = [ins.statement_column, *(lv.label for lv in ins.scale), ins.points_column]
    lines = [*ins.introduction, ins.stages_line, ins.context, ins.instructions]
    lines += [f"{lv.label} - {lv.value}" for lv in ins.scale]
    for area in ins.areas:
        lines.append(area.name)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += [f"| {st.text} | ||||||" for st in area.statements]
        lines.append(f"| {ins.total_label} |")
    lines.append(ins.scoring.heading)
    lines += [f"- {step}" for step in ins.scoring.steps]
    lines += list(ins.scoring.example)
    lines.append(ins.stages_heading)
    lines.append("| " + " | ".join(ins.stages_columns) + " |")
    lines.append("|" + "---|" * len(ins.stages_columns))
    lines += [f"| {s.range_text} | {s.name} | {s.characteristics} |" for s in ins.stages]
    lines.append(ins.tips_intro)
    for area in ins.areas:
        lines.append(f"- {area.name}")
        lines += [f"- {stage.name}: {ins.tip(area, stage)}" for stage in ins.stages]
    lines.append(ins.closing)
    return "\n".join(lines)


def test_instrument__rendered_back__equals_source_document_character_for_character(
    instrument: Instrument,
) -> None:
    source = (DATA / "autoevaluacion-msp.md").read_text(encoding="utf-8").rstrip("\n")
    rendered = render_source_document(instrument)
    for number, (got, want) in enumerate(
        zip(rendered.split("\n"), source.split("\n"), strict=True)
    ):
        assert got == want, f"line {number + 1} differs"
    assert rendered == source


def test_tests_copy_of_source__matches_shared_seed_when_available() -> None:
    if not SEED.exists():
        skip_unless_ci(
            "el documento fuente compartido (../shared/seed) no está junto al repositorio"
        )
    assert (DATA / "autoevaluacion-msp.md").read_bytes() == SEED.read_bytes()


def test_instrument__shape__four_areas_of_five_and_sixteen_tips(instrument: Instrument) -> None:
    assert [a.number for a in instrument.areas] == [1, 2, 3, 4]
    assert all(len(a.statements) == 5 for a in instrument.areas)
    assert len(instrument.tips) == 16
    ids = [st.id for _, st in instrument.statements]
    assert len(set(ids)) == 20
    assert [lv.value for lv in instrument.scale] == [1, 2, 3, 4, 5]
    assert instrument.id == "autoevaluacion-msp" and instrument.version


def test_stage_bounds__half_open_except_last(instrument: Instrument) -> None:
    reactivo, estable, proactivo, escalable = instrument.stages
    assert reactivo.contains(Fraction(1)) and reactivo.contains(Fraction(39, 20))
    assert not reactivo.contains(Fraction(2)) and estable.contains(Fraction(2))
    assert proactivo.contains(Fraction(399, 100)) and not proactivo.contains(Fraction(4))
    assert escalable.contains(Fraction(4)) and escalable.contains(Fraction(5))
    assert not escalable.contains(Fraction(501, 100))
