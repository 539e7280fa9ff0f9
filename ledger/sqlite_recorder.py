"""The SQLite recorder that writes each event's hash-chain link (see `ledger.integrity`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from ledger.integrity import (
    GENESIS,
    SQLITE_CHAIN,
    ChainRow,
    as_bytes,
    as_uuid,
    chain_row,
    chained,
    links_for,
)

_CHAIN_COLUMNS = "position, originator_id, originator_version, topic, state_hash, link"


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

    def chain_after(self, after: int, last: int) -> dict[int, tuple[bytes, ChainRow]]:
        """The chain rows after position `after` up to `last`, each with the link before it."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT link FROM {SQLITE_CHAIN} WHERE position <= ? "
                "ORDER BY position DESC LIMIT 1",
                (after,),
            )
            row = c.fetchone()
            c.execute(
                f"SELECT {_CHAIN_COLUMNS} FROM {SQLITE_CHAIN} "
                "WHERE position > ? AND position <= ? ORDER BY position",
                (after, last),
            )
            rows = [chain_row(r) for r in c.fetchall()]
        return chained(as_bytes(row[0]) if row else GENESIS, rows)

    def stream_links(
        self, originator_id: UUID
    ) -> tuple[list[tuple[int, UUID, int, str, bytes]], dict[int, tuple[bytes, ChainRow]]]:
        """One stream's stored events (position, id, version, topic, state) and the chain rows
        at their positions, each with the link stored before it."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE originator_id = ? "
                "ORDER BY originator_version",
                (originator_id.hex,),
            )
            events = [(p, as_uuid(o), v, t, as_bytes(st)) for p, o, v, t, st in c.fetchall()]
            c.execute(
                f"SELECT {_CHAIN_COLUMNS}, (SELECT p.link FROM {SQLITE_CHAIN} p "
                "WHERE p.position < c.position ORDER BY p.position DESC LIMIT 1) "
                f"FROM {SQLITE_CHAIN} c WHERE c.position IN "
                f"(SELECT rowid FROM {self.events_table_name} WHERE originator_id = ?)",
                (originator_id.hex,),
            )
            chain = {
                r[0]: (as_bytes(r[6]) if r[6] is not None else GENESIS, chain_row(r[:6]))
                for r in c.fetchall()
            }
        return events, chain
