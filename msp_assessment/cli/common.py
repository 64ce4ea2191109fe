"""What every command module shares: click's Spanish words, context settings and the options
several commands take, and the one place where errors become Spanish lines. The command modules
import this; cli/__init__.py gathers their commands."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click

from msp_assessment.cli import _click_es

_click_es.install()

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


# Exit codes, one meaning each for every command (the README's «Códigos de salida»).
EXIT_DONE = 0  # everything asked is done
EXIT_PENDING = 1  # the command ran, and something is left to fix or could not be done
# 2: the command was written wrong (click's usage errors, and our UsageError raised as one).
EXIT_INTERRUPTED = 130  # Ctrl-C: the shell's code for a command stopped by SIGINT

RERUN = "Nada ha quedado a medias: vuelva a ejecutar la misma orden."


def finish(done: bool) -> NoReturn:
    """End the command: 0 when everything asked is done, 1 when something is left."""
    sys.exit(EXIT_DONE if done else EXIT_PENDING)


class Examples:
    """A command's or group's help ends with one or two examples, each line as written."""

    examples: tuple[str, ...] = ()

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.examples:
            with formatter.section("Ejemplos"):
                for line in self.examples:
                    formatter.write(f"{'':>{formatter.current_indent}}{line}\n")

    def get_short_help_str(self, limit: int = 45) -> str:
        """The first sentence whole (the group's list wraps it), never cut with «...»."""
        text: str = super().get_short_help_str(limit=10_000)  # type: ignore[misc]
        return text


class Command(Examples, click.Command):
    """Every command of ours: what stops it reaches the user as one Spanish line, in one place.

    The library's errors (``MspError``: a usage error exits 2 with the command's usage, any other
    exits 1) and the system's (a read-only or full folder, a missing file) never show a trace.
    Ctrl-C says what was done and what running the command again will do (``interrupted``),
    and exits 130.
    """

    def __init__(
        self,
        *args: Any,
        examples: tuple[str, ...] = (),
        interrupted: str = RERUN,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.examples, self.interrupted = examples, interrupted

    def invoke(self, ctx: click.Context) -> Any:
        from msp_assessment.errors import MspError, UsageError, describe_os_error
        from msp_assessment.text import printable

        stdout = sys.stdout
        sys.stdout = PrintableStream(stdout)
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, click.Abort):  # Abort: Ctrl-C at one of click's prompts
            sys.stdout = stdout
            click.echo(f"\nInterrumpido. {self.interrupted}", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except UsageError as err:
            raise click.UsageError(printable(str(err)), ctx) from None
        except MspError as err:
            raise click.ClickException(printable(str(err))) from None
        except BrokenPipeError:  # the output went to a reader that stopped (| head): say nothing
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_PENDING)
        except OSError as err:
            where = f" {printable(str(err.filename))}" if err.filename else ""
            raise click.ClickException(
                f"No se pudo escribir o leer{where}: {describe_os_error(err)}. Compruebe que la "
                "carpeta existe, que tiene permiso de escritura y que hay espacio en el disco."
            ) from None
        finally:
            sys.stdout = stdout


class PrintableStream:
    """The command's standard output, where no control character a file name or a workbook
    brought can act on the terminal (``text.printable``); everything else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        from msp_assessment.text import printable

        self._stream.write(printable(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class Day(click.ParamType):  # type: ignore[type-arg]  # generic only in newer clicks (>=8.2)
    """A date typed by a person: 31/12/2026, 31-12-26 or 2026-12-31."""

    name = "fecha"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from msp_assessment.text import parse_date

        if isinstance(value, date):
            return value
        parsed = parse_date(str(value))
        if parsed is None:
            self.fail(f"Fecha límite no válida: «{value}». Escríbala como 31/12/2026.", param, ctx)
        return parsed


DAY = Day()


class Group(Examples, click.Group):
    """A group of commands whose help, too, ends with examples."""

    def __init__(self, *args: Any, examples: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.examples = examples

    def list_commands(self, ctx: click.Context) -> list[str]:
        """In the order they were added (a campaign's order), not alphabetical."""
        return list(self.commands)


def command(
    *examples: str, interrupted: str = RERUN
) -> Callable[[Callable[..., Any]], click.Command]:
    """A command with Spanish metavars and our context settings (cli/__init__.py registers it),
    the ``examples`` its help ends with and what Ctrl-C says (``interrupted``)."""
    return click.command(
        cls=Command,
        context_settings=CONTEXT,
        options_metavar="[OPCIONES]",
        examples=examples,
        interrupted=interrupted,
    )


def output_folder_option(
    help_text: str, *, required: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``-o CARPETA`` of the commands that write a folder of files (in a campaign folder,
    optional: the campaign says where)."""
    return click.option(
        "-o",
        "--output",
        required=required,
        metavar="CARPETA",
        type=click.Path(file_okay=False, path_type=Path),
        help=help_text,
    )


def echo_json(data: dict[str, Any]) -> None:
    """Print what a library function returned, as JSON and nothing else."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def next_step(text: str, in_campaign: str | None = None) -> None:
    """The one line after a command's report that says what to do next (``in_campaign``: what
    to say instead when the command ran in a campaign folder)."""
    ran_in_campaign = click.get_current_context().meta.get(IN_CAMPAIGN, False)
    click.echo(f"Siguiente paso: {in_campaign if in_campaign and ran_in_campaign else text}")


IN_CAMPAIGN = "msp_assessment.in_campaign"  # click context meta: the command used a campaign


jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Procesos en paralelo [por defecto: uno por CPU].",
)


CAMPAIGN_HINT = (
    "o ejecute la orden dentro de una carpeta de campaña (créela con «msp-assessment init "
    "CARPETA») o con --campaign CARPETA"
)


def current_campaign(missing: str) -> Any:
    """The campaign the command runs in: ``--campaign CARPETA``, else the folder (or a parent)
    holding campaña.toml. UsageError naming ``missing`` (what the command lacks) when there is
    none."""
    from msp_assessment.campaign.folder import CONFIG_NAME, find_campaign, load_campaign
    from msp_assessment.errors import UsageError

    given = click.get_current_context().find_root().params.get("campaign")
    if given is not None and not (Path(given) / CONFIG_NAME).is_file():
        raise UsageError(f"{given} no es una carpeta de campaña: le falta {CONFIG_NAME}.")
    folder = Path(given) if given is not None else find_campaign(Path.cwd())
    if folder is None:
        raise UsageError(f"Falta {missing}: indíquelo, {CAMPAIGN_HINT}.")
    # Paths as the user sees them: relative to where they are («2026/recibidos»).
    relative = Path(os.path.relpath(folder.resolve(), Path.cwd()))
    click.get_current_context().meta[IN_CAMPAIGN] = True
    return load_campaign(relative)


def security_option(
    flag: str, default: str, what: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """How a mail connection is encrypted, as a person names it (``starttls``, ``ssl`` or
    ``ninguno``); the command gets the ``Security`` it names."""
    from msp_assessment.campaign.security import SECURITY_BY_NAME

    return click.option(
        flag,
        type=click.Choice(list(SECURITY_BY_NAME)),
        default=default,
        show_default=True,
        callback=lambda _ctx, _param, value: SECURITY_BY_NAME[value],
        help=f"Cifrado de la conexión {what}.",
    )


def password_for(env: str, what: str, user: str) -> str:
    """A mail password: from the environment variable ``env``, else asked (never an option)."""
    return os.environ.get(env) or click.prompt(
        f"Contraseña {what} de {user}", hide_input=True, err=True
    )
