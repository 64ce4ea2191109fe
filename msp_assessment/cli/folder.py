"""Commands init, round new and forget: the campaign folder (msp_assessment.campaign.folder)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from msp_assessment.cli.common import (
    CONTEXT,
    DAY,
    Command,
    Group,
    command,
    current_campaign,
    echo_json,
    finish,
    next_step,
    security_option,
)

if TYPE_CHECKING:
    from msp_assessment.campaign.security import Security


def _new_campaign_folder(ctx: click.Context, param: click.Parameter, value: Path) -> Path:
    """Refuse a folder that is a campaign already, before asking anything."""
    from msp_assessment.campaign.folder import CONFIG_NAME

    if (value / CONFIG_NAME).exists():
        raise click.BadParameter(
            f"{value} ya es una carpeta de campaña; para otra ronda use «msp-assessment round "
            "new NOMBRE».",
            ctx,
            param,
        )
    return value


@command(
    "msp-assessment init campaña-msp   (pregunta lo que falte)",
    "msp-assessment init campaña-msp --clients clientes.xlsx --deadline 15/12/2026",
)
@click.argument(
    "folder",
    metavar="CARPETA",
    type=click.Path(file_okay=False, path_type=Path),
    callback=_new_campaign_folder,
)
@click.option(
    "--clients",
    metavar="CLIENTES",
    prompt="Lista de clientes (.xlsx, .ods, .xls o .csv)",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="La lista de clientes; se copia en la carpeta.",
)
@click.option(
    "--from",
    "sender",
    metavar="REMITENTE",
    prompt="Remitente ('Nombre <email@empresa.com>')",
    help="Remitente de los correos de la campaña.",
)
@click.option(
    "--smtp-host",
    metavar="SERVIDOR",
    prompt="Servidor SMTP (vacío: ninguno)",
    default="",
    help="Servidor SMTP (la contraseña nunca se guarda: se pregunta o se lee de "
    "MSP_SMTP_PASSWORD).",
)
@click.option("--smtp-port", type=int, metavar="N", help="Puerto SMTP.")
@security_option("--security", "starttls", "SMTP")
@click.option("--user", metavar="USUARIO", help="Usuario SMTP.")
@click.option(
    "--oauth-token-command",
    metavar="ORDEN",
    help="OAuth 2.0 en lugar de contraseña: la orden que imprime el token de acceso.",
)
@click.option(
    "--round",
    "round_name",
    metavar="NOMBRE",
    default=lambda: str(date.today().year),
    help="Nombre de la primera ronda [por defecto: el año en curso].",
)
@click.option("--deadline", type=DAY, metavar="FECHA", help="Fecha límite de la primera ronda.")
def init(
    folder: Path,
    clients: Path,
    sender: str,
    smtp_host: str,
    smtp_port: int | None,
    security: Security,
    user: str | None,
    oauth_token_command: str | None,
    round_name: str,
    deadline: date | None,
) -> None:
    """Crea una carpeta de campaña: su configuración (campaña.toml), su copia de la lista de
    clientes y las carpetas de la primera ronda.

    Dentro de CARPETA (o con --campaign CARPETA) las demás órdenes no necesitan rutas ni
    opciones de correo: prepare, send, status, process, deliver y round new.
    """
    from msp_assessment.campaign.folder import Round, Smtp, init_campaign
    from msp_assessment.campaign.messages import parse_sender
    from msp_assessment.client_list import read_client_list

    parse_sender(sender)  # a sender that cannot be used stops here, before anything is written
    listing = read_client_list(clients)
    if not listing.ok:
        for problem in listing.problems:
            click.echo(problem.message)
        click.echo(f"No se ha creado la campaña: corrija {clients} y vuelva a ejecutar la orden.")
        finish(False)
    smtp = (
        Smtp(smtp_host, smtp_port, security, user, oauth_token_command)
        if smtp_host.strip()
        else None
    )
    init_campaign(folder, clients, sender, smtp, Round(round_name, deadline))
    n = len(listing.clients)
    click.echo(f"Campaña creada en {folder}: {n} clientes, ronda «{round_name}».")
    next_step(
        f"entre en la carpeta («cd {folder}») y prepare las invitaciones con «msp-assessment "
        "prepare»."
    )


@click.group(
    "round",
    cls=Group,
    examples=("msp-assessment round new 2027 --deadline 15/06/2027", "msp-assessment round freeze"),
    context_settings=CONTEXT,
    options_metavar="[OPCIONES]",
    subcommand_metavar="COMANDO [ARGS]...",
)
def round_group() -> None:
    """Las rondas de una campaña."""


@round_group.command(
    "new",
    cls=Command,
    context_settings=CONTEXT,
    options_metavar="[OPCIONES]",
    examples=(
        "msp-assessment round new 2027",
        "msp-assessment round new 2027-T2 --deadline 30/06/2027",
    ),
)
@click.argument("name", metavar="NOMBRE")
@click.option("--deadline", type=DAY, metavar="FECHA", help="Fecha límite de la ronda.")
def round_new(name: str, deadline: date | None) -> None:
    """Empieza una ronda nueva de la campaña (sus carpetas); al procesarla se compara con la
    anterior."""
    from msp_assessment.campaign.folder import Round, new_round

    campaign = new_round(current_campaign("la carpeta de campaña"), Round(name, deadline))
    click.echo(f"Ronda «{name}» creada en {campaign.folder('')}.")
    next_step("prepare sus invitaciones con «msp-assessment prepare».")


@round_group.command(
    "freeze",
    cls=Command,
    context_settings=CONTEXT,
    options_metavar="[OPCIONES]",
    examples=("msp-assessment round freeze   (en una carpeta de campaña)",),
)
def round_freeze() -> None:
    """Congela la referencia de la ronda: sus clientes se comparan desde ahora con los
    puntuados hasta hoy, de modo que una respuesta tardía no cambia los informes ya enviados.
    """
    from msp_assessment.campaign.folder import freeze_reference

    campaign = current_campaign("la carpeta de campaña")
    target = freeze_reference(campaign)
    click.echo(
        f"Referencia de la ronda «{campaign.round.name}» congelada en {target}: «process» "
        "compara con ella desde ahora."
    )
    next_step("procese las respuestas tardías con «msp-assessment process».")


@command("msp-assessment forget CL-017", "msp-assessment forget CL-017 --json")
@click.argument("client_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Imprime el informe como JSON.")
def forget(client_id: str, as_json: bool) -> None:
    """Olvida a un cliente (derecho de supresión): sus filas del registro y de la lista, sus
    archivos y sus anotaciones de envío, y rehace los resúmenes sin él."""
    from msp_assessment.campaign.forget import forget_client

    report = forget_client(current_campaign("la carpeta de campaña"), client_id)
    if as_json:
        echo_json(report.to_dict())
        return
    for line in report.lines():
        click.echo(line)


@command(
    "msp-assessment login --client-id ID-DE-LA-APLICACIÓN --tenant contoso.onmicrosoft.com",
    "msp-assessment login   (otra vez, con la aplicación ya guardada en la campaña)",
)
@click.option(
    "--client-id", metavar="ID", help="Id. de la aplicación registrada en Microsoft Entra."
)
@click.option(
    "--tenant",
    metavar="INQUILINO",
    help="Inquilino: su dominio o su id. (contoso.onmicrosoft.com).",
)
def login(client_id: str | None, tenant: str | None) -> None:
    """Inicia la sesión de Microsoft 365 de la campaña (OAuth 2.0, con un código de dispositivo):
    send y collect la usan en lugar de una contraseña y la renuevan solos."""
    import dataclasses

    from msp_assessment.campaign.folder import Microsoft, write_config
    from msp_assessment.campaign.microsoft import login as sign_in

    campaign = current_campaign("la carpeta de campaña")
    known = campaign.microsoft
    client_id = client_id or (known.client_id if known else None)
    tenant = tenant or (known.tenant if known else None)
    if not client_id or not tenant:
        raise click.UsageError(
            "Indique --client-id y --tenant: los de la aplicación que su administrador registró "
            "para el correo (véase el README)."
        )
    who = sign_in(campaign.root, client_id, tenant, click.echo)
    write_config(dataclasses.replace(campaign, microsoft=Microsoft(client_id, tenant)))
    click.echo(f"Sesión de Microsoft 365 iniciada{f' como {who}' if who else ''}.")
    next_step("envíe y recoja como siempre: «msp-assessment send», «msp-assessment collect».")
