"""Fixtures the integration tests share: a ledger with some history, an attacker editing its
database, and PostgreSQL logins bound to staff."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.settings import parse_database_url
from tests.helpers import LedgerCLI, owner_connection, templated
from tests.integration.helpers import Attacker


@templated
def ledger_with_history(registered: LedgerCLI) -> LedgerCLI:
    """WMP-000123 with entries 2..4 after the four staff enrolments and its registration."""
    registered.ok(
        "record", "disclosure", "WMP-000123", "--summary", "Feels isolated", "--by", "7702"
    )
    registered.ok("record", "entry", "WMP-000123", "--summary", "New address", "--by", "4521")
    registered.ok("record", "concern", "WMP-000123", "--summary", "Seen near a school")
    return registered


@pytest.fixture
def attacker(ledger_with_history: LedgerCLI) -> Iterator[Attacker]:
    """Edits the database around the ledger, with the append-only triggers out of the way."""
    attacker = Attacker(ledger_with_history.url)
    yield attacker
    attacker.close()


@pytest.fixture
def no_database() -> LedgerCLI:
    """The CLI, as 1001, on a PostgreSQL URL where nothing listens. A command refused by its own
    model, before the ledger is opened, says the same here as on either backend; one that reached
    for the database would end in exit 4 instead (see `refused_before_storage`)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = LedgerCLI(f"postgresql://postgres@127.0.0.1:{port}/no_database")
    cli.actor = "1001"
    return cli


@pytest.fixture
def logins(cli: LedgerCLI) -> Iterator[dict[str, LedgerCLI]]:
    """Two real database logins with the writer role, bound to staff 4521 and 7702."""
    db = parse_database_url(cli.url)
    cli.ok("init", "--roles")
    writer = f"ledger_writer_{db.schema}"
    names = {"4521": f"alice_{db.schema}", "7702": f"bob_{db.schema}"}
    with owner_connection() as conn:
        for staff, login in names.items():
            conn.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{writer}"')
            conn.execute(
                f'INSERT INTO "{db.schema}".staff_logins (login, staff_id) VALUES (%s, %s)',
                (login, staff),
            )
    base = cli.url.split("://", 1)[1].split("@", 1)[1]
    clis = {}
    for staff, login in names.items():
        as_login = LedgerCLI(f"postgresql://{login}@{base}")
        as_login.actor = ""
        clis[staff] = as_login
    clis["owner"] = cli
    yield clis
    with owner_connection() as conn:
        for role in [*names.values(), writer, f"ledger_reader_{db.schema}"]:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def cipher_key(request: pytest.FixtureRequest) -> str | None:
    """None, or (a test's "sealed" run, `parametrize("cipher_key", [...], indirect=True)`) a new
    key: its events encrypted and its read models sealed."""
    if getattr(request, "param", "plain") == "plain":
        return None
    from eventsourcing.cryptography import AESCipher

    return AESCipher.create_key(32)
