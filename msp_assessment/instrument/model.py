"""Frozen dataclasses for the questionnaire and the loader that builds them from the data file.

The data file (``autoevaluacion-msp.json``) is the only place the questionnaire's text lives; every
other module reads it through these objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from importlib import resources
from typing import Any

DATA_FILE = "autoevaluacion-msp.json"


@dataclass(frozen=True)
class ScaleLevel:
    value: int
    label: str


@dataclass(frozen=True)
class Statement:
    id: str
    number: int  # 1-5 within its area, document order
    text: str


@dataclass(frozen=True)
class Area:
    id: str
    number: int  # 1-4, document order
    name: str
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Stage:
    """A development stage; ``lower <= score < upper`` (``<= upper`` for the last stage)."""

    id: str
    name: str
    range_text: str
    lower: Fraction
    upper: Fraction
    upper_inclusive: bool
    characteristics: str

    def contains(self, score: Fraction) -> bool:
        if score < self.lower:
            return False
        return score <= self.upper if self.upper_inclusive else score < self.upper


@dataclass(frozen=True)
class ScoringRule:
    heading: str
    steps: tuple[str, ...]
    example: tuple[str, ...]


@dataclass(frozen=True)
class Instrument:
    id: str
    version: str
    title: str
    introduction: tuple[str, ...]
    stages_line: str
    context: str
    instructions: str
    scale: tuple[ScaleLevel, ...]
    statement_column: str
    points_column: str
    total_label: str
    areas: tuple[Area, ...]
    scoring: ScoringRule
    stages_heading: str
    stages_columns: tuple[str, ...]
    stages: tuple[Stage, ...]
    tips_intro: str
    tips: dict[tuple[str, str], str]  # (area id, stage id) -> tip
    closing: str

    @property
    def statements(self) -> tuple[tuple[Area, Statement], ...]:
        """Every statement with its area, in document order."""
        return tuple((area, st) for area in self.areas for st in area.statements)

    @property
    def min_value(self) -> int:
        return self.scale[0].value

    @property
    def max_value(self) -> int:
        return self.scale[-1].value

    def tip(self, area: Area, stage: Stage) -> str:
        return self.tips[(area.id, stage.id)]

    def __hash__(self) -> int:  # dict field makes the generated hash unusable
        return hash((self.id, self.version))


def _stage(raw: dict[str, Any]) -> Stage:
    return Stage(
        id=raw["id"],
        name=raw["name"],
        range_text=raw["range"],
        lower=Fraction(raw["lower"]),
        upper=Fraction(raw["upper"]),
        upper_inclusive=bool(raw["upper_inclusive"]),
        characteristics=raw["characteristics"],
    )


def parse_instrument(raw: dict[str, Any]) -> Instrument:
    """Build an :class:`Instrument` from the decoded JSON data."""
    areas = tuple(
        Area(
            id=a["id"],
            number=i,
            name=a["name"],
            statements=tuple(
                Statement(id=s["id"], number=j, text=s["text"])
                for j, s in enumerate(a["statements"], start=1)
            ),
        )
        for i, a in enumerate(raw["areas"], start=1)
    )
    stages = tuple(_stage(s) for s in raw["stages"]["levels"])
    tips = {
        (area_id, stage_id): text
        for area_id, by_stage in raw["tips"]["by_area"].items()
        for stage_id, text in by_stage.items()
    }
    return Instrument(
        id=raw["id"],
        version=raw["version"],
        title=raw["title"],
        introduction=tuple(raw["introduction"]),
        stages_line=raw["stages_line"],
        context=raw["context"],
        instructions=raw["instructions"],
        scale=tuple(ScaleLevel(value=s["value"], label=s["label"]) for s in raw["scale"]),
        statement_column=raw["columns"]["statement"],
        points_column=raw["columns"]["points"],
        total_label=raw["columns"]["total"],
        areas=areas,
        scoring=ScoringRule(
            heading=raw["scoring"]["heading"],
            steps=tuple(raw["scoring"]["steps"]),
            example=tuple(raw["scoring"]["example"]),
        ),
        stages_heading=raw["stages"]["heading"],
        stages_columns=tuple(raw["stages"]["columns"]),
        stages=stages,
        tips_intro=raw["tips"]["intro"],
        tips=tips,
        closing=raw["closing"],
    )


@cache
def load_instrument() -> Instrument:
    """Load the questionnaire shipped with the package (cached)."""
    text = resources.files(__package__).joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_instrument(json.loads(text))
