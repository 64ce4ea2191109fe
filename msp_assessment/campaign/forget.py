"""forget: a client erased from a campaign (the GDPR's right to erasure).

Everything of theirs goes: their row of the client list (the campaign's copy), their invitations,
reminders and results drafts, the workbooks they returned (found by the identity rule, whatever
they are called) and the copies and reports made from them, their lines in every sending journal
and their rows of the record. Then every round is processed again, in order, so that the summaries
(and the comparisons between rounds) no longer hold them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msp_assessment._files import write_atomic
from msp_assessment.campaign.folder import (
    DELIVERY,
    INVITATIONS,
    REMINDERS,
    RESULTS,
    RETURNS,
    Campaign,
    write_config,
)
from msp_assessment.campaign.record import Record
from msp_assessment.campaign.rounds import remember, round_run
from msp_assessment.campaign.send import JOURNAL_NAME
from msp_assessment.client import Client, file_stems, id_key
from msp_assessment.client_list import csv_delimiter, decode_csv, read_client_list
from msp_assessment.errors import CampaignError
from msp_assessment.list_columns import columns_of
from msp_assessment.processing.portfolio.roster import match_clients
from msp_assessment.processing.run.one_file import file_sha256
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from msp_assessment.text import cell_text
from msp_assessment.workbook_templates import contract


@dataclass(frozen=True)
class ForgetReport:
    client: Client
    files: tuple[str, ...]  # every file removed
    journal_lines: int  # lines removed from the sending journals
    record_rows: int  # files the record knew of
    summaries: tuple[str, ...]  # the summaries written again without the client

    def lines(self) -> list[str]:
        who = f"{self.client.id} · {self.client.company}"
        return [
            f"Olvidado: {who}",
            f"Archivos borrados: {len(self.files)}",
            *(f"  {path}" for path in self.files),
            f"Anotaciones de envío borradas: {self.journal_lines}",
            f"Archivos olvidados en el registro: {self.record_rows}",
            "Resúmenes rehechos sin el cliente: "
            + (", ".join(self.summaries) if self.summaries else "ninguno"),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "client": self.client.to_dict(),
            "files": list(self.files),
            "journal_lines": self.journal_lines,
            "record_rows": self.record_rows,
            "summaries": list(self.summaries),
        }


def forget_client(campaign: Campaign, client_id: str) -> ForgetReport:
    """Erase the client ``client_id`` from ``campaign``; CampaignError when it has no such
    client (or its list cannot be read)."""
    listing = read_client_list(campaign.clients)
    if not listing.ok:
        raise CampaignError(f"La lista de clientes {campaign.clients} tiene problemas.")
    clients = listing.clients
    index = next(
        (i for i, c in enumerate(clients) if id_key(c.id or "") == id_key(client_id)), None
    )
    if index is None:
        raise CampaignError(f"La campaña no tiene ningún cliente con el id. «{client_id}».")
    client, stem = clients[index], file_stems(clients)[index]
    removed: list[Path] = []
    digests: list[str] = []
    for round_ in campaign.rounds:
        base = campaign.root / round_.name
        drafts = [base / INVITATIONS, *sorted(base.glob(f"{REMINDERS}-*")), base / DELIVERY]
        for folder in drafts:
            removed += [p for p in (folder / f"{stem}.eml", folder / f"{stem}.xlsx") if p.exists()]
        returns, _ = _theirs(clients, index, [campaign.folder(RETURNS, round_)], False)
        removed += returns
        digests += [d for p in returns if (d := file_sha256(p))]
        copies, _ = _theirs(clients, index, [campaign.folder(RESULTS, round_)], True)
        for copy in copies:
            removed.append(copy)
            name = copy.name
            for suffix in (contract.RESULTS_SUFFIX, contract.REVIEW_SUFFIX):
                if name.endswith(suffix):
                    report = copy.with_name(name[: -len(suffix)] + contract.REPORT_SUFFIX)
                    if report.exists():
                        removed.append(report)
    for path in removed:
        path.unlink(missing_ok=True)
    journal_lines = sum(
        _drop_journal_lines(journal, client) for journal in campaign.root.rglob(JOURNAL_NAME)
    )
    journal_lines += Record(campaign.root).forget_messages(client.id or "")
    Record(campaign.root).forget_address(client.email or "")
    record_rows = Record(campaign.root).forget(digests)
    _drop_from_list(campaign, client)
    summaries = []
    for round_ in campaign.rounds:  # in order: each round compares with the one before it
        if any(campaign.folder(RETURNS, round_).iterdir()):
            planned = round_run(campaign, round_)
            remember(campaign, run(planned.paths, planned.options), round_)
            summaries.append(str(campaign.folder(RESULTS, round_) / contract.SUMMARY_NAME))
    files = tuple(str(p) for p in removed)
    return ForgetReport(client, files, journal_lines, record_rows, tuple(summaries))


def _theirs(
    clients: tuple[Client, ...], index: int, folders: list[Path], results_copies: bool
) -> tuple[list[Path], list[Path]]:
    """The files of ``folders`` that are the client's (by the identity rule), and the others."""
    present = [f for f in folders if f.is_dir() and any(f.iterdir())]
    if results_copies:  # our copies, named: a folder's listing passes over them
        suffixes = (contract.RESULTS_SUFFIX, contract.REVIEW_SUFFIX)
        present = sorted(p for f in present for s in suffixes for p in f.glob(f"*{s}"))
    if not present:
        return [], []
    options = RunOptions(recursive=True, jobs=1, results_copies=results_copies)
    outcomes = run(present, options).files
    matched, _ = match_clients(clients, outcomes)
    mine = {Path(p) for p in matched[index].files}
    return sorted(mine), [Path(o.path) for o in outcomes if Path(o.path) not in mine]


def _drop_journal_lines(journal: Path, client: Client) -> int:
    """Rewrite ``journal`` without the client's lines; how many went."""
    kept, dropped = [], 0
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            theirs = id_key(str(json.loads(line)["client_id"])) == id_key(client.id or "")
        except (ValueError, KeyError, TypeError):
            theirs = False
        if theirs:
            dropped += 1
        else:
            kept.append(line)
    if dropped:
        data = "".join(f"{line}\n" for line in kept).encode("utf-8")
        write_atomic(journal, lambda stream: stream.write(data))
    return dropped


def _drop_from_list(campaign: Campaign, client: Client) -> None:
    """The campaign's copy of the list without the client's row: a CSV or an .xlsx rewritten
    in place; an .ods or .xls is kept as .xlsx from now on (the campaign's copy is its own)."""
    path = campaign.clients
    if path.suffix.lower() == ".csv":
        text = decode_csv(path.read_bytes())
        dialect = csv_delimiter(text)
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=dialect))
        out = io.StringIO(newline="")
        writer = csv.writer(out, delimiter=dialect, lineterminator="\r\n")
        column = _id_column(rows)
        writer.writerows(r for r in rows if not _is_theirs(r, column, client))
        data = b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")
        write_atomic(path, lambda stream: stream.write(data))
        return
    from openpyxl import Workbook, load_workbook

    if path.suffix.lower() in (".xlsx", ".xlsm"):
        wb = load_workbook(path)
        ws = wb.worksheets[0]
        rows = [[cell_text(v) or "" for v in row] for row in ws.iter_rows(values_only=True)]
        column = _id_column(rows)
        for number in reversed(range(len(rows))):
            if _is_theirs(rows[number], column, client):
                ws.delete_rows(number + 1)
        wb.save(path)
        return
    listing = read_client_list(path)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["id", "empresa", "contacto", "email"])
    for other in listing.clients:
        if id_key(other.id or "") != id_key(client.id or ""):
            sheet.append([other.id, other.company, other.contact, other.email])
    target = path.with_suffix(".xlsx")
    book.save(target)
    path.unlink()
    write_config(dataclasses.replace(campaign, clients=target))


def _id_column(rows: list[list[str]]) -> int | None:
    for row in rows[:20]:
        found = columns_of(row)
        if "id" in found:
            return found["id"]
    return None


def _is_theirs(row: list[str], column: int | None, client: Client) -> bool:
    return (
        column is not None and column < len(row) and id_key(row[column]) == id_key(client.id or "")
    )
