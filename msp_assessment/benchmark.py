"""Where a client stands among their peers: exact ranks and quartiles over a reference of
scored clients, the client always left out of their own reference.

Every figure is arithmetic on small integers (an area average is its total over 5, the global
average the sum of the four totals over 20), done with ``Fraction``:

- **Position** (percentile rank, mid-rank): of the N MSPs of the reference, B scored below the
  client and E the same; the client is above (B + E/2) / N of them. Shown as «percentil P» with
  P = 100 (B + E/2) / N and as «por encima de X de cada 10» with X = 10 (B + E/2) / N, both
  rounded half up. A tie counts half: among equals nobody is above anybody.
- **Band**: the reference's first quartile, median and third quartile (P25 – mediana – P75),
  computed as Excel's PERCENTIL.INC (and LibreOffice's PERCENTIL) does: the value at position
  (N − 1) p of the sorted values, interpolated between its two neighbours.
- **Privacy**: with fewer than ``minimum`` MSPs in the reference (10 by default) nothing is shown
  but why; a band and a rank of at least that many let nobody read another client's answers.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Any

from msp_assessment.scoring import Score
from msp_assessment.text import format_es

DEFAULT_MINIMUM = 10
QUARTILES = (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4))


@dataclass(frozen=True)
class Peer:
    """One scored client of a reference: who (as the identity rule keys them) and their four
    area totals."""

    key: str
    totals: tuple[int, ...]


@dataclass(frozen=True)
class Reference:
    """The scored clients the clients of a round are compared with (one workbook per client:
    the one that counts), and what it is, for people («la ronda 2026», «resumen.xlsx»)."""

    label: str
    peers: tuple[Peer, ...]
    statements_per_area: int = 5

    @cached_property  # asked for every client's figures: hashed once
    def id(self) -> str:
        """What the reference holds, as a short hash of its totals: two references that give
        every client the same figures have the same id (the campaign record notices when it
        changes)."""
        lines = sorted(",".join(map(str, p.totals)) for p in self.peers)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Position:
    below: int
    equal: int
    size: int

    # Worked out once: a standing is shared by every client with the same total (Cohort).
    @cached_property
    def share(self) -> Fraction:
        """The share of the reference the client is above, ties counted half."""
        return (self.below + Fraction(self.equal, 2)) / self.size

    @cached_property
    def percentile(self) -> int:
        return half_up(100 * self.share)

    @cached_property
    def of_ten(self) -> int:
        return half_up(10 * self.share)


@dataclass(frozen=True)
class Band:
    p25: Fraction
    median: Fraction
    p75: Fraction

    @cached_property
    def text(self) -> str:
        return f"{format_es(self.p25, 2)} – {format_es(self.median, 2)} – {format_es(self.p75, 2)}"


@dataclass(frozen=True)
class Standing:
    """One value (an area's average, or the global one) against the reference."""

    value: Fraction
    position: Position
    band: Band

    def __reduce__(self) -> tuple[Callable[..., Standing], tuple[int, ...]]:
        # Pickled as integers: a Fraction pickles as its text, which costs a parse to read back
        # (most of what a worker's outcome costs the parent, with four standings in each).
        p, b = self.position, self.band
        numbers = (self.value, b.p25, b.median, b.p75)
        return _standing, (p.below, p.equal, p.size, *_integers(numbers))


def _integers(values: tuple[Fraction, ...]) -> tuple[int, ...]:
    return tuple(n for value in values for n in (value.numerator, value.denominator))


@lru_cache(maxsize=1024)  # the parent reads the same few standings in thousands of outcomes
def _standing(below: int, equal: int, size: int, *numbers: int) -> Standing:
    """A Standing from what ``Standing.__reduce__`` gives (shared: a Standing never changes)."""
    pairs = zip(numbers[::2], numbers[1::2], strict=True)
    value, p25, median, p75 = (Fraction(n, d) for n, d in pairs)
    return Standing(value, Position(below, equal, size), Band(p25, median, p75))


@dataclass(frozen=True)
class Benchmark:
    """A client's standing, globally and per area (document order), and against what."""

    reference: str  # its label
    reference_id: str
    size: int  # MSPs in the reference, the client left out
    overall: Standing
    areas: tuple[Standing, ...]

    @property
    def sentence(self) -> str:
        """The global position in one sentence, the same in every output."""
        return (
            f"Su puntuación global está por encima de {self.overall.position.of_ten} de cada 10 "
            f"MSP de la referencia (percentil {self.overall.position.percentile}, entre "
            f"{self.size} MSP: {self.reference})."
        )

    def to_dict(self) -> dict[str, Any]:
        def one(s: Standing) -> dict[str, Any]:
            return {
                "percentile": s.position.percentile,
                "above_of_ten": s.position.of_ten,
                "below": s.position.below,
                "equal": s.position.equal,
                "p25": float(s.band.p25),
                "median": float(s.band.median),
                "p75": float(s.band.p75),
            }

        return {
            "reference": self.reference,
            "reference_id": self.reference_id,
            "size": self.size,
            "global": one(self.overall),
            "areas": [one(a) for a in self.areas],
        }


@dataclass(frozen=True)
class NoBenchmark:
    """Why no comparison is shown: a reference smaller than the minimum."""

    reference: str
    reference_id: str
    size: int
    minimum: int

    @property
    def sentence(self) -> str:
        return (
            f"No se muestra su posición entre otros MSP: la referencia ({self.reference}) tiene "
            f"{self.size} MSP además de usted y hacen falta al menos {self.minimum}, para que "
            "ninguna cifra deje deducir las respuestas de otro."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "reference_id": self.reference_id,
            "size": self.size,
            "minimum": self.minimum,
            "shown": False,
        }


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def interpolated(nth: Callable[[int], Fraction], size: int, p: Fraction) -> Fraction:
    """PERCENTIL.INC over ``size`` sorted values (``nth(k)``: the k-th smallest, from 0): the
    value at (size − 1) p, interpolated between its two neighbours."""
    h = (size - 1) * p
    low = math.floor(h)
    high = min(low + 1, size - 1)
    return nth(low) + (h - low) * (nth(high) - nth(low))


def band(values: Sequence[Fraction]) -> Band:
    """P25, median and P75 of ``values``."""
    ordered = sorted(values)
    return Band(*(interpolated(ordered.__getitem__, len(ordered), p) for p in QUARTILES))


@dataclass
class Cohort:
    """A reference ready for thousands of clients: each area's totals (and the sums of the four)
    counted once, so that a client's standing, their own workbook taken out, is a few dozen
    additions over the values a total can take (5 to 25), not a pass over every peer (the tests
    check it against that pass)."""

    reference: Reference
    _areas: list[Counter[int]] = field(init=False)
    _sums: Counter[int] = field(init=False)
    _by_key: dict[str, Peer] = field(init=False)
    _cache: dict[tuple[int, int, int | None], Standing] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        peers = self.reference.peers
        count = len(peers[0].totals) if peers else 0
        self._areas = [Counter(p.totals[i] for p in peers) for i in range(count)]
        self._sums = Counter(sum(p.totals) for p in peers)
        self._by_key = {p.key: p for p in peers}

    def benchmark(
        self, key: str | None, score: Score, minimum: int = DEFAULT_MINIMUM
    ) -> Benchmark | NoBenchmark:
        """``score``'s standing against the reference without the client ``key`` (their
        workbook that counts); NoBenchmark when fewer than ``minimum`` MSPs remain."""
        reference = self.reference
        me = self._by_key.get(key) if key is not None else None
        size = len(reference.peers) - (1 if me is not None else 0)
        if size < max(minimum, 1):
            return NoBenchmark(reference.label, reference.id, size, minimum)
        n = reference.statements_per_area
        areas = tuple(
            self._standing(i, a.total, me.totals[i] if me else None, n)
            for i, a in enumerate(score.areas)
        )
        total = sum(a.total for a in score.areas)
        overall = self._standing(-1, total, sum(me.totals) if me else None, n * len(areas))
        return Benchmark(reference.label, reference.id, size, overall, areas)

    def _standing(self, which: int, total: int, removed: int | None, divisor: int) -> Standing:
        key = (which, total, removed)
        found = self._cache.get(key)
        if found is None:
            counts = Counter(self._sums if which < 0 else self._areas[which])
            if removed is not None:
                counts[removed] -= 1
            values = sorted((v, c) for v, c in counts.items() if c > 0)
            size = sum(c for _, c in values)
            below = sum(c for v, c in values if v < total)
            here = Position(below, counts.get(total, 0), size)

            def nth(k: int) -> Fraction:  # the k-th smallest (from 0)
                seen = 0
                for v, c in values:
                    seen += c
                    if k < seen:
                        return Fraction(v, divisor)
                raise IndexError(k)

            quartiles = (interpolated(nth, size, p) for p in QUARTILES)
            found = Standing(Fraction(total, divisor), here, Band(*quartiles))
            self._cache[key] = found
        return found


def to_record(found: Benchmark | NoBenchmark) -> str:
    """``found`` as text, exactly (fractions as «27/10»): what a results copy carries, so that
    what is read from it later (deliver's message and report) is what the copy shows."""
    if isinstance(found, NoBenchmark):
        return json.dumps(
            {
                "reference": found.reference,
                "id": found.reference_id,
                "size": found.size,
                "minimum": found.minimum,
            },
            ensure_ascii=False,
        )

    def one(s: Standing) -> list[object]:
        p, b = s.position, s.band
        return [str(s.value), p.below, p.equal, p.size, str(b.p25), str(b.median), str(b.p75)]

    return json.dumps(
        {
            "reference": found.reference,
            "id": found.reference_id,
            "size": found.size,
            "global": one(found.overall),
            "areas": [one(a) for a in found.areas],
        },
        ensure_ascii=False,
    )


def from_record(text: str | None) -> Benchmark | NoBenchmark | None:
    """What ``to_record`` wrote; None for no text, or text that is not one of ours."""
    if not text:
        return None
    try:
        data = json.loads(text)
        if "minimum" in data:
            return NoBenchmark(
                str(data["reference"]), str(data["id"]), int(data["size"]), int(data["minimum"])
            )

        def one(item: list[object]) -> Standing:
            value, below, equal, size, p25, median, p75 = item
            return Standing(
                Fraction(str(value)),
                Position(int(str(below)), int(str(equal)), int(str(size))),
                Band(Fraction(str(p25)), Fraction(str(median)), Fraction(str(p75))),
            )

        return Benchmark(
            str(data["reference"]),
            str(data["id"]),
            int(data["size"]),
            one(data["global"]),
            tuple(one(a) for a in data["areas"]),
        )
    except (ValueError, KeyError, TypeError, ZeroDivisionError):
        return None
