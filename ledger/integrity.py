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
PG_BINDING_HISTORY = "staff_logins_history"

GENESIS = bytes(32)
# Versioned, so that no encoding can ever produce a link equal to one of another encoding.
# v1: position, stream, version, topic, payload hash. v2 (PostgreSQL, from the login binding on):
# also the database login that inserted the link (set by the database itself) and the staff id
# the event names as its author. Links of both forms stay in one chain and both verify for ever.
_LINK_PREFIX = b"offender-ledger chain v1\n"
_LINK_PREFIX_V2 = b"offender-ledger chain v2\n"
_LINK_HEAD = struct.Struct(">32sQ16sQI")
_LENGTH = struct.Struct(">I")
# Each topic's UTF-8 bytes, as `link_hash` has encoded them.
_TOPICS: dict[str, bytes] = {}


def link_hash(
    previous: bytes,
    position: int,
    originator_id: bytes,
    version: int,
    topic: str,
    state_hash: bytes,
    login: str | None = None,
    staff: str | None = None,
) -> bytes:
    """The link for one event: fixed-width fields, then the length-prefixed topic, so that no two
    different events can encode to the same bytes; with a `login`, the v2 form, which adds the
    login and the author's staff id (empty for none), each length-prefixed."""
    topic_bytes = _TOPICS.get(topic)
    if topic_bytes is None:
        topic_bytes = topic.encode()
        if len(_TOPICS) < 1024:  # the ledger's event classes: a few dozen
            _TOPICS[topic] = topic_bytes
    body = (
        _LINK_HEAD.pack(previous, position, originator_id, version, len(topic_bytes))
        + topic_bytes
        + state_hash
    )
    if login is None:
        return hashlib.sha256(_LINK_PREFIX + body).digest()
    login_bytes, staff_bytes = login.encode(), (staff or "").encode()
    return hashlib.sha256(
        _LINK_PREFIX_V2
        + body
        + _LENGTH.pack(len(login_bytes))
        + login_bytes
        + _LENGTH.pack(len(staff_bytes))
        + staff_bytes
    ).digest()


def author(event: Any) -> str | None:
    """The staff id an event names as the one who put it in the ledger: who typed it in
    (`entered_by`), else who made the change (`by`)."""
    for name in ("entered_by", "by"):
        value = getattr(event, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def links_for(
    previous: bytes,
    positions: Sequence[int],
    stored_events: Sequence[StoredEvent],
    login: str | None = None,
    authors: dict[tuple[UUID, int], str | None] | None = None,
) -> list[tuple[Any, ...]]:
    """The chain rows for events just inserted at `positions`, following the link `previous`:
    v1 rows (position, stream, version, topic, payload hash, link) without a `login`; with one,
    v2 rows, which add the login and the author's staff id (from `authors`, by stream and
    version)."""
    rows: list[tuple[Any, ...]] = []
    for position, stored in sorted(zip(positions, stored_events, strict=True), key=lambda p: p[0]):
        oid = stored.originator_id
        oid = oid if isinstance(oid, UUID) else UUID(oid)
        state_hash = hashlib.sha256(stored.state).digest()
        version = stored.originator_version
        if login is None:
            previous = link_hash(previous, position, oid.bytes, version, stored.topic, state_hash)
            rows.append((position, oid, version, stored.topic, state_hash, previous))
            continue
        staff = (authors or {}).get((oid, version))
        previous = link_hash(
            previous, position, oid.bytes, version, stored.topic, state_hash, login, staff
        )
        rows.append((position, oid, version, stored.topic, state_hash, previous, login, staff))
    return rows


# ------------------------------------------------------------------ checking links as events are read

# A chain row as the recorders read it back: position, stream id, version, topic, state hash, link,
# login and author's staff id (both None for a v1 link).
ChainRow = tuple[int, UUID, int, str, bytes, bytes, str | None, str | None]


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
        previous, (_, c_oid, c_version, c_topic, state_hash, link, login, staff) = found
        if (
            c_oid != oid
            or c_version != version
            or c_topic != topic
            or hashlib.sha256(state).digest() != state_hash
            or link_hash(previous, position, oid.bytes, version, topic, state_hash, login, staff)
            != link
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
    """A chain row as stored (the v1 columns, then on PostgreSQL the login and the staff id),
    with the types `first_unlinked` compares."""
    position, oid, version, topic, state_hash, link = row[:6]
    login, staff = (row[6], row[7]) if len(row) > 6 else (None, None)
    return (
        position,
        as_uuid(oid),
        version,
        topic,
        as_bytes(state_hash),
        as_bytes(link),
        login if isinstance(login, str) else None,
        staff if isinstance(staff, str) else None,
    )


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
        # Who inserted each link, as the database says (v2 links hash it), and whom the event
        # names as its author; stamped by a trigger that overwrites whatever the insert gave.
        SQL("ALTER TABLE {s}.{chain} ADD COLUMN IF NOT EXISTS login text"),
        SQL("ALTER TABLE {s}.{chain} ADD COLUMN IF NOT EXISTS staff_id text"),
        SQL("ALTER TABLE {s}.{chain} ADD COLUMN IF NOT EXISTS recorded_at timestamptz"),
        SQL(
            "CREATE OR REPLACE FUNCTION {s}.ledger_stamp_link() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN NEW.login := session_user; NEW.recorded_at := now(); "
            "RETURN NEW; END $$"
        ),
        SQL(
            "CREATE OR REPLACE TRIGGER ledger_stamp_link BEFORE INSERT ON {s}.{chain} "
            "FOR EACH ROW EXECUTE FUNCTION {s}.ledger_stamp_link()"
        ),
        # The binding's own history, append-only: every bind, rebind and unbind, when and by
        # which login; `verify` checks each event's login against the binding then in force.
        # Bindings made before the history existed start it, in force from the upgrade on (the
        # links written before it are of the first form, which names no login).
        SQL(
            "CREATE TABLE IF NOT EXISTS {s}.{history} ("
            "id bigserial PRIMARY KEY, at timestamptz NOT NULL, login text NOT NULL, "
            "staff_id text, change text NOT NULL, by_login text NOT NULL)"
        ),
        SQL(
            "INSERT INTO {s}.{history} (at, login, staff_id, change, by_login) "
            "SELECT now(), login, staff_id, 'bound', 'before the binding history' "
            "FROM {s}.staff_logins WHERE NOT EXISTS (SELECT 1 FROM {s}.{history})"
        ),
        SQL(
            "CREATE OR REPLACE FUNCTION {s}.ledger_binding_history() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            "IF TG_OP IN ('UPDATE', 'DELETE') THEN "
            "INSERT INTO {s}.{history} (at, login, staff_id, change, by_login) "
            "VALUES (now(), OLD.login, NULL, 'unbound', session_user); END IF; "
            "IF TG_OP IN ('UPDATE', 'INSERT') THEN "
            "INSERT INTO {s}.{history} (at, login, staff_id, change, by_login) "
            "VALUES (now(), NEW.login, NEW.staff_id, 'bound', session_user); END IF; "
            "RETURN NULL; END $$"
        ),
        SQL(
            "CREATE OR REPLACE TRIGGER ledger_binding_history "
            "AFTER INSERT OR UPDATE OR DELETE ON {s}.staff_logins "
            "FOR EACH ROW EXECUTE FUNCTION {s}.ledger_binding_history()"
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
        statement.format(
            s=s,
            events=events,
            chain=chain,
            lock=Identifier(PG_LOCK_FUNCTION),
            history=Identifier(PG_BINDING_HISTORY),
        )
        for statement in statements
    ]
    formatted.append(
        SQL(
            "CREATE OR REPLACE TRIGGER ledger_append_only BEFORE TRUNCATE ON {s}.staff_logins "
            "FOR EACH STATEMENT EXECUTE FUNCTION {s}.ledger_refuse_change()"
        ).format(s=s)
    )
    for table in (PG_EVENTS, PG_CHAIN, PG_SNAPSHOTS, PG_BINDING_HISTORY):
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
