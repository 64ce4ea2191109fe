"""Command line: parse options, call one library function, print. Spanish for people."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from msp_assessment import _click_es
from msp_assessment.client import Client

_click_es.install()

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def command(group: click.Group) -> Callable[[Callable[..., Any]], click.Command]:
    """Register a subcommand with Spanish metavars and our context settings."""
    return group.command(context_settings=CONTEXT, options_metavar="[OPCIONES]")


@click.group(
    context_settings=CONTEXT, options_metavar="[OPCIONES]", subcommand_metavar="COMANDO [ARGS]..."
)
@click.version_option(package_name="msp-assessment", prog_name="msp-assessment")
def cli() -> None:
    """Autoevaluación del desarrollo como MSP: genera el libro Excel para sus clientes y procesa
    los que le devuelven."""


@command(cli)
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
        raise click.ClickException(f"No se pudo escribir {output}: {err.strerror}.") from None
    click.echo(f"Plantilla creada: {output}")


def main() -> None:
    cli(prog_name="msp-assessment")
