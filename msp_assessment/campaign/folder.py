"""A campaign folder: what the user would otherwise type in every command, written once.

``init`` writes ``campaña.toml`` (the client list, the sender, the SMTP settings without the
password, the rounds) and the layout, one folder per round::

    CAMPAÑA/
      campaña.toml          what init asked; «round new» adds a round
      clientes.xlsx         the client list, copied in (the campaign keeps the one it used)
      registro.sqlite       the campaign's record (record.py)
      2026/                 a round
        invitaciones/  recibidos/  resultados/  entrega/  recordatorios-1/ …

Inside that folder (or any folder below it), or with ``--campaign CARPETA``, every command finds
its paths here; the explicit-path forms work as they always did.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from msp_assessment._files import write_atomic
from msp_assessment.campaign.security import SECURITY_BY_NAME, SECURITY_NAMES, Security
from msp_assessment.campaign.send import Journal
from msp_assessment.errors import CampaignError
from msp_assessment.text import parse_date

CONFIG_NAME = "campaña.toml"
INVITATIONS, RETURNS, RESULTS, DELIVERY = "invitaciones", "recibidos", "resultados", "entrega"
REMINDERS = "recordatorios"  # recordatorios-1, recordatorios-2…


@dataclass(frozen=True)
class Smtp:
    """How the campaign's mail leaves (the password is never stored: it is asked)."""

    host: str
    port: int | None = None
    security: Security = Security.STARTTLS
    user: str | None = None
    token_command: str | None = None  # OAuth 2.0: a command that prints the access token


@dataclass(frozen=True)
class Imap:
    """Where the campaign's replies arrive (collect keeps it the first time it is told)."""

    host: str
    user: str
    port: int | None = None
    security: Security = Security.SSL
    folder: str = "INBOX"


@dataclass(frozen=True)
class Microsoft:
    """The organisation's app registration for Microsoft 365 (OAuth 2.0, see microsoft.py)."""

    client_id: str
    tenant: str


@dataclass(frozen=True)
class Round:
    name: str
    deadline: date | None = None
    # The frozen reference its clients are compared with (``round freeze``): a summary, relative
    # to the campaign folder; None: the round's own scored clients, as they come.
    reference: str | None = None


@dataclass(frozen=True)
class Campaign:
    root: Path
    clients: Path  # the campaign's copy of the client list
    sender: str
    smtp: Smtp | None
    rounds: tuple[Round, ...]
    microsoft: Microsoft | None = None  # set by «login»: send and collect use its tokens
    imap: Imap | None = None  # set by the first «collect --imap-host …»

    def token(self) -> Callable[[], str] | None:
        """Where the campaign's OAuth tokens come from, when it signed in to Microsoft 365."""
        if self.microsoft is None:
            return None
        from msp_assessment.campaign.microsoft import access_token

        app = self.microsoft
        return lambda: access_token(self.root, app.client_id, app.tenant)

    @property
    def round(self) -> Round:
        """The current round: the last one added."""
        return self.rounds[-1]

    def folder(self, part: str, round_: Round | None = None) -> Path:
        """A folder of the current round (or of ``round_``)."""
        return self.root / (round_ or self.round).name / part

    def previous_summary(self, round_: Round | None = None) -> Path | None:
        """The summary of the round before the current one (or ``round_``), when process wrote
        it."""
        at = self.rounds.index(round_ or self.round)
        if at == 0:
            return None
        summary = self.folder(RESULTS, self.rounds[at - 1]) / "resumen.xlsx"
        return summary if summary.exists() else None

    def reminders(self, new: bool = False) -> Path:
        """The current round's newest reminders folder, or (``new``) the next one to write."""
        n = 1
        while self.folder(f"{REMINDERS}-{n}").exists():
            n += 1
        return self.folder(f"{REMINDERS}-{n if new else max(1, n - 1)}")

    def draft_folders(self) -> list[Path]:
        """The current round's folders of drafts, in the order they are sent: invitations,
        reminders, results."""
        reminders = sorted(
            self.folder("").glob(f"{REMINDERS}-*"), key=lambda p: int(p.name.split("-")[-1])
        )
        folders = [self.folder(INVITATIONS), *reminders, self.folder(DELIVERY)]
        return [f for f in folders if any(f.glob("*.eml"))]

    def journal(self, folder: Path) -> Journal:
        """The sending journal of one of the campaign's drafts folders: part of its record."""
        from msp_assessment.campaign.record import Record

        return Record(self.root).journal(folder)

    @property
    def delivered(self) -> tuple[Journal, ...]:
        """The sending journals of the results folders of every round so far."""
        return tuple(self.journal(self.folder(DELIVERY, r)) for r in self.rounds)


def init_campaign(
    root: Path,
    clients: Path,
    sender: str,
    smtp: Smtp | None,
    first_round: Round,
) -> Campaign:
    """Write a new campaign in ``root`` (its config, its copy of the list, the first round's
    folders). CampaignError if ``root`` holds one already."""
    if (root / CONFIG_NAME).exists():
        raise CampaignError(
            f"{root} ya es una carpeta de campaña ({CONFIG_NAME}); para otra ronda use "
            "«msp-assessment round new NOMBRE»."
        )
    root.mkdir(parents=True, exist_ok=True)
    copy = root / f"clientes{clients.suffix.lower()}"
    if clients.resolve() != copy.resolve():
        shutil.copyfile(clients, copy)
    campaign = Campaign(root, copy, sender, smtp, (first_round,))
    _make_round(campaign)
    write_config(campaign)
    return campaign


def new_round(campaign: Campaign, round_: Round) -> Campaign:
    """``campaign`` with ``round_`` added (its folders made): the current round from now on."""
    if any(r.name.casefold() == round_.name.casefold() for r in campaign.rounds):
        raise CampaignError(f"La campaña ya tiene una ronda «{round_.name}»: elija otro nombre.")
    if not round_.name.strip() or any(ch in round_.name for ch in '\\/:*?"<>|'):
        raise CampaignError(f"«{round_.name}» no sirve como nombre de carpeta: elija otro.")
    updated = replace(campaign, rounds=(*campaign.rounds, round_))
    _make_round(updated)
    write_config(updated)
    return updated


FROZEN_NAME = "referencia.xlsx"  # in the round's folder


def freeze_reference(campaign: Campaign) -> Path:
    """The current round compared, from now on, with its clients as they are now: its summary
    copied beside it (``referencia.xlsx``) and named in the config. CampaignError when the round
    has no summary yet."""
    from msp_assessment.workbook_templates.contract import SUMMARY_NAME

    summary = campaign.folder(RESULTS) / SUMMARY_NAME
    if not summary.is_file():
        raise CampaignError(
            f"La ronda «{campaign.round.name}» no tiene resumen todavía ({summary}): procese "
            "antes las respuestas con «msp-assessment process»."
        )
    target = campaign.folder("") / FROZEN_NAME
    data = summary.read_bytes()
    write_atomic(target, lambda stream: stream.write(data))
    frozen = replace(campaign.round, reference=target.relative_to(campaign.root).as_posix())
    updated = replace(campaign, rounds=(*campaign.rounds[:-1], frozen))
    write_config(updated)
    return target


def _make_round(campaign: Campaign) -> None:
    for part in (INVITATIONS, RETURNS, RESULTS, DELIVERY):
        campaign.folder(part).mkdir(parents=True, exist_ok=True)


def find_campaign(start: Path) -> Path | None:
    """The campaign folder ``start`` is in (it, or the nearest parent with a config), if any."""
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def load_campaign(root: Path) -> Campaign:
    """The campaign of ``root``; CampaignError, in Spanish, when its config cannot be used."""
    path = root / CONFIG_NAME
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        smtp_data = data.get("smtp")
        smtp = None
        if smtp_data:
            smtp = Smtp(
                str(smtp_data["servidor"]),
                int(smtp_data["puerto"]) if smtp_data.get("puerto") else None,
                SECURITY_BY_NAME[str(smtp_data.get("cifrado", "starttls"))],
                str(smtp_data["usuario"]) if smtp_data.get("usuario") else None,
                str(smtp_data["orden_token"]) if smtp_data.get("orden_token") else None,
            )
        rounds = tuple(
            Round(
                str(r["nombre"]),
                parse_date(str(r.get("fecha_limite") or "")),
                str(r["referencia"]) if r.get("referencia") else None,
            )
            for r in data["rondas"]
        )
        if not rounds:
            raise KeyError("rondas")
        ms = data.get("microsoft365")
        microsoft = Microsoft(str(ms["id_aplicacion"]), str(ms["inquilino"])) if ms else None
        box = data.get("imap")
        imap = None
        if box:
            port = int(box["puerto"]) if box.get("puerto") else None
            security = SECURITY_BY_NAME[str(box.get("cifrado", "ssl"))]
            folder = str(box.get("carpeta", "INBOX"))
            imap = Imap(str(box["servidor"]), str(box["usuario"]), port, security, folder)
        clients = root / str(data["clientes"])
        sender = str(data["remitente"])
        return Campaign(root, clients, sender, smtp, rounds, microsoft, imap)
    except OSError as err:
        raise CampaignError(f"No se pudo leer {path}: {err.strerror or err}.") from err
    except (tomllib.TOMLDecodeError, KeyError, ValueError, TypeError) as err:
        raise CampaignError(
            f"{path} no se puede usar ({type(err).__name__}: {err}). Corríjalo o vuelva a crear "
            "la campaña con «msp-assessment init»."
        ) from err


def write_config(campaign: Campaign) -> None:
    """The config as a person reads it (TOML), written atomically."""

    def text(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string

    lines = [
        "# Campaña de la autoevaluación del desarrollo como MSP (msp-assessment).",
        "# La contraseña SMTP no se guarda: se lee de MSP_SMTP_PASSWORD o se pregunta.",
        f"clientes = {text(campaign.clients.relative_to(campaign.root).as_posix())}",
        f"remitente = {text(campaign.sender)}",
    ]
    if campaign.smtp is not None:
        smtp = campaign.smtp
        lines += ["", "[smtp]", f"servidor = {text(smtp.host)}"]
        if smtp.port is not None:
            lines.append(f"puerto = {smtp.port}")
        lines.append(f"cifrado = {text(SECURITY_NAMES[smtp.security])}")
        if smtp.user:
            lines.append(f"usuario = {text(smtp.user)}")
        if smtp.token_command:
            lines.append(f"orden_token = {text(smtp.token_command)}")
    if campaign.imap is not None:
        box = campaign.imap
        lines += ["", "[imap]", f"servidor = {text(box.host)}", f"usuario = {text(box.user)}"]
        if box.port is not None:
            lines.append(f"puerto = {box.port}")
        cipher = SECURITY_NAMES[box.security]
        lines += [f"cifrado = {text(cipher)}", f"carpeta = {text(box.folder)}"]
    if campaign.microsoft is not None:
        lines += [
            "",
            "[microsoft365]  # «msp-assessment login»: OAuth 2.0 en lugar de contraseña",
            f"id_aplicacion = {text(campaign.microsoft.client_id)}",
            f"inquilino = {text(campaign.microsoft.tenant)}",
        ]
    for round_ in campaign.rounds:
        lines += ["", "[[rondas]]", f"nombre = {text(round_.name)}"]
        if round_.deadline is not None:
            lines.append(f"fecha_limite = {text(round_.deadline.isoformat())}")
        if round_.reference is not None:
            lines.append(f"referencia = {text(round_.reference)}  # «round freeze»")
    data = ("\n".join(lines) + "\n").encode("utf-8")
    write_atomic(campaign.root / CONFIG_NAME, lambda stream: stream.write(data))
