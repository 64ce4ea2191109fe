"""Command line: parse options, call one library function, print. Spanish for people."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from msp_assessment.benchmark import DEFAULT_MINIMUM
from msp_assessment.cli import campaign as cli_campaign
from msp_assessment.cli import folder as cli_folder
from msp_assessment.cli.common import (
    CONTEXT,
    Group,
    command,
    current_campaign,
    echo_json,
    finish,
    jobs_option,
    next_step,
    output_folder_option,
)
from msp_assessment.client import Client
from msp_assessment.text import count

if TYPE_CHECKING:
    from msp_assessment.outcome import Report
    from msp_assessment.processing.run.options import RunOptions


@click.group(
    cls=Group,
    context_settings=CONTEXT,
    options_metavar="[OPCIONES]",
    subcommand_metavar="COMANDO [ARGS]...",
    examples=(
        "msp-assessment process recibidos -o resultados",
        "msp-assessment init campaña-msp --clients clientes.xlsx   (toda una campaña)",
    ),
)
@click.version_option(package_name="msp-assessment", prog_name="msp-assessment")
@click.option(
    "--campaign",
    metavar="CARPETA",
    type=click.Path(file_okay=False, path_type=Path),
    help="Carpeta de campaña (la de «init») [por defecto: la carpeta actual, si lo es].",
)
def cli(campaign: Path | None) -> None:
    """Autoevaluación del desarrollo como MSP: genera el libro Excel para sus clientes y procesa
    los que le devuelven."""


@command(
    "msp-assessment template",
    "msp-assessment template -o alfa.xlsx --client-id CL-001 --company 'Alfa Sistemas, S.L.'",
    interrupted="No se ha escrito el libro (nunca queda a medias): vuelva a ejecutar la orden.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("autoevaluacion-msp.xlsx"),
    show_default=True,
    help="Archivo .xlsx que se va a crear.",
)
@click.option(
    "--client-id", metavar="ID", help="Referencia del cliente que se guarda dentro del libro."
)
@click.option(
    "--company", metavar="EMPRESA", help="Empresa del cliente (rellena el bloque de datos)."
)
@click.option("--contact", metavar="NOMBRE", help="Persona de contacto del cliente.")
@click.option("--email", metavar="EMAIL", help="Email del cliente.")
@click.option(
    "--password",
    metavar="CONTRASEÑA",
    help="Contraseña de protección de la hoja (por defecto, sin contraseña).",
)
@click.option("--force", is_flag=True, help="Sobrescribe el archivo si ya existe.")
def template(
    output: Path,
    client_id: str | None,
    company: str | None,
    contact: str | None,
    email: str | None,
    password: str | None,
    force: bool,
) -> None:
    """Crea el libro Excel del cuestionario para enviarlo a un cliente."""
    from msp_assessment.errors import describe_os_error
    from msp_assessment.workbook_templates import TemplateOptions, write_template

    if output.suffix.lower() != ".xlsx":
        raise click.BadParameter("el archivo debe terminar en .xlsx.", param_hint="'-o'")
    options = TemplateOptions(
        client=Client(id=client_id, company=company, contact=contact, email=email),
        password=password,
    )
    try:
        write_template(output, options=options, force=force)
    except FileExistsError:
        raise click.ClickException(
            f"{output} ya existe. Use --force para sobrescribirlo o elija otro nombre con -o."
        ) from None
    except OSError as err:
        raise click.ClickException(
            f"No se pudo escribir {output}: {describe_os_error(err)}."
        ) from None
    click.echo(f"Plantilla creada: {output}")
    next_step(
        "envíela a su cliente o, para muchos clientes, prepare un libro y un correo para cada "
        "uno con «msp-assessment prepare CLIENTES -o CARPETA --from REMITENTE»."
    )


def _input_options(func: Callable[..., Any], *, required: bool = True) -> Callable[..., Any]:
    """Options shared by process and check (``required``: the paths; process finds them in a
    campaign folder)."""
    func = click.option(
        "--debug", is_flag=True, help="Muestra el error interno completo si algo falla."
    )(func)
    func = click.option("--recursive", is_flag=True, help="Busca también en las subcarpetas.")(func)
    func = jobs_option(func)
    func = click.option(
        "--json", "as_json", is_flag=True, help="Imprime el informe como JSON (y nada más)."
    )(func)
    return click.argument(
        "paths",
        nargs=-1,
        required=required,
        metavar="RUTA...",
        type=click.Path(exists=True, path_type=Path),
    )(func)


@command(
    "msp-assessment process recibidos -o resultados",
    "msp-assessment process recibidos -o resultados --clients clientes.xlsx --pdf",
    interrupted="Los resultados ya escritos están completos y ningún archivo quedó a medias; "
    "vuelva a ejecutar la misma orden para terminar el lote.",
)
@functools.partial(_input_options, required=False)
@output_folder_option(
    "Carpeta donde se escriben los resultados (se crea si no existe).", required=False
)
@click.option(
    "--summary",
    metavar="ARCHIVO",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Dónde escribir el libro resumen [por defecto: CARPETA/resumen.xlsx].",
)
@click.option(
    "--csv",
    "csv_path",
    metavar="ARCHIVO",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Escribe también la tabla Resumen como CSV.",
)
@click.option(
    "--csv-dialect",
    type=click.Choice(["es", "standard"]),  # CsvDialect's values
    default="es",
    show_default=True,
    help="es: «;», coma decimal y BOM, como lo abre Excel en español; standard: «,» y punto.",
)
@click.option(
    "--previous",
    metavar="RESUMEN",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="resumen.xlsx de una ronda anterior para comparar (se puede repetir).",
)
@click.option(
    "--accept-edited",
    is_flag=True,
    help="Usa un resumen anterior aunque su hoja Respuestas no cuadre con su Resumen.",
)
# The name it had before: «force» means «overwrite» in every other command.
@click.option(
    "--force",
    "accept_edited_alias",
    is_flag=True,
    hidden=True,
    help="Nombre anterior de --accept-edited.",
)
@click.option(
    "--clients",
    metavar="CLIENTES",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Lista de clientes (la de «prepare»): el resumen incluye a todos, también a los "
    "pendientes, y la tasa de respuesta.",
)
@click.option(
    "--pdf",
    is_flag=True,
    help="Escribe también NOMBRE-informe.pdf, el informe de una página para el cliente.",
)
@click.option(
    "--benchmark-min",
    metavar="N",
    type=click.IntRange(min=1),
    default=DEFAULT_MINIMUM,
    show_default=True,
    help="Mínimo de MSP en la referencia para mostrar a cada cliente su posición entre ellos.",
)
@click.option(
    "--reference",
    metavar="RESUMEN",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Compara con los clientes de este resumen.xlsx (una referencia fija) en lugar de con "
    "los de esta ejecución.",
)
def process(
    paths: tuple[Path, ...],
    output: Path,
    summary: Path | None,
    csv_path: Path | None,
    csv_dialect: str,
    previous: tuple[Path, ...],
    accept_edited: bool,
    accept_edited_alias: bool,
    clients: Path | None,
    pdf: bool,
    benchmark_min: int,
    reference: Path | None,
    as_json: bool,
    recursive: bool,
    jobs: int | None,
    debug: bool,
) -> None:
    """Valida y puntúa los libros devueltos y escribe sus resultados y un resumen.

    RUTA son archivos o carpetas (en las carpetas se leen los .xlsx, .xlsm, .ods, .xls y .xlsb).
    Por cada libro correcto se escribe NOMBRE-resultados.xlsx, por cada libro con problemas
    NOMBRE-revisar.xlsx, y para toda la ejecución resumen.xlsx (clientes, incidencias,
    estadísticas y respuestas). Sale con 0 si todos se han puntuado y con 1 si alguno tiene
    problemas o no se puede leer.
    """
    from msp_assessment.processing.portfolio.consolidate import CsvDialect
    from msp_assessment.processing.run.options import RunOptions

    asked = RunOptions(
        output_dir=output,
        recursive=recursive,
        jobs=jobs,
        pdf=pdf,
        clients=clients,
        previous=previous,
        debug=debug,
        summary=summary,
        csv=csv_path,
        csv_dialect=CsvDialect(csv_dialect),
        accept_edited=accept_edited or accept_edited_alias,
        benchmark_min=benchmark_min,
        reference=reference,
    )
    if not paths:  # a campaign's round: recibidos/ → resultados/, with its list and last round
        from msp_assessment.campaign.rounds import remember, round_run
        from msp_assessment.errors import UsageError

        if output is not None or clients is not None or previous:
            raise UsageError("Con -o, --clients o --previous, indique también RUTA.")
        campaign = current_campaign("RUTA (los libros devueltos)")
        planned = round_run(campaign, pdf=pdf, jobs=jobs)
        options = dataclasses.replace(
            planned.options,
            debug=asked.debug,
            summary=asked.summary,
            csv=asked.csv,
            csv_dialect=asked.csv_dialect,
            accept_edited=asked.accept_edited,
            benchmark_min=asked.benchmark_min,
            reference=asked.reference or planned.options.reference,  # the round's, if frozen
        )
        _run_and_report(tuple(planned.paths), options, as_json, lambda r: remember(campaign, r))
        return
    if output is None:
        raise click.UsageError("Falta -o CARPETA: dónde se escriben los resultados.")
    options = asked
    _run_and_report(paths, options, as_json)


@command(
    "msp-assessment check recibidos",
    "msp-assessment check recibidos/alfa.xlsx --json",
    interrupted="No se ha escrito nada: vuelva a ejecutar la orden.",
)
@_input_options
def check(
    paths: tuple[Path, ...], as_json: bool, recursive: bool, jobs: int | None, debug: bool
) -> None:
    """Valida y puntúa los libros devueltos sin escribir nada.

    Sale con 0 si todos se pueden puntuar y con 1 si alguno tiene problemas o no se puede leer.
    """
    from msp_assessment.processing.run.options import RunOptions

    _run_and_report(paths, RunOptions(recursive=recursive, debug=debug, jobs=jobs), as_json)


def _run_and_report(
    paths: tuple[Path, ...],
    options: RunOptions,
    as_json: bool,
    after: Callable[[Report], None] | None = None,
) -> None:
    """Run, then (``after``: a campaign's record) keep what came of it, then report."""
    from msp_assessment.cli.output import ProgressBar, render_report
    from msp_assessment.processing.run.pipeline import run

    bar = None if as_json else ProgressBar.for_terminal()
    try:  # Ctrl-C: the command says what was done (Command)
        report = run(list(paths), options, progress=bar.update if bar else None)
        if after is not None:
            after(report)
    finally:
        if bar:
            bar.close()
    if as_json:
        echo_json(report.to_dict())
    else:
        for line in render_report(report):
            click.echo(line)
        for skipped in report.skipped[:MAX_SKIPPED_SHOWN]:
            click.echo(f"Omitido: {skipped.path} ({skipped.reason})", err=True)
        if len(report.skipped) > MAX_SKIPPED_SHOWN:
            more = len(report.skipped) - MAX_SKIPPED_SHOWN
            click.echo(
                f"… y {count(more, 'archivo omitido', 'archivos omitidos')} más (--json los "
                "lista todos).",
                err=True,
            )
        if report.files:
            _next_after_run(report, options)
    if not report.files:
        passed = f" ({count(len(report.skipped), 'archivo omitido', 'archivos omitidos')})"
        click.echo(
            "No se ha encontrado ningún libro que procesar en "
            f"{', '.join(str(p) for p in paths)}{passed if report.skipped else ''}: indique los "
            "libros devueltos (.xlsx, .xlsm, .ods, .xls o .xlsb) o la carpeta que los contiene.",
            err=True,
        )
    finish(report.ok and bool(report.files))


MAX_SKIPPED_SHOWN = 20  # «Omitido» lines; the JSON report lists every one


def _next_after_run(report: Report, options: RunOptions) -> None:
    """What to do after process or check, from what came of it and what the user has (a client
    list, a campaign)."""
    from msp_assessment.outcome import Status

    scored, to_review = report.count(Status.SCORED), report.count(Status.INVALID)
    out = options.output_dir
    if not scored and not to_review:  # nothing could be read
        next_step(
            "cada línea ILEGIBLE dice qué hacer con su archivo; pida esos libros de nuevo y "
            "vuelva a ejecutar la misma orden."
        )
    elif out is None:
        next_step(
            "escriba los resultados y el resumen con «msp-assessment process RUTA -o CARPETA»."
            if scored
            else "escriba con «msp-assessment process RUTA -o CARPETA» una copia -revisar.xlsx "
            "de cada libro con problemas, que dice al cliente qué corregir."
        )
    elif report.outside:
        next_step(
            "compruebe de quién son los libros sin cliente en la lista (hoja Incidencias del "
            "resumen), corrija el libro o la lista y vuelva a ejecutar la misma orden; después, "
            "prepare los correos de resultados con «msp-assessment deliver»."
        )
    elif scored and options.clients is None:
        next_step(
            f"revise {report.summary or out}; para enviar a cada cliente sus resultados, con su "
            f"lista de clientes (id., empresa y email): «msp-assessment deliver CLIENTES {out} "
            "-o CARPETA --from REMITENTE»."
        )
    elif scored:
        next_step(
            f"prepare el correo de resultados de cada cliente con «msp-assessment deliver "
            f"CLIENTES {out} -o CARPETA --from REMITENTE».",
            "prepare el correo de resultados de cada cliente con «msp-assessment deliver».",
        )
    elif options.clients is None:
        next_step(
            f"envíe a cada cliente su copia -revisar.xlsx de {out}, que dice qué corregir, o, con "
            "su lista de clientes, escriba recordatorios con «msp-assessment status CLIENTES RUTA "
            "--reminders CARPETA --from REMITENTE»."
        )
    else:
        next_step(
            "pida a los clientes que corrijan sus libros con «msp-assessment status CLIENTES RUTA "
            "--reminders CARPETA --from REMITENTE».",
            "pida a los clientes que corrijan sus libros con «msp-assessment status --reminders».",
        )


for _command in (  # the help lists them in this order: a single batch, then a campaign's steps
    process,
    check,
    template,
    cli_folder.init,
    cli_campaign.prepare,
    cli_campaign.send,
    cli_campaign.collect,
    cli_campaign.status,
    cli_campaign.deliver,
    cli_folder.round_group,
    cli_folder.forget,
    cli_folder.login,
):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="msp-assessment")
