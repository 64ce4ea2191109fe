"""The questionnaire as data: one JSON file, loaded into immutable objects."""

from msp_assessment.instrument.model import (
    Area,
    Instrument,
    ScaleLevel,
    Stage,
    Statement,
    load_instrument,
)

__all__ = ["Area", "Instrument", "ScaleLevel", "Stage", "Statement", "load_instrument"]
