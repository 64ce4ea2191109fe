"""prepare: one personalized workbook and one email draft (.eml) per client of a clean list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from msp_assessment.campaign.lock import folder_lock
from msp_assessment.campaign.messages import (
    MessageText,
    attachment_name,
    build_draft,
    invitation_text,
    parse_sender,
    refuse_existing_drafts,
    render,
    write_draft,
)
from msp_assessment.client import Client, file_stems
from msp_assessment.client_list import read_client_list
from msp_assessment.instrument import load_instrument
from msp_assessment.problems import Problem
from msp_assessment.workbook_templates import TemplateOptions, write_template


@dataclass(frozen=True)
class PrepareOptions:
    sender: str
    deadline: date | None = None
    message: MessageText | None = None  # None: the default Spanish invitation
    force: bool = False  # replace drafts already in the folder


@dataclass(frozen=True)
class Prepared:
    client: Client
    workbook: str
    draft: str

    def to_dict(self) -> dict[str, Any]:
        return {"client": self.client.to_dict(), "workbook": self.workbook, "draft": self.draft}


@dataclass(frozen=True)
class PrepareReport:
    prepared: tuple[Prepared, ...]
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "prepared": [item.to_dict() for item in self.prepared],
            "problems": [prob.to_dict() for prob in self.problems],
        }


def prepare(clients_path: Path, out_dir: Path, options: PrepareOptions) -> PrepareReport:
    """Write DIR/<id-empresa>.xlsx and .eml per client; nothing at all if the list has problems.

    Raises CampaignError for a sender, message or folder that cannot be used.
    """
    sender = parse_sender(options.sender)
    text = options.message or invitation_text(options.deadline)
    listing = read_client_list(clients_path)
    if not listing.ok:
        return PrepareReport((), listing.problems)
    for client in listing.clients:  # every placeholder problem before anything is written
        render(text.subject + text.body, client, options.deadline)
    with folder_lock(out_dir, "escribiendo borradores"):
        return _write_all(listing.clients, out_dir, options, sender, text)


def _write_all(
    clients: tuple[Client, ...],
    out_dir: Path,
    options: PrepareOptions,
    sender: Address,
    text: MessageText,
) -> PrepareReport:
    refuse_existing_drafts(out_dir, options.force)
    instrument = load_instrument()
    prepared = []
    for client, stem in zip(clients, file_stems(clients), strict=True):
        workbook = out_dir / f"{stem}.xlsx"
        write_template(
            workbook, options=TemplateOptions(client=client), force=True, instrument=instrument
        )
        attachment = (attachment_name(client.company), workbook.read_bytes())
        draft = out_dir / f"{stem}.eml"
        write_draft(
            build_draft(client, sender, text, options.deadline, [attachment]),
            draft,
            client.email or "",
        )
        prepared.append(Prepared(client, str(workbook), str(draft)))
    return PrepareReport(tuple(prepared), ())
