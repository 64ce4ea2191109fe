"""prepare: one personalized workbook and one email draft (.eml) per client of a clean list."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from email.headerregistry import Address
from pathlib import Path
from typing import Any

from msp_assessment._files import flush_to_disk, write_bytes
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
from msp_assessment.processing.run.parallel import default_jobs
from msp_assessment.workbook_templates.personalize import Personalizer


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


Progress = Callable[[int, int], None]  # (drafts written, drafts to write)


def prepare(
    clients_path: Path,
    out_dir: Path,
    options: PrepareOptions,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> PrepareReport:
    """Write DIR/<id-empresa>.xlsx and .eml per client; nothing at all if the list has problems.

    ``jobs`` processes share the work (default: one per CPU); ``progress`` hears of every draft.
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
        refuse_existing_drafts(out_dir, options.force)
        work = _Work(Personalizer(load_instrument()), out_dir, sender, text, options.deadline)
        tasks = list(zip(listing.clients, file_stems(listing.clients), strict=True))
        prepared = []
        for done, item in enumerate(_each(work, tasks, jobs or default_jobs()), start=1):
            prepared.append(item)
            if progress is not None:
                progress(done, len(tasks))
        # Written without waiting for the disk one by one; all of them are there now.
        flush_to_disk(Path(p) for item in prepared for p in (item.workbook, item.draft))
    return PrepareReport(tuple(prepared), ())


@dataclass(frozen=True)
class _Work:
    """One client's workbook and draft: what every worker process does."""

    personalizer: Personalizer
    out_dir: Path
    sender: Address
    text: MessageText
    deadline: date | None

    def __call__(self, task: tuple[Client, str]) -> Prepared:
        client, stem = task
        workbook = self.out_dir / f"{stem}.xlsx"
        data = self.personalizer.workbook(client)
        write_bytes(data, workbook)
        attachment = (attachment_name(client.company), data)
        draft = self.out_dir / f"{stem}.eml"
        msg = build_draft(client, self.sender, self.text, self.deadline, [attachment])
        write_draft(msg, draft, client.email or "")
        return Prepared(client, str(workbook), str(draft))


CHUNK = 50  # clients a worker takes at a time
_work: _Work | None = None


def _each(work: _Work, tasks: list[tuple[Client, str]], jobs: int) -> Iterator[Prepared]:
    """``work`` for every task, in order, in up to ``jobs`` forked processes (here, when there
    is no fork or too little to share)."""
    jobs = min(jobs, len(tasks) // CHUNK)
    if jobs < 2 or not hasattr(os, "fork"):
        yield from map(work, tasks)
        return
    global _work
    _work = work  # inherited by the forked workers
    with multiprocessing.get_context("fork").Pool(jobs, initializer=_ignore_ctrl_c) as pool:
        yield from pool.imap(_one, tasks, chunksize=CHUNK)


def _ignore_ctrl_c() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool and reports once


def _one(task: tuple[Client, str]) -> Prepared:
    assert _work is not None
    return _work(task)
