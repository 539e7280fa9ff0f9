"""Fixtures shared by every test: a fresh ledger on each backend, and the CLI driven in-process.

Every storage scenario runs on SQLite and on PostgreSQL. PostgreSQL is found at
LEDGER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); each test gets a
schema of its own, dropped afterwards. Where no server answers the PostgreSQL cases skip, saying
why, except under CI=true, where that is a failure.

`ledger init` and the four enrolments are run once per backend per session, on a template ledger;
each test that asks for `cli` gets a private copy of it (SQLite: the file, copied; PostgreSQL: the
template schema, cloned under the test's own schema name), the same staff at the same positions.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import (
    LedgerCLI,
    drop_schema,
    enrol,
    owner_connection,
    postgres_base_url,
    register_offender,
    schema_url,
)


def _postgres_problem() -> str | None:
    try:
        import psycopg

        from ledger.settings import parse_database_url

        db = parse_database_url(postgres_base_url())
        with psycopg.connect(
            host=db.host,
            port=db.port,
            dbname=db.dbname,
            user=db.user or None,
            password=db.password or None,
            connect_timeout=3,
        ):
            return None
    except Exception as error:
        return f"no PostgreSQL at {postgres_base_url()}: {str(error).strip().splitlines()[0]}"


@pytest.fixture(scope="session")
def postgres_available() -> None:
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{problem} (CI=true: the PostgreSQL tests must run, not skip)")
    pytest.skip(problem)


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A URL for a fresh, empty PostgreSQL schema."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield schema_url(schema)
    drop_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/ledger.db"  # type: ignore[operator]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A URL for a fresh, uninitialised ledger, once per backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger, initialised with all of STAFF enrolled, to be copied and never used."""
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    enrol(LedgerCLI(f"sqlite:///{path}"))
    unflushed = [p.name for p in path.parent.iterdir() if p.name.endswith(("-wal", "-journal"))]
    assert not unflushed, f"the template ledger left {unflushed} open; a copy would miss them"
    return path


def _copy_sqlite_ledger(template: Path, target: str) -> None:
    """Copies the template's file and whatever the ledger keeps beside it (its administrators'
    lock file), each under the target's name."""
    for source in template.parent.iterdir():
        if source.name.startswith(template.name):
            shutil.copyfile(source, target + source.name[len(template.name) :])


@dataclass
class SchemaClone:
    """The SQL that recreates the template schema (tables, functions, triggers, privileges and
    rows, sequences at the same values) under another name; None where pg_dump is not usable."""

    schema: str
    script: str | None

    def make(self, schema: str) -> bool:
        """Creates `schema` as a copy of the template; False if this clone cannot."""
        if self.script is None:
            return False
        with owner_connection() as conn, conn.transaction():
            conn.execute(self.script.replace(self.schema, schema))
        return True


def _dump_schema(schema: str) -> str | None:
    """The template schema as plain SQL from pg_dump, or None (with a warning) if pg_dump is
    missing or refuses; each test then initialises its own ledger, as it would without the
    template."""
    from ledger.settings import parse_database_url

    db = parse_database_url(postgres_base_url())
    command = shutil.which("pg_dump")
    if command is None:
        warnings.warn("no pg_dump, so every PostgreSQL test runs `ledger init`", stacklevel=1)
        return None
    env = dict(os.environ, PGCONNECT_TIMEOUT="5")
    if db.password:
        env["PGPASSWORD"] = db.password
    done = subprocess.run(
        [command, "--port", str(db.port), "--dbname", db.dbname]
        + (["--host", db.host] if db.host else [])
        + (["--username", db.user] if db.user else [])
        + ["--schema", schema, "--inserts", "--no-comments"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    if done.returncode != 0:
        warnings.warn(
            f"pg_dump failed, so every PostgreSQL test runs `ledger init`: {done.stderr}",
            stacklevel=1,
        )
        return None
    # psql's own meta-commands (such as \restrict) are not SQL.
    return "\n".join(line for line in done.stdout.splitlines() if not line.startswith("\\"))


@pytest.fixture(scope="session")
def postgres_template(postgres_available: None) -> Iterator[SchemaClone]:
    """A PostgreSQL ledger, initialised with all of STAFF enrolled, to be cloned and never used."""
    schema = f"t_template_{uuid.uuid4().hex[:12]}"
    try:
        enrol(LedgerCLI(schema_url(schema)))
        yield SchemaClone(schema, _dump_schema(schema))
    finally:
        drop_schema(schema)


@pytest.fixture
def cli(request: pytest.FixtureRequest, database_url: str) -> LedgerCLI:
    """The CLI on a fresh, initialised ledger with an administrator (1001, an inspector), a police
    officer (4521), a probation officer (7702) and a probation senior manager (8801): a private
    copy of the session's template ledger for its backend, as if `enrol` had been run on it."""
    from ledger.settings import parse_database_url

    db = parse_database_url(database_url)
    if db.is_sqlite:
        template: Path = request.getfixturevalue("sqlite_template")
        _copy_sqlite_ledger(template, db.path)
    elif not request.getfixturevalue("postgres_template").make(db.schema):
        return enrol(LedgerCLI(database_url))
    runner = LedgerCLI(database_url)
    runner.actor = "1001"
    return runner


@pytest.fixture
def registered(cli: LedgerCLI) -> LedgerCLI:
    """As `cli`, with WMP-000123 registered by 4521 (police owner) on 2016-07-04, area Birmingham."""
    return register_offender(cli, "--area", "Birmingham", "--by", "4521")


class Hung(BaseException):
    """Raised in a test that waits too long: no `except Exception` (nor OSError) catches it."""


@pytest.fixture
def no_hang() -> Iterator[None]:
    """A test that would wait for ever (on a named pipe, say) fails instead: after a minute, and
    every five seconds after that, the wait is interrupted."""

    def stop(signum: int, frame: object) -> None:
        raise Hung("the test waited for a minute")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, 60, 5)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)
