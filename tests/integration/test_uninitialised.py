"""Commands other than `init` on a database that was never initialised say so and create nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import LedgerCLI

COMMANDS = [
    ["record", "entry", "WMP-000123", "--summary", "Seen near a school"],
    ["record", "disclosure", "WMP-000123", "--summary", "Feels isolated"],
    ["acknowledge", "WMP-000123", "2"],
    ["transfer", "WMP-000123", "--to", "4521"],
    ["correct", "WMP-000123", "2", "--reason", "Typo", "--summary", "Fixed"],
    [
        "staff",
        "add",
        "1001",
        "--name",
        "Ann Admin",
        "--agency",
        "police",
        "--rank",
        "Insp",
        "--admin",
    ],
    ["staff", "list", "--json"],
    [
        "offender",
        "register",
        "WMP-000123",
        "--name",
        "J",
        "--born",
        "1975-03-02",
        "--category",
        "1",
    ],
    ["offender", "list", "--json"],
    ["show", "WMP-000123", "--json"],
    ["timeline", "WMP-000123", "--json"],
]
IDS = [" ".join(c[:2]) for c in COMMANDS]


def assert_refused_as_uninitialised(cli: LedgerCLI, args: list[str]) -> None:
    out = cli(*args, actor="1001")
    assert out.exit_code != 0
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: no ledger at ") and "ledger init" in lines[0]


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_on_sqlite_no_file_is_created(sqlite_url, args):
    assert_refused_as_uninitialised(LedgerCLI(sqlite_url), args)
    assert not Path(sqlite_url.removeprefix("sqlite:///")).exists()


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_on_sqlite_an_empty_file_is_left_empty(sqlite_url, args):
    path = Path(sqlite_url.removeprefix("sqlite:///"))
    path.touch()
    assert_refused_as_uninitialised(LedgerCLI(sqlite_url), args)
    assert path.stat().st_size == 0


def tables_in(url: str) -> list[str]:
    import psycopg

    from ledger.settings import parse_database_url

    db = parse_database_url(url)
    with psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=db.user or None, autocommit=True
    ) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (db.schema,),
        ).fetchall()
    return [r[0] for r in rows]


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_on_postgres_no_table_is_created(postgres_url, args):
    assert_refused_as_uninitialised(LedgerCLI(postgres_url), args)
    assert tables_in(postgres_url) == []


def test_init_then_creates_the_ledger_and_is_idempotent(database_url):
    cli = LedgerCLI(database_url)
    first = cli.ok("init").stdout
    assert "ledger ready at" in first
    assert cli.ok("init").stdout == first
    cli.ok("staff", "add", "1001", "--name", "Ann", "--agency", "police", "--rank", "Insp")
    staff = cli.ok("staff", "list", "--json", actor="1001").json()["staff"]
    assert [m["staff_id"] for m in staff] == ["1001"]
