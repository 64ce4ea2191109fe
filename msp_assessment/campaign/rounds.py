"""What each command does inside a campaign folder: the paths and options of the current round,
and the record kept in step (arrivals before a run, outcomes after it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from msp_assessment.campaign.collect import CollectReport, Mail
from msp_assessment.campaign.collect import collect as collect_mail
from msp_assessment.campaign.folder import INVITATIONS, RESULTS, RETURNS, Campaign, Round
from msp_assessment.campaign.record import Record
from msp_assessment.outcome import Report
from msp_assessment.processing.returns.intake import collect
from msp_assessment.processing.run.one_file import file_sha256
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.text import parse_date


def arrivals(campaign: Campaign, round_: Round | None = None) -> dict[str, float]:
    """When each file of the current round's (or ``round_``'s) recibidos/ arrived (sha256 →
    time): registered in the record the first time any command sees it."""
    round_ = round_ or campaign.round
    files, _ = collect([campaign.folder(RETURNS, round_)], recursive=True)
    digests = [(path, digest) for path in files if (digest := file_sha256(path))]
    known = Record(campaign.root).register(round_.name, digests)
    return {digest: arrival.arrived for digest, arrival in known.items()}


@dataclass(frozen=True)
class RoundRun:
    """A run of ``process`` on the current round: what it reads and how."""

    paths: list[Path]
    options: RunOptions


def round_run(
    campaign: Campaign,
    round_: Round | None = None,
    *,
    pdf: bool = False,
    jobs: int | None = None,
) -> RoundRun:
    """``process`` of the current round (or ``round_``): recibidos/ into resultados/, with the
    client list, the previous round's summary to compare with, the record's arrival times and
    the round's frozen reference, if it has one."""
    round_ = round_ or campaign.round
    previous = campaign.previous_summary(round_)
    options = RunOptions(
        output_dir=campaign.folder(RESULTS, round_),
        recursive=True,
        clients=campaign.clients,
        previous=(previous,) if previous else (),
        pdf=pdf,
        jobs=jobs,
        arrived=arrivals(campaign, round_),
        reference=campaign.root / round_.reference if round_.reference else None,
        round_name=round_.name,
    )
    return RoundRun([campaign.folder(RETURNS, round_)], options)


def remember(campaign: Campaign, report: Report, round_: Round | None = None) -> None:
    """What came of each file of the round, into the record."""
    Record(campaign.root).save_outcomes((round_ or campaign.round).name, report.files)


def collect_round(campaign: Campaign, mails: Iterable[Mail]) -> CollectReport:
    """``collect`` into the current round's recibidos/: every new workbook registered in the
    record as arrived when its message was sent, and every bounce, and every client's message
    without a workbook, kept for status and its reminders."""
    from msp_assessment.processing.portfolio.roster import read_roster

    record = Record(campaign.root)
    round_name = campaign.round.name
    report, saved = collect_mail(
        mails,
        campaign.folder(RETURNS),
        read_roster(campaign.clients),
        known=record.known_attachments(round_name),
    )
    record.register_mail(round_name, saved)
    record.save_bounces(round_name, report.bounces)
    record.save_unusable(round_name, report.unusable)
    return report


def invited_since(campaign: Campaign) -> date | None:
    """The day the current round's first invitation went out (what collect reads from)."""
    entries = campaign.journal(campaign.folder(INVITATIONS)).entries()
    days = [parse_date(str(e["time"])[:10]) for e in entries if e["event"] == "sent"]
    found = [d for d in days if d is not None]
    return min(found) if found else None
