"""The SQLite recorder that writes each event's hash-chain link (see `ledger.integrity`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from ledger.integrity import GENESIS, SQLITE_CHAIN, links_for


class ChainedSQLiteRecorder(SQLiteApplicationRecorder):
    """Writes each event's link in the event's own transaction.

    The event rows are inserted first: that takes SQLite's write lock, so the newest link read
    next cannot be overtaken by another writer before this transaction commits.
    """

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        if not positions:
            return positions
        c.execute(f"SELECT link FROM {SQLITE_CHAIN} ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        rows = links_for(bytes(row[0]) if row else GENESIS, positions, stored_events)
        c.executemany(
            f"INSERT INTO {SQLITE_CHAIN} VALUES (?,?,?,?,?,?)",
            [(p, oid.hex, v, t, s, link) for p, oid, v, t, s, link in rows],
        )
        return positions
