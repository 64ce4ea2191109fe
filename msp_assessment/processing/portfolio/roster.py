"""Who of a client list has answered: each client with the workbooks that are theirs (by the one
identity rule of client.py; a file that cannot be read, by the name we gave it), and which of them
decides their state. status, deliver and the summary share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from msp_assessment.client import Client, client_keys, find_by_file_name
from msp_assessment.errors import ClientListError
from msp_assessment.outcome import FileOutcome, Status, recency
from msp_assessment.processing.portfolio.counting import corrections


class State(StrEnum):
    PENDING = "pending"
    SCORED = "scored"
    PROBLEMS = "problems"


LABELS = {
    State.PENDING: "pendiente",
    State.SCORED: "recibido y puntuado",
    State.PROBLEMS: "recibido con problemas",
}


@dataclass(frozen=True)
class Asked:
    """A client's message that brought no workbook (collect): its day (DD/MM/AAAA), subject,
    what to ask them for (our user reads it) and what their reminder tells them."""

    day: str
    subject: str
    what: str
    tell: str


@dataclass(frozen=True)
class ClientStatus:
    client: Client
    state: State
    outcome: FileOutcome | None = None  # the workbook that decides the state (the newest)
    files: tuple[str, ...] = ()  # every returned workbook matched to this client
    results_sent: bool | None = None  # per the journals of the results folders; None: not asked
    results_updated: bool = False  # an earlier result was sent, not this one
    reference_changed: bool = False  # this result was sent, compared with another reference
    bounced: str | None = None  # why mail to the client's address bounced (a campaign knows)
    asked: Asked | None = None  # their latest message without a workbook (a campaign knows)

    def to_dict(self) -> dict[str, Any]:
        score = self.outcome.score if self.outcome else None
        problems = self.outcome.problems if self.outcome and not score else ()
        return {
            "client": self.client.to_dict(),
            "status": self.state.value,
            "label": LABELS[self.state],
            "files": list(self.files),
            "average": float(score.average) if score else None,
            "stage": score.stage.name if score else None,
            "problems": [prob.to_dict() for prob in problems],
            "results_sent": self.results_sent,
            "results_updated": self.results_updated,
            "reference_changed": self.reference_changed,
            "bounced": self.bounced,
            "message_without_workbook": vars(self.asked) if self.asked else None,
        }


def match_clients(
    clients: Sequence[Client], outcomes: Sequence[FileOutcome]
) -> tuple[list[ClientStatus], list[FileOutcome]]:
    """Each client of the list with the workbooks that are theirs, by the one rule of
    ``client.client_keys`` (a file that cannot be read, by the name we gave it), whatever the
    files are called; the newest scored one decides. The workbooks of no client on the list,
    apart."""
    keys = client_keys([o.client for o in outcomes], clients)
    listed = {f"conocido:{i}": i for i in range(len(clients))}
    matched: dict[int, list[FileOutcome]] = {}
    unmatched: list[FileOutcome] = []
    for outcome, key in zip(outcomes, keys, strict=True):
        index = listed.get(key or "")
        if index is None and key is None and outcome.status is Status.UNREADABLE:
            index = find_by_file_name(Path(outcome.path).stem, clients)
        if index is None:
            unmatched.append(outcome)
        else:
            matched.setdefault(index, []).append(outcome)
    corrected = corrections(outcomes)
    result = []
    for i, client in enumerate(clients):
        mine = matched.get(i, [])
        scored = [o for o in mine if o.status is Status.SCORED]
        files = tuple(o.path for o in mine)
        open_cases = [o for o in mine if id(o) not in corrected]  # a returned copy carries it
        if scored:
            result.append(ClientStatus(client, State.SCORED, max(scored, key=recency), files))
        elif mine:
            latest = max(open_cases or mine, key=recency)
            result.append(ClientStatus(client, State.PROBLEMS, latest, files))
        else:
            result.append(ClientStatus(client, State.PENDING))
    return result, unmatched


def read_roster(path: Path) -> tuple[Client, ...]:
    """The clients of the list at ``path``; ClientListError with every problem of the list."""
    from msp_assessment.client_list import read_client_list

    listing = read_client_list(path)
    if not listing.ok:
        lines = "\n".join(problem.message for problem in listing.problems)
        raise ClientListError(f"La lista de clientes {path} tiene problemas:\n{lines}")
    return listing.clients
