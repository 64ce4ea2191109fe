"""The package's modules import one another without a cycle, at load time or inside functions."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "msp_assessment"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports (not under ``if TYPE_CHECKING``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in modules else node.module)
    return found & modules - {module_name(path)}


def import_graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    modules = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, modules) for f in files}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as the path that closes it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_find_cycle__finds_a_planted_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_package__import_graph__has_no_cycle() -> None:
    graph = import_graph()
    assert "msp_assessment.cli.common" in graph["msp_assessment.cli.campaign"]
    assert find_cycle(graph) is None


# --- Which way imports run between the rooms of the house (README «Arquitectura») ------------

LEAVES = frozenset(
    {
        "errors",
        "problems",
        "client",
        "text",
        "scoring",
        "benchmark",
        "outcome",
        "_files",
        "_zip",
        "instrument",
        "list_columns",
    }
)
APART = ("processing.copies", "processing.portfolio", "report")  # none imports another


def room(module: str) -> str:
    """The room a module lives in: ``processing.copies``, ``campaign``, ``text``…"""
    parts = module.split(".")[1:] or ["__init__"]
    if parts[0] == "processing" and len(parts) > 1:
        return f"processing.{parts[1]}"
    return parts[0]


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import of ``graph`` that runs the wrong way, as «a -> b: rule»."""
    found = []
    for module, imported in sorted(graph.items()):
        here = room(module)
        for other in sorted(imported):
            there = room(other)
            if there == here:
                continue
            edge = f"{module} -> {other}"
            if there == "cli" and here != "__main__":
                found.append(f"{edge}: nothing imports cli")
            if there == "campaign" and here != "cli":
                found.append(f"{edge}: only cli imports campaign")
            if here in APART and there in APART:
                found.append(f"{edge}: copies, portfolio and report never import each other")
            if here == "processing.ooxml" and there not in ("text", "_zip"):
                found.append(f"{edge}: ooxml knows no questionnaire, layout or other room")
            if here in LEAVES and there not in LEAVES:
                found.append(f"{edge}: a leaf imports only leaves")
    rooms: dict[str, set[str]] = {}
    for module, imported in graph.items():
        rooms.setdefault(room(module), set()).update({room(o) for o in imported} - {room(module)})
    if (cycle := find_cycle(rooms)) is not None:
        found.append(f"{' -> '.join(cycle)}: the rooms form a cycle (a package-level cycle)")
    return found


def test_package__imports_run_the_right_way() -> None:
    assert violations(import_graph()) == []


@pytest.mark.parametrize(
    ("importer", "imported", "rule"),
    [
        ("msp_assessment.processing.run.pipeline", "msp_assessment.cli.output", "imports cli"),
        (
            "msp_assessment.processing.portfolio.roster",
            "msp_assessment.campaign.messages",
            "campaign",
        ),
        ("msp_assessment.report.pdf", "msp_assessment.processing.copies.sheets", "each other"),
        ("msp_assessment.processing.ooxml.sheetml", "msp_assessment.instrument", "ooxml"),
        ("msp_assessment.outcome", "msp_assessment.processing.returns.intake", "leaf"),
        ("msp_assessment.processing.ooxml.read", "msp_assessment.processing.run.pipeline", "ooxml"),
        (
            "msp_assessment.processing.returns.locate",
            "msp_assessment.processing.run.pipeline",
            "cycle",
        ),
        ("msp_assessment.workbook_templates.charts", "msp_assessment.examples", "cycle"),
    ],
)
def test_direction_rules__a_planted_wrong_import__is_reported(
    importer: str, imported: str, rule: str
) -> None:
    graph = {module: set(edges) for module, edges in import_graph().items()}
    graph[importer].add(imported)
    where = (importer, room(importer))  # an edge names its module, a cycle its rooms
    assert any(rule in line and any(w in line for w in where) for line in violations(graph))


def test_tests__no_test_module_imports_another() -> None:
    tests = Path(__file__).parent
    for path in sorted(tests.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
                bad = [n for n in names if n.split(".")[-1].startswith(("test_", "conftest"))]
                assert not bad, f"{path.relative_to(tests)} imports {bad[0]}: use tests/support"


PROBE = """
import sys
from pathlib import Path
from click.testing import CliRunner
from msp_assessment.cli import cli
from msp_assessment.processing.run.pipeline import RunOptions, run
assert CliRunner().invoke(cli, ["--help"]).exit_code == 0
assert CliRunner().invoke(cli, ["check", sys.argv[1]]).exit_code == 1
run([Path(sys.argv[1])], RunOptions(jobs=1))
print(sorted(m for m in ("pandas", "reportlab", "smtplib") if m in sys.modules))
"""


def test_check_and_help__never_import_pandas_reportlab_or_smtplib() -> None:
    examples = Path(__file__).parents[1] / "examples"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(examples)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stderr


COMMAND_PROBE = """
import sys
from msp_assessment.__main__ import main
sys.argv = ["msp-assessment", "process", sys.argv[1], "-o", sys.argv[2], "--jobs", "1"]
try:
    main()
except SystemExit:
    pass
kept_out = ("numpy", "pandas", "reportlab", "multiprocessing", "xml.sax.saxutils", "ssl")
loaded = [m for m in kept_out if sys.modules.get(m) is not None]
print(loaded, file=sys.stderr)
"""


def test_process_command__never_loads_numpy_although_it_is_installed(tmp_path: Path) -> None:
    """openpyxl imports numpy whenever it can (a third of a one-file run's start-up, for
    number types we never give it); the command keeps it out. A one-file run starts no pool
    (multiprocessing) and escapes XML without xml.sax.saxutils (which imports urllib, http and
    ssl)."""
    import numpy  # installed: the suite's oracle

    assert numpy.__name__ == "numpy"
    example = Path(__file__).parents[1] / "examples" / "soporte-levante-estable.xlsx"
    done = subprocess.run(
        [sys.executable, "-c", COMMAND_PROBE, str(example), str(tmp_path / "salida")],
        capture_output=True,
        text=True,
    )
    assert done.stderr.strip().splitlines()[-1] == "[]", done.stderr
    assert (tmp_path / "salida" / "soporte-levante-estable-resultados.xlsx").is_file()
