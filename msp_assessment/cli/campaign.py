"""Commands prepare, send, status and deliver: thin click wrappers over msp_assessment.campaign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from msp_assessment.cli.common import (
    DAY,
    command,
    current_campaign,
    echo_json,
    finish,
    jobs_option,
    next_step,
    output_folder_option,
    password_for,
    security_option,
)
from msp_assessment.text import count, format_es

if TYPE_CHECKING:
    from msp_assessment.campaign.security import Security

PASSWORD_ENV = "MSP_SMTP_PASSWORD"
SEND_LABELS = {
    "sent": "ENVIADO",
    "already_sent": "YA ENVIADO",
    "failed": "FALLIDO",
    "unknown": "DESCONOCIDO",
    "dry_run": "SE ENVIARÍA",
}


def _list_option(func: Any) -> Any:
    """CLIENTES, the client list: in a campaign folder, optional (the campaign's own)."""
    return click.argument(
        "clients",
        metavar="[CLIENTES]",
        required=False,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
    )(func)


_deadline_option = click.option(
    "--deadline",
    type=DAY,
    metavar="FECHA",
    help="Fecha límite para responder (31/12/2026 o 2026-12-31).",
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Imprime el informe como JSON.")
# What prepare and deliver share: they both write a folder of drafts from one sender.
_sender_option = click.option(
    "--from",
    "sender",
    metavar="REMITENTE",
    help="'Nombre <email@empresa.com>' [en una campaña: el suyo].",
)
_force_drafts_option = click.option(
    "--force", is_flag=True, help="Sustituye los borradores que ya haya en la carpeta."
)


def _message_option(placeholders: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--message",
        metavar="ARCHIVO",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=f"Texto propio: asunto en la primera línea, una línea en blanco y el cuerpo; admite "
        f"{placeholders}.",
    )


@command(
    "msp-assessment prepare   (en una carpeta de campaña)",
    "msp-assessment prepare clientes.xlsx -o invitaciones --from 'Canal <canal@fab.es>'",
    interrupted="Los borradores ya escritos están completos y no se ha enviado nada; vuelva a "
    "ejecutar la orden con --force para escribirlos todos de nuevo.",
)
@_list_option
@output_folder_option("Carpeta donde se escriben los libros y los borradores .eml.", required=False)
@_sender_option
@_deadline_option
@_message_option("{empresa}, {contacto} y {fecha_limite}")
@_force_drafts_option
@jobs_option
@_json_option
def prepare(
    clients: Path | None,
    output: Path | None,
    sender: str | None,
    deadline: date | None,
    message: Path | None,
    force: bool,
    jobs: int | None,
    as_json: bool,
) -> None:
    """Crea un libro personalizado y un borrador de email (.eml) para cada cliente.

    CLIENTES es una lista .csv o .xlsx con las columnas id, empresa, contacto y email. Si alguna
    fila tiene problemas se listan todos y no se escribe nada. Los .eml se abren como borrador
    listo para enviar en Outlook o Thunderbird, o se envían todos con «msp-assessment send».
    """
    from msp_assessment.campaign.messages import MessageText
    from msp_assessment.campaign.prepare import PrepareOptions
    from msp_assessment.campaign.prepare import prepare as run_prepare
    from msp_assessment.cli.output import ProgressBar

    if clients is None:  # the campaign's list, sender and deadline, into its invitaciones/
        from msp_assessment.campaign.folder import INVITATIONS

        campaign = current_campaign("CLIENTES")
        clients, output = campaign.clients, output or campaign.folder(INVITATIONS)
        sender, deadline = sender or campaign.sender, deadline or campaign.round.deadline
    if output is None or sender is None:
        raise click.UsageError("Faltan -o CARPETA y --from REMITENTE.")
    text = MessageText.from_file(message) if message else None
    options = PrepareOptions(sender, deadline, text, force)
    bar = None if as_json else ProgressBar.for_terminal("Preparando", "borradores/s")
    try:
        report = run_prepare(clients, output, options, bar.update if bar else None, jobs)
    finally:
        if bar:
            bar.close()
    if as_json:
        echo_json(report.to_dict())
    elif not report.ok:
        for problem in report.problems:
            click.echo(problem.message)
        click.echo(f"No se ha escrito nada: corrija {clients} y vuelva a ejecutar la orden.")
    else:
        for item in report.prepared:
            click.echo(f"Preparado: {item.client.id} · {item.client.company} → {item.draft}")
        click.echo(f"Total: {count(len(report.prepared), 'borrador', 'borradores')} en {output}")
        next_step(
            f"revise un borrador y envíelos todos con «msp-assessment send {output} --smtp-host "
            "SERVIDOR --starttls --user USUARIO».",
            "revise un borrador y envíelos todos con «msp-assessment send».",
        )
    finish(report.ok)


@command(
    "msp-assessment send --dry-run   (en una carpeta de campaña: qué se enviaría)",
    "msp-assessment send invitaciones --smtp-host smtp.office365.com --starttls --user yo@fab.es",
    interrupted="Cada mensaje enviado consta en el registro de envíos; vuelva a ejecutar la "
    "orden: solo se envía lo pendiente y nunca se duplica un mensaje (uno que quedaba a medias se "
    "indica como DESCONOCIDO).",
)
@click.argument(
    "folder",
    metavar="[CARPETA]",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option("--smtp-host", metavar="SERVIDOR", help="Servidor SMTP [en una campaña: el suyo].")
@click.option(
    "--smtp-port",
    type=int,
    metavar="N",
    help="Puerto [por defecto: 465 con --ssl, 587 con --starttls, 25 sin cifrado].",
)
@click.option("--starttls", is_flag=True, help="Cifra la conexión con STARTTLS.")
@click.option(
    "--ssl", "use_ssl", is_flag=True, help="Conexión cifrada desde el principio (SSL/TLS)."
)
@click.option(
    "--user",
    metavar="USUARIO",
    help=f"Usuario SMTP; la contraseña se lee de {PASSWORD_ENV} o se pregunta.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    metavar="N",
    help="Máximo de mensajes por minuto.",
)
@click.option(
    "--oauth-token-command",
    metavar="ORDEN",
    help="OAuth 2.0 en lugar de contraseña: una orden que imprime el token de acceso (se usa "
    "con XOAUTH2, como «passwordeval» de msmtp).",
)
@click.option("--dry-run", is_flag=True, help="Muestra lo que se enviaría y no envía nada.")
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="Reenvía los mensajes cuya entrega quedó a medias en una ejecución interrumpida.",
)
@_json_option
def send(
    folder: Path | None,
    smtp_host: str | None,
    smtp_port: int | None,
    starttls: bool,
    use_ssl: bool,
    user: str | None,
    rate: float | None,
    oauth_token_command: str | None,
    dry_run: bool,
    resend_unknown: bool,
    as_json: bool,
) -> None:
    """Envía por SMTP los borradores de CARPETA que aún no se han enviado.

    Cada envío se anota en CARPETA/envios.jsonl: si se interrumpe o algún destinatario falla, al
    volver a ejecutar solo se envía lo pendiente y nunca se duplica un mensaje. En una carpeta de
    campaña, sin CARPETA, envía lo pendiente de la ronda (invitaciones, recordatorios y
    resultados) con el servidor de la campaña, y cada envío se anota en su registro.
    """
    from msp_assessment.campaign.security import Security
    from msp_assessment.campaign.send import Delivery, Outcome, SendReport, SmtpSettings
    from msp_assessment.campaign.send import send as run_send

    if starttls and use_ssl:
        raise click.UsageError("Elija --starttls o --ssl, no los dos.")
    security = Security.SSL if use_ssl else Security.STARTTLS if starttls else Security.NONE
    folders = [folder] if folder is not None else []
    token = None  # a campaign signed in to Microsoft 365 (login) sends with its tokens
    journals: dict[Path, Any] = {}  # a campaign's folders: their journals are in its record
    if folder is None:
        campaign = current_campaign("CARPETA")
        folders = campaign.draft_folders()
        if not folders:
            raise click.ClickException(
                f"La ronda «{campaign.round.name}» no tiene borradores que enviar: créelos con "
                "«msp-assessment prepare», «status --reminders» o «deliver»."
            )
        journals = {each: campaign.journal(each) for each in folders}
        if smtp_host is None and campaign.smtp is not None:
            smtp = campaign.smtp
            smtp_host, smtp_port, security, user = smtp.host, smtp.port, smtp.security, smtp.user
            oauth_token_command = oauth_token_command or smtp.token_command
        token = None if oauth_token_command else campaign.token()
    if smtp_host is None:
        raise click.UsageError("Falta --smtp-host SERVIDOR.")
    password = None
    if user and not dry_run and not oauth_token_command and token is None:
        password = password_for(PASSWORD_ENV, "SMTP", user)
    settings = SmtpSettings(
        smtp_host,
        smtp_port,
        security,
        user,
        password,
        token_command=oauth_token_command,
        token=token,
    )

    def show(done: int, total: int, delivery: Delivery) -> None:
        if folder is None and delivery.outcome is Outcome.ALREADY_SENT:
            return  # a campaign sends its round's every folder: what went before is a number
        line = (
            f"{SEND_LABELS[delivery.outcome.value]:<11} · {delivery.recipient} · {delivery.draft}"
        )
        click.echo(line + (f" · {delivery.error}" if delivery.error else ""))

    reports = [
        run_send(
            each,
            settings,
            dry_run=dry_run,
            rate=rate,
            resend_unknown=resend_unknown,
            progress=None if as_json else show,
            journal=journals.get(each),
        )
        for each in folders
    ]
    report = SendReport(tuple(d for r in reports for d in r.deliveries))
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(
            f"Total: {count(report.count(Outcome.SENT), 'enviado')} · "
            f"{count(report.count(Outcome.ALREADY_SENT), 'ya enviado antes', 'ya enviados antes')}"
            f" · {count(report.count(Outcome.FAILED), 'fallido')} · "
            f"{count(report.count(Outcome.UNKNOWN), 'desconocido')}"
            + (
                f" · {count(report.count(Outcome.DRY_RUN), 'se enviaría', 'se enviarían')}"
                if dry_run
                else ""
            )
        )
        if not report.ok:
            next_step("revise lo indicado y repita la misma orden: solo se envía lo pendiente.")
        elif dry_run:
            next_step("envíelos con la misma orden sin --dry-run.")
        elif report.sent_results:
            next_step(
                "vea a quién le han llegado sus resultados con «msp-assessment status CLIENTES "
                f"RECIBIDOS --delivered {folder}».",
                "vea a quién le han llegado sus resultados con «msp-assessment status»; para la "
                "ronda siguiente, «msp-assessment round new NOMBRE».",
            )
        else:
            next_step(
                "guarde en una carpeta los libros que le devuelvan y vea quién falta con "
                "«msp-assessment status CLIENTES CARPETA».",
                "recoja las respuestas con «msp-assessment collect» (o guarde en la carpeta "
                "recibidos de la ronda los libros que le devuelvan) y vea quién falta con "
                "«msp-assessment status».",
            )
    finish(report.ok)


@command(
    "msp-assessment status --reminders   (en una carpeta de campaña)",
    "msp-assessment status clientes.xlsx recibidos",
    interrupted="No se ha enviado nada y ningún recordatorio quedó a medias: vuelva a ejecutar "
    "la orden.",
)
@_list_option
@click.argument(
    "paths",
    nargs=-1,
    metavar="[RUTA...]",
    type=click.Path(exists=True, path_type=Path),
)
@click.option("--recursive", is_flag=True, help="Busca también en las subcarpetas.")
@click.option(
    "--reminders",
    metavar="CARPETA",
    is_flag=False,
    flag_value="",
    help="Escribe recordatorios .eml para los pendientes y los que tienen problemas (en una "
    "campaña, sin CARPETA: en su recordatorios-N siguiente).",
)
@click.option("--from", "sender", metavar="REMITENTE", help="Remitente de los recordatorios.")
@_deadline_option
@click.option(
    "--delivered",
    metavar="CARPETA",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Carpeta de borradores de «deliver» ya enviada: muestra a quién le llegaron sus "
    "resultados (se puede repetir).",
)
@_json_option
def status(
    clients: Path | None,
    paths: tuple[Path, ...],
    recursive: bool,
    reminders: str | None,
    sender: str | None,
    deadline: date | None,
    delivered: tuple[Path, ...],
    as_json: bool,
) -> None:
    """Muestra qué clientes han respondido, con qué resultado, y quién falta.

    Los libros de RUTA se asignan a los clientes de CLIENTES por el id. de cliente guardado en el
    libro (o, si no lo tiene, por la empresa), se llamen como se llamen los archivos.
    """
    from msp_assessment.campaign.status import StatusOptions, describe
    from msp_assessment.campaign.status import status as run_status
    from msp_assessment.outcome import Status
    from msp_assessment.processing.portfolio.roster import State

    folder = Path(reminders) if reminders else None
    arrived, journals, bounced, asked, references = None, (), {}, {}, {}
    if clients is None:  # the campaign's list and round: recibidos/, entrega/, recordatorios-N/
        from msp_assessment.campaign.folder import RETURNS
        from msp_assessment.campaign.record import Record
        from msp_assessment.campaign.rounds import arrivals

        campaign = current_campaign("CLIENTES y RUTA")
        clients, paths = campaign.clients, (campaign.folder(RETURNS),)
        recursive, arrived = True, arrivals(campaign)
        journals = () if delivered else campaign.delivered
        bounced = campaign_bounces(campaign)
        asked = campaign_asked(campaign)
        references = Record(campaign.root).references(campaign.round.name)
        sender, deadline = sender or campaign.sender, deadline or campaign.round.deadline
        if reminders == "":
            folder = campaign.reminders(new=True)
    elif not paths:
        raise click.UsageError("Falta RUTA: los libros devueltos (archivos o carpetas).")
    if reminders == "" and folder is None:
        raise click.UsageError("Falta la CARPETA de --reminders.")
    options = StatusOptions(
        recursive,
        folder,
        sender,
        deadline,
        delivered,
        arrived,
        journals,
        bounced,
        asked,
        references,
    )
    report = run_status(clients, list(paths), options)
    if as_json:
        echo_json(report.to_dict())
        finish(not report.problems)
    for problem in report.problems:
        click.echo(problem.message)
    if report.problems:
        finish(False)
    for entry in report.clients:
        click.echo(describe(entry))
    for outcome in report.unmatched:
        unreadable = outcome.status is Status.UNREADABLE
        who = "ilegible" if unreadable else outcome.client.display_name
        if outcome.path in report.held:
            click.echo(f"{'POR CONFIRMAR':<24} · {outcome.path} · {report.held[outcome.path]}")
        else:
            click.echo(f"{'SIN CLIENTE EN LA LISTA':<24} · {outcome.path} · {who}")
    scored, problems = report.count(State.SCORED), report.count(State.PROBLEMS)
    pending = report.count(State.PENDING)
    click.echo(
        f"Clientes: {len(report.clients)} · {count(scored, 'puntuado')} · "
        f"{problems} con problemas · {count(pending, 'pendiente')} · "
        f"{count(len(report.unmatched), 'libro sin cliente', 'libros sin cliente')}"
    )
    if report.reminders:
        click.echo(f"Recordatorios: {len(report.reminders)} en {folder}")
        next_step(
            f"envíelos con «msp-assessment send {folder} --smtp-host SERVIDOR …».",
            "envíelos con «msp-assessment send».",
        )
    elif pending or problems:
        next_step(
            "escriba recordatorios con --reminders CARPETA --from REMITENTE, o procese lo recibido "
            "con «msp-assessment process RUTA -o RESULTADOS».",
            "escriba recordatorios con «msp-assessment status --reminders», o procese lo recibido "
            "con «msp-assessment process».",
        )
    else:
        next_step(
            "procese los libros con «msp-assessment process RUTA -o RESULTADOS».",
            "procese los libros con «msp-assessment process».",
        )


@command(
    "msp-assessment deliver   (en una carpeta de campaña)",
    "msp-assessment deliver clientes.xlsx resultados -o entrega --from 'Canal <canal@fab.es>'",
    interrupted="Los borradores ya escritos están completos y no se ha enviado nada; vuelva a "
    "ejecutar la orden (fuera de una campaña, con --force) para escribirlos todos de nuevo.",
)
@_list_option
@click.argument(
    "results",
    metavar="[RESULTADOS]",
    required=False,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@output_folder_option(
    "Carpeta donde se escriben los borradores .eml con los resultados.", required=False
)
@_sender_option
@_message_option(
    "{empresa}, {contacto}, {puntuacion}, {etapa}, {posicion}, {cambio}, {siguiente_paso}, "
    "{area_mas_debil} y {consejo}"
)
@click.option(
    "--previous",
    metavar="RESUMEN",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="resumen.xlsx de una ronda anterior: el correo dice qué ha cambiado desde ella [en una "
    "campaña: el de la ronda anterior].",
)
@_force_drafts_option
@_json_option
def deliver(
    clients: Path | None,
    results: Path | None,
    output: Path | None,
    sender: str | None,
    message: Path | None,
    previous: tuple[Path, ...],
    force: bool,
    as_json: bool,
) -> None:
    """Prepara para cada cliente un borrador (.eml) con sus resultados: el informe PDF y su libro.

    RESULTADOS es una carpeta escrita por «process». Cada libro -resultados se asigna a su
    cliente por el id. guardado en el libro (o por la empresa) y cuenta el más reciente; el
    destinatario es siempre el email de la lista. Envíe los borradores con «send CARPETA».
    """
    from msp_assessment.campaign.deliver import WHAT_TO_DO, DeliverOptions
    from msp_assessment.campaign.deliver import deliver as run_deliver
    from msp_assessment.campaign.messages import MessageText

    journal, arrived = None, None
    if clients is None:  # the campaign's round: resultados/ → entrega/ (its last round too)
        from msp_assessment.campaign.folder import DELIVERY, RESULTS

        campaign = current_campaign("CLIENTES y RESULTADOS")
        clients, results = campaign.clients, campaign.folder(RESULTS)
        output, sender = output or campaign.folder(DELIVERY), sender or campaign.sender
        force = True  # its journal keeps a result from going out twice
        journal = campaign.journal(output)
        arrived = campaign_copy_arrivals(campaign)
        last = campaign.previous_summary()
        previous = previous or ((last,) if last else ())
    if results is None or output is None or sender is None:
        raise click.UsageError("Faltan RESULTADOS, -o CARPETA y --from REMITENTE.")
    text = MessageText.from_file(message) if message else None
    options = DeliverOptions(sender, text, force, journal, arrived, previous)
    report = run_deliver(clients, results, output, options)
    if as_json:
        echo_json(report.to_dict())
        finish(report.ok)
    for problem in report.problems:
        click.echo(problem.message)
    if report.problems:
        click.echo(f"No se ha escrito nada: corrija {clients} y vuelva a ejecutar la orden.")
        finish(False)
    for item in report.delivered:
        click.echo(
            f"Preparado: {item.client.id} · {item.client.company} · "
            f"{format_es(item.average, 2)} {item.stage} → {item.draft}"
        )
    for wrong in report.contradictions:
        click.echo(f"NO SE ENVÍA · {wrong.path} · {wrong.message}")
    for entry in report.without_results:
        client = entry.client
        click.echo(f"Sin resultados: {client.id} · {client.company} · {WHAT_TO_DO[entry.state]}")
    n = len(report.delivered)
    click.echo(f"Total: {count(n, 'borrador', 'borradores')} de resultados en {output}")
    if n:
        next_step(
            f"envíelos con «msp-assessment send {output} --smtp-host SERVIDOR …».",
            "envíelos con «msp-assessment send».",
        )
    finish(report.ok)


def campaign_copy_arrivals(campaign: Any) -> dict[str, float]:
    from msp_assessment.campaign.record import Record

    return Record(campaign.root).copy_arrivals(campaign.round.name)


def campaign_bounces(campaign: Any) -> dict[str, str]:
    from msp_assessment.campaign.record import Record

    return Record(campaign.root).bounced(campaign.round.name)


def campaign_asked(campaign: Any) -> dict[str, Any]:
    from msp_assessment.campaign.record import Record

    return Record(campaign.root).asked(campaign.round.name)


IMAP_PASSWORD_ENV = "MSP_IMAP_PASSWORD"
COLLECT_WIDTH = len("FUERA DE LA LISTA")  # the longest of collect's labels


def _collect_line(label: str, *parts: str) -> None:
    click.echo(" · ".join([f"{label:<{COLLECT_WIDTH}}", *map(str, parts)]))


@command(
    "msp-assessment collect --imap-host imap.gmail.com --imap-user canal@fabricante.es",
    "msp-assessment collect correos.mbox -o recibidos --clients clientes.xlsx",
    interrupted="Los libros ya guardados están completos; vuelva a ejecutar la orden: guarda "
    "solo lo que falta y nunca dos veces el mismo libro.",
)
@click.argument(
    "source",
    metavar="[CORREOS]",
    required=False,
    type=click.Path(exists=True, path_type=Path),
)
@output_folder_option(
    "Carpeta donde se guardan los libros [en una campaña: recibidos de la ronda].", required=False
)
@click.option("--imap-host", metavar="SERVIDOR", help="Servidor IMAP del buzón de respuestas.")
@click.option("--imap-port", type=int, metavar="N", help="Puerto IMAP [993 con ssl, 143 si no].")
@click.option(
    "--imap-user",
    metavar="USUARIO",
    help=f"Usuario IMAP; la contraseña, de {IMAP_PASSWORD_ENV} o se pregunta.",
)
@click.option(
    "--imap-folder",
    metavar="CARPETA",
    default="INBOX",
    show_default=True,
    help="Carpeta del buzón.",
)
@security_option("--imap-security", "ssl", "IMAP")
@click.option(
    "--imap-oauth-token-command",
    metavar="ORDEN",
    help="OAuth 2.0 en lugar de contraseña: una orden que imprime el token de acceso (XOAUTH2).",
)
@click.option(
    "--since",
    type=DAY,
    metavar="FECHA",
    help="Solo los mensajes desde esa fecha [en una campaña: desde las invitaciones].",
)
@click.option(
    "--clients",
    metavar="CLIENTES",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Lista de clientes, para decir de quién es cada mensaje [en una campaña: la suya].",
)
@_json_option
def collect(
    source: Path | None,
    output: Path | None,
    imap_host: str | None,
    imap_port: int | None,
    imap_user: str | None,
    imap_folder: str,
    imap_security: Security,
    imap_oauth_token_command: str | None,
    since: date | None,
    clients: Path | None,
    as_json: bool,
) -> None:
    """Recoge del buzón (IMAP, solo lectura) o de correos exportados (.eml, .msg, .mbox) los
    libros devueltos.

    Cada adjunto que es una hoja de cálculo (también dentro de un .zip) se guarda una sola vez,
    con un nombre que dice quién lo envió y cuándo; se listan los mensajes sin libro y los
    rebotes. El buzón no se modifica: no se borra, mueve ni marca ningún mensaje.
    """
    from msp_assessment.campaign.collect import ImapSettings, from_files, from_imap
    from msp_assessment.campaign.collect import collect as run_collect
    from msp_assessment.campaign.rounds import collect_round, invited_since

    campaign = None if output is not None else current_campaign("-o CARPETA")
    token = None
    if campaign is not None and source is None:
        imap_host, imap_user, imap_port, imap_security, imap_folder, token = _campaign_imap(
            campaign, imap_host, imap_user, imap_port, imap_security, imap_folder
        )
    if (source is None) == (imap_host is None):
        raise click.UsageError(
            "Indique CORREOS (.eml, .msg o .mbox) o --imap-host SERVIDOR, uno de los dos."
        )
    if imap_host is not None:
        if not imap_user:
            raise click.UsageError("Falta --imap-user USUARIO.")
        password = ""
        if not imap_oauth_token_command and token is None:
            password = password_for(IMAP_PASSWORD_ENV, "IMAP", imap_user)
        settings = ImapSettings(
            imap_host,
            imap_user,
            password,
            imap_port,
            imap_security,
            folder=imap_folder,
            token_command=imap_oauth_token_command,
            token=None if imap_oauth_token_command else token,
        )
        when = since or (invited_since(campaign) if campaign is not None else None)
        mails = from_imap(settings, when)
    else:
        assert source is not None
        mails = from_files(source)
    if campaign is not None:
        report = collect_round(campaign, mails)
    else:
        assert output is not None
        from msp_assessment.processing.portfolio.roster import read_roster

        roster = read_roster(clients) if clients is not None else ()
        report, _ = run_collect(mails, output, roster)
    if as_json:
        echo_json(report.to_dict())
        finish(not report.problems)
    for item in report.saved:
        _collect_line("GUARDADO", item.path, f"de {item.sender}", item.attachment)
    for missing in report.unusable:
        who = [missing.client.id or ""] if missing.client else []
        _collect_line("SIN LIBRO", *who, missing.sender, f"«{missing.subject}»", missing.what)
    for bounce in report.bounces:
        who = [bounce.client.id or ""] if bounce.client else []
        _collect_line("REBOTADO", *who, bounce.recipient, bounce.reason)
    for sender in report.strangers:
        _collect_line("FUERA DE LA LISTA", f"{sender} envió un libro y no está en la lista")
    for where, problem in report.problems:
        _collect_line("NO GUARDADO", str(where), problem.message)
    click.echo(
        f"Total: {count(len(report.saved), 'libro guardado', 'libros guardados')} · "
        f"{count(report.already, 'ya recogido antes', 'ya recogidos antes')} · "
        f"{count(len(report.unusable), 'mensaje sin libro', 'mensajes sin libro')} · "
        f"{count(len(report.bounces), 'rebote')}"
    )
    next_step(
        "vea quién ha respondido con «msp-assessment status CLIENTES CARPETA».",
        "vea quién ha respondido con «msp-assessment status».",
    )
    finish(not report.problems)


def _campaign_imap(
    campaign: Any,
    host: str | None,
    user: str | None,
    port: int | None,
    security: Security,
    folder: str,
) -> tuple[str | None, str | None, int | None, Security, str, Any]:
    """The mailbox of a campaign: the one given now (kept in campaña.toml for next time), or
    the one kept; and its tokens when the campaign signed in to Microsoft 365."""
    import dataclasses

    from msp_assessment.campaign.folder import Imap, write_config

    if host is not None and user is not None:
        kept = Imap(host, user, port, security, folder)
        if kept != campaign.imap:
            write_config(dataclasses.replace(campaign, imap=kept))
    elif host is None and campaign.imap is not None:
        box = campaign.imap
        host, user, port, security, folder = box.host, box.user, box.port, box.security, box.folder
    return host, user, port, security, folder, campaign.token()
