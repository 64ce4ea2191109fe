"""One returned file to one outcome: read, validate, score, write its copy (and report).

What goes wrong with one file is that file's outcome; only an output that cannot be written stops
the run (no later file could be written either).
"""

from __future__ import annotations

import hashlib
import itertools
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from io import BytesIO
from pathlib import Path
from xml.etree import ElementTree

from defusedxml import DefusedXmlException
from openpyxl import Workbook

from msp_assessment._files import write_bytes
from msp_assessment.benchmark import from_record
from msp_assessment.client import Client, file_stem, same_client
from msp_assessment.errors import OutputError
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome, Status, change, result_stamp
from msp_assessment.problems import Code, Problem, problem, shorten
from msp_assessment.processing.copies.results import (
    CopySource,
    benchmark_property,
    copy_numbers,
    points_cells,
    results_workbook,
    review_workbook,
)
from msp_assessment.processing.copies.sheets import plan_draft, results_draft
from msp_assessment.processing.copies.splice import splice_results
from msp_assessment.processing.ooxml.package import SpliceDeclinedError, open_zip, unzip
from msp_assessment.processing.ooxml.read import Book, from_workbook, read_package
from msp_assessment.processing.portfolio.rounds import history
from msp_assessment.processing.returns.calamine import (
    FRESH_COPY,
    NOT_WRITABLE,
    fresh_copy,
    read_other,
)
from msp_assessment.processing.returns.intake import Format, Limits, sniff
from msp_assessment.processing.returns.locate import (
    Located,
    WorkbookReading,
    formulas_at,
    open_workbook,
    read_book,
)
from msp_assessment.processing.returns.ours import RESULTS_COPY, what_it_is
from msp_assessment.processing.returns.validate import (
    Validation,
    explain_formulas,
    validate,
)
from msp_assessment.processing.run.options import RunPlan
from msp_assessment.processing.run.outputs import MAX_STEM_BYTES
from msp_assessment.scoring import score
from msp_assessment.text import fit_bytes
from msp_assessment.workbook_templates import contract


def safe_process(path: Path, *, plan: RunPlan) -> FileOutcome:
    """process_file, where any unexpected error becomes this file's outcome, not the batch's end.

    An OutputError (disk full, no permission) still stops the run: no later file could be
    written either.
    """
    try:
        outcome = process_file(path, plan)
    except OutputError:
        raise
    except Exception as err:
        if plan.options.debug:
            raise
        detail = shorten(f"{type(err).__name__}: {err}", 120)
        internal = problem(Code.INTERNAL_ERROR, detail=detail)
        outcome = FileOutcome(str(path), Status.UNREADABLE, problems=(internal,))
    digest = outcome.sha256 or file_sha256(path)  # a read workbook's outcome has it already
    return replace(outcome, relative_name=plan.names[path], sha256=digest)


def stopped_outcome(path: Path, why: str, *, names: Mapping[Path, str]) -> FileOutcome:
    """The outcome of a file whose worker process ended before it gave one (it died, or it did
    not finish in time): unreadable, and the batch goes on."""
    stopped = problem(Code.FILE_READER_STOPPED, kind=path.suffix.lower() or "", detail=why)
    return FileOutcome(str(path), Status.UNREADABLE, problems=(stopped,), relative_name=names[path])


def process_file(path: Path, plan: RunPlan) -> FileOutcome:
    """One file to one outcome; a broken file is an outcome, never an exception."""
    try:
        return _process(path, plan)
    except _UnopenableError as err:  # openpyxl had to open it, and could not
        if plan.options.debug:
            raise
        return FileOutcome(str(path), Status.UNREADABLE, problems=(_open_problem(err.error),))


def _process(path: Path, plan: RunPlan) -> FileOutcome:
    display, instrument, options = str(path), plan.instrument, plan.options
    package = _read_within(path, options.limits)  # read once: sniffed, unzipped and hashed
    archive = open_zip(package) if package is not None else None  # its directory read once
    found = sniff(path, options.limits, package, archive)
    if isinstance(found, Problem):
        return FileOutcome(display, Status.UNREADABLE, problems=(found,))
    if found is not Format.OOXML:
        return _process_other(path, found, plan)
    package = package if package is not None else path.read_bytes()
    parts = unzip(package, archive=archive)
    book = read_package(parts) if parts is not None else None
    # openpyxl reads the file, or the package as we rewrote it (Strict, which it reads as empty).
    rewritten = parts if parts is not None and parts.rewritten else None
    source: Source = (lambda: BytesIO(rewritten.zipped())) if rewritten else (lambda: path)
    wb: Workbook | None = None
    if book is None:  # outside the fast reader's reach: openpyxl reads it, or says what is wrong
        wb = _loaded(None, source)
        book = from_workbook(wb)
    if (ours := _ours(book, options.results_copies, path)) is not None:
        return ours
    reading = read_book(book, instrument)
    checked = validate(reading, instrument, options.required)
    if any(prob.code == Code.ANSWER_MISSING for prob in checked.problems):
        checked = explain_formulas(checked, formulas_at(book, source, _missing_cells(checked)))
    # The client's own package for the splice; openpyxl only when the fast reader declined it.
    copy = CopySource(reading, parts if wb is None else None, partial(_loaded, wb, source))
    digest = hashlib.sha256(package).hexdigest()
    try:
        return _outcome(path, plan, reading, checked, copy, digest)
    except OutputError:
        raise
    except Exception:
        if options.debug:
            raise
        # The workbook was read, but neither the splice nor openpyxl can write it back (openpyxl
        # fails to open some packages the fast reader reads, or to save some charts): its copy
        # is our template with the client's data and answers, as for an .ods return.
        return _fresh(path, plan, reading, checked, NOT_WRITABLE)


def _process_other(path: Path, kind: Format, plan: RunPlan) -> FileOutcome:
    """An .ods, .xls or .xlsb return: read by calamine, copied into a fresh template."""
    instrument, options = plan.instrument, plan.options
    book = read_other(path, kind, options.limits)
    if isinstance(book, Problem):
        return FileOutcome(str(path), Status.UNREADABLE, problems=(book,))
    if (ours := _ours(book, options.results_copies, path)) is not None:
        return ours
    reading = read_book(book, instrument)
    checked = validate(reading, instrument, options.required)
    return _fresh(path, plan, reading, checked, FRESH_COPY)


def _ours(book: Book, results_copies: bool, path: Path) -> FileOutcome | None:
    """The outcome of one of our own files (a summary, a client list, a results copy unless
    ``results_copies``): passed over, by what it holds; None for a return."""
    what = what_it_is(book)
    if what is None or (results_copies and what == RESULTS_COPY):
        return None
    return FileOutcome(str(path), Status.UNREADABLE, problems=(problem(Code.OWN_FILE, what=what),))


def _fresh(
    path: Path, plan: RunPlan, reading: WorkbookReading, checked: Validation, why: str
) -> FileOutcome:
    """The outcome with a copy that is our template holding the client's data and answers
    (``why``: what benchmarks/routes.py reports for it)."""
    wb, located, problems = fresh_copy(reading, plan.instrument, checked.problems)
    copy = CopySource(located, None, lambda: wb, why)
    return _outcome(path, plan, reading, replace(checked, problems=problems), copy)


def _outcome(
    path: Path,
    plan: RunPlan,
    reading: WorkbookReading,
    checked: Validation,
    copy: CopySource,
    digest: str | None = None,
) -> FileOutcome:
    """The file's outcome, with its -revisar or -resultados copy written when asked (``digest``:
    the file's sha256, when its bytes were read already)."""
    instrument, options, stem = plan.instrument, plan.options, plan.stems[path]
    client, when, modified = reading.client, reading.client_date, _mtime(path)
    # Hashed once: what a -revisar copy names its origin by, and how the record knows the file.
    digest = digest or file_sha256(path)
    arrived = options.arrived.get(digest) if options.arrived and digest else None
    output = resaved = None
    if not checked.valid:
        if options.output_dir is not None:
            stem = own_stem(plan, stem, client)
            review = review_workbook(copy, instrument, checked.problems, path.name, digest or "")
            output = _write_output(review.data, plan, stem, contract.REVIEW_SUFFIX, modified)
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
            arrived=arrived,
            sha256=digest,
            corrects=reading.corrects,
        )
    result = score(instrument, checked.answers)
    past = tuple(history(client, plan.rounds))
    scored = FileOutcome(
        str(path),
        Status.SCORED,
        score=result,
        answers=checked.answers,
        client=client,
        date=when,
        modified=modified,
        arrived=arrived,
        sha256=digest,
        previous=past,
        change=change(result, past[-1]) if past else None,
        corrects=reading.corrects,
    )
    if options.results_copies:  # one of our copies (deliver reads them): what it carries
        stored = from_record(reading.book.properties.get(contract.META_BENCHMARK))
        scored = replace(scored, benchmark=stored)
    if options.output_dir is None or options.review_only:
        return scored
    if plan.defer:  # the copy waits for the reference: finish() writes it
        cells = points_cells(reading, instrument) if copy.package else None
        return replace(scored, pending=True, copy_cells=cells)
    bench = plan.benchmark_for(path, client, result)
    results = results_workbook(
        copy, instrument, result, checked.answers, path.name, past, benchmark=bench
    )
    # Worked out only now: a copy written in the second pass (finish) works it out there.
    stem = own_stem(plan, stem, client)
    return _write_scored(
        path, plan, replace(scored, benchmark=bench), results.data, stem, resaved=results.resaved
    )


def safe_finish(path: Path, *, plan: RunPlan) -> FileOutcome:
    """The second pass over a scored workbook (run.pipeline): its -resultados copy, now that the
    reference is known. Spliced into the client's package from the cells the first pass found
    (unzipping again costs a fraction of reading); read the whole way again when the first pass
    could not say (an .ods, a package openpyxl has to re-save) or the splice declines it."""
    first = plan.pending[str(path)]
    if first.copy_cells is None or first.score is None:
        return safe_process(path, plan=plan)
    try:
        package = path.read_bytes()
        if hashlib.sha256(package).hexdigest() != first.sha256:
            return safe_process(path, plan=plan)  # not the file the first pass read
        # Only the parts the splice edits are inflated; the rest are copied as they are.
        parts = unzip(package, lazy=True)
        if parts is None:
            return safe_process(path, plan=plan)
        bench = plan.benchmark_for(path, first.client, first.score)
        draft = results_draft(
            plan.instrument,
            first.score,
            first.client,
            first.date,
            path.name,
            first.previous,
            bench,
        )
        try:
            data = splice_results(
                parts,
                copy_numbers(first.copy_cells, first.score, first.answers),
                draft,
                plan.instrument,
                properties=benchmark_property(bench),
                plan=plan_draft(plan.instrument, first.score, first.answers, first.previous),
            )
        except SpliceDeclinedError:
            return safe_process(path, plan=plan)
        stem = own_stem(plan, plan.stems[path], first.client)
        done = replace(first, benchmark=bench, pending=False, copy_cells=None)
        return _write_scored(path, plan, done, data, stem, resaved=None)
    except OutputError:
        raise
    except Exception:
        if plan.options.debug:
            raise
        return safe_process(path, plan=plan)


def _write_scored(
    path: Path, plan: RunPlan, scored: FileOutcome, data: bytes, stem: str, *, resaved: str | None
) -> FileOutcome:
    """A scored workbook's -resultados copy written (and its PDF report, when asked)."""
    options, instrument = plan.options, plan.instrument
    assert options.output_dir is not None and scored.score is not None
    output = _write_output(data, plan, stem, contract.RESULTS_SUFFIX, scored.modified)
    if options.pdf:
        from msp_assessment.report.pdf import outcome_report  # reportlab only when asked

        report = options.output_dir / f"{stem}{contract.REPORT_SUFFIX}"
        stamp = result_stamp(scored.client, scored.answers, scored.date)
        write_bytes(outcome_report(instrument, scored, stamp), report)
    return replace(scored, output=output, resaved=resaved)


def own_stem(plan: RunPlan, stem: str, client: Client) -> str:
    """``stem``, unless the output folder holds, under that name, the copy of another client (an
    earlier run's, of a same-named file): then a name of this client's, so that no run replaces
    another client's results (``acme`` → ``acme-c-002-soporte-levante``, then ``…-2``). A name
    of this client's is never another input's own (``plan.own_names``)."""
    folder = plan.options.output_dir
    assert folder is not None
    for n in itertools.count(0):
        extra = "" if n == 0 else f"-{file_stem(client)}" + (f"-{n}" if n > 1 else "")
        candidate = fit_bytes(stem, MAX_STEM_BYTES - len(extra)) + extra
        if n and candidate.casefold() in plan.own_names:
            continue
        # The input's own name holds only what was there when the run started (no other input
        # writes under it): the folder's listing then says whether a copy of ours is there.
        listed = n == 0 and plan.present is not None
        if listed and not any(_present(plan, candidate, kind) for kind in _COPY_SUFFIXES):
            return candidate
        earlier = _copy_client(folder, candidate, plan.instrument)
        if earlier is None or _same_one(earlier, client):
            return candidate
    raise AssertionError("unreachable")


_COPY_SUFFIXES = (contract.RESULTS_SUFFIX, contract.REVIEW_SUFFIX)


def _present(plan: RunPlan, stem: str, suffix: str) -> bool:
    """Whether the output folder may hold ``stem + suffix`` from before the run (True when its
    listing is not known); names compared as a file system that ignores case does."""
    return plan.present is None or f"{stem}{suffix}".casefold() in plan.present


def _copy_client(folder: Path, stem: str, instrument: Instrument) -> Client | None:
    """The client of the copy we wrote under ``stem`` in ``folder``; None when there is none (or
    it cannot be read: a damaged copy of ours is replaced)."""
    for suffix in _COPY_SUFFIXES:
        copy = folder / f"{stem}{suffix}"
        try:
            parts = unzip(copy.read_bytes())
        except OSError:
            continue
        book = read_package(parts) if parts is not None else None
        if book is not None:
            return read_book(book, instrument).client
    return None


def _same_one(a: Client, b: Client) -> bool:
    """Two copies are of one client by the identity rule; two blocks without id or company only
    when they are alike."""
    anonymous = not (a.id or a.company or b.id or b.company)
    return a == b if anonymous else same_client(a, b)


def _write_output(
    data: bytes, plan: RunPlan, stem: str, suffix: str, modified: float | None = None
) -> str:
    """Write one file's copy (dated as its original, ``modified``, so that a later reading of
    the copies orders a client's workbooks as the originals were); the copy of the other kind
    from an earlier run goes (a workbook is either to review or scored, never both)."""
    folder = plan.options.output_dir
    assert folder is not None
    target = folder / f"{stem}{suffix}"
    write_bytes(data, target, modified=modified)
    other = contract.REVIEW_SUFFIX if suffix == contract.RESULTS_SUFFIX else contract.RESULTS_SUFFIX
    stale = [other] if suffix == contract.RESULTS_SUFFIX else [other, contract.REPORT_SUFFIX]
    for kind in stale:  # a report from an earlier run would say a -revisar copy was scored
        if _present(plan, stem, kind):
            (folder / f"{stem}{kind}").unlink(missing_ok=True)
    return str(target)


class _UnopenableError(Exception):
    """openpyxl could not load a workbook it had to (the error is openpyxl's)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


Source = Callable[[], Path | BytesIO]  # what openpyxl opens, made only when it is needed


def _loaded(wb: Workbook | None, source: Source) -> Workbook:
    if wb is not None:
        return wb
    try:
        return open_workbook(source())
    except Exception as err:  # openpyxl raises many kinds on malformed packages
        raise _UnopenableError(err) from err


def _open_problem(err: Exception) -> Problem:
    """Why openpyxl could not open a package: unsafe XML (defusedxml said no); a package we know
    is damaged (a bad zip or CRC, a broken compressed stream, malformed XML); or one openpyxl does
    not read although it may be sound (a part named in another case, which Excel accepts; a
    feature it does not know), which the client then saves again as .xlsx."""
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, DefusedXmlException):
            return problem(Code.FILE_UNSAFE, detail=UNSAFE_XML.get(type(cause).__name__, "DTD"))
        cause = cause.__cause__ or cause.__context__
    detail = shorten(f"{type(err).__name__}: {err}", 120)
    if isinstance(err, zipfile.BadZipFile | zlib.error | ElementTree.ParseError | EOFError):
        return problem(Code.FILE_CORRUPT, detail=detail)
    return problem(Code.FILE_FORMAT_UNREADABLE, kind=".xlsx", detail=detail)


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


def _read_within(path: Path, limits: Limits) -> bytes | None:
    """The file's bytes, when it can be read and is within the size limit (None: ``sniff``
    says what is wrong, from the file itself)."""
    try:
        if 0 < path.stat().st_size <= limits.max_file_bytes:
            return path.read_bytes()
    except OSError:
        pass
    return None


def file_sha256(path: Path) -> str | None:
    """The sha256 of the file's bytes (what a -revisar copy names its origin by)."""
    try:
        with path.open("rb") as stream:
            return hashlib.file_digest(stream, "sha256").hexdigest()
    except OSError:
        return None


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None
