"""A PostgreSQL server that has gone away is reported within seconds, not minutes.

The library retries every read and insert ten times on an operational error, and each attempt
waits for the connection pool's full timeout when the server is down: a command caught by a stop
would hang for most of a minute. Once the pool has waited its timeout and still has no connection,
another attempt cannot do better, so that failure ends the command (exit 4). Other operational
errors (a deadlock, a dropped connection) are still retried by the library as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ledger.errors import DatabaseUnavailableError
from ledger.settings import Database


def fail_fast(datastore: Any, db: Database) -> None:
    """Makes `datastore` (the library's PostgresDatastore) give up once its pool has timed out."""
    from eventsourcing.persistence import OperationalError
    from psycopg_pool import PoolTimeout

    from ledger.bootstrap import unavailable_message

    connection = datastore.get_connection

    @contextmanager
    def get_connection() -> Iterator[Any]:
        try:
            with connection() as conn:
                yield conn
        except OperationalError as error:
            if isinstance(error.__cause__, PoolTimeout):
                raise DatabaseUnavailableError(unavailable_message(db, error)) from None
            raise

    # The datastore's transaction() and cursor() look the method up on the instance.
    datastore.get_connection = get_connection
