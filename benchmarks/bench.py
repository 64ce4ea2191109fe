"""How fast is `process`, against the cost of just opening and saving each workbook?

    python benchmarks/bench.py 1000          # N workbooks; prints a table
    python benchmarks/bench.py 10000 --keep /tmp/lote   # reuse the generated batch next time
    python benchmarks/bench.py 1000 --repeat 3          # three rounds; medians and spread
    python benchmarks/bench.py 10000 --process-only --against REV   # what a change costs

It generates N filled workbooks from the template, each of its own client, on 200 sets of answers
(a share of them with problems), then times, each in a fresh process:

  (0) copy     the floor the speed issue states its target against: unzip every part of every
               package and deflate it again into a new file with zipfile's defaults (zlib's
               level 6), in one Python process: what copying a workbook costs;
  (0₁) copy    the same at level 1, the level our copies are deflated at: a stricter floor
               (the same compression work as ours), printed beside it;
  (0p) copy    (0), the batch shared among one forked process per CPU: (0)/(0p) is what the
               CPUs give work that never waits for another process, the ceiling of (b)/(c);
  (a) base     openpyxl loading and saving every workbook, nothing else, in one process;
  (b) jobs 1   `msp-assessment process DIR -o OUT --jobs 1`;
  (c) jobs N   `msp-assessment process DIR -o OUT` (one worker per CPU);
  (d), (e)     the same two with `--pdf`: what the one-page report adds to each scored workbook.

Peak memory is the largest sum of the resident memory of the process and its workers, sampled
every 20 ms from /proc (Linux). Numbers, not a pass/fail: machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

VARIANTS = 200  # distinct answer sets generated; every workbook of the batch has its own client


@dataclass
class Measure:
    label: str
    seconds: float
    peak_mb: float  # RSS summed over the process tree
    pss_mb: float  # the same, shared pages split among their sharers
    cpu_seconds: float  # user and system time of the tree


def _client(i: int) -> tuple[str, str, str, str]:
    return f"B-{i:05d}", f"Empresa {i}", f"Contacto {i}", f"c{i}@empresa{i}.es"


def generate(folder: Path, n: int, invalid_share: float) -> None:
    """N filled workbooks, each of its own client (as in a campaign: a row a client typed is in
    no other workbook), on VARIANTS sets of answers (a share of them with problems)."""
    from msp_assessment.client import Client
    from msp_assessment.examples import write_filled

    rng = random.Random(7)
    variants = folder / "_variantes"
    variants.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(min(VARIANTS, n)):
        answers: dict[tuple[int, int], object] = {
            (a, s): rng.randint(1, 5) for a in range(1, 5) for s in range(1, 6)
        }
        if i < round(min(VARIANTS, n) * invalid_share):
            answers[(rng.randint(1, 4), rng.randint(1, 5))] = rng.choice([None, 7, "sí"])
        made.append(write_filled(variants / f"v{i:05d}.xlsx", answers, client=Client(*_client(i))))
    for i in range(n):
        variant = i % len(made)
        target = folder / f"cliente-{i:05d}.xlsx"
        if i < len(made):
            shutil.copyfile(made[variant], target)
        else:
            _with_client(made[variant], target, _client(variant), _client(i))
    shutil.rmtree(variants)
    batch_mark(folder).write_text("cada libro, de su propio cliente\n", encoding="utf-8")


def batch_mark(folder: Path) -> Path:
    """What a batch --keep may reuse has beside it (one of before 02/12/2026 repeated its 200
    clients, whose rows the reader then knew from before: ≈ 11 % fewer instructions per workbook
    than a campaign's). Beside, not inside: `process` would list it among what it passed over."""
    return folder.parent / f".{folder.name}.clientes-distintos"


def _with_client(source: Path, target: Path, old: tuple[str, ...], new: tuple[str, ...]) -> None:
    """``source`` with each of the client's texts ``old`` (as a whole XML text) made ``new``."""
    import zipfile

    with zipfile.ZipFile(source) as package:
        parts = [(info, package.read(info)) for info in package.infolist()]
    replaced = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts:
            if info.filename.endswith(".xml"):
                for before, after in zip(old, new, strict=True):
                    found = f">{before}<".encode()
                    replaced += data.count(found)
                    data = data.replace(found, f">{after}<".encode())
            out.writestr(info, data)
    if replaced < len(old):  # the template changed: the batch would repeat its clients
        raise SystemExit(f"{source.name}: the client's texts were not found")


def copy_floor(
    folder: Path, out: Path, level: int | None = None, share: int = 0, shares: int = 1
) -> None:
    """(0): each package unzipped, every part deflated again and written: what copying a
    returned workbook costs. ``level``: zipfile's default (None: zlib's 6, as the issue measured
    its floor), or 1 (0₁: as our copies are). ``share`` of ``shares``: every ``shares``-th
    workbook from the ``share``-th on (what one of (0p)'s processes copies)."""
    import zipfile
    from io import BytesIO

    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.glob("*.xlsx"))[share::shares]:
        with zipfile.ZipFile(path) as source:
            parts = [(info, source.read(info)) for info in source.infolist()]
        buffer = BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as target:
            for info, data in parts:
                target.writestr(info.filename, data)
        (out / path.name).write_bytes(buffer.getvalue())


def copy_floor_parallel(folder: Path, out: Path, processes: int) -> None:
    """(0p): the same copy, the batch shared among ``processes`` forked processes at once.
    Nothing passes between them: (0)/(0p) is the most that many CPUs give on this machine (two
    virtual CPUs of a shared host may give less than twice one), the ceiling of (b)/(c)."""
    children = []
    for share in range(processes):
        pid = os.fork()
        if pid == 0:  # the child copies its share, and ends without running the parent's code
            code = 1
            try:
                copy_floor(folder, out, None, share, processes)
                code = 0
            finally:
                os._exit(code)
        children.append(pid)
    failed = [pid for pid in children if os.waitpid(pid, 0)[1] != 0]
    if failed:
        raise SystemExit(f"{len(failed)} de {processes} procesos de la copia fallaron")


def baseline(folder: Path, out: Path) -> None:
    """(a): load and save each workbook with openpyxl, nothing else."""
    from openpyxl import load_workbook

    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.glob("*.xlsx")):
        load_workbook(path).save(out / path.name)


def tree_memory_kb(pid: int, with_pss: bool = True) -> tuple[int, int]:
    """The resident memory of ``pid`` and all its descendants, summed: RSS (pages shared by
    forked workers counted in each) and PSS (each shared page split among its sharers: the
    memory the tree really holds), in KiB."""
    rss = pss = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            rss += int(next(ln.split()[1] for ln in status.splitlines() if ln.startswith("VmRSS")))
            with contextlib.suppress(OSError, StopIteration):
                if not with_pss:
                    raise StopIteration
                rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
                pss += int(
                    next(ln.split()[1] for ln in rollup.splitlines() if ln.startswith("Pss:"))
                )
            for task in Path(f"/proc/{current}/task").iterdir():
                children = (task / "children").read_text().split()
                pending.extend(int(c) for c in children)
        except (OSError, StopIteration, ValueError):
            continue
    return rss, pss


PSS_EVERY = 25  # samples between two readings of the tree's proportional memory


@dataclass
class Sampled:
    """A command run in a fresh process: its time, the peak memory of its process tree, its
    output."""

    seconds: float
    rss_mb: float  # resident memory summed over the tree (shared pages counted in each process)
    pss_mb: float  # proportional: shared pages split among the processes that map them
    returncode: int
    stdout: bytes
    stderr: bytes
    # User and system CPU time of the command and every process it waited for (its workers):
    # what the work cost, whatever else the machine was doing meanwhile.
    cpu_seconds: float = 0.0


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def sampled(args: list[str], every: float = 0.02, cwd: Path | None = None) -> Sampled:
    """Run ``args``, sampling the memory of its process tree every ``every`` seconds."""
    cpu_before = _children_cpu()  # commands run one at a time: the difference is this one's
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    peak = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        # PSS walks every page of every process (smaps_rollup): read on every sample of a big
        # tree, it took a CPU from the run it measures. RSS every sample, PSS every 25th.
        n = 0
        while not stop.is_set():
            rss, pss = tree_memory_kb(proc.pid, with_pss=n % PSS_EVERY == 0)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            n += 1
            stop.wait(every)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    cpu = _children_cpu() - cpu_before
    return Sampled(seconds, peak[0] / 1024, peak[1] / 1024, proc.returncode, out, err, cpu)


def timed(label: str, args: list[str], cwd: Path) -> Measure:
    run = sampled(args, cwd=cwd)
    if run.returncode not in (0, 1):
        raise SystemExit(f"{label} failed ({run.returncode}): {run.stderr.decode()[-2000:]}")
    return Measure(label, run.seconds, run.rss_mb, run.pss_mb, run.cpu_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--invalid-share", type=float, default=0.1)
    parser.add_argument("--keep", type=Path, help="folder for the generated batch (kept)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; medians are printed")
    parser.add_argument("--baseline", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", nargs=3, help=argparse.SUPPRESS)  # SOURCE TARGET LEVEL
    parser.add_argument("--floor-parallel", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument(
        "--against",
        metavar="REV",
        help="also time (b) and (c) with the code of git revision REV (a worktree), interleaved:"
        " what a change costs",
    )
    parser.add_argument(
        "--process-only", action="store_true", help="only (b) and (c): no (a), no --pdf"
    )
    args = parser.parse_args()
    if args.baseline:
        baseline(*args.baseline)
        return
    if args.floor:
        source, target, level = args.floor
        copy_floor(Path(source), Path(target), None if level == "default" else int(level))
        return
    if args.floor_parallel:
        source, target, processes = args.floor_parallel
        copy_floor_parallel(Path(source), Path(target), int(processes))
        return

    work = Path(tempfile.mkdtemp(prefix="msp-bench-"))
    folder = args.keep or work / "lote"
    kept = folder.is_dir() and batch_mark(folder).is_file()  # a batch of this generator's
    if not (kept and len(list(folder.glob("*.xlsx"))) == args.n):
        if folder.exists():
            shutil.rmtree(folder)
        print(f"Generando {args.n} libros en {folder}…", file=sys.stderr)
        generate(folder, args.n, args.invalid_share)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    python = sys.executable
    script = str(Path(__file__).resolve())
    process = [python, "-m", "msp_assessment", "process", str(folder)]
    commands = [
        (
            "(0) copia (zipfile, nivel 6)",
            [python, script, "--floor", str(folder), str(work / "f"), "default"],
        ),
        (
            "(0₁) copia a nivel 1",
            [python, script, "--floor", str(folder), str(work / "f1"), "1"],
        ),
        (
            f"(0p) copia en {cpus} procesos",
            [python, script, "--floor-parallel", str(folder), str(work / "fp"), str(cpus)],
        ),
        (
            "(a) base: cargar y guardar",
            [python, script, "--baseline", str(folder), str(work / "a")],
        ),
        ("(b) process --jobs 1", [*process, "-o", str(work / "b"), "--jobs", "1"]),
        (f"(c) process --jobs {cpus}", [*process, "-o", str(work / "c")]),
        ("(d) process --jobs 1 --pdf", [*process, "-o", str(work / "d"), "--jobs", "1", "--pdf"]),
        (f"(e) process --jobs {cpus} --pdf", [*process, "-o", str(work / "e"), "--pdf"]),
    ]
    outputs = ["f", "f1", "fp", "a", "b", "c", "d", "e"]
    if args.process_only:
        commands, outputs = [*commands[:3], *commands[4:6]], ["f", "f1", "fp", "b", "c"]
    # Where each command runs: «python -m» puts that folder first on the import path, before
    # PYTHONPATH, so a worktree's commands run there (from this tree they would import this
    # tree's code, and compare it with itself), and the others here.
    here = Path(__file__).resolve().parents[1]
    places: dict[str, Path] = {}
    tree = None
    if args.against:  # the same two runs with the code of REV, from a worktree of it
        tree = work / "arbol"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(tree), args.against],
            check=True,
            capture_output=True,
            cwd=Path(__file__).resolve().parents[1],
        )
        # Its bytecode ahead, as the installed tree has its own: only the code differs.
        subprocess.run([python, "-m", "compileall", "-q", str(tree / "msp_assessment")], check=True)
        old = ["env", f"PYTHONPATH={tree}", *process]
        against = [
            (f"(b0) jobs 1 @{args.against}"[:30], [*old, "-o", str(work / "b0"), "--jobs", "1"]),
            (f"(c0) jobs {cpus} @{args.against}"[:30], [*old, "-o", str(work / "c0")]),
        ]
        commands += against
        places |= {label: tree for label, _ in against}
        outputs += ["b0", "c0"]
    rounds: list[list[Measure]] = []
    earlier = work / "anteriores"
    for n in range(args.repeat):  # rounds interleave the measures, so noise hits them alike
        # A round's outputs are moved aside, not deleted, until the end: on ext4, files made just
        # after thousands were deleted cost many times more (the allocator passes over inodes
        # freed in the last minutes), and the command right after the deletion would pay it.
        for out in outputs:
            if (work / out).exists():
                earlier.mkdir(exist_ok=True)
                (work / out).rename(earlier / f"{n}-{out}")
        rounds.append(
            [timed(label, command, places.get(label, here)) for label, command in commands]
        )
    shutil.rmtree(earlier, ignore_errors=True)
    print(f"\nN = {args.n} libros ({args.invalid_share:.0%} con problemas), {cpus} CPU", end="")
    print(f", mediana de {args.repeat} rondas" if args.repeat > 1 else "", end="\n\n")
    heads = (
        f"{'segundos':>9} | {'mín–máx':>13} | {'libros/s':>9} | {'CPU s':>7} | "
        f"{'memoria pico':>13} | {'PSS pico':>9}"
    )
    print(f"| {'medida':<30} | {heads} |")
    widths = (32, 11, 15, 11, 9, 15, 11)
    print("|" + "|".join("-" * w for w in widths) + "|")
    medians, cpu_medians = [], []
    for i, (label, _) in enumerate(commands):
        times = [r[i].seconds for r in rounds]
        median = statistics.median(times)
        medians.append(median)
        cpu = statistics.median(r[i].cpu_seconds for r in rounds)
        cpu_medians.append(cpu)
        spread = f"{min(times):.1f}–{max(times):.1f}"
        peak = max(r[i].peak_mb for r in rounds)
        pss = max(r[i].pss_mb for r in rounds)
        rate = args.n / median
        print(
            f"| {label:<30} | {median:9.1f} | {spread:>13} | {rate:9.1f} | {cpu:7.1f} | "
            f"{peak:10.0f} MB | {pss:6.0f} MB |"
        )
    named = dict(zip(outputs, medians, strict=True))
    cpu_named = dict(zip(outputs, cpu_medians, strict=True))
    per_book = {key: seconds / args.n * 1000 for key, seconds in named.items()}
    print(
        f"\nPor libro: copia {per_book['f']:.2f} ms (a nivel 1: {per_book['f1']:.2f} ms)"
        f" · process --jobs 1 {per_book['b']:.2f} ms = {per_book['b'] / per_book['f']:.2f} × la"
        f" copia (objetivo ≤ 2; {per_book['b'] / per_book['f1']:.2f} × la de nivel 1)"
        f" · --jobs {cpus} {per_book['c']:.2f} ms"
    )
    at = {key: outputs.index(key) for key in outputs}  # where each measure is in a round
    if args.repeat > 1:
        for floor, name in (("f", "copia"), ("f1", "copia a nivel 1")):
            ratios = ", ".join(f"{r[at['b']].seconds / r[at[floor]].seconds:.2f}" for r in rounds)
            print(f"process --jobs 1 / {name} en cada ronda: {ratios}")
    print(
        f"CPU por libro: copia {cpu_named['f'] / args.n * 1000:.2f} ms"
        f" (a nivel 1: {cpu_named['f1'] / args.n * 1000:.2f} ms) · --jobs 1"
        f" {cpu_named['b'] / args.n * 1000:.2f} ms"
        f" = {cpu_named['b'] / cpu_named['f']:.2f} × · --jobs {cpus}"
        f" {cpu_named['c'] / args.n * 1000:.2f} ms (lo que el reparto añade:"
        f" {cpu_named['c'] / cpu_named['b'] - 1:+.0%})"
    )
    if tree is not None:
        for now, then in (("b", "b0"), ("c", "c0")):
            print(
                f"\n({now}) frente a ({then}): {named[now] / named[then] - 1:+.1%}"
                f" (CPU {cpu_named[now] / cpu_named[then] - 1:+.1%})",
                end="",
            )
        print()
        subprocess.run(
            ["git", "worktree", "remove", "--force", str(tree)], capture_output=True, cwd=here
        )
    ceiling = f"techo de esta máquina, (0)/(0p): {named['f'] / named['fp']:.2f}"
    if args.process_only:
        print(f"\n(b)/(c) = {named['b'] / named['c']:.2f}   (objetivo ≥ 1,85 con 2 CPU; {ceiling})")
        if args.repeat > 1:
            each = ", ".join(
                f"{r[at['b']].seconds / r[at['c']].seconds:.2f}"
                f" (techo {r[at['f']].seconds / r[at['fp']].seconds:.2f})"
                for r in rounds
            )
            print(f"(b)/(c) en cada ronda: {each}")
        _clean(work, outputs, keep=args.keep is not None)
        return
    a, b, c, d, e = (named[k] for k in ("a", "b", "c", "d", "e"))
    print(f"\n(b)/(a) = {b / a:.2f}   (objetivo ≤ 1,3)")
    print(f"(b)/(c) = {b / c:.2f}   (aceleración con {cpus} CPU; objetivo ≥ 1,85 con 2; {ceiling})")
    if args.repeat > 1:
        speedups = ", ".join(f"{r[at['b']].seconds / r[at['c']].seconds:.2f}" for r in rounds)
        print(f"(b)/(c) en cada ronda: {speedups}")
    reports = len(list((work / "d").glob("*-informe.pdf"))) if (work / "d").is_dir() else 0
    for label, plain, with_pdf in (("--jobs 1", b, d), (f"--jobs {cpus}", c, e)):
        added = (with_pdf - plain) / max(reports, 1) * 1000
        print(
            f"--pdf con {label}: +{with_pdf / plain - 1:.0%} de la ejecución,"
            f" {added:.1f} ms por informe ({reports} informes)"
        )
    _clean(work, outputs, keep=args.keep is not None)


def _clean(work: Path, outputs: list[str], *, keep: bool) -> None:
    """The outputs gone; the whole working folder too (its generated batch) unless --keep."""
    for out in outputs:
        shutil.rmtree(work / out, ignore_errors=True)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
