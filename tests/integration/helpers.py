"""Helpers the integration tests share: reading a ledger's events and access log, checking
refusals, an attacker editing the database, a failing projection, and the records exports test."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, MetaData, select

from domain.offender import Offender
from ledger.integrity import (
    GENESIS,
    PG_CHAIN,
    PG_EVENTS,
    SQLITE_CHAIN,
    SQLITE_EVENTS,
    link_hash,
)
from ledger.settings import parse_database_url
from projections.runner import Projection
from tests.commands import leaf_commands

REF = "WMP-000123"

# Runs a test on PostgreSQL only (where it checks what only PostgreSQL has: roles, logins).
postgres_only = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def count_events(cli) -> int:
    """The ledger's head, the position of its newest event (0 when empty), read with the query
    its recorder uses, once `check_initialised` has found the ledger still initialised. (Opening
    the ledger application for this took a pool, type look-ups and a decoding check: some 30 ms
    on PostgreSQL, for a number one query gives.)"""
    from ledger.bootstrap import check_initialised, postgres_connect

    db = parse_database_url(cli.url)
    check_initialised(db)
    if db.is_sqlite:
        conn = sqlite3.connect(db.sqlite_uri("ro"), uri=True, timeout=5)
        try:
            row = conn.execute(f"SELECT MAX(rowid) FROM {SQLITE_EVENTS}").fetchone()
        finally:
            conn.close()
    else:
        with postgres_connect(db) as pg:
            row = pg.execute(
                f'SELECT MAX(notification_id) FROM "{db.schema}".{PG_EVENTS}'
            ).fetchone()
    return row[0] or 0


def timeline(cli, *options: str) -> list[dict]:
    return cli.ok("timeline", REF, "--json", *options).json()["entries"]


def refused(cli, expected_exit: int, *args: str, actor: str | None = None) -> str:
    """Runs a command that must be refused; checks it wrote nothing and said so in one line."""
    before = count_events(cli)
    out = cli(*args, env=None if actor is None else {"LEDGER_ACTOR": actor})
    assert out.exit_code == expected_exit, (args, out.exit_code, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert out.stdout == ""
    assert count_events(cli) == before
    return lines[0]


def refused_before_storage(cli, expected_exit: int, *args: str) -> str:
    """Runs a command that its model must refuse before the ledger is opened, on `no_database`
    (where reaching for the database would exit 4): the backend plays no part in such a refusal,
    and nothing can have been written. Checks it said so in one line."""
    out = cli(*args)
    assert out.exit_code == expected_exit, (args, out.exit_code, out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert out.stdout == ""
    return lines[0]


def command_paths() -> set[str]:
    return {" ".join(path) for path, _ in leaf_commands()}


def engine_for(cli):
    from projections.db import make_engine

    db = parse_database_url(cli.url)
    return make_engine(db.sqlalchemy_url(), db.schema)


def log(cli, **filters: str) -> list[dict]:
    from projections.access_log import access_entries

    engine = engine_for(cli)
    try:
        with engine.connect() as conn:
            return access_entries(conn, **filters)
    finally:
        engine.dispose()


def refused_one_line(out, code: int = 2) -> str:
    assert out.exit_code == code, (out.exit_code, out.stderr)
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "unexpected failure" not in out.stderr and "Traceback" not in out.stderr
    return lines[0]


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder that exists and in which no file can be created, even by root."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    return Path("/proc")  # the kernel's: creating a file there fails (ENOENT) for anyone


class Attacker:
    """Direct SQL on the ledger's tables, with the append-only triggers out of the way."""

    def __init__(self, url: str) -> None:
        self.db = parse_database_url(url)
        if self.db.is_sqlite:
            self.conn: Any = sqlite3.connect(self.db.path, isolation_level=None)
            for (name,) in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type='trigger' AND name LIKE '%append_only%'"
            ).fetchall():
                self.conn.execute(f"DROP TRIGGER {name}")
            self.events, self.pos, self.chain, self.mark = SQLITE_EVENTS, "rowid", SQLITE_CHAIN, "?"
        else:
            import psycopg

            self.conn = psycopg.connect(
                host=self.db.host,
                port=self.db.port,
                dbname=self.db.dbname,
                user=self.db.user or None,
                autocommit=True,
            )
            self.conn.execute("SET session_replication_role = replica")
            schema = f'"{self.db.schema}"'
            self.events = f"{schema}.{PG_EVENTS}"
            self.chain = f"{schema}.{PG_CHAIN}"
            self.pos, self.mark = "notification_id", "%s"

    def close(self) -> None:
        self.conn.close()

    def sql(self, statement: str, *params: Any) -> list[Any]:
        cursor = self.conn.execute(statement.replace("?", self.mark), params)
        return list(cursor.fetchall()) if cursor.description else []

    def positions(self) -> list[int]:
        return [r[0] for r in self.sql(f"SELECT {self.pos} FROM {self.events} ORDER BY {self.pos}")]

    def state(self, position: int) -> bytes:
        return bytes(
            self.sql(f"SELECT state FROM {self.events} WHERE {self.pos} = ?", position)[0][0]
        )

    def set_state(self, position: int, state: bytes) -> None:
        self.sql(f"UPDATE {self.events} SET state = ? WHERE {self.pos} = ?", state, position)

    def forge_after_newest(self) -> tuple[int, Any, int, str, bytes]:
        """Inserts a copy of the newest event as the next one in its stream; returns the copy."""
        last = self.positions()[-1]
        oid, version, topic, state = self.sql(
            f"SELECT originator_id, originator_version, topic, state FROM {self.events} "
            f"WHERE {self.pos} = ?",
            last,
        )[0]
        forged = (last + 1, oid, version + 1, topic, bytes(state))
        self.sql(
            f"INSERT INTO {self.events} ({self.pos}, originator_id, originator_version, "
            "topic, state) VALUES (?, ?, ?, ?, ?)",
            *forged,
        )
        return forged

    def move(self, position: int, to: int) -> None:
        self.sql(f"UPDATE {self.events} SET {self.pos} = ? WHERE {self.pos} = ?", to, position)

    def rechain(self) -> None:
        """Recomputes every link from the events as they now are: a consistent forgery."""
        previous = GENESIS
        rows = self.sql(
            f"SELECT {self.pos}, originator_id, originator_version, topic, state "
            f"FROM {self.events} ORDER BY {self.pos}"
        )
        # PostgreSQL's v2 links also hash the login and the author's staff id.
        signed = (
            {}
            if self.db.is_sqlite
            else {p: (login, staff) for p, login, staff in self.sql(
                f"SELECT position, login, staff_id FROM {self.chain}"
            )}
        )  # fmt: skip
        for position, oid, version, topic, state in rows:
            oid_bytes = bytes.fromhex(oid) if isinstance(oid, str) else oid.bytes
            state_hash = hashlib.sha256(bytes(state)).digest()
            login, staff = signed.get(position, (None, None))
            previous = link_hash(
                previous, position, oid_bytes, version, topic, state_hash, login, staff
            )
            self.sql(
                f"UPDATE {self.chain} SET state_hash = ?, link = ? WHERE position = ?",
                state_hash,
                previous,
                position,
            )


def offender_positions(ledger: Any) -> list[int]:
    return [p for p, e in ledger.read_events(0, 10**9) if isinstance(e, Offender.Event)]


class Exploding(Projection):
    """Counts offender events; raises on the event at `fail_at`, in `process` or at `end_page`."""

    name = "exploding"
    handles = (Offender.Event,)

    def __init__(self, fail_at: int | None, in_bulk: bool = False) -> None:
        self.fail_at = fail_at
        self.in_bulk = in_bulk
        self.page: list[int] = []

    def start_page(self) -> None:
        self.page = []

    def process(self, event: Any, position: int, conn: Connection) -> None:
        if position == self.fail_at and not self.in_bulk:
            raise ValueError("cannot read this event")
        self.page.append(position)

    def end_page(self, conn: Connection) -> None:
        if self.in_bulk and self.fail_at in self.page:
            raise ValueError("the bulk insert was refused")

    def clear(self, conn: Connection) -> None:
        pass


def record_told_disclosure(registered) -> None:
    """#2: a risk-relevant disclosure to probation at 14:30 on 17 October 2016, naming people."""
    registered.ok(
        "record",
        "disclosure",
        REF,
        "--summary",
        "John Doe told Pat Lowe he has thoughts of <rape>",
        "--risk-relevant",
        "--occurred-at",
        "2016-10-17T14:30",
        "--by",
        "7702",
    )


def exactly(moment: datetime) -> str:
    """A moment in London time to the second and the fraction of it, worked out apart from the
    code under test: what an --as-of caption must say."""
    here = moment.astimezone(ZoneInfo("Europe/London"))
    fraction = f".{here.microsecond:06d}".rstrip("0") if here.microsecond else ""
    return f"{here:%Y-%m-%d %H:%M:%S}{fraction} {here.tzname()}"


def as_asked_in_london(moment: datetime) -> str:
    """The moment as a reviewer types it: a naive London time, or with its offset in the hour the
    clocks repeat (where a naive time is refused)."""
    here = moment.astimezone(ZoneInfo("Europe/London"))
    twice = here.replace(fold=0).utcoffset() != here.replace(fold=1).utcoffset()
    return here.isoformat() if twice else here.replace(tzinfo=None).isoformat()


def asked_moments(cli) -> list[datetime]:
    """Moments when the ledger held the whole record: one to the second, one to the microsecond."""
    entries = cli.ok("timeline", REF, "--json").json()["entries"]
    last = max(datetime.fromisoformat(e["recorded_at"]) for e in entries)
    whole = (last + timedelta(seconds=1)).replace(microsecond=0)
    if whole.second == 0:
        whole += timedelta(seconds=1)
    fraction = last.replace(microsecond=last.microsecond or 1)
    return [whole, fraction]


# Every fragment of the names below, whole words only: "Neilson" and "O'Neill" are other words.
NAME_FRAGMENTS = ("Jean-Luc", "Jean", "Luc", "O'Neil", "Neil", "Mary-Kate", "Mary", "Kate",
                  "D'Arcy", "Arcy", "5501")  # fmt: skip


NOT_NAMES = "Annual review at Lucas Road with Jeanette, Neilson and O'Neill"


def fragments_left(text: str) -> list[str]:
    plain = text.replace("\u2019", "'")
    return [
        fragment
        for fragment in NAME_FRAGMENTS
        if re.search(rf"(?<!\w){re.escape(fragment)}(?!\w)", plain, re.IGNORECASE)
    ]


def register_joined_names(cli):
    """WMP-000123 is Jean-Luc O'Neil; his probation officer 5501 is Mary-Kate D'Arcy. Their names
    are written whole, in part, in capitals, with curly apostrophes and as possessives."""
    cli.ok(
        "staff", "add", "5501", "--name", "Mary-Kate D'Arcy", "--agency", "probation",
        "--rank", "Probation Officer", "--since", "2010-01-01",
    )  # fmt: skip
    cli.ok(
        "offender", "register", REF, "--name", "Jean-Luc O'Neil", "--born", "1980-01-01",
        "--category", "1", "--occurred-at", "2016-07-04", "--by", "4521",
    )  # fmt: skip
    cli.ok(
        "record", "disclosure", REF,
        "--summary", "Jean-Luc said Mary-Kate D'Arcy visited Jean-Luc's flat",
        "--detail", "O'Neil's car; JEAN-LUC O\u2019NEIL\u2019S sister; D\u2019Arcy's report; Luc",
        "--occurred-at", "2016-10-17T14:30", "--by", "5501",
    )  # fmt: skip
    cli.ok("record", "entry", REF, "--summary", NOT_NAMES, "--occurred-at", "2016-10-18")
    cli.ok(
        "correct", REF, "2", "--reason", "Jean-Luc's words, misheard by D'Arcy",
        "--summary", "O'Neil feels isolated",
    )  # fmt: skip
    cli.ok(
        "transfer", REF, "--to", "5501", "--occurred-at", "2016-11-01",
        "--reason", "Mary-Kate's caseload",
    )  # fmt: skip
    return cli


def dump_read_models(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table but the migrations' own and the seal's, rows sorted; positions without their
    write times. The ledger's own tables are read through their column types, so that sealed
    values (LEDGER_CIPHER_KEY) compare as what they hold, not as ciphertext that differs each
    time it is written."""
    import projections.access_log
    import projections.alerts.schema  # noqa: F401 - their tables, in the schema's metadata
    from projections.schema import metadata as ours

    metadata = MetaData()
    metadata.reflect(engine)
    dump: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name, reflected in sorted(metadata.tables.items()):
            if name in ("alembic_version", "ledger_seal") or name.endswith("_events"):
                continue
            if "stored_" in name:
                continue
            table = ours.tables.get(name, reflected)
            columns = [
                c
                for c in table.columns
                if not (name == "projection_positions" and c.name == "updated_at")
            ]
            rows = conn.execute(select(*columns)).all()
            dump[name] = sorted((tuple(row) for row in rows), key=repr)
    return dump


def generated(url: str, cipher_key: str | None, offenders: int) -> tuple[Any, Any]:
    """A generated ledger of `offenders` with 60 events each over two areas, its read models
    never built, opened: its application and a read-model engine, both under `cipher_key`."""
    from bench.synthetic import generate_ledger
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings, parse_database_url
    from projections.db import make_engine

    generate_ledger(
        url,
        offenders=offenders,
        events_per_offender=60,
        areas=2,
        project=False,
        cipher_key=cipher_key,
    )
    settings = Settings(database=parse_database_url(url), cipher_key=cipher_key)
    db = settings.database
    return open_ledger(settings), make_engine(db.sqlalchemy_url(), db.schema, cipher_key)
