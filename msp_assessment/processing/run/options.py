"""What a run is asked (RunOptions) and what run() works out from it before the first file
(RunPlan): the same for every file, read once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from msp_assessment.benchmark import DEFAULT_MINIMUM, Benchmark, Cohort, NoBenchmark
from msp_assessment.client import Client
from msp_assessment.instrument import Instrument
from msp_assessment.outcome import FileOutcome
from msp_assessment.processing.portfolio.consolidate import CsvDialect
from msp_assessment.processing.portfolio.rounds import Round
from msp_assessment.processing.returns.intake import Limits
from msp_assessment.processing.returns.validate import DEFAULT_REQUIRED
from msp_assessment.scoring import Score


@dataclass(frozen=True)
class RunOptions:
    """What the user asks of a run; ``run()`` works out the rest into a ``RunPlan``."""

    output_dir: Path | None = None  # None: check only, write nothing
    recursive: bool = False
    required: tuple[str, ...] = DEFAULT_REQUIRED
    limits: Limits = field(default_factory=Limits)
    debug: bool = False  # let unexpected exceptions propagate
    summary: Path | None = None  # default: output_dir / resumen.xlsx (only when writing)
    csv: Path | None = None
    csv_dialect: CsvDialect = CsvDialect.SPANISH
    jobs: int | None = None  # worker processes; None: one per CPU
    review_only: bool = False  # write only the -revisar copies (what reminders attach)
    pdf: bool = False  # also the one-page PDF report beside each -resultados copy
    clients: Path | None = None  # a client list: the summary covers every client on it
    previous: tuple[Path, ...] = ()  # earlier rounds' resumen.xlsx, to compare with
    accept_edited: bool = False  # use an earlier summary even if its Respuestas was edited
    round_name: str | None = None  # a campaign's round: what its summary and copies call it
    # Read our -resultados copies as workbooks (deliver does); otherwise they are passed over.
    results_copies: bool = False
    # When each file arrived, by the sha256 of its bytes (a campaign's record): what orders a
    # client's workbooks instead of the file's modification time.
    arrived: Mapping[str, float] | None = None
    # The peer benchmark: nothing is shown with fewer MSPs than this in a client's reference;
    # the reference is the run's scored clients, or an earlier summary (frozen).
    benchmark_min: int = DEFAULT_MINIMUM
    reference: Path | None = None


@dataclass(frozen=True)
class RunPlan:
    """What ``run()`` works out once: what every file is processed with."""

    options: RunOptions
    instrument: Instrument
    stems: dict[Path, str]  # each input → the distinct name its outputs take
    names: dict[Path, str]  # each input → its name as the user knows it (see relative_names)
    roster: tuple[Client, ...] | None = None  # the client list, when one was given
    rounds: tuple[Round, ...] = ()  # the earlier rounds, as read
    # The reference the results copies compare with; None on the first pass over the files
    # (``defer``), when it is not known yet.
    cohort: Cohort | None = None
    frozen: Round | None = None  # the summary --reference named: who is who in its reference
    keys: Mapping[str, str | None] = field(default_factory=dict)  # path → key in the cohort
    defer: bool = False  # first pass: scored workbooks wait for the reference (pending)
    pending: Mapping[str, FileOutcome] = field(default_factory=dict)  # path → first-pass outcome
    # The output folder's file names when the run started, casefolded (``output_listing``);
    # None: not known, every name is looked for on disk.
    present: frozenset[str] | None = None
    own_names: frozenset[str] = frozenset()  # the stems' names, casefolded: no one else's

    def benchmark_for(self, path: Path, client: Client, value: Score) -> Benchmark | NoBenchmark:
        """The client's standing against the plan's reference, the client left out."""
        assert self.cohort is not None
        if self.frozen is not None:
            found = self.frozen.clients.find(client)
            key = None if found is None else f"referencia:{found}"
        else:
            key = self.keys.get(str(path))
        return self.cohort.benchmark(key, value, self.options.benchmark_min)
