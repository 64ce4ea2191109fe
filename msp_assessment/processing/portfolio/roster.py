"""Who of a client list has answered: each client with the workbooks that are theirs (by the
client id stored in the workbook, else by company, else, for a file that cannot be read, by the
name we gave it), and which of them decides their state. status, deliver and the summary share it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from msp_assessment.client import Client, file_stem
from msp_assessment.errors import ClientListError
from msp_assessment.outcome import FileOutcome, Status, recency
from msp_assessment.text import fold


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
class ClientStatus:
    client: Client
    state: State
    outcome: FileOutcome | None = None  # the workbook that decides the state (the newest)
    files: tuple[str, ...] = ()  # every returned workbook matched to this client
    results_sent: bool | None = None  # per the journals of the results folders; None: not asked

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
        }


def match_clients(
    clients: Sequence[Client], outcomes: Sequence[FileOutcome]
) -> tuple[list[ClientStatus], list[FileOutcome]]:
    """Each client of the list with the workbooks that are theirs: by the client id stored in
    the workbook, else by company (case, accents and spacing aside), whatever the files are
    called; the newest scored one decides. The workbooks of no client on the list, apart."""
    by_id = {fold(c.id): i for i, c in enumerate(clients) if c.id}
    by_company: dict[str, int] = {}
    for i, c in enumerate(clients):
        if c.company:
            by_company.setdefault(fold(c.company), i)
    matched: dict[int, list[FileOutcome]] = {}
    unmatched: list[FileOutcome] = []
    for outcome in outcomes:
        found = outcome.client
        index = by_id.get(fold(found.id)) if found.id else None
        if index is None and found.company:
            index = by_company.get(fold(found.company))
        if index is None and outcome.status is Status.UNREADABLE:
            index = _by_file_name(Path(outcome.path), clients)
        if index is None:
            unmatched.append(outcome)
        else:
            matched.setdefault(index, []).append(outcome)
    result = []
    for i, client in enumerate(clients):
        mine = matched.get(i, [])
        scored = [o for o in mine if o.status is Status.SCORED]
        files = tuple(o.path for o in mine)
        if scored:
            result.append(ClientStatus(client, State.SCORED, max(scored, key=recency), files))
        elif mine:
            result.append(ClientStatus(client, State.PROBLEMS, max(mine, key=recency), files))
        else:
            result.append(ClientStatus(client, State.PENDING))
    return result, unmatched


def _by_file_name(path: Path, clients: Sequence[Client]) -> int | None:
    """The client a file we cannot read belongs to, by the name we gave it: the workbook
    ``prepare`` writes («C-001-taller-ruiz.xlsx») or the attachment the client received
    («Autoevaluación MSP - Taller Ruiz.xlsx»). None unless exactly one client fits."""
    name = file_stem(Client(company=path.stem))
    fits = {
        i
        for i, client in enumerate(clients)
        if name.startswith(file_stem(client))
        or (client.company and name.endswith(file_stem(Client(company=client.company))))
    }
    return fits.pop() if len(fits) == 1 else None


def read_roster(path: Path) -> tuple[Client, ...]:
    """The clients of the list at ``path``; ClientListError with every problem of the list."""
    from msp_assessment.client_list import read_client_list

    listing = read_client_list(path)
    if not listing.ok:
        lines = "\n".join(problem.message for problem in listing.problems)
        raise ClientListError(f"La lista de clientes {path} tiene problemas:\n{lines}")
    return listing.clients
