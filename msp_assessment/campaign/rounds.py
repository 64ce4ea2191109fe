"""What each command does inside a campaign folder: the paths and options of the current round,
and the record kept in step (arrivals before a run, outcomes after it)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from msp_assessment.campaign.folder import RESULTS, RETURNS, Campaign, Round
from msp_assessment.campaign.record import Record
from msp_assessment.outcome import Report
from msp_assessment.processing.returns.intake import collect
from msp_assessment.processing.run.one_file import file_sha256
from msp_assessment.processing.run.options import RunOptions


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
    client list, the previous round's summary to compare with, and the record's arrival
    times."""
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
    )
    return RoundRun([campaign.folder(RETURNS, round_)], options)


def remember(campaign: Campaign, report: Report, round_: Round | None = None) -> None:
    """What came of each file of the round, into the record."""
    Record(campaign.root).save_outcomes((round_ or campaign.round).name, report.files)
