"""Tamper evidence: every stored event bound into a SHA-256 hash chain in commit order.

Each link is the SHA-256 of a canonical encoding of the event's position, stream id, version,
topic, the SHA-256 of its stored state (the bytes as stored: encrypted when a key is set) and
the link before it. The link is written by the ledger's own recorder in the same transaction as
the event, so an event never exists without its link.

The chain covers the payload only through its hash, kept in the link's row. So a later,
sanctioned re-encryption or erasure of one payload is reported by `verify` as that event's
payload no longer matching ("payload_changed"), while the chain itself still verifies; an edit
to anything else breaks the chain or the match between an event and its link.

Append-only is enforced by the database: triggers refuse UPDATE and DELETE on the event, chain and
snapshot tables (and TRUNCATE on PostgreSQL), and on PostgreSQL a deferred constraint trigger
refuses to commit an event without its link.

Checking the chain (`ledger verify`) is in `ledger.verification`.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.settings import APPLICATION_NAME, Database

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent


# The tables, as the eventsourcing library names them for this application, and the chain's.
SQLITE_EVENTS = "stored_events"
SQLITE_SNAPSHOTS = "stored_snapshots"
SQLITE_CHAIN = "event_chain"
PG_EVENTS = f"{APPLICATION_NAME}_events"
PG_SNAPSHOTS = f"{APPLICATION_NAME}_snapshots"
PG_CHAIN = f"{APPLICATION_NAME}_chain"
PG_LOCK_FUNCTION = f"{APPLICATION_NAME}_lock_events"

GENESIS = bytes(32)
# Versioned, so that a future encoding can never produce a link equal to one of this encoding.
_LINK_PREFIX = b"offender-ledger chain v1\n"
_LINK_HEAD = struct.Struct(">32sQ16sQI")


def link_hash(
    previous: bytes,
    position: int,
    originator_id: bytes,
    version: int,
    topic: str,
    state_hash: bytes,
) -> bytes:
    """The link for one event: fixed-width fields, then the length-prefixed topic, so that no two
    different events can encode to the same bytes."""
    topic_bytes = topic.encode()
    return hashlib.sha256(
        _LINK_PREFIX
        + _LINK_HEAD.pack(previous, position, originator_id, version, len(topic_bytes))
        + topic_bytes
        + state_hash
    ).digest()


def links_for(
    previous: bytes, positions: Sequence[int], stored_events: Sequence[StoredEvent]
) -> list[tuple[int, UUID, int, str, bytes, bytes]]:
    """The chain rows for events just inserted at `positions`, following the link `previous`."""
    rows = []
    for position, stored in sorted(zip(positions, stored_events, strict=True), key=lambda p: p[0]):
        oid = stored.originator_id
        oid = oid if isinstance(oid, UUID) else UUID(oid)
        state_hash = hashlib.sha256(stored.state).digest()
        previous = link_hash(
            previous, position, oid.bytes, stored.originator_version, stored.topic, state_hash
        )
        rows.append((position, oid, stored.originator_version, stored.topic, state_hash, previous))
    return rows


# ------------------------------------------------------------------ checking links as events are read

# A chain row as the recorders read it back: position, stream id, version, topic, state hash, link.
ChainRow = tuple[int, UUID, int, str, bytes, bytes]


class TamperedEventError(Exception):
    """A stored event no longer matches its link in the hash chain: it was edited, inserted or
    moved around the ledger. Nothing read with it may be shown (exit 3, as `verify`'s)."""

    def __init__(self, position: int, originator_id: UUID, version: int) -> None:
        super().__init__(f"the event at position {position} does not match its hash-chain link")
        self.position = position
        self.originator_id = originator_id
        self.version = version
        self.ref: str | None = None

    def __str__(self) -> str:
        where = self.ref or f"stream {self.originator_id}#{self.version}"
        return (
            f"{where} (position {self.position}) no longer matches its link in the hash chain: "
            "the ledger was altered, so nothing of it is shown; run 'ledger verify' for the report"
        )


def first_unlinked(
    events: Sequence[tuple[int, UUID, int, str, bytes]],
    chain: dict[int, tuple[bytes, ChainRow]],
) -> int | None:
    """The index of the first of `events` (position, stream id, version, topic, stored state)
    that does not match its link: no link at its position, a link for another event, a payload
    whose hash is not the link's, or a link that is not the hash of its fields and the link
    before it (`chain` maps each position to that previous link and the chain row)."""
    for index, (position, oid, version, topic, state) in enumerate(events):
        found = chain.get(position)
        if found is None:
            return index
        previous, (_, c_oid, c_version, c_topic, state_hash, link) = found
        if (
            c_oid != oid
            or c_version != version
            or c_topic != topic
            or hashlib.sha256(state).digest() != state_hash
            or link_hash(previous, position, oid.bytes, version, topic, state_hash) != link
        ):
            return index
    return None


def as_bytes(value: Any) -> bytes:
    """A stored value as bytes; a value of another type (an edit stored text) matches nothing."""
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else b""


def as_uuid(value: Any) -> UUID:
    """A stored stream id as a UUID; one that is not a UUID matches nothing."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        return UUID(int=0)


def chain_row(row: Sequence[Any]) -> ChainRow:
    """A chain row as stored, with the types `first_unlinked` compares."""
    position, oid, version, topic, state_hash, link = row
    return (position, as_uuid(oid), version, topic, as_bytes(state_hash), as_bytes(link))


def chained(previous: bytes, rows: Sequence[ChainRow]) -> dict[int, tuple[bytes, ChainRow]]:
    """Consecutive chain rows keyed by position, each with the link stored before it."""
    found: dict[int, tuple[bytes, ChainRow]] = {}
    for row in rows:
        found[row[0]] = (previous, row)
        previous = row[5]
    return found


# ------------------------------------------------------------------------------------- set-up


def _sqlite_statements() -> list[str]:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {SQLITE_CHAIN} ("
        "position INTEGER PRIMARY KEY, originator_id TEXT NOT NULL, "
        "originator_version INTEGER NOT NULL, topic TEXT NOT NULL, "
        "state_hash BLOB NOT NULL, link BLOB NOT NULL)"
    ]
    for table in (SQLITE_EVENTS, SQLITE_CHAIN, SQLITE_SNAPSHOTS):
        for operation, verb in (("UPDATE", "changed"), ("DELETE", "deleted")):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_append_only_{operation.lower()} "
                f"BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, "
                f"'the ledger is append-only: rows of {table} cannot be {verb}'); END"
            )
    return statements


def _postgres_statements(schema: str) -> list[Any]:
    from psycopg.sql import SQL, Identifier

    s = Identifier(schema)
    events, chain = Identifier(PG_EVENTS), Identifier(PG_CHAIN)
    statements = [
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.{chain} ("
            "position bigint PRIMARY KEY, originator_id uuid NOT NULL, "
            "originator_version bigint NOT NULL, topic text NOT NULL, "
            "state_hash bytea NOT NULL, link bytea NOT NULL)"
        ),
        # Binding database logins to staff ids (see ledger.access); written only by the owner.
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.staff_logins ("
            "login text PRIMARY KEY, staff_id text NOT NULL)"
        ),
        SQL(
            "CREATE OR REPLACE FUNCTION {s}.ledger_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
            "'the ledger is append-only: % on %.% is refused', "
            "TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
            "END $$"
        ),
        SQL(
            "CREATE OR REPLACE FUNCTION {s}.ledger_check_chained() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "IF NOT EXISTS (SELECT 1 FROM {s}.{chain} WHERE position = NEW.notification_id) THEN "
            "RAISE EXCEPTION 'event % was written without its link in the hash chain', "
            "NEW.notification_id; END IF; RETURN NULL; END $$"
        ),
        SQL("DROP TRIGGER IF EXISTS ledger_chained ON {s}.{events}"),
        SQL(
            "CREATE CONSTRAINT TRIGGER ledger_chained AFTER INSERT ON {s}.{events} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION {s}.ledger_check_chained()"
        ),
        SQL(
            "CREATE OR REPLACE FUNCTION {s}.{lock}() RETURNS void LANGUAGE plpgsql "
            "SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ BEGIN "
            "LOCK TABLE {s}.{events} IN EXCLUSIVE MODE; END $$"
        ),
        SQL("REVOKE ALL ON FUNCTION {s}.{lock}() FROM PUBLIC"),
    ]
    formatted = [
        statement.format(s=s, events=events, chain=chain, lock=Identifier(PG_LOCK_FUNCTION))
        for statement in statements
    ]
    for table in (PG_EVENTS, PG_CHAIN, PG_SNAPSHOTS):
        formatted.append(
            SQL(
                "CREATE OR REPLACE TRIGGER ledger_append_only "
                "BEFORE UPDATE OR DELETE OR TRUNCATE ON {s}.{table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse_change()"
            ).format(s=s, table=Identifier(table))
        )
    return formatted


def install(ledger: Any, db: Database) -> None:
    """Creates the chain table and the append-only triggers (idempotent); run by `ledger init`
    after the library has created its own tables."""
    datastore = ledger.recorder.datastore  # type: ignore[attr-defined]
    if db.is_sqlite:
        with datastore.transaction(commit=True) as c:
            for statement in _sqlite_statements():
                c.execute(statement)
        return
    with datastore.transaction(commit=True) as curs:
        for statement in _postgres_statements(db.schema):
            curs.execute(statement)
