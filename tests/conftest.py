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

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    return os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_PG)


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


def _owner_connection():  # -> psycopg.Connection, imported lazily
    """A connection to the test database as the URL's user, in autocommit mode."""
    import psycopg

    from ledger.settings import parse_database_url

    db = parse_database_url(postgres_base_url())
    return psycopg.connect(
        host=db.host,
        port=db.port,
        dbname=db.dbname,
        user=db.user or None,
        password=db.password or None,
        autocommit=True,
    )


def _drop_schema(schema: str) -> None:
    with _owner_connection() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _schema_url(schema: str) -> str:
    base = postgres_base_url()
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}schema={schema}"


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A URL for a fresh, empty PostgreSQL schema."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield _schema_url(schema)
    _drop_schema(schema)


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    return f"sqlite:///{tmp_path}/ledger.db"  # type: ignore[operator]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A URL for a fresh, uninitialised ledger, once per backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        import json

        return json.loads(self.stdout)


class LedgerCLI:
    """Runs `ledger` in-process against one database, as a given actor."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.actor: str | None = None
        self.reason: str | None = "testing"

    def __call__(
        self, *args: str, actor: str | None = None, env: dict[str, str] | None = None
    ) -> Outcome:
        from typer.testing import CliRunner

        from cli.main import app

        full_env = {
            "LEDGER_DATABASE_URL": self.url,
            "LEDGER_ACTOR": actor or self.actor or "",
            "LEDGER_REASON": self.reason or "",
            "LEDGER_CIPHER_KEY": "",
            "LEDGER_POLICY": "",
        }
        full_env.update(env or {})
        result = CliRunner().invoke(app, list(args), env=full_env, catch_exceptions=False)
        return Outcome(result.exit_code, result.stdout, result.stderr)

    def ok(self, *args: str, **kwargs: object) -> Outcome:
        outcome = self(*args, **kwargs)  # type: ignore[arg-type]
        assert outcome.exit_code == 0, f"{args} failed ({outcome.exit_code}): {outcome.stderr}"
        return outcome


# The staff every scenario starts with: id, name, agency, rank, and any further flags.
STAFF = (
    ("1001", "Ann Admin", "police", "Insp", "--admin"),
    ("4521", "Sam Reid", "police", "PC"),
    ("7702", "Pat Lowe", "probation", "Probation Officer"),
    ("8801", "Kim Senior", "probation", "Senior Probation Officer", "--senior"),
)


def enrol(runner: LedgerCLI, *staff_ids: str) -> LedgerCLI:
    """Initialises the ledger and enrols the named members of STAFF (all, if none are named),
    the administrator 1001 first; 1001 is then the actor."""
    runner.ok("init")
    for staff_id, name, agency, rank, *flags in STAFF:
        if staff_ids and staff_id not in staff_ids and staff_id != "1001":
            continue
        runner.ok(
            "staff",
            "add",
            staff_id,
            "--name",
            name,
            "--agency",
            agency,
            "--rank",
            rank,
            *flags,
            "--since",
            "2010-01-01",
        )
        runner.actor = "1001"
    return runner


def register_offender(runner: LedgerCLI, *extra: str) -> LedgerCLI:
    """Registers WMP-000123, John Doe, category 1, on 2016-07-04."""
    runner.ok(
        "offender",
        "register",
        "WMP-000123",
        "--name",
        "John Doe",
        "--born",
        "1975-03-02",
        "--category",
        "1",
        "--occurred-at",
        "2016-07-04",
        *extra,
    )
    return runner


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
        with _owner_connection() as conn, conn.transaction():
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
        enrol(LedgerCLI(_schema_url(schema)))
        yield SchemaClone(schema, _dump_schema(schema))
    finally:
        _drop_schema(schema)


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
