"""Encryption at rest: with LEDGER_CIPHER_KEY set, no payload is readable in the database's bytes,
a wrong or missing key is refused cleanly and writes nothing, and the hash chain still verifies."""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path

import pytest

from ledger.integrity import PG_EVENTS, SQLITE_EVENTS
from ledger.settings import parse_database_url
from tests.helpers import LedgerCLI, enrol, register_offender

SECRET = "Says he has thoughts of rape"


class KeyedCLI(LedgerCLI):
    """The CLI with LEDGER_CIPHER_KEY set (unless a call overrides it)."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(url)
        self.key = key

    def __call__(self, *args: str, actor: str | None = None, env: dict[str, str] | None = None):
        return super().__call__(
            *args, actor=actor, env={"LEDGER_CIPHER_KEY": self.key, **(env or {})}
        )


@pytest.fixture
def encrypted(database_url: str) -> KeyedCLI:
    key = LedgerCLI(database_url).ok("keygen").stdout.strip()
    cli = KeyedCLI(database_url, key)
    enrol(cli, "7702")
    register_offender(cli)
    cli.ok(
        "record",
        "disclosure",
        "WMP-000123",
        "--summary",
        SECRET,
        "--by",
        "7702",
        "--occurred-at",
        "2016-10-17T14:30",
    )
    return cli


def event_count(url: str) -> int:
    db = parse_database_url(url)
    if db.is_sqlite:
        with sqlite3.connect(db.path) as conn:
            return conn.execute(f"SELECT count(*) FROM {SQLITE_EVENTS}").fetchone()[0]
    import psycopg

    with psycopg.connect(host=db.host, port=db.port, dbname=db.dbname, user=db.user) as conn:
        return conn.execute(f'SELECT count(*) FROM "{db.schema}".{PG_EVENTS}').fetchone()[0]


def stored_bytes(url: str) -> bytes:
    """Everything the event store holds on disk: the SQLite files, or on PostgreSQL the stored
    payloads and the event table's own pages, byte for byte as its data file holds them (read
    with pageinspect where the server has it; else the file itself, after a checkpoint, which
    makes the whole server write out every changed page while the other tests run)."""
    db = parse_database_url(url)
    if db.is_sqlite:
        folder = Path(db.path).parent
        return b"".join(p.read_bytes() for p in folder.glob(Path(db.path).name + "*"))
    import psycopg

    table = f"{db.schema}.{PG_EVENTS}"
    with psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=db.user, autocommit=True
    ) as conn:
        states = [bytes(r[0]) for r in conn.execute(f'SELECT state FROM "{db.schema}".{PG_EVENTS}')]
        if _pageinspect(conn):
            (pages,) = conn.execute(
                "SELECT string_agg(get_raw_page(%s, 'main', n), ''::bytea ORDER BY n) "
                "FROM generate_series(0, pg_relation_size(%s) / current_setting('block_size')::int"
                " - 1) AS n",
                (table, table),
            ).fetchone()
        else:
            conn.execute("CHECKPOINT")
            (pages,) = conn.execute(
                "SELECT pg_read_binary_file(pg_relation_filepath(%s))", (table,)
            ).fetchone()
        return b"".join(states) + bytes(pages)


def _pageinspect(conn) -> bool:
    """Whether the database has the pageinspect extension, made here if the server offers it
    (another test process may be making it at the same moment)."""
    import psycopg

    for _ in range(2):
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
            return True
        except psycopg.errors.UniqueViolation:
            continue
        except psycopg.Error:
            return False
    return True


def test_no_payload_text_is_readable_in_the_stored_bytes(encrypted):
    raw = stored_bytes(encrypted.url)

    assert len(raw) > 1000
    for text in (SECRET, "thoughts of rape", "John Doe", "Pat Lowe"):
        assert text.encode() not in raw
        assert text.encode("utf-16-le") not in raw


def test_with_the_key_everything_reads_as_before(encrypted):
    timeline = encrypted.ok("timeline", "WMP-000123", "--json").json()

    assert [e["summary"] for e in timeline["entries"]][-1] == SECRET


def test_a_wrong_key_is_refused_in_one_line_and_writes_nothing(encrypted):
    before = event_count(encrypted.url)
    wrong = base64.b64encode(bytes(32)).decode()

    for args in (
        ("record", "entry", "WMP-000123", "--summary", "Written with the wrong key"),
        ("show", "WMP-000123", "--json"),
    ):
        outcome = encrypted(*args, env={"LEDGER_CIPHER_KEY": wrong})
        assert outcome.exit_code == 1, args
        assert outcome.stderr.startswith("error:") and len(outcome.stderr.strip().splitlines()) == 1
        assert "LEDGER_CIPHER_KEY" in outcome.stderr and "Traceback" not in outcome.stderr
        assert outcome.stdout == ""
    assert event_count(encrypted.url) == before


def test_a_missing_key_on_an_encrypted_ledger_is_refused_and_writes_nothing(encrypted):
    before = event_count(encrypted.url)

    outcome = encrypted(
        "record", "entry", "WMP-000123", "--summary", "No key", env={"LEDGER_CIPHER_KEY": ""}
    )

    assert outcome.exit_code == 1
    assert outcome.stderr.startswith("error:") and "LEDGER_CIPHER_KEY" in outcome.stderr
    assert event_count(encrypted.url) == before


def test_a_malformed_key_is_a_usage_error(encrypted):
    outcome = encrypted("show", "WMP-000123", env={"LEDGER_CIPHER_KEY": "not-a-key"})

    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("error:") and "ledger keygen" in outcome.stderr


def test_the_chain_verifies_over_encrypted_payloads_and_catches_an_edit(encrypted):
    assert encrypted.ok("verify", "--json").json()["ok"] is True

    db = parse_database_url(encrypted.url)
    if db.is_sqlite:
        conn = sqlite3.connect(db.path, isolation_level=None)
        conn.execute(f"DROP TRIGGER {SQLITE_EVENTS}_append_only_update")
        conn.execute(
            f"UPDATE {SQLITE_EVENTS} SET state = zeroblob(length(state)) WHERE rowid = "
            f"(SELECT max(rowid) FROM {SQLITE_EVENTS})"
        )
        conn.close()
    else:
        import psycopg

        with psycopg.connect(
            host=db.host, port=db.port, dbname=db.dbname, user=db.user, autocommit=True
        ) as conn:
            conn.execute("SET session_replication_role = replica")
            conn.execute(
                f"UPDATE \"{db.schema}\".{PG_EVENTS} SET state = '\\x00' WHERE notification_id = "
                f'(SELECT max(notification_id) FROM "{db.schema}".{PG_EVENTS})'
            )

    # An erased payload: reported as such, named, and the chain itself still holds.
    outcome = encrypted("verify", "--json")
    report = outcome.json()
    assert outcome.exit_code == 3
    assert [(p["kind"], p["ref"]) for p in report["problems"]] == [
        ("payload_changed", "WMP-000123#2")
    ]
    assert report["chain_intact"] is True


def test_verify_reads_every_authors_payload_with_the_key_and_is_refused_without_it(encrypted):
    """With the key, every payload's author is read and held to its link (PostgreSQL's links
    name authors). Without it nothing of the sealed ledger is read, verify included."""
    keyed = encrypted.ok("verify", "--json").json()
    assert keyed["ok"] is True and keyed["authors_unread"] == 0

    outcome = encrypted("verify", "--json", env={"LEDGER_CIPHER_KEY": ""})
    assert outcome.exit_code == 1 and outcome.stdout == ""
    assert outcome.stderr.startswith("error:") and "LEDGER_CIPHER_KEY" in outcome.stderr


def test_keygen_prints_a_256_bit_key():
    out = LedgerCLI("sqlite:///unused.db").ok("keygen").stdout.strip()

    assert len(base64.b64decode(out)) == 32
