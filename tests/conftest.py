"""Fixtures shared by every test: a fresh ledger on each backend, and the CLI driven in-process.

Every storage scenario runs on SQLite and on PostgreSQL. PostgreSQL is found at
LEDGER_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test); each test gets a
schema of its own, dropped afterwards (ten at a time). Where no server answers the PostgreSQL cases
skip, saying why, except under CI=true, where that is a failure.

`ledger init` and the four enrolments (and the registration `registered` makes) are run once per
backend per session, on a template ledger; each test that asks for `cli` gets a private copy of
it (SQLite: the file, copied; PostgreSQL: the template schema, cloned under the test's own schema
name), the same events at the same positions. Under pytest-xdist the workers of one run share
these templates: the first to need one builds it, the others copy it.
"""

from __future__ import annotations

import fcntl
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
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


class SchemasToDrop:
    """Schemas the tests are done with, dropped ten at a time in one statement (one connection and
    one commit for ten) and the rest when the session ends."""

    AT_ONCE = 10

    def __init__(self) -> None:
        self.pending: list[str] = []

    def add(self, schema: str) -> None:
        self.pending.append(schema)
        if len(self.pending) >= self.AT_ONCE:
            self.drop()

    def drop(self) -> None:
        if not self.pending:
            return
        names = ", ".join(f'"{schema}"' for schema in self.pending)
        with owner_connection() as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {names} CASCADE")
        self.pending.clear()


@pytest.fixture(scope="session")
def schemas_to_drop(postgres_available: None) -> Iterator[SchemasToDrop]:
    schemas = SchemasToDrop()
    yield schemas
    schemas.drop()


@pytest.fixture
def postgres_url(schemas_to_drop: SchemasToDrop) -> Iterator[str]:
    """A URL for a fresh, empty PostgreSQL schema (dropped once the test is done with it)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield schema_url(schema)
    schemas_to_drop.add(schema)


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


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder that every process of this run shares: the run's base temporary folder (each
    pytest-xdist worker has its own below it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Holds an exclusive lock on `path` (made if missing) against the run's other processes."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class SqliteTemplates:
    """A SQLite ledger for each stage, made on first use (by whichever process of the run needs it
    first) and then only copied."""

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
        name = stage.replace(":", "-")
        folder = self.folder / name
        path = folder / "ledger.db"
        state = self.folder / f"{name}.json"  # written last: the template is whole
        with locked(self.folder / f"{name}.lock"):
            if not state.exists():
                folder.mkdir()
                made = _prepare(LedgerCLI(f"sqlite:///{path}"), stage)
                unflushed = [
                    p.name for p in folder.iterdir() if p.name.endswith(("-wal", "-journal"))
                ]
                assert not unflushed, (
                    f"the template ledger left {unflushed} open; a copy would miss them"
                )
                state.write_text(json.dumps([made.actor, made.reason]))
        actor, reason = json.loads(state.read_text())
        self.runner_state[stage] = (actor, reason)
        self.made[stage] = path
        return path


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    folder = run_folder(tmp_path_factory) / "templates"
    folder.mkdir(exist_ok=True)
    return SqliteTemplates(folder)


class PostgresTemplates:
    """A PostgreSQL schema for each stage, made on first use (by whichever process of the run needs
    it first) and dumped once by pg_dump as SQL that recreates it (tables, functions, triggers,
    privileges, rows, sequences at the same values) under another name; the template schema is
    then dropped, and the SQL kept in the run's folder. Without a usable pg_dump, `clone`
    declines."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # stage: (the template's schema name, its SQL or None, the runner's actor and reason)
        self.made: dict[str, tuple[str, str | None, str | None, str | None]] = {}

    def clone(self, stage: str, runner: LedgerCLI, schema: str) -> bool:
        """Creates `schema` as a copy of the stage's template; False if it cannot."""
        if stage not in self.made:
            self.made[stage] = self._make(stage)
        template, script, actor, reason = self.made[stage]
        if script is None:
            return False
        with owner_connection() as conn, conn.transaction():
            conn.execute(script.replace(template, schema))
        runner.actor, runner.reason = actor, reason
        return True

    def _make(self, stage: str) -> tuple[str, str | None, str | None, str | None]:
        name = stage.replace(":", "-")
        state = self.folder / f"{name}.json"
        with locked(self.folder / f"{name}.lock"):
            if not state.exists():
                template = f"t_template_{uuid.uuid4().hex[:12]}"
                try:
                    made = _prepare(LedgerCLI(schema_url(template)), stage)
                    script = _dump_schema(template)
                finally:
                    drop_schema(template)
                state.write_text(json.dumps([template, script, made.actor, made.reason]))
        template, script, actor, reason = json.loads(state.read_text())
        return template, script, actor, reason


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
def postgres_templates(
    postgres_available: None, tmp_path_factory: pytest.TempPathFactory
) -> PostgresTemplates:
    folder = run_folder(tmp_path_factory) / "postgres-templates"
    folder.mkdir(exist_ok=True)
    return PostgresTemplates(folder)


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


def _refuse_ungrouped_runs(config: pytest.Config) -> None:
    """The tests marked `xdist_group` must each run in one worker: those that time waits one
    after another, those that share a PostgreSQL cluster or a browser once. pytest 9.2 keeps node
    ids in a form pytest-xdist 3.8 cannot add a group to, and `--dist loadgroup` then scatters
    them without a word (pytest-dev/pytest-xdist#1386); such a run stops here and says why."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not config.getoption("numprocesses", None):
        return
    if config.getoption("dist", "no") != "loadgroup":
        return
    from importlib.metadata import version

    from packaging.version import Version

    if Version(version("pytest")) >= Version("9.2") and Version(version("pytest-xdist")) < Version(
        "3.9"
    ):
        raise pytest.UsageError(
            f"pytest {version('pytest')} with pytest-xdist {version('pytest-xdist')} does not "
            "group tests under --dist loadgroup; install the versions pyproject.toml asks for: "
            'pip install -e ".[test]"'
        )


def pytest_configure(config: pytest.Config) -> None:
    """Where Python may not write bytecode (PYTHONDONTWRITEBYTECODE), every `ledger` the tests
    start, and every pytest-xdist worker, would compile the project's modules again: some 50 ms
    of each command's start-up, over hundreds of commands. The run lets Python write them, beside
    the sources, in the `__pycache__` folders git ignores, so they are compiled once."""
    _refuse_ungrouped_runs(config)
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        sys.dont_write_bytecode = False


# Objects a young generation must gather before the collector runs (Python's default: 700).
COLLECTOR_THRESHOLD = 20_000


def pytest_collection_finish(session: pytest.Session) -> None:
    """The in-process tests keep the libraries' hundreds of thousands of objects (modules,
    compiled statements, templates) alive for the whole run, and Python's cyclic collector walked
    them again and again: a tenth of a worker's CPU (5.2 of 51.2 s over five test files, timed by
    `gc.callbacks`; 2.0 s after this change). What the imports and the collection made is frozen
    out of its reach, and the young generation waits for 20,000 new objects rather than 700, as
    `ledger` itself pauses the collector while a command runs (`cli.main`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(COLLECTOR_THRESHOLD, *gc.get_threshold()[1:])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Once every test of the run is done (in the one process, or the pytest-xdist controller
    after its workers): the run made and dropped a schema for each PostgreSQL test, which leaves
    hundreds of thousands of dead rows in the server's catalogue (pg_attribute, pg_class,
    pg_depend). Where autovacuum is off, as on some CI servers, nothing else removes them and
    they grow run after run; the run vacuums the catalogue, and only the catalogue: another run's
    ledgers, on the same server at the same time, are theirs to vacuum (a test there may be
    checking who vacuumed its tables)."""
    if os.environ.get("PYTEST_XDIST_WORKER") or _postgres_problem() is not None:
        return
    with owner_connection() as conn:
        if conn.execute("SHOW autovacuum").fetchone()[0] != "off":
            return
        catalogue = conn.execute(
            "SELECT format('%I.%I', 'pg_catalog', relname) FROM pg_class "
            "WHERE relnamespace = 'pg_catalog'::regnamespace AND relkind = 'r'"
        ).fetchall()
        conn.execute("VACUUM " + ", ".join(name for (name,) in catalogue))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In a pytest-xdist worker (every worker sorts alike): the slow tests first, so that the
    workers end together."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1)
