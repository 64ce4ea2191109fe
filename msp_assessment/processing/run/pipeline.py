"""One run: files → per-file outcomes, with a progress callback, into a report."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from msp_assessment._files import flush_to_disk, remove_stale_temporaries, write_bytes
from msp_assessment.benchmark import Cohort
from msp_assessment.errors import OutputError
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.outcome import FileOutcome, Report, Skipped, Status
from msp_assessment.problems import Code
from msp_assessment.processing.portfolio.peers import frozen_reference, run_reference
from msp_assessment.processing.portfolio.roster import read_roster
from msp_assessment.processing.portfolio.rounds import read_round
from msp_assessment.processing.returns.intake import collect_resolved, relative_names
from msp_assessment.processing.run.ahead import Ahead, as_expected
from msp_assessment.processing.run.ahead import available as ahead_available
from msp_assessment.processing.run.one_file import safe_finish, safe_process, stopped_outcome
from msp_assessment.processing.run.options import RunOptions, RunPlan
from msp_assessment.processing.run.outputs import (
    check_not_inputs,
    check_output_dir,
    check_user_files,
    output_listing,
    output_stems,
)
from msp_assessment.processing.run.parallel import default_jobs
from msp_assessment.processing.run.parallel import outcomes as parallel_outcomes
from msp_assessment.workbook_templates import contract

if TYPE_CHECKING:
    from msp_assessment.processing.portfolio.consolidate import Consolidation

SETTLE_EVERY = 256  # files between two _settle() calls
Progress = Callable[[int, int, FileOutcome], None]


def run(
    paths: Sequence[Path],
    options: RunOptions = RunOptions(),
    progress: Progress | None = None,
    instrument: Instrument | None = None,
) -> Report:
    """Read, validate and score every workbook under ``paths``; write outputs when asked."""
    instrument = instrument or load_instrument()
    # What the run compares with is read first: a list or summary with problems stops it (a
    # UsageError: ClientListError, RoundError).
    roster = read_roster(options.clients) if options.clients is not None else None
    rounds = tuple(
        read_round(p, instrument, accept_edited=options.accept_edited, limits=options.limits)
        for p in options.previous
    )
    resolved, skipped = collect_resolved(list(paths), recursive=options.recursive)
    files = list(resolved)
    if options.output_dir is not None:
        check_output_dir(options.output_dir, list(paths), resolved)
        check_not_inputs([options.summary, options.csv], resolved)
        kept = {"la lista de clientes": options.clients}
        kept |= {f"el resumen anterior {i}": p for i, p in enumerate(options.previous, start=1)}
        summary = options.summary or options.output_dir / contract.SUMMARY_NAME
        check_user_files(summary, options.csv, kept)
        remove_stale_temporaries(options.output_dir)
    names = relative_names(files, list(paths))
    writing = options.output_dir is not None and not options.review_only
    frozen = None
    if writing and options.reference is not None:
        frozen = read_round(
            options.reference,
            instrument,
            accept_edited=options.accept_edited,
            limits=options.limits,
        )
    stems = output_stems(resolved)
    plan = RunPlan(
        options,
        instrument,
        stems,
        names,
        roster,
        rounds,
        cohort=Cohort(frozen_reference(frozen)) if frozen is not None else None,
        frozen=frozen,
        defer=writing and frozen is None,  # the reference is this run's: known after a pass
        present=output_listing(options.output_dir) if options.output_dir is not None else None,
        own_names=frozenset(stem.casefold() for stem in stems.values()),
    )
    outcomes: list[FileOutcome] = []
    jobs = options.jobs or default_jobs()
    reported = 0
    ahead: Ahead | None = None

    def report_one(outcome: FileOutcome, total: int) -> None:
        nonlocal reported
        reported += 1
        if reported % SETTLE_EVERY == 0:
            _settle()
        if progress is not None:
            progress(reported, total, outcome)

    try:
        each = parallel_outcomes(
            files,
            partial(safe_process, plan=plan),
            jobs,
            instrument,
            stopped=partial(stopped_outcome, names=names),
            seconds=options.limits.file_seconds,
            benchmark_for=plan.benchmark_for if plan.cohort is not None else None,
        )
        for outcome in each:
            outcomes.append(outcome)
            if not outcome.pending:  # a scored one is reported when its copy is written
                report_one(outcome, len(files))
            elif len(outcomes) % SETTLE_EVERY == 0:  # kept for the second pass: settled too
                _settle()
        if plan.defer:
            outcomes, ahead = _finish(outcomes, plan, jobs, partial(report_one, total=len(files)))
    except BaseException:
        # Stopped (disk full, Ctrl-C): workers were ended mid-write; leave no temporary behind.
        if options.output_dir is not None:
            remove_stale_temporaries(options.output_dir)
        raise
    finally:
        gc.unfreeze()
    try:
        return _report(outcomes, skipped, plan, ahead)
    except BaseException:
        if ahead is not None:
            ahead.abandon()
        raise


def _report(
    outcomes: list[FileOutcome], skipped: list[Skipped], plan: RunPlan, ahead: Ahead | None
) -> Report:
    """The run's report, from its outcomes; the summary written, when the run writes."""
    options, roster = plan.options, plan.roster
    outcomes, ours = _without_ours(outcomes)
    skipped = sorted([*skipped, *ours], key=lambda entry: entry.path)
    from msp_assessment.processing.portfolio.counting import resolve_clients

    _, superseded = resolve_clients(outcomes, roster or ())
    if options.output_dir is not None and not options.review_only:
        outcomes = _close_corrected(outcomes, {id(e.outcome) for e in superseded})
    report = Report(
        tuple(outcomes),
        tuple(skipped),
        superseded=tuple((e.outcome.path, e.by.path) for e in superseded),
    )
    if options.output_dir is None or options.review_only:
        return report
    # Outputs were written without waiting for the disk one by one; the summary, written last,
    # is only there once they all are.
    flush_to_disk(Path(o.output) for o in outcomes if o.output)
    return _summarize(report, plan, ahead)


def _finish(
    outcomes: list[FileOutcome],
    plan: RunPlan,
    jobs: int,
    report_one: Callable[[FileOutcome], None],
) -> tuple[list[FileOutcome], Ahead | None]:
    """The second pass: now that the reference is known (every client's workbook that counts),
    each scored workbook's -resultados copy, with where its client stands. With workers, the
    summary of the outcomes it is expected to give is built meanwhile (run.ahead): returned
    when the pass gave them all."""
    pending = {o.path: o for o in outcomes if o.pending}
    if not pending:
        return outcomes, None
    reference, keys = run_reference(_without_ours(outcomes)[0], plan.roster or ())
    second = replace(plan, defer=False, cohort=Cohort(reference), keys=keys, pending=pending)
    # A workbook's outcome of this pass takes the place of its first one, which goes (the two of
    # every file are never all held at once): out of the list, and out of ``pending`` (a worker
    # forked anew, when one died, inherits it: it needs only the files not done yet).
    place = {o.path: i for i, o in enumerate(outcomes) if o.pending}
    # Everything the workers inherit at fork, frozen first: their collector then never walks
    # it (which would copy every page of it into each worker, and cost more with every file).
    _settle()
    ahead = None
    if jobs > 1 and ahead_available():  # forked before the workers: it holds none of their pipes
        ahead = Ahead(partial(_expected_summary, outcomes, second))
    try:
        for outcome in parallel_outcomes(
            [Path(p) for p in pending],
            partial(safe_finish, plan=second),
            jobs,
            plan.instrument,
            stopped=partial(stopped_outcome, names=plan.names),
            seconds=plan.options.limits.file_seconds,
            benchmark_for=second.benchmark_for,
        ):
            report_one(outcome)
            first = pending.pop(outcome.path, None)
            if ahead is not None and (first is None or not _as_expected(first, outcome, second)):
                ahead.abandon()  # the summary is built from what the pass gave, after it
                ahead = None
            if outcome.path in place:
                outcomes[place[outcome.path]] = outcome
    except BaseException:
        if ahead is not None:
            ahead.abandon()
        raise
    return outcomes, ahead


def _expected_summary(outcomes: list[FileOutcome], second: RunPlan) -> bytes:
    """The summary of the run, when the second pass gives the outcomes expected of it."""
    from msp_assessment.processing.portfolio.workbook import summary_bytes

    expected = [_expected(o, second) for o in outcomes]
    return summary_bytes(_consolidated(_without_ours(expected)[0], second), second.instrument)


def _expected(outcome: FileOutcome, second: RunPlan) -> FileOutcome:
    """The outcome the second pass is expected to give for ``outcome`` (the first pass's): a
    pending workbook's as its copy, spliced, gives it (safe_finish)."""
    changed = _finished(outcome, second)
    return outcome if changed is None else replace(outcome, **changed)  # type: ignore[arg-type]


def _as_expected(first: FileOutcome, got: FileOutcome, second: RunPlan) -> bool:
    """Whether the second pass gave for ``first`` the outcome expected of it (``_expected``)."""
    return as_expected(first, got, _finished(first, second) or {})


def _finished(outcome: FileOutcome, second: RunPlan) -> dict[str, object] | None:
    """What the second pass changes in a pending workbook's outcome (None: not pending)."""
    if not outcome.pending or outcome.score is None:
        return None
    bench = second.benchmark_for(Path(outcome.path), outcome.client, outcome.score)
    return {"benchmark": bench, "pending": False, "copy_cells": None}


def _without_ours(outcomes: list[FileOutcome]) -> tuple[list[FileOutcome], list[Skipped]]:
    """The returns, and our own files found among them (a summary, a client list…), passed over
    with what they are."""
    returns, ours = [], []
    for outcome in outcomes:
        first = outcome.problems[0] if outcome.problems else None
        if first is not None and first.code == Code.OWN_FILE:
            ours.append(Skipped(outcome.path, str(dict(first.context)["what"])))
        else:
            returns.append(outcome)
    return returns, ours


def _close_corrected(outcomes: list[FileOutcome], superseded: set[int]) -> list[FileOutcome]:
    """A workbook to review that its client has since corrected is a closed case: its -revisar
    copy goes (it would only invite sending it back) and its outcome names no output."""
    closed = []
    for outcome in outcomes:
        if id(outcome) in superseded and outcome.status is Status.INVALID and outcome.output:
            Path(outcome.output).unlink(missing_ok=True)
            outcome = replace(outcome, output=None)
        closed.append(outcome)
    return closed


def _settle() -> None:
    """Keep the garbage collector's work flat in the number of files.

    Workbooks openpyxl loads (the files the fast reader leaves to it) are webs of reference
    cycles that only the cyclic collector frees, and each of its full passes also walks every
    outcome kept so far: measured, that made the per-file cost grow with the batch. Collecting
    once, then freezing what survives (the outcomes), takes them out of later passes.
    """
    gc.collect()
    gc.freeze()


def _consolidated(files: Sequence[FileOutcome], plan: RunPlan) -> Consolidation:
    """The consolidation of ``files`` (the report's): what the summary and the CSV show."""
    from msp_assessment.processing.portfolio.consolidate import consolidate

    return consolidate(files, plan.instrument, plan.roster, plan.rounds, plan.options.round_name)


def _summarize(report: Report, plan: RunPlan, ahead: Ahead | None = None) -> Report:
    """Write the summary workbook (and the CSV when asked) for the whole run: the one built
    ahead (run.ahead) when there is one, else built now."""
    options, instrument = plan.options, plan.instrument
    from msp_assessment.processing.portfolio.consolidate import write_csv
    from msp_assessment.processing.portfolio.workbook import summary_bytes

    assert options.output_dir is not None
    consolidation = _consolidated(report.files, plan)
    target = options.summary or options.output_dir / contract.SUMMARY_NAME
    data = ahead.result() if ahead is not None else None
    if data is None:
        data = summary_bytes(consolidation, instrument)
    write_bytes(data, target, durable=True)
    if options.csv is not None:
        try:
            write_csv(consolidation, instrument, options.csv, options.csv_dialect)
        except OSError as err:
            raise OutputError.writing(options.csv, err) from err
    from msp_assessment.processing.portfolio.roster import State

    return replace(
        report,
        summary=str(target),
        csv=None if options.csv is None else str(options.csv),
        response=consolidation.response,
        pending=tuple(c.client for c in consolidation.roster or () if c.state is State.PENDING),
        outside=tuple(o.path for o in consolidation.outside),
    )
