"""The composition root of the write side: builds the ledger application from settings.

Nothing is opened at import time. Opening refuses a database that was never initialised (no
half-ledger is ever created by accident); `create_event_store` is what `ledger init` uses.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from hashlib import sha256
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.errors import DatabaseUnavailableError, LedgerError, NotInitialisedError
from ledger.failfast import fail_fast, unavailable_message, wait_for_sqlite_lock
from ledger.integrity import install
from ledger.settings import (
    Database,
    Settings,
    event_store_environment,
    lock_wait_from_environment,
    whole_seconds,
)

if TYPE_CHECKING:
    import psycopg

    from ledger.app import OffenderLedger

# The read models' migration table: present only once `ledger init` has completed.
INITIALISED_MARKER = "alembic_version"


def open_ledger(settings: Settings, *, check_decode: bool = True) -> OffenderLedger:
    """The ledger application for an initialised database. Unless `check_decode` is False (for
    `verify`, which must report a first event that no longer decodes as tampering), a cipher key
    that cannot read the first event is refused before anything else."""
    check_initialised(settings.database)
    if settings.database.is_sqlite:
        # One wait for a lock held elsewhere, rather than one for each write the command makes.
        wait_for_sqlite_lock(settings.database, settings.lock_wait)
    ledger = _construct(settings, create_tables=False)
    try:
        if check_decode:
            _check_can_decode(ledger, settings)
    except BaseException:
        ledger.close()
        raise
    return ledger


# The PostgreSQL advisory lock key that serialises `ledger init` runs (with the schema's own).
INIT_LOCK = 0x1ED6E2_1A


@contextmanager
def initialising(db: Database) -> Iterator[None]:
    """Held across everything `ledger init` creates or upgrades. On PostgreSQL, two inits at once
    on a new schema raced to create the same tables and types (duplicate key in pg_type, "tuple
    concurrently updated"); a session advisory lock, one per schema, makes the second wait and
    then find everything in place. SQLite serialises the same steps by its file lock."""
    if db.is_sqlite:
        yield
        return
    key = int.from_bytes(sha256(db.schema.encode()).digest()[:4], "big") ^ INIT_LOCK
    with postgres_connect(db) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def create_event_store(settings: Settings) -> OffenderLedger:
    """Creates the event store's tables where missing and returns the application."""
    db = settings.database
    if db.is_sqlite:
        parent = Path(db.path).resolve().parent
        if not parent.is_dir():
            raise DatabaseUnavailableError(
                f"cannot create {db.describe()}: folder {parent} does not exist"
            )
        # An up-to-date ledger needs no write to initialise; say so now rather than at the
        # first record.
        if Path(db.path).exists() and not os.access(db.path, os.W_OK):
            raise DatabaseUnavailableError(
                f"cannot use the database {db.describe()}: the file is read-only; "
                "check the file exists, is readable and writable, and is not locked"
            )
    else:
        _ensure_schema(db)
    ledger = _construct(settings, create_tables=True)
    try:
        install(ledger, db)
    except BaseException:
        ledger.close()
        raise
    return ledger


def _check_can_decode(ledger: OffenderLedger, settings: Settings) -> None:
    """Refuses, before any command runs, a cipher key that does not open this ledger's events
    (and a missing key for an encrypted ledger), so a wrong key never writes anything."""
    first = ledger.recorder.select_notifications(start=None, limit=1)
    if not first:
        # No event to try the key on: the read models' seal says whether one is wanted
        # (`projections.sealing`), before the first event is written with or without it.
        _check_seal(settings)
        return
    try:
        ledger.mapper.to_domain_event(first[0])
    except LedgerError:
        raise
    except Exception:
        if settings.cipher_key:
            raise
        # Imported only here: it loads the `cryptography` package, ~10 ms on every command.
        from ledger.encryption import MissingKeyError

        raise MissingKeyError from None


def _check_seal(settings: Settings) -> None:
    from projections.db import make_engine
    from projections.seal_check import check_seal

    db = settings.database
    engine = make_engine(db.sqlalchemy_url(), db.schema, settings.cipher_key)
    try:
        check_seal(engine)
    finally:
        engine.dispose()


def _construct(settings: Settings, *, create_tables: bool) -> OffenderLedger:
    from eventsourcing.persistence import InterfaceError, OperationalError

    from ledger.app import OffenderLedger

    env = event_store_environment(settings, create_tables=create_tables)
    try:
        ledger = OffenderLedger(env=env)
    except (InterfaceError, OperationalError, sqlite3.Error) as error:
        raise DatabaseUnavailableError(unavailable_message(settings.database, error)) from None
    if not settings.database.is_sqlite:
        fail_fast(ledger.recorder.datastore, settings.database, settings.lock_wait)
    return ledger


def check_initialised(db: Database) -> None:
    """Refuses, without creating anything, a database on which `ledger init` never completed."""
    if db.is_sqlite:
        _check_sqlite(db)
    else:
        _check_postgres(db)


def _check_sqlite(db: Database) -> None:
    path = Path(db.path)
    if not path.exists():
        raise NotInitialisedError(db.describe())
    try:
        # Read-only, so that even a stray file is never written by this check.
        conn = sqlite3.connect(db.sqlite_uri("ro"), uri=True, timeout=lock_wait_from_environment())
        try:
            row = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (INITIALISED_MARKER,)
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseUnavailableError(unavailable_message(db, error)) from None
    if row is None:
        raise NotInitialisedError(db.describe())


def postgres_connect(db: Database) -> psycopg.Connection[Any]:
    """A direct connection in autocommit mode, outside the library's pool."""
    import psycopg

    try:
        return psycopg.connect(
            host=db.host,
            port=db.port,
            dbname=db.dbname,
            user=db.user or None,
            password=db.password or None,
            # Whole seconds, at least 2 (libpq's own minimum).
            connect_timeout=whole_seconds(lock_wait_from_environment()),
            autocommit=True,
        )
    except psycopg.Error as error:
        raise DatabaseUnavailableError(unavailable_message(db, error)) from None


def _check_postgres(db: Database) -> None:
    with postgres_connect(db) as conn:
        row = conn.execute(
            "SELECT to_regclass(%s)", (f"{db.schema}.{INITIALISED_MARKER}",)
        ).fetchone()
    if row is None or row[0] is None:
        raise NotInitialisedError(db.describe())


def _ensure_schema(db: Database) -> None:
    from psycopg import sql

    with postgres_connect(db) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(db.schema)))
