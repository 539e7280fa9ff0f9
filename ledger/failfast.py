"""A database that cannot be used is reported within seconds, not minutes.

PostgreSQL: the library retries every read and insert ten times on an operational error, and each
attempt waits for the connection pool's full timeout when the server is down: a command caught by a
stop would hang for most of a minute. Once the pool has waited its timeout and still has no
connection, another attempt cannot do better, so that failure ends the command (exit 4). So does a
write that waited the lock wait (LEDGER_LOCK_WAIT, the library's POSTGRES_LOCK_TIMEOUT) for the
event table's lock: retried, it would wait ten times as long. Other operational errors (a
deadlock, a dropped connection) are still retried by the library as before.

SQLite: every command that opens the ledger writes before it ends (a read logs itself in the access
log; the read models' transactions all take the write lock at BEGIN), and each of those waits up
to the lock wait (LEDGER_LOCK_WAIT) for a lock held by another connection. A read command meeting a held lock
would wait twice (the access-log write, then the check made when it fails) and exit 4 only after
twice the wait. So the ledger waits once, when it is opened, for the write lock it will need, and a
file still locked after that wait ends the command (exit 4) before anything else waits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ledger.errors import DatabaseUnavailableError
from ledger.settings import Database, seconds_text, whole_seconds


def fail_fast(datastore: Any, db: Database, lock_wait: float) -> None:
    """Makes `datastore` (the library's PostgresDatastore) give up once its pool has timed out, or
    a write has waited `lock_wait` seconds (rounded up to whole seconds, as PostgreSQL is told) for
    the event table's lock."""
    waited = seconds_text(whole_seconds(lock_wait))
    from eventsourcing.persistence import OperationalError
    from psycopg.errors import LockNotAvailable
    from psycopg_pool import PoolTimeout

    connection = datastore.get_connection

    @contextmanager
    def get_connection() -> Iterator[Any]:
        try:
            with connection() as conn:
                yield conn
        except OperationalError as error:
            if isinstance(error.__cause__, PoolTimeout):
                raise DatabaseUnavailableError(unavailable_message(db, error)) from None
            if isinstance(error.__cause__, LockNotAvailable):
                raise DatabaseUnavailableError(
                    f"cannot write to the database {db.describe()}: its event table stayed locked "
                    f"by another connection for {waited}; try again, and if it "
                    "persists find the session holding it (pg_locks)"
                ) from None
            raise

    # The datastore's transaction() and cursor() look the method up on the instance.
    datastore.get_connection = get_connection


def unavailable_message(db: Database, error: BaseException) -> str:
    """The one line that says a database cannot be used, why, and what to check."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if db.is_sqlite:
        hint = "check the file exists, is readable and writable, and is not locked"
    else:
        hint = "check the server is running and the URL, user and password are right"
    return f"cannot use the database {db.describe()}: {first_line}; {hint}"


def wait_for_sqlite_lock(db: Database, lock_wait: float) -> None:
    """Waits, once, until no other connection holds the write lock on an initialised SQLite
    ledger; raises DatabaseUnavailableError (exit 4) when it is still held after `lock_wait`
    seconds (LEDGER_LOCK_WAIT: long enough to queue behind another process's write, short enough
    that a command on a locked file exits 4 well within 10 seconds at the default of 5).

    The lock is taken and released at once (BEGIN IMMEDIATE, ROLLBACK): nothing is written. The
    file must already exist (`check_initialised`); it is opened without the right to create it.
    """
    try:
        conn = sqlite3.connect(
            db.sqlite_uri("rw"),
            uri=True,
            timeout=lock_wait,
            isolation_level=None,
        )
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseUnavailableError(unavailable_message(db, error)) from None
