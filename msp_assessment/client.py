"""Who a workbook belongs to, and the one rule for «the same client» that every command uses.

The rule: two client blocks are one client when their ids match (case, accents and spacing
aside); when either has no id, when their companies match. Two different ids are two clients,
whatever the companies say. ``find_client`` applies it against known clients (a client list, an
earlier round), ``client_keys`` to a whole batch (the summary), and a file that cannot be read is
tied to a client only by the name we gave it (``find_by_file_name``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from msp_assessment.text import distinct_names, fold

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


# Names Windows keeps for devices, whatever the extension: «con.xlsx» cannot be created there.
WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)


def file_stem(client: Client) -> str:
    """An ASCII file name for a client's files: its id and company (never a name Windows
    reserves: «con» is «con-cliente»)."""
    raw = f"{client.id or ''}-{client.company or ''}"
    stem = re.sub(r"[^a-z0-9]+", "-", fold(raw)).strip("-")[:80].strip("-") or "cliente"
    return f"{stem}-cliente" if stem in WINDOWS_RESERVED else stem


def file_stems(clients: Sequence[Client]) -> list[str]:
    """The file name of each client of a list, distinct within it: every command that writes a
    file per client (prepare, reminders, deliver) names a client's files the same way."""
    return distinct_names([file_stem(client) for client in clients])


def id_key(client_id: str) -> str:
    """How client ids compare: case, accents and spacing aside («CL-1» and «cl-1 » are one)."""
    return fold(client_id)


def same_client(a: Client, b: Client) -> bool:
    """The one rule: the same id, or, when either has no id, the same company."""
    if a.id and b.id:
        return id_key(a.id) == id_key(b.id)
    return bool(a.company and b.company) and fold(a.company or "") == fold(b.company or "")


class ClientIndex:
    """Known clients (a list, an earlier round) indexed by the rule, so that finding a block
    among thousands costs a look-up, not a scan."""

    def __init__(self, known: Sequence[Client]) -> None:
        self._known = known
        self._by_id: dict[str, list[int]] = {}
        self._by_company: dict[str, list[int]] = {}
        self._without_id: set[int] = set()
        for i, client in enumerate(known):
            if client.id:
                self._by_id.setdefault(id_key(client.id), []).append(i)
            else:
                self._without_id.add(i)
            if client.company:
                self._by_company.setdefault(fold(client.company), []).append(i)

    def doubt(self, found: Client) -> str | None:
        """Why the block ``found`` cannot be taken to be a known client without the user's word,
        in Spanish; None when it can (or when it is no known client at all).

        - no id, and a company that two known clients share: it could be either;
        - an id of a known client, with a company written that is not theirs: another client's,
          or no known client's (a workbook claiming an id it was not sent with).
        """
        if not found.company:
            return None
        same = [self._known[i] for i in self._by_company.get(fold(found.company), [])]
        if not found.id:
            if len(same) < 2:
                return None
            ids = ", ".join(f"«{c.id}»" for c in same if c.id)
            return (
                f"El libro no guarda id. de cliente y la empresa «{found.company}» es la de varios "
                f"clientes de la lista ({ids}). No se asigna a ninguno: escriba en el libro el id. "
                "del cliente que lo envió, o distinga las empresas en la lista, y vuelva a "
                "procesarlo."
            )
        by_id = self._by_id.get(id_key(found.id), [])
        if len(by_id) != 1:
            return None
        named = self._known[by_id[0]]
        if not named.company or company_key(named.company) == company_key(found.company):
            return None
        other = next((c for c in same if c is not named), None)
        if other is not None:
            return (
                f"El libro guarda el id. de cliente «{found.id}» ({named.company}), pero la "
                f"empresa escrita es «{found.company}», que es otro cliente de la lista (id. "
                f"«{other.id}»). No se asigna a ninguno: compruebe de quién es y corrija el libro "
                "o la lista."
            )
        return (
            f"El libro guarda el id. de cliente «{found.id}» ({named.company}), pero la empresa "
            f"escrita es «{found.company}», que no es la de ningún cliente de la lista. No se "
            f"asigna a «{found.id}» hasta que lo confirme: si es suyo, escriba «{named.company}» "
            "como empresa en el libro (o corrija la lista) y vuelva a procesarlo."
        )

    def find(self, found: Client) -> int | None:
        """The index of the one known client that ``found`` is, by the rule; None when none is,
        or when several are (a block without id whose company two known clients share)."""
        same_company = self._by_company.get(fold(found.company), []) if found.company else []
        if found.id:  # the same id, or a known client without id and the same company
            matches = self._by_id.get(id_key(found.id), []) + [
                i for i in same_company if i in self._without_id
            ]
        else:
            matches = same_company
        return matches[0] if len(matches) == 1 else None


# Legal forms that a company may write or leave out without being another company.
LEGAL_FORMS = frozenset(
    {"s", "l", "a", "u", "sl", "sa", "slu", "sau", "sll", "slne", "scoop", "sc"}
)


def company_key(company: str) -> str:
    """A company as compared to confirm an id: folded, punctuation and legal forms aside
    («Redes del Norte, S.L.» is «redes del norte»)."""
    words = re.sub(r"[^\w]+", " ", fold(company)).split()
    return " ".join(w for w in words if w not in LEGAL_FORMS) or " ".join(words)


def find_client(found: Client, known: Sequence[Client]) -> int | None:
    """The index of the one client of ``known`` that ``found`` is (see ``ClientIndex.find``)."""
    return ClientIndex(known).find(found)


def client_keys(found: Sequence[Client], known: Sequence[Client] = ()) -> list[str | None]:
    """Who each block of ``found`` is, as a key: blocks with one key are one client.

    A block that is one of ``known`` gets that client's key, unless its identity is in doubt
    (``ClientIndex.doubt``): then it is held apart, a client of its own. Otherwise a block with
    an id is that id; a block without one joins the one id its company is found with in
    ``found`` (the client left the id out of a later workbook), or stands for its company when
    there is none or more than one. A block with neither id nor company is nobody (None).
    """
    keys: list[str | None] = [None] * len(found)
    ids_by_company: dict[str, set[str]] = {}
    index_of_known = ClientIndex(known)
    for i, block in enumerate(found):
        index = index_of_known.find(block)
        if index is not None and index_of_known.doubt(block):
            keys[i] = f"dudoso:{i}"
            continue
        if index is not None:
            keys[i] = f"conocido:{index}"
        elif block.id:
            keys[i] = "id:" + id_key(block.id)
        if block.id and block.company:
            ids_by_company.setdefault(fold(block.company), set()).add(keys[i] or "")
    for i, block in enumerate(found):
        if keys[i] is not None or not block.company:
            continue
        same = ids_by_company.get(fold(block.company), set())
        keys[i] = next(iter(same)) if len(same) == 1 else "empresa:" + fold(block.company)
    return keys


def find_by_file_name(name: str, known: Sequence[Client]) -> int | None:
    """The client a file we cannot read belongs to, by the name we gave it: the workbook
    ``prepare`` writes («C-001-taller-ruiz.xlsx») or the attachment the client received
    («Autoevaluación MSP - Taller Ruiz.xlsx»). None unless exactly one client fits."""
    stem = file_stem(Client(company=name))
    fits = {
        i
        for i, client in enumerate(known)
        if stem.startswith(file_stem(client))
        or (client.company and stem.endswith(file_stem(Client(company=client.company))))
    }
    return fits.pop() if len(fits) == 1 else None
