"""`msp-assessment process` and `check` end to end through the command line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from msp_assessment.cli import cli
from msp_assessment.client import Client
from msp_assessment.examples import uniform_answers, write_examples, write_filled
from msp_assessment.instrument import load_instrument
from msp_assessment.processing.run.options import RunOptions
from msp_assessment.processing.run.pipeline import run
from msp_assessment.workbook_templates import contract
from msp_assessment.workbook_templates.cells import named_cell
from tests.support.programs import require_libreoffice, run_libreoffice_fill

pytestmark = pytest.mark.writes_workbooks  # CI runs these again without lxml

EXAMPLE = {1: [5, 5, 5, 4, 4], 2: [3, 3, 3, 4, 3], 3: [4, 4, 4, 3, 4], 4: [3, 3, 2, 2, 3]}


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "recibidos"
    write_examples(folder)
    return folder


def named(path: Path, name: str) -> object:
    return named_cell(openpyxl.load_workbook(path), name).value


def test_process__examples__outputs_exit_code_and_untouched_inputs(
    inbox: Path, tmp_path: Path
) -> None:
    before = digest(inbox)
    out = tmp_path / "resultados"
    result = CliRunner().invoke(cli, ["process", str(inbox), "-o", str(out)])
    assert result.exit_code == 1  # one invalid and one unreadable file
    assert digest(inbox) == before
    assert sorted(p.name for p in out.iterdir()) == [
        "cloud-iberia-escalable-resultados.xlsx",
        "documento-ejemplo-proactivo-resultados.xlsx",
        "resumen.xlsx",
        "sistemas-sur-con-problemas-revisar.xlsx",
        "soporte-levante-estable-resultados.xlsx",
        "taller-informatico-reactivo-resultados.xlsx",
    ]
    lines = result.output.splitlines()
    assert lines[-3:] == [
        "Total: 6 archivos · 4 puntuados · 1 para revisar · 1 ilegible",
        f"Resumen: {out / 'resumen.xlsx'}",
        # No client list (the Quick start): the next step says one is needed to mail results.
        f"Siguiente paso: revise {out / 'resumen.xlsx'}; para enviar a cada cliente sus "
        "resultados, con su lista de clientes (id., empresa y email): «msp-assessment deliver "
        f"CLIENTES {out} -o CARPETA --from REMITENTE».",
    ]
    assert (
        f"PUNTUADO   · {inbox / 'documento-ejemplo-proactivo.xlsx'} · Redes del Norte · "
        "3,55 Proactivo" in lines
    )


def test_process__results_workbook__points_totals_and_results_sheet(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    CliRunner().invoke(
        cli, ["process", str(inbox / "documento-ejemplo-proactivo.xlsx"), "-o", str(out)]
    )
    path = out / "documento-ejemplo-proactivo-resultados.xlsx"
    assert named(path, "puntos_1_1") == 5 and named(path, "puntos_4_3") == 2
    assert [named(path, f"total_{a}") for a in range(1, 5)] == [23, 16, 19, 13]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == contract.RESULTS_SHEET
    ws = wb[contract.RESULTS_SHEET]
    values = [cell for row in ws.iter_rows(values_only=True) for cell in row if cell is not None]
    assert 3.55 in values and "Proactivo" in values
    assert (
        "En este libro: media (4,6 + 3,2 + 3,8 + 2,6) ÷ 4 = 3,55, que corresponde a la etapa "
        "Proactivo." in values
    )
    tip = load_instrument().tips[("clientes", "proactivo")]
    assert tip in values
    assert any("1,95 corresponde a Reactivo" in str(v) for v in values)
    charts = ws._charts
    assert len(charts) == 1
    assert (charts[0].y_axis.scaling.min, charts[0].y_axis.scaling.max) == (1, 5)


def test_process__review_workbook__lists_problems_and_marks_cells(
    inbox: Path, tmp_path: Path
) -> None:
    out = tmp_path / "r"
    CliRunner().invoke(
        cli, ["process", str(inbox / "sistemas-sur-con-problemas.xlsx"), "-o", str(out)]
    )
    wb = openpyxl.load_workbook(out / "sistemas-sur-con-problemas-revisar.xlsx")
    assert wb.sheetnames[0] == contract.REVIEW_SHEET
    rows = list(wb[contract.REVIEW_SHEET].iter_rows(min_row=6, values_only=True))
    assert len(rows) == 5  # 10 problems: the 6 missing answers on one line
    assert [r[3] for r in rows[:3]] == [
        "marcadas en color",
        "Autoevaluación!B32",
        "Autoevaluación!B35",
    ]
    review = wb[contract.REVIEW_SHEET]
    for row in range(6, 6 + len(rows)):  # a row reads from the top; text wraps, never cut
        cells = [review.cell(row, col) for col in range(1, 6)]
        assert all(cell.alignment.vertical == "top" for cell in cells)
        assert all(cells[col - 1].alignment.wrap_text for col in (2, 4, 5))
    form = wb[contract.FORM_SHEET]
    assert form["B32"].fill.fgColor.rgb.endswith("F8CBAD")
    assert "fuera de la escala" in form["B32"].comment.text


def test_json__equals_the_library_report(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    result = CliRunner().invoke(cli, ["process", str(inbox), "-o", str(out), "--json"])
    printed = json.loads(result.stdout)
    library = run([inbox], RunOptions(output_dir=tmp_path / "r2")).to_dict()
    for file in library["files"]:
        if file["output"]:
            file["output"] = file["output"].replace(str(tmp_path / "r2"), str(out))
    library["summary"] = str(out / "resumen.xlsx")
    assert printed == library
    assert printed["counts"] == {"scored": 4, "invalid": 1, "unreadable": 1}
    proactivo = next(f for f in printed["files"] if f["path"].endswith("proactivo.xlsx"))
    assert proactivo["average"] == 3.55 and proactivo["stage"] == "Proactivo"
    assert [a["average"] for a in proactivo["areas"]] == [4.6, 3.2, 3.8, 2.6]
    assert '"average": 3.55' in result.stdout


def test_check__writes_nothing_and_exit_zero_when_all_scored(tmp_path: Path) -> None:
    path = write_filled(
        tmp_path / "ok.xlsx", uniform_answers(EXAMPLE), client=Client(company="Acme")
    )
    before = digest(tmp_path)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 0, result.output
    assert digest(tmp_path) == before


def test_process__same_name_in_two_folders__distinct_outputs_and_rerun_is_stable(
    tmp_path: Path,
) -> None:
    for folder in ("norte", "sur"):
        (tmp_path / folder).mkdir()
        write_filled(
            tmp_path / folder / "respuesta.xlsx",
            uniform_answers(EXAMPLE),
            client=Client(company=folder),
        )
    out = tmp_path / "out"
    args = ["process", str(tmp_path / "norte"), str(tmp_path / "sur"), "-o", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["respuesta-2-resultados.xlsx", "respuesta-resultados.xlsx", "resumen.xlsx"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == names
    company = openpyxl.load_workbook(out / "respuesta-2-resultados.xlsx")[contract.RESULTS_SHEET][
        "B4"
    ].value
    assert company == "sur"


def test_process__output_folder_is_input_folder__usage_error(inbox: Path) -> None:
    result = CliRunner().invoke(cli, ["process", str(inbox), "-o", str(inbox)])
    assert result.exit_code == 2
    assert "elija otra" in result.output


def test_process__missing_path__usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["process", str(tmp_path / "no-existe"), "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "no existe" in result.output


def test_fixed_review_file__reprocessed__replaces_review_with_results(tmp_path: Path) -> None:
    path = write_filled(
        tmp_path / "in" / "cli.xlsx",
        uniform_answers({1: [4, 4, 4, 4, 4]}),
        client=Client(company="C"),
    )
    out = tmp_path / "out"
    assert CliRunner().invoke(cli, ["process", str(path), "-o", str(out)]).exit_code == 1
    write_filled(path, uniform_answers(EXAMPLE), client=Client(company="C"))
    assert CliRunner().invoke(cli, ["process", str(path), "-o", str(out)]).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["cli-resultados.xlsx", "resumen.xlsx"]


@pytest.mark.libreoffice
def test_libreoffice_filled_template__processed_and_scored(
    make_template, tmp_path: Path, instrument
) -> None:  # type: ignore[no-untyped-def]
    require_libreoffice()
    values: dict[str, object] = {
        contract.answer_name(a.number, s.number): EXAMPLE[a.number][s.number - 1]
        for a, s in instrument.statements
    }
    values["cliente_empresa"] = "Calc S.L."
    saved = tmp_path / "rellenado-en-libreoffice.xlsx"
    run_libreoffice_fill(make_template(client=Client(id="LO-1")), saved, values)
    result = CliRunner().invoke(cli, ["process", str(saved), "-o", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    file = json.loads(result.stdout)["files"][0]
    assert (file["status"], file["average"], file["stage"]) == ("scored", 3.55, "Proactivo")
    assert file["client"] == {"id": "LO-1", "company": "Calc S.L.", "contact": None, "email": None}


def test_unexpected_error_in_one_file__batch_goes_on(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from msp_assessment.processing.run import one_file

    real = one_file.read_book

    def explode_on_one(book, instrument):  # type: ignore[no-untyped-def]
        if "Soporte Levante" in book.sheets[0].values.values():
            raise RuntimeError("fallo simulado")
        return real(book, instrument)

    monkeypatch.setattr(one_file, "read_book", explode_on_one)
    report = run([inbox], RunOptions(output_dir=tmp_path / "o"))
    broken = next(f for f in report.files if f.path.endswith("soporte-levante-estable.xlsx"))
    assert broken.status.value == "unreadable"
    assert broken.problems[0].code == "internal_error"
    assert "RuntimeError: fallo simulado" in broken.problems[0].message
    assert report.counts == {"scored": 3, "invalid": 1, "unreadable": 2}
    with pytest.raises(RuntimeError):
        run([inbox], RunOptions(output_dir=tmp_path / "o2", debug=True))


def test_review_only__writes_just_the_review_copies(inbox: Path, tmp_path: Path) -> None:
    from msp_assessment.processing.run.options import RunOptions
    from msp_assessment.processing.run.pipeline import run

    out = tmp_path / "revisiones"
    report = run([inbox], RunOptions(output_dir=out, review_only=True))
    assert report.counts == {"scored": 4, "invalid": 1, "unreadable": 1}
    assert sorted(p.name for p in out.iterdir()) == ["sistemas-sur-con-problemas-revisar.xlsx"]
    assert report.summary is None
    assert all(f.output is None for f in report.files if f.status.value == "scored")


def test_number_options__spanish_help_and_errors__none_of_clicks_english() -> None:
    runner = CliRunner()
    words = runner.invoke(cli, ["process", "x", "-o", "y", "--jobs", "dos"])
    assert words.exit_code == 2
    assert "'dos' no es un número entero válido." in words.output
    zero = runner.invoke(cli, ["process", "x", "-o", "y", "--jobs", "0"])
    assert "0 no es un valor admitido (1 o más)." in zero.output
    for command in ["process", "check", "prepare", "status", "deliver", "send", "collect"]:
        shown = runner.invoke(cli, [command, "--help"]).output
        assert "x>" not in shown and "integer" not in shown, command
    assert "[1 o más]" in runner.invoke(cli, ["process", "--help"]).output
