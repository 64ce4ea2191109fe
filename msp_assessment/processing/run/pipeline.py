"""One run: files → per-file outcomes, with a progress callback, into a report."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from defusedxml import DefusedXmlException
from openpyxl import Workbook

from msp_assessment._files import flush_to_disk, remove_stale_temporaries
from msp_assessment.client import Client
from msp_assessment.errors import OutputError
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.outcome import FileOutcome, Report, Status, change
from msp_assessment.problems import Code, Problem, problem, shorten
from msp_assessment.processing.copies.results import (
    CopySource,
    results_workbook,
    review_workbook,
    write_bytes,
)
from msp_assessment.processing.ooxml.package import unzip
from msp_assessment.processing.ooxml.read import from_workbook, read_package
from msp_assessment.processing.portfolio.roster import read_roster
from msp_assessment.processing.portfolio.rounds import Round, history, read_round
from msp_assessment.processing.returns.calamine import FRESH_COPY, fresh_copy, read_other
from msp_assessment.processing.returns.intake import Format, Limits, collect, sniff
from msp_assessment.processing.returns.locate import (
    Located,
    WorkbookReading,
    formulas_at,
    open_workbook,
    read_book,
)
from msp_assessment.processing.returns.validate import (
    DEFAULT_REQUIRED,
    Validation,
    explain_formulas,
    validate,
)
from msp_assessment.processing.run.outputs import check_not_inputs, check_output_dir, output_stems
from msp_assessment.processing.run.parallel import default_jobs
from msp_assessment.processing.run.parallel import outcomes as parallel_outcomes
from msp_assessment.scoring import score
from msp_assessment.workbook_templates import contract

SETTLE_EVERY = 256  # files between two _settle() calls
Progress = Callable[[int, int, FileOutcome], None]


@dataclass(frozen=True)
class RunOptions:
    output_dir: Path | None = None  # None: check only, write nothing
    recursive: bool = False
    required: tuple[str, ...] = DEFAULT_REQUIRED
    limits: Limits = field(default_factory=Limits)
    debug: bool = False  # let unexpected exceptions propagate
    summary: Path | None = None  # default: output_dir / resumen.xlsx (only when writing)
    csv: Path | None = None
    csv_dialect: str = "es"  # "es" or "standard", see summary.CsvDialect
    jobs: int | None = None  # worker processes; None: one per CPU
    review_only: bool = False  # write only the -revisar copies (what reminders attach)
    pdf: bool = False  # also the one-page PDF report beside each -resultados copy
    clients: Path | None = None  # a client list: the summary covers every client on it
    previous: tuple[Path, ...] = ()  # earlier rounds' resumen.xlsx, to compare with
    force: bool = False  # use an earlier summary even if its Respuestas was edited
    rounds: tuple[Round, ...] = ()  # the earlier rounds as read (run() fills it in)


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
    if options.previous:
        rounds = tuple(read_round(p, instrument, force=options.force) for p in options.previous)
        options = replace(options, rounds=rounds)
    files, skipped = collect(list(paths), recursive=options.recursive)
    resolved = {file: file.resolve() for file in files}  # once: it costs a few system calls each
    if options.output_dir is not None:
        check_output_dir(options.output_dir, list(paths), resolved)
        check_not_inputs([options.summary, options.csv], resolved)
        remove_stale_temporaries(options.output_dir)
    stems = output_stems(resolved)
    work = partial(safe_process, stems=stems, instrument=instrument, options=options)
    outcomes = []
    jobs = options.jobs or default_jobs()
    try:
        for done, outcome in enumerate(parallel_outcomes(files, work, jobs, instrument), start=1):
            outcomes.append(outcome)
            if done % SETTLE_EVERY == 0:
                _settle()
            if progress is not None:
                progress(done, len(files), outcome)
    except BaseException:
        # Stopped (disk full, Ctrl-C): workers were ended mid-write; leave no temporary behind.
        if options.output_dir is not None:
            remove_stale_temporaries(options.output_dir)
        raise
    finally:
        gc.unfreeze()
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
    return _summarize(report, options, instrument, roster)


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


def _summarize(
    report: Report,
    options: RunOptions,
    instrument: Instrument,
    roster: tuple[Client, ...] | None = None,
) -> Report:
    """Write the summary workbook (and the CSV when asked) for the whole run."""
    from msp_assessment.processing.portfolio.consolidate import CsvDialect, consolidate, write_csv
    from msp_assessment.processing.portfolio.workbook import write_summary

    assert options.output_dir is not None
    consolidation = consolidate(report.files, instrument, roster, options.rounds)
    target = options.summary or options.output_dir / contract.SUMMARY_NAME
    write_summary(consolidation, instrument, target)
    if options.csv is not None:
        try:
            write_csv(consolidation, instrument, options.csv, CsvDialect(options.csv_dialect))
        except OSError as err:
            raise OutputError.writing(options.csv, err) from err
    return replace(
        report, summary=str(target), csv=None if options.csv is None else str(options.csv)
    )


def safe_process(
    path: Path, *, stems: dict[Path, str], instrument: Instrument, options: RunOptions
) -> FileOutcome:
    """process_file, where any unexpected error becomes this file's outcome, not the batch's end.

    An OutputError (disk full, no permission) still stops the run: no later file could be
    written either.
    """
    try:
        return process_file(path, stems[path], instrument, options)
    except OutputError:
        raise
    except Exception as err:
        if options.debug:
            raise
        detail = shorten(f"{type(err).__name__}: {err}", 120)
        internal = problem(Code.INTERNAL_ERROR, detail=detail)
        return FileOutcome(str(path), Status.UNREADABLE, problems=(internal,))


def process_file(path: Path, stem: str, instrument: Instrument, options: RunOptions) -> FileOutcome:
    """One file to one outcome; a broken file is an outcome, never an exception."""
    try:
        return _process(path, stem, instrument, options)
    except _UnopenableError as err:  # openpyxl had to open it, and could not
        if options.debug:
            raise
        return FileOutcome(str(path), Status.UNREADABLE, problems=(_open_problem(err.error),))


def _process(path: Path, stem: str, instrument: Instrument, options: RunOptions) -> FileOutcome:
    display = str(path)
    found = sniff(path, options.limits)
    if isinstance(found, Problem):
        return FileOutcome(display, Status.UNREADABLE, problems=(found,))
    if found is not Format.OOXML:
        return _process_other(path, stem, instrument, options)
    parts = unzip(path.read_bytes())
    book = read_package(parts) if parts is not None else None
    wb: Workbook | None = None
    if book is None:  # outside the fast reader's reach: openpyxl reads it, or says what is wrong
        wb = _loaded(None, path)
        book = from_workbook(wb)
    reading = read_book(book, instrument)
    checked = validate(reading, instrument, options.required)
    if any(prob.code == Code.ANSWER_MISSING for prob in checked.problems):
        checked = explain_formulas(checked, formulas_at(path, _missing_cells(checked)))
    # The client's own package for the splice; openpyxl only when the fast reader declined it.
    copy = CopySource(reading, parts if wb is None else None, partial(_loaded, wb, path))
    return _outcome(path, stem, instrument, options, reading, checked, copy)


def _process_other(
    path: Path, stem: str, instrument: Instrument, options: RunOptions
) -> FileOutcome:
    """An .ods, .xls or .xlsb return: read by calamine, copied into a fresh template."""
    book = read_other(path)
    if isinstance(book, Problem):
        return FileOutcome(str(path), Status.UNREADABLE, problems=(book,))
    reading = read_book(book, instrument)
    checked = validate(reading, instrument, options.required)
    wb, located, problems = fresh_copy(reading, instrument, checked.problems)
    checked = replace(checked, problems=problems)
    copy = CopySource(located, None, lambda: wb, FRESH_COPY)
    return _outcome(path, stem, instrument, options, reading, checked, copy)


def _outcome(
    path: Path,
    stem: str,
    instrument: Instrument,
    options: RunOptions,
    reading: WorkbookReading,
    checked: Validation,
    copy: CopySource,
) -> FileOutcome:
    """The file's outcome, with its -revisar or -resultados copy written when asked."""
    client, when, modified = reading.client, reading.client_date, _mtime(path)
    output = resaved = None
    if not checked.valid:
        if options.output_dir is not None:
            review = review_workbook(copy, instrument, checked.problems, path.name)
            output = _write_output(review.data, options.output_dir, stem, contract.REVIEW_SUFFIX)
            resaved = review.resaved
        return FileOutcome(
            str(path),
            Status.INVALID,
            problems=tuple(checked.problems),
            output=output,
            resaved=resaved,
            client=client,
            date=when,
            modified=modified,
        )
    result = score(instrument, checked.answers)
    past = tuple(history(client, options.rounds))
    if options.output_dir is not None and not options.review_only:
        results = results_workbook(copy, instrument, result, checked.answers, path.name, past)
        output = _write_output(results.data, options.output_dir, stem, contract.RESULTS_SUFFIX)
        resaved = results.resaved
        if options.pdf:
            from msp_assessment.report.pdf import results_pdf  # reportlab only when asked

            report = options.output_dir / f"{stem}{contract.REPORT_SUFFIX}"
            write_bytes(results_pdf(instrument, result, client, when, past), report)
    return FileOutcome(
        str(path),
        Status.SCORED,
        score=result,
        output=output,
        answers=checked.answers,
        resaved=resaved,
        client=client,
        date=when,
        modified=modified,
        previous=past,
        change=change(result, past[-1]) if past else None,
    )


def _write_output(data: bytes, folder: Path, stem: str, suffix: str) -> str:
    """Write one file's copy; the copy of the other kind from an earlier run goes (a workbook is
    either to review or scored, never both)."""
    target = folder / f"{stem}{suffix}"
    write_bytes(data, target)
    other = contract.REVIEW_SUFFIX if suffix == contract.RESULTS_SUFFIX else contract.RESULTS_SUFFIX
    (folder / f"{stem}{other}").unlink(missing_ok=True)
    if suffix == contract.REVIEW_SUFFIX:  # a report from an earlier run would say it was scored
        (folder / f"{stem}{contract.REPORT_SUFFIX}").unlink(missing_ok=True)
    return str(target)


class _UnopenableError(Exception):
    """openpyxl could not load a workbook it had to (the error is openpyxl's)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def _loaded(wb: Workbook | None, path: Path) -> Workbook:
    if wb is not None:
        return wb
    try:
        return open_workbook(path)
    except Exception as err:  # openpyxl raises many kinds on malformed packages
        raise _UnopenableError(err) from err


def _open_problem(err: Exception) -> Problem:
    """Why openpyxl could not open a package: unsafe XML (defusedxml said no) or just broken."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return problem(Code.FILE_UNSAFE, detail=UNSAFE_XML.get(type(cause).__name__, "DTD"))
        cause = cause.__cause__ or cause.__context__
    return problem(Code.FILE_CORRUPT, detail=shorten(f"{type(err).__name__}: {err}", 120))


UNSAFE_XML = {
    "EntitiesForbidden": "declara entidades XML",
    "ExternalReferenceForbidden": "hace referencia a entidades externas",
    "DTDForbidden": "contiene una DTD",
}


def _missing_cells(checked: Validation) -> list[Located]:
    return [
        Located(prob.sheet, prob.cell)
        for prob in checked.problems
        if prob.code == Code.ANSWER_MISSING and prob.sheet and prob.cell
    ]


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None
