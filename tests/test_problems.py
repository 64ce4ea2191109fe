"""The problem registry: every code has a Spanish template, and every place that reports a code
supplies every field its template names (read from the source, so a new call site is checked)."""

from __future__ import annotations

import ast
import string
from dataclasses import replace
from pathlib import Path

import pytest

from msp_assessment.problems import LABELS, TEMPLATES, Code, problem

PACKAGE = Path(__file__).parents[1] / "msp_assessment"
# Fields problem() fills in itself, from where the problem is.
BUILDER_FIELDS = {"problem": {"cell", "statement", "line"}}


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _dict_keys(node: ast.AST | None) -> set[str]:
    """The string keys of a dict literal (either branch of ``{…} if … else {…}``)."""
    if isinstance(node, ast.IfExp):
        return _dict_keys(node.body) | _dict_keys(node.orelse)
    if isinstance(node, ast.Dict):
        return {k.value for k in node.keys if isinstance(k, ast.Constant)}
    return set()


def _codes(node: ast.expr, rejected: set[str]) -> set[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "Code":
            return {node.attr}
        if node.attr == "code":  # a code carried by a value: the ones values.py rejects with
            return rejected
    raise AssertionError(f"unknown code expression: {ast.unparse(node)}")


def _is_recode(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "recoded"
        and bool(node.args)
    )


def _compared_codes(func: ast.FunctionDef) -> set[str]:
    """The codes ``func`` compares a problem's code with: ``x.code == Code.NAME``."""
    return {
        comparator.attr
        for node in ast.walk(func)
        if isinstance(node, ast.Compare)
        and isinstance(node.left, ast.Attribute)
        and node.left.attr == "code"
        for comparator in node.comparators
        if isinstance(comparator, ast.Attribute)
        and isinstance(comparator.value, ast.Name)
        and comparator.value.id == "Code"
    }


def call_sites() -> list[tuple[str, str, set[str]]]:
    """(where, code, fields supplied) of every problem() and .recoded() call in the package."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in PACKAGE.rglob("*.py")}
    rejected = {
        node.args[0].attr
        for tree in trees.values()
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "Rejected"
        and isinstance(node.args[0], ast.Attribute)
    }
    sites = []
    for path, tree in trees.items():
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            local_dicts: dict[str, set[str]] = {}
            for node in ast.walk(func):
                if isinstance(node, ast.AnnAssign | ast.Assign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    for target in targets:
                        if isinstance(target, ast.Name):
                            keys = _dict_keys(node.value)
                            local_dicts[target.id] = local_dicts.get(target.id, set()) | keys
            for node in ast.walk(func):
                if _is_recode(node):
                    # prob.recoded(Code.X, …) keeps the context of the code it is recoded from,
                    # which the function tests first: «if prob.code == Code.Y …».
                    assert isinstance(node, ast.Call)
                    origins = _compared_codes(func)
                    assert origins, f"{path.name}:{node.lineno}: recoded without a code check"
                    supplied = set(BUILDER_FIELDS["problem"]) | {
                        k.arg for k in node.keywords if k.arg is not None
                    }
                    for origin in origins:
                        where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                        have = supplied | fields(TEMPLATES[Code[origin]])
                        sites += [(where, code, have) for code in _codes(node.args[0], rejected)]
                    continue
                if not (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in BUILDER_FIELDS
                    and node.args
                ):
                    continue
                supplied = set(BUILDER_FIELDS[node.func.id])
                for keyword in node.keywords:
                    if keyword.arg is not None:
                        supplied.add(keyword.arg)
                    elif isinstance(keyword.value, ast.Name):
                        supplied |= local_dicts.get(keyword.value.id, set())
                where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
                sites += [(where, code, supplied) for code in _codes(node.args[0], rejected)]
    return sites


SITES = call_sites()


def test_registry__every_code_has_a_template_and_is_reported_somewhere() -> None:
    assert set(TEMPLATES) == set(Code) == set(LABELS)
    assert {code for _, code, _ in SITES} == {code.name for code in Code}
    assert len(SITES) > 30  # the walk really found the call sites


@pytest.mark.parametrize(("where", "code", "supplied"), SITES, ids=[s[0] for s in SITES])
def test_call_site__supplies_every_field_of_its_template(
    where: str, code: str, supplied: set[str]
) -> None:
    template = TEMPLATES[Code[code]]
    missing = fields(template) - supplied
    assert not missing, f"{where}: {code} needs {sorted(missing)}"
    template.format(**dict.fromkeys(supplied, "x"))


def test_problem__codes_serialize_as_their_stable_text() -> None:
    built = problem(Code.FILE_EMPTY)
    assert built.to_dict()["code"] == "file_empty"
    assert f"{built.code}" == "file_empty"


def test_problem__moved_or_recoded__message_rendered_from_its_new_place_and_code() -> None:
    missing = problem(
        Code.ANSWER_MISSING, area=2, statement=3, sheet="Hoja", cell="B9", area_name="T"
    )
    moved = replace(missing, sheet="Autoevaluación", cell="C40")
    assert "(celda Autoevaluación!C40): falta la respuesta" in moved.message
    assert "B9" not in moved.message
    recoded = moved.recoded(Code.ANSWER_FORMULA, found="=SUMA(A1)")
    assert recoded.code is Code.ANSWER_FORMULA
    assert recoded.message.startswith("Afirmación 3 de «T» (celda Autoevaluación!C40): contiene")
    assert "«=SUMA(A1)»" in recoded.message
    assert missing.message.endswith("lista desplegable.")  # the original is unchanged


def test_problem__list_problem__located_by_line_in_message_and_json() -> None:
    built = problem(Code.LIST_ID_DUPLICATE, line=7, id="C-1", first=3)
    assert built.to_dict() == {
        "code": "list_id_duplicate",
        "line": 7,
        "message": "Línea 7: el id. «C-1» ya está en la línea 3. Cada cliente necesita un id. "
        "distinto.",
    }
