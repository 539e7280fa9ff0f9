"""Fixtures shared by every test: a fresh ledger on each backend, and the CLI driven in-process.

Every storage scenario runs on SQLite and on PostgreSQL. PostgreSQL is found at
LEDGER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); each test gets a
schema of its own, dropped afterwards. Where no server answers the PostgreSQL cases skip, saying
why, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

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


def _drop_schema(schema: str) -> None:
    import psycopg

    from ledger.settings import parse_database_url

    db = parse_database_url(postgres_base_url())
    with psycopg.connect(
        host=db.host,
        port=db.port,
        dbname=db.dbname,
        user=db.user or None,
        password=db.password or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    """A URL for a fresh, empty PostgreSQL schema."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    base = postgres_base_url()
    joiner = "&" if "?" in base else "?"
    yield f"{base}{joiner}schema={schema}"
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


@pytest.fixture
def cli(database_url: str) -> LedgerCLI:
    """The CLI on a fresh, initialised ledger with an administrator (1001, an inspector), a police
    officer (4521), a probation officer (7702) and a probation senior manager (8801)."""
    return enrol(LedgerCLI(database_url))


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


def block_containing(out: str, text: str) -> str:
    """The block of a view for people (an entry, an alert, a log row: the lines between blank
    lines) that contains `text`, its lines joined by spaces."""
    for block in out.split("\n\n"):
        joined = " ".join(block.split())
        if text in joined:
            return joined
    raise AssertionError(f"no block contains {text!r}:\n{out}")
