"""The database itself refuses to rewrite history: triggers on both backends, and on PostgreSQL
roles that give the application's own login no right to change or delete events."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from ledger.integrity import PG_CHAIN, PG_EVENTS, PG_SNAPSHOTS, SQLITE_CHAIN, SQLITE_EVENTS
from ledger.settings import parse_database_url
from tests.integration.helpers import postgres_only


def _owner():
    import psycopg

    from tests.helpers import postgres_base_url

    db = parse_database_url(postgres_base_url())
    return psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=db.user or None, autocommit=True
    )


@pytest.fixture
def history(registered) -> str:
    registered.ok("record", "disclosure", "WMP-000123", "--summary", "Feels isolated")
    return registered.url


def _refuses(url: str, statement: str) -> str:
    """Runs `statement` with the owner's rights and returns the database's refusal."""
    db = parse_database_url(url)
    if db.is_sqlite:
        conn = sqlite3.connect(db.path, isolation_level=None)
        try:
            with pytest.raises(sqlite3.DatabaseError) as refused:
                conn.execute(statement.format(events=SQLITE_EVENTS, chain=SQLITE_CHAIN))
            return str(refused.value)
        finally:
            conn.close()
    import psycopg

    with _owner() as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(
            statement.format(events=f'"{db.schema}".{PG_EVENTS}', chain=f'"{db.schema}".{PG_CHAIN}')
        )
    return str(refused.value)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {events} SET topic = 'x'",
        "DELETE FROM {events}",
        "UPDATE {chain} SET link = state_hash",
        "DELETE FROM {chain}",
    ],
)
def test_changing_or_deleting_history_is_refused_by_the_database(history, statement):
    assert "append-only" in _refuses(history, statement)


def test_a_refused_edit_leaves_the_ledger_verifiable(history, registered):
    _refuses(history, "DELETE FROM {events}")

    assert registered.ok("verify", "--json").json()["ok"] is True


@postgres_only
def test_truncating_history_is_refused(history):
    assert "append-only" in _refuses(history, "TRUNCATE {events}")
    assert "append-only" in _refuses(history, "TRUNCATE {chain}")


@postgres_only
def test_an_event_written_without_its_link_is_refused(history):
    message = _refuses(
        history,
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "VALUES (gen_random_uuid(), 1, 'forged', '\\x00')",
    )

    assert "without its link" in message


@pytest.fixture
def roles(cli) -> Iterator[tuple[str, str]]:
    db = parse_database_url(cli.url)
    out = cli.ok("init", "--roles")
    writer, reader = f"ledger_writer_{db.schema}", f"ledger_reader_{db.schema}"
    assert writer in out.stdout and reader in out.stdout
    yield writer, reader
    with _owner() as conn:
        for role in (writer, reader):
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def _as_role(url: str, role: str, statement: str) -> None:
    db = parse_database_url(url)
    with _owner() as conn, conn.transaction():
        conn.execute(f'SET LOCAL ROLE "{role}"')
        conn.execute(statement.replace("{s}", f'"{db.schema}"'))


@postgres_only
@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {{s}}.{PG_EVENTS} SET topic = 'x'",
        f"DELETE FROM {{s}}.{PG_EVENTS}",
        f"UPDATE {{s}}.{PG_CHAIN} SET link = state_hash",
        f"DELETE FROM {{s}}.{PG_CHAIN}",
        f"DELETE FROM {{s}}.{PG_SNAPSHOTS}",
        f"TRUNCATE {{s}}.{PG_EVENTS}",
        f"ALTER TABLE {{s}}.{PG_EVENTS} DISABLE TRIGGER USER",
        "DELETE FROM {s}.staff_logins",
    ],
)
def test_the_writer_role_has_no_right_to_rewrite_history(registered, roles, statement):
    import psycopg

    writer, _ = roles
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        _as_role(registered.url, writer, statement)

    assert "permission denied" in str(refused.value) or "must be owner" in str(refused.value)


@postgres_only
def test_the_writer_role_may_read_history_and_rebuild_read_models(registered, roles):
    writer, _ = roles
    _as_role(registered.url, writer, f"SELECT count(*) FROM {{s}}.{PG_EVENTS}")
    _as_role(registered.url, writer, "DELETE FROM {s}.entries")


@postgres_only
def test_the_reader_role_may_read_only_the_read_models(registered, roles):
    import psycopg

    _, reader = roles
    registered.ok("show", "WMP-000123")  # brings the read models up to date
    _as_role(registered.url, reader, "SELECT * FROM {s}.entries")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_role(registered.url, reader, f"SELECT * FROM {{s}}.{PG_EVENTS}")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        _as_role(registered.url, reader, "DELETE FROM {s}.entries")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_roles_are_for_postgresql_and_asking_on_sqlite_creates_nothing(database_url):
    from pathlib import Path

    from tests.helpers import LedgerCLI

    outcome = LedgerCLI(database_url)("init", "--roles")

    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("error:") and "PostgreSQL" in outcome.stderr
    assert not Path(parse_database_url(database_url).path).exists()
