"""The PostgreSQL recorder that writes each event's hash-chain link (see `ledger.integrity`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from ledger.integrity import (
    GENESIS,
    PG_CHAIN,
    PG_LOCK_FUNCTION,
    ChainRow,
    as_bytes,
    as_uuid,
    chain_row,
    chained,
    links_for,
)

_CHAIN_COLUMNS = (
    "position, originator_id, originator_version, topic, state_hash, link, login, staff_id"
)

# Events saved at once beyond which they are inserted in chunks of this many, in one transaction
# but outside pipeline mode: the library sends all of them as one INSERT in pipeline mode, and
# psycopg (3.3.9) then never returned from the pipeline's sync once that statement was some tens
# of megabytes (an import of 25,250 records hung for good, the server waiting to read the rest,
# every other writer queued behind its lock).
INSERT_CHUNK = 1000

# Rows written to a table since it was last vacuumed or analyzed beyond which a long read
# (a rebuild, a catch-up of a long backlog) has it vacuumed and analyzed first.
REFRESH_AFTER_ROWS = 10_000


class ChainedPostgresRecorder(PostgresApplicationRecorder):
    """Writes each event's link in the event's own transaction, after the insert has returned the
    positions, while the library's EXCLUSIVE lock on the event table serialises writers (so commit
    order is position order and the newest link cannot move under us). A deferred constraint
    trigger (`ledger.integrity.install`) refuses to commit an event without its link.

    The lock is taken through a SECURITY DEFINER function, because PostgreSQL allows EXCLUSIVE
    mode only with UPDATE, DELETE or TRUNCATE rights, which the writer role must not have.
    """

    def __init__(self, datastore: PostgresDatastore, *args: Any, **kwargs: Any) -> None:
        # The pool would open at the first request for a connection (the library's own, made
        # in this constructor) without waiting for its first connection: that request found
        # none ready and the pool grew by another, a second server session for nothing on every
        # command. Opened here, it waits for that connection, as long as for any.
        try:
            datastore.pool.open(wait=True, timeout=datastore.pool.timeout)
        except psycopg.OperationalError as error:
            datastore.pool.close()  # its workers would go on trying in the background
            raise OperationalError(
                f"no connection could be made within {datastore.pool.timeout:g} s"
            ) from error
        super().__init__(datastore, *args, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.lock_table_statements = [
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout),
            SQL("SELECT {0}.{1}()").format(schema, Identifier(PG_LOCK_FUNCTION)),
        ]
        self._select_last_link = SQL(
            "SELECT link FROM {0}.{1} ORDER BY position DESC LIMIT 1"
        ).format(schema, Identifier(PG_CHAIN))
        chain, events = Identifier(PG_CHAIN), Identifier(self.events_table_name)
        self._select_link_at_or_before = SQL(
            "SELECT link FROM {0}.{1} WHERE position <= %s ORDER BY position DESC LIMIT 1"
        ).format(schema, chain)
        self._select_chain_range = SQL(
            "SELECT " + _CHAIN_COLUMNS + " FROM {0}.{1} "
            "WHERE position > %s AND position <= %s ORDER BY position"
        ).format(schema, chain)
        self._select_stream = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {0}.{1} WHERE originator_id = %s ORDER BY originator_version"
        ).format(schema, events)
        self._select_stream_chain = SQL(
            "SELECT c.position, c.originator_id, c.originator_version, c.topic, c.state_hash, "
            "c.link, c.login, c.staff_id, (SELECT p.link FROM {0}.{1} p WHERE p.position < c.position "
            "ORDER BY p.position DESC LIMIT 1) AS previous FROM {0}.{1} c "
            "WHERE c.position IN (SELECT notification_id FROM {0}.{2} WHERE originator_id = %s)"
        ).format(schema, chain, events)
        # The login column is stamped by the database (`ledger_stamp_link`), whatever is given;
        # the link hashes the login this connection has, which is the one stamped.
        self._insert_links = SQL(
            "INSERT INTO {0}.{1} (position, originator_id, originator_version, topic, state_hash, "
            "link, login, staff_id) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)"
        ).format(schema, Identifier(PG_CHAIN))
        self._login: str | None = None
        # Each event's author by stream and version, set by the application around a save.
        self.authors: dict[tuple[UUID, int], str | None] = {}

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if not positions:
            return positions
        curs.execute(self._select_last_link, prepare=True)
        row = curs.fetchone()
        if self._login is None:
            curs.execute("SELECT session_user AS login")
            self._login = str(curs.fetchone()["login"])  # type: ignore[index]
        rows = links_for(
            bytes(row["link"]) if row else GENESIS,
            positions,
            stored_events,
            self._login,
            self.authors,
        )
        curs.executemany(self._insert_links, rows)
        return positions

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if len(stored_events) <= INSERT_CHUNK:
            return super().insert_events(stored_events, **kwargs)
        return self._insert_in_chunks(stored_events, **kwargs)

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_in_chunks(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """What the library's insert does (lock, notify, insert, positions, and here the links),
        a chunk at a time in one transaction: all the events are committed together or none."""
        positions: list[int] = []
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            for start in range(0, len(stored_events), INSERT_CHUNK):
                chunk = stored_events[start : start + INSERT_CHUNK]
                self._insert_stored_events(curs, chunk, **kwargs)
                positions.extend(self._fetch_ids_after_insert_events(curs, chunk, **kwargs) or [])
        return positions

    def chain_after(self, after: int, last: int) -> dict[int, tuple[bytes, ChainRow]]:
        """The chain rows after position `after` up to `last`, each with the link before it."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_link_at_or_before, (after,), prepare=True)
            row = curs.fetchone()
            curs.execute(self._select_chain_range, (after, last), prepare=True)
            rows = [chain_row(list(r.values())) for r in curs.fetchall()]
        return chained(as_bytes(row["link"]) if row else GENESIS, rows)

    def stream_links(
        self, originator_id: UUID
    ) -> tuple[list[tuple[int, UUID, int, str, bytes]], dict[int, tuple[bytes, ChainRow]]]:
        """One stream's stored events (position, id, version, topic, state) and the chain rows
        at their positions, each with the link stored before it."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(self._select_stream, (originator_id,), prepare=True)
            events = [
                (
                    r["notification_id"],
                    as_uuid(r["originator_id"]),
                    r["originator_version"],
                    r["topic"],
                    as_bytes(r["state"]),
                )
                for r in curs.fetchall()
            ]
            curs.execute(self._select_stream_chain, (originator_id,), prepare=True)
            chain = {}
            for r in curs.fetchall():
                values = list(r.values())
                previous = as_bytes(r["previous"]) if r["previous"] is not None else GENESIS
                chain[r["position"]] = (previous, chain_row(values[:8]))
        return events, chain

    def refresh_after_bulk_writes(self, threshold: int | None = None) -> list[str]:
        """Vacuums and analyzes the event table and the chain table when either has taken
        `threshold` rows (default `REFRESH_AFTER_ROWS`) or more since it was last vacuumed or
        analyzed; returns the tables done.

        After an import of many events nothing has looked at the new rows: the planner has no
        statistics for them and every row still needs its hint bits set, which the first long
        read then does (a catch-up of 200,000 events right after writing them took 24.0 s, and
        19.1 s after a 0.85 s `VACUUM (ANALYZE)`). Only the tables' owner may vacuum them: for
        another login PostgreSQL skips them with a warning, and nothing is lost but the time."""
        names = [self.events_table_name, PG_CHAIN]
        if threshold is None:
            threshold = REFRESH_AFTER_ROWS
        with self.datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE schemaname = %s "
                "AND relname = ANY(%s) "
                "AND GREATEST(n_ins_since_vacuum, n_mod_since_analyze) >= %s",
                (self.datastore.schema, names, threshold),
            ).fetchall()
            done = sorted(row["relname"] for row in rows)
            for name in done:
                # Outside a transaction: the pool's connections are in autocommit mode.
                conn.execute(
                    SQL("VACUUM (ANALYZE) {}.{}").format(
                        Identifier(self.datastore.schema), Identifier(name)
                    )
                )
        return done
