"""The administrators' lock: held across reading who the administrators are and saving a change
to them (an administrator's leaving, and the first enrolment, which makes the first one), so two
such changes made at once cannot both see the ledger as it was before either.

On PostgreSQL a session advisory lock; on SQLite an exclusive lock on a file beside the database;
in memory (tests) none, since no other process can share the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ledger.errors import DatabaseUnavailableError

# The PostgreSQL advisory lock key that serialises changes to who the administrators are.
ADMINISTRATORS_LOCK = 0x1ED6E2_AD


@contextlib.contextmanager
def administrators_lock(recorder: Any) -> Iterator[None]:
    """The administrators' lock of the event store behind `recorder` (the application's)."""
    datastore = getattr(recorder, "datastore", None)
    if datastore is None:  # kept in memory (tests): no other process can share it
        yield
        return
    pool = datastore.pool
    if not hasattr(pool, "db_name"):  # PostgreSQL: a session advisory lock, held outside any
        # transaction (so no idle-in-transaction timeout applies while the check reads).
        # The connection goes back to the pool as it came: the event store's connections
        # are in autocommit mode, and its writes expect them to be.
        with datastore.get_connection() as conn:
            autocommit = conn.autocommit
            conn.autocommit = True
            try:
                conn.execute("SELECT pg_advisory_lock(%s)", (ADMINISTRATORS_LOCK,))
                try:
                    yield
                finally:
                    conn.execute("SELECT pg_advisory_unlock(%s)", (ADMINISTRATORS_LOCK,))
            finally:
                conn.autocommit = autocommit
        return
    path = str(pool.db_name or "")
    if not path or pool.is_sqlite_memory_mode:
        yield
        return
    import fcntl

    try:
        lock_file = open(f"{path}.administrators.lock", "a")  # noqa: SIM115 (closed below)
    except OSError as error:
        raise DatabaseUnavailableError(
            f"cannot use the database sqlite:///{path}: its lock file "
            f"{path}.administrators.lock cannot be opened ({error.strerror}); check that "
            "the folder is writable"
        ) from None
    with lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
