"""How fast does `prepare` write personalized workbooks and drafts?

    python benchmarks/prepare.py            # 10 000 clients, one worker per CPU and one
    python benchmarks/prepare.py 100000

Each run is `msp-assessment prepare` in a fresh process, on a generated list; it prints the time,
the drafts per second and the peak memory of the process tree (RSS summed, PSS). The goal: 10 000
drafts in under a minute on 2 cores. Numbers, not a pass/fail: machines are shared and noisy.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from bench import Sampled, sampled  # benchmarks/bench.py, beside this script


def run(clients: Path, out: Path, jobs: int) -> Sampled:
    args = [
        sys.executable,
        "-m",
        "msp_assessment",
        "prepare",
        str(clients),
        "-o",
        str(out),
        "--from",
        "Canal <canal@fabricante.es>",
        "--jobs",
        str(jobs),
        "--json",
    ]
    done = sampled(args, every=0.05)
    if done.returncode != 0:
        raise SystemExit(f"prepare failed: {done.stderr.decode()[-2000:]}")
    return done


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    work = Path(tempfile.mkdtemp(prefix="msp-prepare-"))
    rows = [f"C-{i:06d};Empresa Número {i}, S.L.;Persona {i};p{i}@empresa{i}.es" for i in range(n)]
    clients = work / "clientes.csv"
    clients.write_text("ID;Empresa;Contacto;Email\n" + "\n".join(rows) + "\n", encoding="utf-8")
    print(f"{n} clients")
    print("| jobs | seconds | drafts/s | peak RSS (sum) | peak PSS |")
    print("|---:|---:|---:|---:|---:|")
    for jobs in (2, 1):
        out = work / f"borradores-{jobs}"
        done = run(clients, out, jobs)
        print(
            f"| {jobs} | {done.seconds:.1f} | {n / done.seconds:.0f} | {done.rss_mb:.0f} MB | "
            f"{done.pss_mb:.0f} MB |"
        )
        shutil.rmtree(out)
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
