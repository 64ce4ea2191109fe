"""The peer benchmark's arithmetic: exact mid-rank percentiles and PERCENTIL.INC quartiles over a
reference that never holds the client themself, and nothing shown below the minimum size."""

from __future__ import annotations

import pickle
from fractions import Fraction

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from msp_assessment.benchmark import (
    DEFAULT_MINIMUM,
    Benchmark,
    Cohort,
    NoBenchmark,
    Peer,
    Position,
    Reference,
    Standing,
    band,
    to_record,
)
from msp_assessment.instrument import load_instrument
from msp_assessment.scoring import Score, score
from tests.support.cohorts import statement_answers

INSTRUMENT = load_instrument()
# Area 1's totals of ten peers: averages 1; 1,6; 2; 2; 2,4; 3; 3; 3; 4; 5.
AREA_ONE = [5, 8, 10, 10, 12, 15, 15, 15, 20, 25]


def peers(totals: list[int], rest: int = 15) -> tuple[Peer, ...]:
    return tuple(Peer(f"p{i}", (t, rest, rest, rest)) for i, t in enumerate(totals))


def benchmark(
    reference: Reference, key: str | None, me: Score, minimum: int = DEFAULT_MINIMUM
) -> Benchmark | NoBenchmark:
    return Cohort(reference).benchmark(key, me, minimum)


def direct(
    reference: Reference, key: str | None, me: Score, minimum: int
) -> Benchmark | NoBenchmark:
    """The same figures the slow way, one pass over every peer but the client: the oracle the
    counted cohort is checked against."""
    others = [p for p in reference.peers if p.key != key]
    if len(others) < minimum:
        return NoBenchmark(reference.label, reference.id, len(others), minimum)

    def standing(value: Fraction, values: list[Fraction]) -> Standing:
        below = sum(1 for v in values if v < value)
        equal = sum(1 for v in values if v == value)
        return Standing(value, Position(below, equal, len(values)), band(values))

    areas = tuple(
        standing(a.average, [Fraction(p.totals[i], 5) for p in others])
        for i, a in enumerate(me.areas)
    )
    overall = standing(me.average, [Fraction(sum(p.totals), 20) for p in others])
    return Benchmark(reference.label, reference.id, len(others), overall, areas)


def test_benchmark__a_built_cohort__the_exact_percentile_and_band() -> None:
    me = score(INSTRUMENT, statement_answers((15, 15, 15, 15)))
    reference = Reference("ronda de prueba", (*peers(AREA_ONE), Peer("yo", (15, 15, 15, 15))))
    found = benchmark(reference, "yo", me, minimum=10)
    assert isinstance(found, Benchmark)
    assert found.size == 10  # the client is not in their own reference
    area = found.areas[0]
    # 5 peers below 3,0 and 3 equal: above (5 + 3/2) / 10 of them.
    assert (area.position.below, area.position.equal) == (5, 3)
    assert area.position.share == Fraction(13, 20)
    assert (area.position.percentile, area.position.of_ten) == (65, 7)
    assert (area.band.p25, area.band.median, area.band.p75) == (2, Fraction(27, 10), 3)
    assert area.band.text == "2,00 – 2,70 – 3,00"
    # Every peer has 15 in the other areas: the client ties all ten.
    other = found.areas[1]
    assert (other.position.below, other.position.equal, other.position.percentile) == (0, 10, 50)


def test_benchmark__minimum__none_below_it_one_at_it() -> None:
    me = score(INSTRUMENT, statement_answers((15, 15, 15, 15)))
    with_me = (*peers(AREA_ONE), Peer("yo", (15, 15, 15, 15)))
    short = Reference("r", with_me[1:])  # nine peers besides the client
    found = benchmark(short, "yo", me, minimum=10)
    assert isinstance(found, NoBenchmark) and (found.size, found.minimum) == (9, 10)
    assert "tiene 9 MSP además de usted y hacen falta al menos 10" in found.sentence
    assert isinstance(benchmark(Reference("r", with_me), "yo", me, minimum=10), Benchmark)


def test_benchmark__the_client_is_left_out_whatever_they_scored() -> None:
    top = score(INSTRUMENT, statement_answers((25, 25, 25, 25)))
    cohort = (*peers([10] * 10), Peer("yo", (25, 25, 25, 25)))
    found = benchmark(Reference("r", cohort), "yo", top, minimum=10)
    assert isinstance(found, Benchmark)
    assert found.overall.position.percentile == 100  # above all ten others, not 10 of 11
    assert found.overall.band.median == Fraction(11, 4)  # 10 + 15 + 15 + 15 over 20: 2,75
    assert found.reference_id == Reference("r", tuple(reversed(cohort))).id


@given(st.lists(st.integers(5, 25), min_size=1, max_size=40), st.integers(5, 25))
def test_band_and_position__any_cohort__as_percentile_inc_and_counting(
    totals: list[int], mine: int
) -> None:
    values = [Fraction(t, 5) for t in totals]
    found = band(values)
    expected = np.percentile([float(v) for v in values], [25, 50, 75])  # numpy's default: .INC
    assert np.allclose([float(found.p25), float(found.median), float(found.p75)], expected)
    reference = Reference("r", tuple(Peer(f"p{i}", (t, t, t, t)) for i, t in enumerate(totals)))
    me = score(INSTRUMENT, statement_answers((mine,) * 4))
    result = benchmark(reference, None, me, minimum=1)
    assert isinstance(result, Benchmark)
    here = result.areas[0].position
    assert here.below == sum(t < mine for t in totals)
    assert here.equal == totals.count(mine)
    assert 0 <= here.percentile <= 100 and 0 <= here.of_ten <= 10


@given(
    st.lists(st.tuples(*[st.integers(5, 25)] * 4), min_size=1, max_size=30),
    st.integers(0, 29),
    st.integers(1, 12),
)
def test_cohort__any_reference__exactly_the_direct_computation(
    cohort: list[tuple[int, int, int, int]], who: int, minimum: int
) -> None:
    reference = Reference("r", tuple(Peer(f"p{i}", t) for i, t in enumerate(cohort)))
    key = f"p{who}" if who < len(cohort) else None  # a client in it, or one outside it
    mine = cohort[who] if who < len(cohort) else (15, 12, 20, 7)
    me = score(INSTRUMENT, statement_answers(mine))
    found = Cohort(reference).benchmark(key, me, minimum)
    assert found == direct(reference, key, me, minimum)
    # As a worker sends it to the parent (standings pickled as integers): the same, exactly.
    assert pickle.loads(pickle.dumps(found)) == found
    if isinstance(found, Benchmark):
        assert to_record(pickle.loads(pickle.dumps(found))) == to_record(found)
