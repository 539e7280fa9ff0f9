"""Fixtures shared by every test: a fresh ledger on each backend, and the CLI driven in-process.

Every storage scenario runs on SQLite and on PostgreSQL. PostgreSQL is found at
LEDGER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); each test gets a
schema of its own, dropped afterwards. Where no server answers the PostgreSQL cases skip, saying
why, except under CI=true, where that is a failure.

`ledger init` and the four enrolments (and the registration `registered` makes) are run once per
backend per session, on a template ledger; each test that asks for `cli` gets a private copy of
it (SQLite: the file, copied; PostgreSQL: the template schema, cloned under the test's own schema
name), the same events at the same positions.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import (
    STAGE,
    TEMPLATED,
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


def _prepare(runner: LedgerCLI, stage: str) -> LedgerCLI:
    """Brings a fresh ledger to `stage` (see STAGE) the long way, with the commands themselves."""
    enrol(runner)
    if stage != "enrolled":
        register_offender(runner, "--area", "Birmingham", "--by", "4521")
    if stage not in ("enrolled", "registered"):
        module, name = stage.split(":")
        TEMPLATED[(module, name)](runner)
    return runner


def _stage_for(request: pytest.FixtureRequest) -> str:
    """The ledger a test starts from: the one its single templated fixture builds, if it asks for
    one; else "registered" or "enrolled"."""
    if "registered" not in request.fixturenames:
        return "enrolled"
    # A fixture is found in the test's module first, then in the conftest.py files above it.
    parts = request.module.__name__.split(".")
    modules = [".".join(parts)] + [
        ".".join([*parts[:i], "conftest"]) for i in range(len(parts) - 1, 0, -1)
    ]
    found = set()
    for name in request.fixturenames:
        for module in modules:
            if (module, name) in TEMPLATED:
                found.add(f"{module}:{name}")
                break
    return found.pop() if len(found) == 1 else "registered"


class SqliteTemplates:
    """A SQLite ledger for each stage, made on first use and then only copied."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.made: dict[str, Path] = {}
        self.runner_state: dict[str, tuple[str | None, str | None]] = {}

    def copy(self, stage: str, runner: LedgerCLI, target: str) -> None:
        """Copies the stage's ledger file and whatever the ledger keeps beside it (its
        administrators' lock file), each under the target's name."""
        template = self.made.get(stage) or self._make(stage)
        runner.actor, runner.reason = self.runner_state[stage]
        for source in template.parent.iterdir():
            if source.name.startswith(template.name):
                shutil.copyfile(source, target + source.name[len(template.name) :])

    def _make(self, stage: str) -> Path:
        folder = self.folder / stage.replace(":", "-")
        folder.mkdir()
        path = folder / "ledger.db"
        made = _prepare(LedgerCLI(f"sqlite:///{path}"), stage)
        self.runner_state[stage] = (made.actor, made.reason)
        unflushed = [p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-journal"))]
        assert not unflushed, f"the template ledger left {unflushed} open; a copy would miss them"
        self.made[stage] = path
        return path


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("templates"))


class PostgresTemplates:
    """A PostgreSQL schema for each stage, made on first use and dumped once by pg_dump as SQL
    that recreates it (tables, functions, triggers, privileges, rows, sequences at the same
    values) under another name. Without a usable pg_dump, `clone` declines."""

    def __init__(self) -> None:
        self.made: dict[str, tuple[str, str | None]] = {}
        self.runner_state: dict[str, tuple[str | None, str | None]] = {}

    def clone(self, stage: str, runner: LedgerCLI, schema: str) -> bool:
        """Creates `schema` as a copy of the stage's template; False if it cannot."""
        if stage not in self.made:
            template = f"t_template_{uuid.uuid4().hex[:12]}"
            self.made[stage] = (template, None)
            made = _prepare(LedgerCLI(schema_url(template)), stage)
            self.runner_state[stage] = (made.actor, made.reason)
            self.made[stage] = (template, _dump_schema(template))
        template, script = self.made[stage]
        if script is None:
            return False
        with owner_connection() as conn, conn.transaction():
            conn.execute(script.replace(template, schema))
        runner.actor, runner.reason = self.runner_state[stage]
        return True

    def drop(self) -> None:
        for template, _ in self.made.values():
            drop_schema(template)


def _dump_schema(schema: str) -> str | None:
    """The schema as plain SQL from pg_dump, or None (with a warning) if pg_dump is missing or
    refuses; each test then prepares its own ledger, as it would without the template."""
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
def postgres_templates(postgres_available: None) -> Iterator[PostgresTemplates]:
    templates = PostgresTemplates()
    try:
        yield templates
    finally:
        templates.drop()


@pytest.fixture
def cli(request: pytest.FixtureRequest, database_url: str) -> LedgerCLI:
    """The CLI on a fresh, initialised ledger with an administrator (1001, an inspector), a police
    officer (4521), a probation officer (7702) and a probation senior manager (8801).

    The ledger is a private copy of the session's template for its backend, made with the very
    commands `enrol` runs; where the test also asks for `registered`, of the template on which
    `register_offender` has run too (the registration is then the ledger's first event after the
    enrolments, as it would be if `registered` ran it on this ledger); and where it asks for a
    fixture declared with `templated`, of the template on which that fixture's build ran too."""
    from ledger.settings import parse_database_url

    stage = _stage_for(request)
    db = parse_database_url(database_url)
    runner = LedgerCLI(database_url)
    request.node.stash[STAGE] = stage
    if db.is_sqlite:
        request.getfixturevalue("sqlite_templates").copy(stage, runner, db.path)
    elif not request.getfixturevalue("postgres_templates").clone(stage, runner, db.schema):
        return _prepare(runner, stage)
    return runner


@pytest.fixture
def registered(request: pytest.FixtureRequest, cli: LedgerCLI) -> LedgerCLI:
    """As `cli`, with WMP-000123 registered by 4521 (police owner) on 2016-07-04, area Birmingham
    (by `cli`, which copies a ledger where that is done, unless this fixture was only asked for
    while the test ran)."""
    if request.node.stash[STAGE] == "enrolled":
        register_offender(cli, "--area", "Birmingham", "--by", "4521")
    return cli


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
