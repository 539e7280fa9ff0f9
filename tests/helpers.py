"""Helpers shared by tests at every layer: the CLI driven in-process, the staff every scenario
starts with, and the test PostgreSQL server's owner connection. Fixtures are in conftest.py."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_base_url() -> str:
    return os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_PG)


def owner_connection():  # -> psycopg.Connection, imported lazily
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


def drop_schema(schema: str) -> None:
    with owner_connection() as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def schema_url(schema: str) -> str:
    base = postgres_base_url()
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}schema={schema}"


def every_case_on_sqlite(
    argnames: str | Sequence[str],
    cases: Sequence[Any],
    *,
    ids: Sequence[str] | None = None,
    on_postgres: Sequence[int] = (0,),
) -> pytest.MarkDecorator:
    """Parametrizes a test (through `database_url`) of a rule the ledger applies before it
    stores anything, shown through the command line: every case on SQLite, and the cases at
    `on_postgres` (the first, unless said) on PostgreSQL as well.

    Which values a rule refuses does not depend on the backend, and a refusal leaves either
    ledger as it was; each further case on PostgreSQL would run the same code again at several
    times SQLite's cost (a schema cloned and dropped, and the server's work). A case whose
    outcome the backend could change (a value the database itself might refuse) belongs in
    `on_postgres`."""
    names = [n.strip() for n in argnames.split(",")] if isinstance(argnames, str) else argnames
    several = len(names) > 1
    params = []
    for backend, chosen in (("sqlite", range(len(cases))), ("postgres", on_postgres)):
        for index in chosen:
            values = tuple(cases[index]) if several else (cases[index],)
            label = None if ids is None else f"{backend}-{ids[index]}"
            params.append(pytest.param(backend, *values, id=label))
    return pytest.mark.parametrize(["database_url", *names], params, indirect=["database_url"])


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        import json

        return json.loads(self.stdout)


@functools.cache
def root_command() -> Any:
    """The `ledger` command as Click runs it, built once per test process: Typer's test runner
    builds it again, with the command asked for, on every call (3-5 ms each, over thousands of
    in-process commands), where the installed `ledger` builds it once per process as here."""
    import typer.main

    from cli.main import app

    return typer.main.get_command(app)


def run_in_process(args: list[str], env: dict[str, str]) -> Outcome:
    """`ledger ARGS` run in this process with `env`, its output captured, as Typer's `CliRunner`
    runs it (exceptions other than an exit are raised, not caught)."""
    from typer.testing import CliRunner

    runner = CliRunner()
    with runner.isolation(env=env) as (stdout, stderr, _):
        try:
            root_command().main(args=args, prog_name="ledger")
            code = 0
        except SystemExit as done:
            if done.code is None or isinstance(done.code, int):
                code = done.code or 0
            else:
                sys.stdout.write(f"{done.code}\n")
                code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        out, err = stdout.getvalue(), stderr.getvalue()
    return Outcome(code, _text(out, runner.charset), _text(err, runner.charset))


def _text(captured: bytes, charset: str) -> str:
    return captured.decode(charset, "replace").replace("\r\n", "\n")


class LedgerCLI:
    """Runs `ledger` in-process against one database, as a given actor."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.actor: str | None = None
        self.reason: str | None = "testing"

    def __call__(
        self, *args: str, actor: str | None = None, env: dict[str, str] | None = None
    ) -> Outcome:
        full_env = {
            "LEDGER_DATABASE_URL": self.url,
            "LEDGER_ACTOR": actor or self.actor or "",
            "LEDGER_REASON": self.reason or "",
            "LEDGER_CIPHER_KEY": "",
            "LEDGER_POLICY": "",
        }
        full_env.update(env or {})
        return run_in_process(list(args), full_env)

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


def register_offender(runner: LedgerCLI, *extra: str, name: str = "John Doe") -> LedgerCLI:
    """Registers WMP-000123, `name`, category 1, on 2016-07-04."""
    runner.ok(
        "offender",
        "register",
        "WMP-000123",
        "--name",
        name,
        "--born",
        "1975-03-02",
        "--category",
        "1",
        "--occurred-at",
        "2016-07-04",
        *extra,
    )
    return runner


# Fixtures that take `registered`'s ledger further with commands alone, the same ones every time,
# keyed by (module, fixture name): the `cli` fixture copies a ledger on which the build ran once
# per backend per session, rather than running the build in every test that asks for it.
TEMPLATED: dict[tuple[str, str], Callable[[LedgerCLI], object]] = {}
# Which ledger the `cli` fixture copied for a test: "enrolled", "registered" or "module:fixture".
STAGE = pytest.StashKey[str]()


def templated(build: Callable[[LedgerCLI], object]) -> object:
    """Declares `build` (given `registered`'s CLI) as a fixture of the same name, whose value is
    that CLI once the build has run on its ledger. `build` must only run commands on the CLI it
    is given (its checks run once per template), and nothing else may write to the ledger before
    it: the `cli` fixture then copies a ledger on which it already ran."""
    key = (build.__module__, build.__name__)
    TEMPLATED[key] = build

    @pytest.fixture(name=build.__name__)
    def fixture(request: pytest.FixtureRequest, registered: LedgerCLI) -> LedgerCLI:
        if request.node.stash.get(STAGE, None) != ":".join(key):
            build(registered)
        return registered

    fixture.__doc__ = build.__doc__
    return fixture


def block_containing(out: str, text: str) -> str:
    """The block of a view for people (an entry, an alert, a log row: the lines between blank
    lines) that contains `text`, its lines joined by spaces."""
    for block in out.split("\n\n"):
        joined = " ".join(block.split())
        if text in joined:
            return joined
    raise AssertionError(f"no block contains {text!r}:\n{out}")
