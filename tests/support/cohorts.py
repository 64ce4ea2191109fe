"""Answers built from area totals, for cohorts whose figures the tests know by heart."""

from __future__ import annotations

from msp_assessment.instrument import load_instrument


def cell_answers(totals: tuple[int, ...]) -> dict[tuple[int, int], object]:
    """(area, statement) → answer, each area's five answers as even as they can be and adding up
    to its total (5 to 25)."""
    found: dict[tuple[int, int], object] = {}
    for area, total in enumerate(totals, start=1):
        base, extra = divmod(total, 5)
        for n in range(1, 6):
            found[(area, n)] = base + (1 if n <= extra else 0)
    return found


def statement_answers(totals: tuple[int, ...]) -> dict[str, int]:
    """The same answers keyed by statement id, as scoring takes them."""
    by_cell = cell_answers(totals)
    return {
        st.id: int(str(by_cell[(area.number, st.number)]))
        for area, st in load_instrument().statements
    }
