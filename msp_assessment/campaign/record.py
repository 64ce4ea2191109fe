"""The campaign's record: one SQLite database in the campaign folder (``registro.sqlite``).

It remembers what file dates cannot tell: when each returned file **arrived** (the first time any
command saw it, by the hash of its bytes, whatever it is called or wherever it is moved), which
client it names and what came of it. Which workbook of a client counts is their latest arrival,
never the newest modification time (a ``cp -r``, or attachments saved newest first, would change
that). Every write is one transaction, and SQLite's own locking keeps two commands at once from
mixing their writes.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from msp_assessment.campaign.collect import Bounce, Saved, Unusable
from msp_assessment.campaign.send import Journal
from msp_assessment.client import id_key
from msp_assessment.outcome import FileOutcome, Status
from msp_assessment.processing.portfolio.roster import Asked
from msp_assessment.processing.run.one_file import file_sha256
from msp_assessment.text import day_label, parse_date

RECORD_NAME = "registro.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS arrivals (
    round TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    path TEXT NOT NULL,          -- where it was first seen, relative to the campaign folder
    arrived REAL NOT NULL,       -- seconds since the epoch, the first time a command saw it
    source TEXT NOT NULL,        -- 'carpeta': dropped in recibidos/; 'correo': from the mailbox
    PRIMARY KEY (round, sha256)
);
CREATE TABLE IF NOT EXISTS messages (
    folder TEXT NOT NULL,        -- the drafts folder, relative to the campaign folder
    time TEXT NOT NULL,
    event TEXT NOT NULL,         -- attempt, sent, failed (see send.Journal)
    client_id TEXT NOT NULL,
    result TEXT,                 -- the result stamp a results message carried
    recipient TEXT,
    message_id TEXT,
    draft TEXT,
    error TEXT,
    reference TEXT               -- the reference a results message's figures were compared with
);
CREATE TABLE IF NOT EXISTS mail (
    round TEXT NOT NULL,
    sha256 TEXT NOT NULL,        -- the attachment saved in recibidos/
    message_id TEXT,
    sender TEXT,
    sent TEXT,                   -- the message's date, ISO
    attachment TEXT,             -- its name in the message
    PRIMARY KEY (round, sha256)
);
CREATE TABLE IF NOT EXISTS bounces (
    round TEXT NOT NULL,
    recipient TEXT NOT NULL,     -- the address that failed
    status TEXT,
    reason TEXT NOT NULL,        -- in Spanish
    source TEXT,                 -- where the notification was found
    PRIMARY KEY (round, recipient)
);
CREATE TABLE IF NOT EXISTS unusable (
    round TEXT NOT NULL,
    source TEXT NOT NULL,        -- where the message was found (mailbox UID, file)
    client_id TEXT NOT NULL,     -- the client its sender is on the list as
    sent TEXT NOT NULL,          -- the message's date, ISO
    subject TEXT,
    what TEXT NOT NULL,          -- what to ask the client for, in Spanish
    tell TEXT NOT NULL,          -- what the client's reminder says about it, in Spanish
    PRIMARY KEY (round, source)
);
CREATE TABLE IF NOT EXISTS outcomes (
    round TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    client_id TEXT,
    company TEXT,
    average TEXT,                -- the exact global average, as a fraction «71/20»
    stage TEXT,
    recorded REAL NOT NULL,
    output_sha256 TEXT,          -- the -resultados or -revisar copy process wrote of it
    reference TEXT,              -- the reference its standing was computed against (its id)
    PRIMARY KEY (round, sha256)
);
"""


@dataclass(frozen=True)
class Arrival:
    sha256: str
    path: str
    arrived: float
    source: str


class Record:
    """The record of the campaign at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / RECORD_NAME

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
            for table in ("outcomes", "messages"):  # a record from before the column
                with contextlib.suppress(sqlite3.OperationalError):
                    connection.execute(f"ALTER TABLE {table} ADD COLUMN reference TEXT")
            connection.execute("BEGIN IMMEDIATE")  # one writer at a time, whole or nothing
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def register(
        self, round_name: str, files: Sequence[tuple[Path, str]], source: str = "carpeta"
    ) -> dict[str, Arrival]:
        """Each file (path, sha256) of ``round_name`` as the record knows it: registered now
        when it is new, else as it first arrived. Keyed by sha256."""
        now = time.time()
        with self._connection() as db:
            for path, digest in files:
                db.execute(
                    "INSERT OR IGNORE INTO arrivals VALUES (?, ?, ?, ?, ?)",
                    (round_name, digest, self._relative(path), now, source),
                )
            rows = db.execute(
                "SELECT sha256, path, arrived, source FROM arrivals WHERE round = ?",
                (round_name,),
            ).fetchall()
        return {row[0]: Arrival(*row) for row in rows}

    def register_mail(self, round_name: str, saved: Sequence[tuple[Path, Saved]]) -> None:
        """Attachments ``collect`` saved: each arrived when its message was sent."""
        with self._connection() as db:
            for path, item in saved:
                arrived = datetime.fromisoformat(item.sent).timestamp()
                db.execute(
                    "INSERT OR IGNORE INTO arrivals VALUES (?, ?, ?, ?, ?)",
                    (round_name, item.sha256, self._relative(path), arrived, "correo"),
                )
                db.execute(
                    "INSERT OR IGNORE INTO mail VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        round_name,
                        item.sha256,
                        item.message_id,
                        item.sender,
                        item.sent,
                        item.attachment,
                    ),
                )

    def known_attachments(self, round_name: str) -> set[str]:
        """The sha256 of every file of the round the record knows."""
        with self._connection() as db:
            rows = db.execute("SELECT sha256 FROM arrivals WHERE round = ?", (round_name,))
            return {row[0] for row in rows.fetchall()}

    def save_bounces(self, round_name: str, bounces: Sequence[Bounce]) -> None:
        with self._connection() as db:
            for bounce in bounces:
                db.execute(
                    "INSERT OR REPLACE INTO bounces VALUES (?, ?, ?, ?, ?)",
                    (
                        round_name,
                        bounce.recipient.casefold(),
                        bounce.status,
                        bounce.reason,
                        bounce.where,
                    ),
                )

    def save_unusable(self, round_name: str, messages: Sequence[Unusable]) -> None:
        """Messages of clients that brought no workbook, with what their reminder tells them."""
        with self._connection() as db:
            for m in messages:
                if m.client is None or not m.client.id or not m.tell:
                    continue
                db.execute(
                    "INSERT OR REPLACE INTO unusable VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (round_name, m.where, m.client.id, m.sent, m.subject, m.what, m.tell),
                )

    def asked(self, round_name: str) -> dict[str, Asked]:
        """Client id (as ``id_key`` compares them) → their latest message of this round that
        brought no workbook."""
        if not self.path.exists():
            return {}
        with self._connection() as db:
            rows = db.execute(
                "SELECT client_id, sent, subject, what, tell FROM unusable WHERE round = ? "
                "ORDER BY sent",
                (round_name,),
            ).fetchall()
        asked = {}
        for client_id, sent, subject, what, tell in rows:  # the latest of each client wins
            day = day_label(parse_date(sent[:10]))
            asked[id_key(client_id)] = Asked(day, subject or "", what, tell)
        return asked

    def bounced(self, round_name: str) -> dict[str, str]:
        """Address (case-folded) → why mail to it bounced, this round."""
        if not self.path.exists():
            return {}
        with self._connection() as db:
            rows = db.execute(
                "SELECT recipient, reason FROM bounces WHERE round = ?", (round_name,)
            ).fetchall()
        return dict(rows)

    def save_outcomes(self, round_name: str, outcomes: Sequence[FileOutcome]) -> None:
        """What came of each file (its latest processing)."""
        now = time.time()
        with self._connection() as db:
            for o in outcomes:
                if not o.sha256:
                    continue
                score = o.score if o.status is Status.SCORED else None
                copy = file_sha256(Path(o.output)) if o.output else None
                db.execute(
                    "INSERT OR REPLACE INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        round_name,
                        o.sha256,
                        o.status.value,
                        o.client.id,
                        o.client.company,
                        f"{score.average.numerator}/{score.average.denominator}" if score else None,
                        score.stage.name if score else None,
                        now,
                        copy,
                        o.benchmark.reference_id if o.benchmark else None,
                    ),
                )

    def references(self, round_name: str) -> dict[str, str]:
        """The sha256 of each returned file → the reference its standing was last computed
        against (what status compares with the reference its delivered results had)."""
        if not self.path.exists():
            return {}
        with self._connection() as db:
            rows = db.execute(
                "SELECT sha256, reference FROM outcomes WHERE round = ? AND reference IS NOT NULL",
                (round_name,),
            ).fetchall()
        return dict(rows)

    def copy_arrivals(self, round_name: str) -> dict[str, float]:
        """The sha256 of each copy process wrote this round → when its original arrived: what
        deliver orders a client's copies by, as process ordered the originals."""
        if not self.path.exists():
            return {}
        with self._connection() as db:
            rows = db.execute(
                "SELECT o.output_sha256, a.arrived FROM outcomes o JOIN arrivals a ON "
                "a.round = o.round AND a.sha256 = o.sha256 WHERE o.round = ? AND "
                "o.output_sha256 IS NOT NULL",
                (round_name,),
            ).fetchall()
        return dict(rows)

    def forget(self, sha256s: Sequence[str]) -> int:
        """Remove every row about these files; how many files the record knew of."""
        with self._connection() as db:
            known = 0
            for digest in sha256s:
                known += db.execute("DELETE FROM arrivals WHERE sha256 = ?", (digest,)).rowcount
                db.execute("DELETE FROM outcomes WHERE sha256 = ?", (digest,))
                db.execute("DELETE FROM mail WHERE sha256 = ?", (digest,))
        return known

    def journal(self, folder: Path) -> RecordJournal:
        """The sending journal of a drafts folder of the campaign, kept in the record."""
        return RecordJournal(self, self._relative(folder))

    def forget_messages(self, client_id: str) -> int:
        """Remove every message event of the client, and what their messages without a workbook
        said; how many there were."""
        gone = 0
        with self._connection() as db:
            for table in ("messages", "unusable"):
                rows = db.execute(f"SELECT rowid, client_id FROM {table}").fetchall()
                mine = [rowid for rowid, found in rows if id_key(found) == id_key(client_id)]
                db.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(r,) for r in mine])
                gone += len(mine)
        return gone

    def forget_address(self, email: str) -> int:
        """Remove the bounces of an address; how many there were."""
        with self._connection() as db:
            return db.execute(
                "DELETE FROM bounces WHERE recipient = ?", (email.casefold(),)
            ).rowcount

    def _relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


JOURNAL_KEYS = (
    "time",
    "event",
    "client_id",
    "result",
    "recipient",
    "message_id",
    "draft",
    "error",
    "reference",
)


class RecordJournal(Journal):
    """``send``'s journal of one drafts folder, as rows of the record: in a campaign, what was
    sent is part of the one record (the same events, the same guarantees: each is committed
    before the next message goes)."""

    def __init__(self, record: Record, folder: str) -> None:
        super().__init__(record.root / folder / "envios (en el registro)")
        self._record, self._folder = record, folder

    def exists(self) -> bool:
        return bool(self.entries())

    def entries(self) -> list[dict[str, Any]]:
        if not self._record.path.exists():
            return []
        with self._record._connection() as db:
            rows = db.execute(
                f"SELECT {', '.join(JOURNAL_KEYS)} FROM messages WHERE folder = ? ORDER BY rowid",
                (self._folder,),
            ).fetchall()
        keys = JOURNAL_KEYS
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def write(self, entry: dict[str, Any]) -> None:
        with self._record._connection() as db:
            db.execute(
                f"INSERT INTO messages (folder, {', '.join(JOURNAL_KEYS)}) VALUES "
                f"(?, {', '.join('?' * len(JOURNAL_KEYS))})",
                (self._folder, *(entry.get(key) for key in JOURNAL_KEYS)),
            )
