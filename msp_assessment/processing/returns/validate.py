"""A workbook reading → complete answers, or every problem at once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from msp_assessment.instrument import Instrument
from msp_assessment.problems import Code, Problem, problem, shorten
from msp_assessment.processing.returns.locate import Located, StatementReading, WorkbookReading
from msp_assessment.processing.returns.values import Rejected, parse_answer
from msp_assessment.text import EMAIL, day_label, fold, parse_date
from msp_assessment.workbook_templates import contract

DEFAULT_REQUIRED = ("company",)


@dataclass(frozen=True)
class Validation:
    answers: dict[str, int]  # statement id -> 1-5, only the acceptable ones
    problems: list[Problem]

    @property
    def valid(self) -> bool:
        return not self.problems


def validate(
    reading: WorkbookReading,
    instrument: Instrument,
    required: Iterable[str] = DEFAULT_REQUIRED,
) -> Validation:
    identity = _identity_problems(reading, instrument)
    if identity:
        return Validation({}, identity)
    if all(r.answer_at is None for r in reading.statements):
        return Validation({}, [problem(Code.NOT_ASSESSMENT)])
    answers: dict[str, int] = {}
    found: list[Problem] = []
    shared = Counter(
        (r.answer_at.sheet, r.merged) for r in reading.statements if r.answer_at and r.merged
    )
    for r in reading.statements:
        key = (r.answer_at.sheet, r.merged) if r.answer_at and r.merged else None
        found.extend(
            _statement_problems(r, instrument, answers, merged=bool(key and shared[key] > 1))
        )
    found.extend(_client_problems(reading, set(required)))
    return Validation(answers, found)


def _identity_problems(reading: WorkbookReading, instrument: Instrument) -> list[Problem]:
    if reading.instrument_id is not None and reading.instrument_id != instrument.id:
        found = shorten(reading.instrument_id)
        return [problem(Code.UNKNOWN_INSTRUMENT, found=found, expected=instrument.id)]
    if reading.instrument_version is not None and reading.instrument_version != instrument.version:
        found = shorten(reading.instrument_version)
        return [problem(Code.UNKNOWN_VERSION, found=found, expected=instrument.version)]
    return []


def _statement_problems(
    r: StatementReading, instrument: Instrument, answers: dict[str, int], *, merged: bool = False
) -> list[Problem]:
    """Problems of one statement; ``merged``: its answer cell is merged with another answer's."""
    where: dict[str, Any] = {
        "area": r.area.number,
        "statement": r.statement.number,
        "area_name": r.area.name,
    }
    if r.answer_at is None:
        return [problem(Code.STATEMENT_MISSING, **where, expected=shorten(r.statement.text))]
    out: list[Problem] = []
    if r.text_found is not None and fold(r.text_found) != fold(r.statement.text):
        at = r.text_at or r.answer_at
        out.append(
            problem(
                Code.STATEMENT_CHANGED,
                **where,
                sheet=at.sheet,
                cell=at.cell,
                found=shorten(r.text_found or "(vacío)"),
                expected=shorten(r.statement.text),
            )
        )
    cell: dict[str, Any] = {"sheet": r.answer_at.sheet, "cell": r.answer_at.cell}
    if merged:
        out.append(problem(Code.ANSWER_MERGED, **where, **cell, found=r.merged))
        return out
    parsed = parse_answer(r.raw, instrument)
    if parsed is None:
        out.append(problem(Code.ANSWER_MISSING, **where, **cell))
    elif isinstance(parsed, Rejected):
        extra: dict[str, Any] = {"number": parsed.number, "label": parsed.label}
        out.append(problem(parsed.code, **where, **cell, found=parsed.found, **extra))
    elif not out:
        answers[r.statement.id] = parsed
    return out


def _client_problems(reading: WorkbookReading, required: set[str]) -> list[Problem]:
    out: list[Problem] = []
    for f in contract.CLIENT_FIELDS:
        value = reading.client_date if f.key == "date" else getattr(reading.client, f.key)
        at = reading.client_cells.get(f.key)
        cell: dict[str, Any] = {"sheet": at.sheet, "cell": at.cell} if at else {}
        if f.key in required and not value:
            out.append(problem(Code.CLIENT_MISSING, field=f.label, **cell))
        elif f.key == "email" and value and not EMAIL.match(value):
            out.append(problem(Code.CLIENT_EMAIL_INVALID, found=shorten(value), **cell))
        elif f.key == "date" and (day := parse_date(value)) and day > date.today() + ONE_DAY:
            # A date to come would make this workbook the newest of its client for years.
            found, today = day_label(day), day_label(date.today())
            out.append(problem(Code.CLIENT_DATE_FUTURE, found=found, today=today, **cell))
    return out


ONE_DAY = timedelta(days=1)  # a date of tomorrow is a time zone away, not the future


def explain_formulas(checked: Validation, formulas: dict[Located, str]) -> Validation:
    """Turn «falta la respuesta» into «contiene una fórmula sin valor» where that is the truth."""
    problems = []
    for prob in checked.problems:
        formula = formulas.get(Located(prob.sheet, prob.cell)) if prob.sheet and prob.cell else None
        if prob.code == Code.ANSWER_MISSING and formula and prob.area:
            prob = prob.recoded(Code.ANSWER_FORMULA, found=shorten(formula))
        problems.append(prob)
    return Validation(checked.answers, problems)
