"""Who a workbook belongs to."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from msp_assessment.text import fold

MAX_DISPLAY = 80  # characters of a client's name on one line of terminal output


@dataclass(frozen=True)
class Client:
    """The client block of a workbook; every field is optional text."""

    id: str | None = None
    company: str | None = None
    contact: str | None = None
    email: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @property
    def display_name(self) -> str:
        """A short, one-line label for people: the company, else the id, else a dash."""
        name = " ".join((self.company or self.id or "—").split())
        return name if len(name) <= MAX_DISPLAY else name[: MAX_DISPLAY - 1] + "…"


def file_stem(client: Client) -> str:
    """An ASCII file name for a client's files: its id and company."""
    raw = f"{client.id or ''}-{client.company or ''}"
    return re.sub(r"[^a-z0-9]+", "-", fold(raw)).strip("-")[:80] or "cliente"
