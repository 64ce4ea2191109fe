"""Which workbook counts for each client: the newest scored one; the others are superseded.

Kept apart from the summary's tables (and from pandas) so that a run that writes no summary, a
check or a status, decides it the same way, at no cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from msp_assessment.client import Client, client_keys
from msp_assessment.outcome import FileOutcome, Status, recency


@dataclass(frozen=True)
class Superseded:
    """A workbook that does not count because a newer scored one of the same client does: an
    older scored workbook, or an older one with problems (the client sent a corrected one)."""

    outcome: FileOutcome
    by: FileOutcome


def resolve_clients(
    outcomes: Sequence[FileOutcome],
    clients: Sequence[Client] = (),
    key_of: Mapping[int, str] | None = None,
) -> tuple[list[FileOutcome], list[Superseded]]:
    """The workbook that counts for each client, and the ones superseded.

    Who is who follows the one rule of ``client.client_keys`` (with ``clients``, the client
    list's). A client's newest scored workbook (see ``recency``) counts; it supersedes their older
    scored workbooks and the older ones with problems, which are then resolved: the client
    corrected them. A workbook with problems newer than every scored one stays to review.
    ``key_of``: ``keyed(outcomes, clients)``, when the caller has it already.
    """
    key_of = key_of if key_of is not None else keyed(outcomes, clients)
    scored = sorted(
        (o for o in outcomes if o.status is Status.SCORED and o.score is not None), key=recency
    )
    newest: dict[str, FileOutcome] = {}
    for outcome in scored:
        newest[key_of[id(outcome)]] = outcome  # oldest first: the last one stays
    counted = sorted(newest.values(), key=recency)
    superseded = [
        Superseded(o, newest[key_of[id(o)]]) for o in scored if newest[key_of[id(o)]] is not o
    ]
    corrected = corrections(outcomes)
    for outcome in outcomes:
        if outcome.status is not Status.INVALID:
            continue
        winner = newest.get(key_of[id(outcome)])
        if id(outcome) in corrected:  # its -revisar copy came back: that one carries the case
            superseded.append(Superseded(outcome, corrected[id(outcome)]))
        elif winner is not None and recency(outcome) < recency(winner):
            superseded.append(Superseded(outcome, winner))
    superseded.sort(key=lambda entry: entry.outcome.path)
    return counted, superseded


def keyed(outcomes: Sequence[FileOutcome], clients: Sequence[Client] = ()) -> dict[int, str]:
    """Each outcome's client key (by ``id()``), per ``client.client_keys``; a workbook of nobody
    is a client of its own."""
    keys = client_keys([o.client for o in outcomes], clients)
    return {id(o): key or "archivo:" + o.path for o, key in zip(outcomes, keys, strict=True)}


def corrections(outcomes: Sequence[FileOutcome]) -> dict[int, FileOutcome]:
    """Each workbook with problems whose -revisar copy came back in the same batch (by the
    origin the copy carries), keyed by ``id()``, to that copy: the copy supersedes it whatever
    the dates say (a ``cp -r``, attachments saved newest first)."""
    by_hash = {o.sha256: o for o in outcomes if o.sha256 and o.status is Status.INVALID}
    found = {}
    for outcome in outcomes:
        origin = by_hash.get(outcome.corrects or "")
        if origin is not None and origin is not outcome:
            found[id(origin)] = outcome
    return found
