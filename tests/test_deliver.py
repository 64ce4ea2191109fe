"""Results back to every client: the one-page PDF report, the results drafts (each client only
their own), sending them once through a real SMTP server, and status saying who got theirs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from msp_assessment.campaign.deliver import next_step
from msp_assessment.client import Client
from msp_assessment.examples import EXAMPLES, uniform_answers, write_filled
from msp_assessment.instrument import Instrument, load_instrument
from msp_assessment.report.pdf import embedded_fonts, results_pdf
from msp_assessment.scoring import score
from tests.support.cohorts import statement_answers
from tests.support.mail import invoke, parse_eml, plain_text, send_args, write_list
from tests.support.poppler import page_count, page_text
from tests.support.programs import require_poppler
from tests.support.smtp_server import SmtpServer

INSTRUMENT = load_instrument()

SENDER = "Canal MSP <canal@fabricante.es>"
EXAMPLES_DIR = Path(__file__).parents[1] / "examples"


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_text(path: Path) -> str:
    require_poppler()
    assert page_count(path) == 1
    return flat(page_text(path, 1, "-raw"))  # drawing order: a cell's lines stay together


# --- the PDF report -------------------------------------------------------------------------


def test_process_pdf__one_a4_page_per_scored_workbook__text_from_the_instrument(
    tmp_path: Path, instrument: Instrument
) -> None:
    result = invoke("process", str(EXAMPLES_DIR), "-o", str(tmp_path / "out"), "--pdf", "--json")
    assert result.exit_code == 1  # the examples include one to review and one unreadable
    reports = sorted((tmp_path / "out").glob("*-informe.pdf"))
    assert [p.name for p in reports] == [
        "cloud-iberia-escalable-informe.pdf",
        "documento-ejemplo-proactivo-informe.pdf",
        "soporte-levante-estable-informe.pdf",
        "taller-informatico-reactivo-informe.pdf",
    ]
    report = tmp_path / "out" / "documento-ejemplo-proactivo-informe.pdf"
    text = pdf_text(report)
    client, values = EXAMPLES["documento-ejemplo-proactivo.xlsx"]
    result_score = score(
        instrument, {st.id: values[a.number][st.number - 1] for a, st in instrument.statements}
    )
    assert (
        client.company in text and client.contact in text and "20/11/2026" in text
    )  # DD/MM/AAAA, as typed or not
    assert "3,55" in text and "Etapa Proactivo" in text
    assert flat(result_score.stage.characteristics) in text
    for area_score in result_score.areas:
        assert area_score.area.name in text
        assert flat(instrument.tip(area_score.area, area_score.stage)) in text  # word for word
    assert "÷ 4 = 3,55" in text
    info = os.popen(f"pdfinfo '{report}'").read()
    assert "595.276 x 841.89 pts (A4)" in info


def test_pdf__same_input__byte_identical__spanish_characters_kept(
    instrument: Instrument, tmp_path: Path
) -> None:
    client = Client("Ñ-1", "Ñandú «Sistemas» — Cía. ¿Sí? ¡Ya! ÷ Üñ", "Begoña Íñiguez", "b@x.es")
    answers = {st.id: 3 for _, st in instrument.statements}
    first = results_pdf(instrument, score(instrument, answers), client, "20/11/2026")
    again = results_pdf(instrument, score(instrument, answers), client, "20/11/2026")
    assert first == again
    path = tmp_path / "informe.pdf"
    path.write_bytes(first)
    text = pdf_text(path)
    assert client.company in text and client.contact in text
    fonts = os.popen(f"pdffonts '{path}'").read()
    assert "DejaVuSans" in fonts and "TrueType" in fonts


# What a fresh process writes for this report; the test compares it with the same report made
# after others in the test's process (fonts and drawn texts reused).
FRESH_REPORT = """
import sys
from msp_assessment.client import Client
from msp_assessment.instrument.model import load_instrument
from msp_assessment.scoring import score
from msp_assessment.report.pdf import results_pdf
instrument = load_instrument()
answers = {st.id: 1 + (i * 3) % 5 for i, (_, st) in enumerate(instrument.statements)}
client = Client("C-1", sys.argv[2], sys.argv[3], "c@x.es")
with open(sys.argv[1], "wb") as out:
    out.write(results_pdf(instrument, score(instrument, answers), client, "21/11/2026"))
"""


@pytest.mark.parametrize(
    ("company", "contact"),
    [
        ("Informàtica Çà i Llà", "Montse Puig·Roca"),  # claimed characters only
        ("Zoë Ørsted Data", "Łukasz Nowak"),  # ë Ø Ł are not claimed: drawn afresh
    ],
)
def test_pdf__made_after_other_reports__same_bytes_as_in_a_fresh_process(
    instrument: Instrument, tmp_path: Path, company: str, contact: str
) -> None:
    """Reports reuse the fonts' objects and the texts already drawn; that must never change a
    byte, whatever the process drew before (other stages, characters outside the claimed ones)."""
    for i, extra in enumerate(["Ærø Ltd", "Empresa Dos", "Ğüneş"]):
        varied = {st.id: 1 + (i + n) % 5 for n, (_, st) in enumerate(instrument.statements)}
        results_pdf(instrument, score(instrument, varied), Client("X", extra, extra, "x@x.es"), "1")
    answers = {st.id: 1 + (i * 3) % 5 for i, (_, st) in enumerate(instrument.statements)}
    here = results_pdf(
        instrument,
        score(instrument, answers),
        Client("C-1", company, contact, "c@x.es"),
        "21/11/2026",
    )
    fresh = tmp_path / "fresh.pdf"
    subprocess.run(
        [sys.executable, "-c", FRESH_REPORT, str(fresh), company, contact],
        check=True,
        cwd=Path(__file__).parents[1],
    )
    assert here == fresh.read_bytes()
    text = pdf_text(fresh)
    assert company in text and contact in text


def test_pdf__fonts_are_built_once_for_many_reports(instrument: Instrument) -> None:
    """What makes a report cheap: the subset fonts are made once, not once per report."""
    regular, bold = embedded_fonts().values()
    answers = {st.id: 4 for _, st in instrument.statements}
    results_pdf(instrument, score(instrument, answers), Client("A", "Alfa", "Ana", "a@x.es"), "1")
    built = [font._parts.cache_info().misses for font in (regular, bold)]  # subsets made
    for i in range(5):
        client = Client(f"E-{i}", f"Empresa Número {i}, S.L.", f"Begoña {i}", "e@x.es")
        results_pdf(instrument, score(instrument, answers), client, f"2{i}/11/2026")
    assert [font._parts.cache_info().misses for font in (regular, bold)] == built


# --- deliver --------------------------------------------------------------------------------

CLIENTS = [
    ("T-1", "Técnica Norte", "Ana Ruiz", "ana@tecnica-norte.es"),
    ("T-2", "TECNICA NORTE", "Luis Gil", "luis@otra-tecnica.es"),  # differs only in accents/case
    ("B-1", "Bajo Cero", "Eva Sanz", "eva@bajocero.es"),
    ("P-1", "Pendiente S.A.", "Pablo", "pablo@pendiente.es"),
]
HIGH = {1: [5, 5, 5, 4, 4], 2: [3, 3, 3, 4, 3], 3: [4, 4, 4, 3, 4], 4: [3, 3, 2, 2, 3]}  # 3,55
LOW = {a: [1, 2, 1, 2, 1] for a in range(1, 5)}  # 1,40


def returns(folder: Path) -> Path:
    """The workbooks as they came back: T-1's and T-2's under each other's file names."""
    folder.mkdir(parents=True)
    client = {c[0]: Client(*c) for c in CLIENTS}
    write_filled(
        folder / "T-2.xlsx", uniform_answers(HIGH), client=client["T-1"], date="20/11/2026"
    )
    write_filled(folder / "T-1.xlsx", uniform_answers(LOW), client=client["T-2"], date="20/11/2026")
    # B-1's id, but the company of T-1 (another client on the list): a contradiction.
    mixed = Client("B-1", "Técnica Norte", "Eva Sanz", "eva@bajocero.es")
    write_filled(folder / "bajo-cero.xlsx", uniform_answers(HIGH), client=mixed)
    return folder


@pytest.fixture
def results(tmp_path: Path) -> tuple[Path, Path]:
    clients = write_list(tmp_path / "clientes.csv", CLIENTS)
    processed = tmp_path / "resultados"
    assert (
        invoke("process", str(returns(tmp_path / "recibidos")), "-o", str(processed)).exit_code == 0
    )
    return clients, processed


def test_deliver__each_client_only_their_own_results__contradiction_delivered_to_nobody(
    results: tuple[Path, Path], tmp_path: Path
) -> None:
    clients, processed = results
    out = tmp_path / "entrega"
    done = invoke(
        "deliver", str(clients), str(processed), "-o", str(out), "--from", SENDER, "--json"
    )
    assert done.exit_code == 1  # the contradiction needs a look
    report = json.loads(done.stdout)
    drafts = {d["client"]["id"]: d for d in report["delivered"]}
    assert sorted(drafts) == ["T-1", "T-2"]
    assert (drafts["T-1"]["average"], drafts["T-1"]["stage"]) == (3.55, "Proactivo")
    assert (drafts["T-2"]["average"], drafts["T-2"]["stage"]) == (1.4, "Reactivo")
    (wrong,) = report["contradictions"]
    assert wrong["path"].endswith("bajo-cero-resultados.xlsx")
    assert "B-1" in wrong["message"] and "T-1" in wrong["message"]
    assert {(c["client"]["id"], c["status"]) for c in report["without_results"]} == {
        ("B-1", "pending"),
        ("P-1", "pending"),
    }
    for client_id, email, stage in [
        ("T-1", "ana@tecnica-norte.es", "Proactivo"),
        ("T-2", "luis@otra-tecnica.es", "Reactivo"),
    ]:
        msg = parse_eml(Path(drafts[client_id]["draft"]))
        assert msg["To"].addresses[0].addr_spec == email  # the list's address, never another
        assert msg["X-Unsent"] == "1" and msg["X-MSP-Client-Id"] == client_id
        body = plain_text(msg)
        assert f"corresponde a la etapa {stage}" in body
        names = [(a.get_filename(), a.get_content_type()) for a in msg.iter_attachments()]
        company = dict((c[0], c[1]) for c in CLIENTS)[client_id]
        assert names == [
            (f"Resultados autoevaluación MSP - {company}.pdf", "application/pdf"),
            (
                f"Resultados autoevaluación MSP - {company}.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        ]
        workbook = next(a for a in msg.iter_attachments() if a.get_filename().endswith(".xlsx"))
        assert workbook.get_content() == Path(drafts[client_id]["workbook"]).read_bytes()
    t1 = plain_text(parse_eml(Path(drafts["T-1"]["draft"])))
    # 23, 16, 19 and 13 points: one more in the third area makes it Escalable.
    assert (
        "Su paso más cercano: 1 punto más en Satisfacción y retención de los clientes (pasaría "
        "a Escalable)."
    ) in " ".join(t1.split())
    assert not (out / "b-1-bajo-cero.eml").exists()


def test_deliver__own_message_with_result_placeholders__and_unknown_one_refused(
    results: tuple[Path, Path], tmp_path: Path
) -> None:
    clients, processed = results
    message = tmp_path / "mensaje.txt"
    message.write_text(
        "Asunto: {empresa}: {etapa}\n\n{contacto}, {puntuacion} · {area_mas_debil} · {consejo}\n",
        encoding="utf-8",
    )
    out = tmp_path / "entrega"
    args = ["deliver", str(clients), str(processed), "-o", str(out), "--from", SENDER]
    invoke(*args, "--message", str(message))
    msg = parse_eml(out / "t-1-tecnica-norte.eml")
    assert msg["Subject"] == "Técnica Norte: Proactivo"
    assert plain_text(msg).startswith("Ana Ruiz, 3,55 · Ingresos y crecimiento · realice un")
    message.write_text("Asunto: hola\n\n{nota}\n", encoding="utf-8")
    refused = invoke(*args, "--message", str(message), "--force")
    assert refused.exit_code == 1 and "{area_mas_debil}" in refused.output


def test_deliver_then_send__real_smtp__rerun_sends_nothing__status_shows_who_got_results(
    results: tuple[Path, Path], tmp_path: Path, server: SmtpServer
) -> None:
    clients, processed = results
    out = tmp_path / "entrega"
    invoke("deliver", str(clients), str(processed), "-o", str(out), "--from", SENDER)
    sent = invoke(*send_args(out, server))
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines()[-1] == (
        "Siguiente paso: vea a quién le han llegado sus resultados con «msp-assessment status "
        f"CLIENTES RECIBIDOS --delivered {out}»."
    )
    assert sorted(r.recipients[0] for r in server.recorder.received) == [
        "ana@tecnica-norte.es",
        "luis@otra-tecnica.es",
    ]
    pdfs = [
        a.get_content()
        for r in server.recorder.received
        for a in r.message.iter_attachments()
        if a.get_content_type() == "application/pdf"
    ]
    assert len(pdfs) == 2 and all(p.startswith(b"%PDF") for p in pdfs)
    again = invoke(*send_args(out, server))
    assert again.output.splitlines()[-2].startswith("Total: 0 enviados · 2 ya enviados antes")
    assert server.recorder.count() == 2
    status = invoke(
        "status", str(clients), str(tmp_path / "recibidos"), "--delivered", str(out), "--json"
    )
    by_id = {c["client"]["id"]: c for c in json.loads(status.stdout)["clients"]}
    assert by_id["T-1"]["results_sent"] is True and by_id["T-2"]["results_sent"] is True
    assert by_id["P-1"]["results_sent"] is False
    human = invoke("status", str(clients), str(tmp_path / "recibidos"), "--delivered", str(out))
    assert "resultados enviados" in human.output


def test_deliver__process_pdf_reused__else_made_here(
    results: tuple[Path, Path], tmp_path: Path
) -> None:
    clients, processed = results
    with_pdf = tmp_path / "con-pdf"
    assert (
        invoke("process", str(tmp_path / "recibidos"), "-o", str(with_pdf), "--pdf").exit_code == 0
    )
    done = invoke(
        "deliver",
        str(clients),
        str(with_pdf),
        "-o",
        str(tmp_path / "a"),
        "--from",
        SENDER,
        "--json",
    )
    made = {d["client"]["id"]: d["report"] for d in json.loads(done.stdout)["delivered"]}
    assert made["T-1"] == str(with_pdf / "T-2-informe.pdf")  # the file names stayed swapped
    shutil.rmtree(tmp_path / "a")
    done = invoke(
        "deliver",
        str(clients),
        str(processed),
        "-o",
        str(tmp_path / "a"),
        "--from",
        SENDER,
        "--json",
    )
    assert all(d["report"] is None for d in json.loads(done.stdout)["delivered"])


def test_pdf__every_european_letter_drawn__any_other_replaced_visibly_and_named(
    instrument: Instrument, tmp_path: Path
) -> None:
    require_poppler()
    answers = {st.id: 3 for _, st in instrument.statements}
    company = "Łódź Őrség Αθήνα Москва Şişli Ærøskøbing"
    client = Client("E-1", company, "Zoë Ćwik 漢字", "zoe@europa.eu")
    path = tmp_path / "informe.pdf"
    path.write_bytes(results_pdf(instrument, score(instrument, answers), client, "20/11/2026"))
    text = pdf_text(path)
    assert company in text  # drawn as written, not dropped
    assert "Zoë Ćwik \ufffd\ufffd" in text
    assert "漢" not in text
    assert "no puede mostrar (U+5B57, U+6F22)" in flat(text)
    path.write_bytes(
        results_pdf(instrument, score(instrument, answers), Client("E-2", "Łódź"), None)
    )
    assert "no puede mostrar" not in pdf_text(path)  # no note when every letter is drawn


@pytest.mark.parametrize(
    ("totals", "sentence"),
    [
        (
            (25, 25, 25, 25),
            "¡Enhorabuena! Ha obtenido la puntuación máxima, 5,00 en las cuatro áreas.",
        ),
        (
            (20, 21, 25, 22),
            "¡Enhorabuena! Sus cuatro áreas están ya en la etapa más alta, Escalable: el reto "
            "ahora es mantenerlas ahí.",
        ),
        (
            (13, 13, 20, 20),
            "Sus pasos más cercanos: 2 puntos más en Procesos y operaciones (pasaría a Proactivo) "
            "o en Tecnología y automatización (pasaría a Proactivo).",
        ),
        (
            (9, 14, 19, 20),
            "Sus pasos más cercanos: 1 punto más en Procesos y operaciones (pasaría a Estable) o "
            "en Tecnología y automatización (pasaría a Proactivo) o en Satisfacción y retención "
            "de los clientes (pasaría a Escalable).",
        ),
    ],
)
def test_next_step__ties_named_and_the_top_congratulated(
    totals: tuple[int, ...], sentence: str
) -> None:
    answers = statement_answers(totals)
    found = next_step(INSTRUMENT, score(INSTRUMENT, answers), answers)
    assert found.startswith(sentence)
    assert "mejora" not in found
