"""The reference each client is compared with (benchmark.py): the run's own scored clients, one
workbook each (the one that counts), or the clients of an earlier summary, frozen."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from msp_assessment.benchmark import Peer, Reference
from msp_assessment.client import Client
from msp_assessment.outcome import FileOutcome
from msp_assessment.processing.portfolio.counting import keyed, resolve_clients
from msp_assessment.processing.portfolio.rounds import Round
from msp_assessment.text import day_label

RUN_LABEL = "los MSP evaluados en esta ronda"


def run_reference(
    outcomes: Sequence[FileOutcome], clients: Sequence[Client] = ()
) -> tuple[Reference, dict[str, str]]:
    """The run's reference (every client's workbook that counts) and each file's key in it
    (path → key), by the one identity rule the summary uses."""
    key_of = keyed(outcomes, clients)
    counted, _ = resolve_clients(outcomes, clients, key_of)
    peers = tuple(
        Peer(key_of[id(o)], tuple(a.total for a in o.score.areas))
        for o in counted
        if o.score is not None
    )
    return Reference(RUN_LABEL, peers), {o.path: key_of[id(o)] for o in outcomes}


def frozen_reference(earlier: Round) -> Reference:
    """The clients of an earlier summary: each is ``referencia:<i>``, as ``RunPlan`` finds a
    client in it."""
    peers = tuple(
        Peer(f"referencia:{i}", tuple(a.total for a in r.score.areas))
        for i, r in enumerate(earlier.results)
    )
    name = Path(earlier.path).name
    label = f"{name} del {day_label(earlier.date)}" if earlier.date else name
    return Reference(label, peers)
