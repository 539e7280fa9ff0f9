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
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.errors import ConfigurationError
from ledger.settings import APPLICATION_NAME, Database

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent

    from ledger.app import OffenderLedger

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


def install(ledger: OffenderLedger, db: Database) -> None:
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


# ------------------------------------------------------------------------------------- digests


@dataclass(frozen=True)
class Digest:
    """Where the chain stood: its newest position and that position's link."""

    position: int
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "hash": self.hash}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2) + "\n")

    @classmethod
    def read(cls, path: Path) -> Digest:
        try:
            document = json.loads(path.read_text())
            digest = cls(position=int(document["position"]), hash=str(document["hash"]).lower())
            bytes.fromhex(digest.hash)
        except FileNotFoundError:
            raise ConfigurationError(f"no digest file at {path}") from None
        except (ValueError, KeyError, TypeError, OSError):
            raise ConfigurationError(
                f"{path} is not a digest written by 'ledger verify --digest-out'"
            ) from None
        if digest.position < 0 or len(digest.hash) != 64:
            raise ConfigurationError(
                f"{path} is not a digest written by 'ledger verify --digest-out'"
            )
        return digest


# ------------------------------------------------------------------------------------ verifying

KIND_MESSAGES = {
    "payload_changed": "the stored payload differs from the one chained when it was written "
    "(edited, re-encrypted or erased); the chain itself is intact here",
    "event_changed": "the event's stream, entry number or type differs from what was chained",
    "event_missing": "the chain records an event at this position that is no longer in the ledger",
    "event_unchained": "an event is at this position that was never chained (written around the "
    "ledger)",
    "chain_broken": "this link does not follow from the one before it (a link was altered, "
    "inserted or removed)",
    "digest_mismatch": "the chain no longer holds the digest's hash at the digest's position: "
    "history up to it was rewritten",
    "digest_truncated": "the ledger ends before the digest's position: events were removed",
    "read_models_ahead": "the read models have processed events up to this position, beyond the "
    "ledger's newest: the newest events were removed",
}


@dataclass
class Problem:
    kind: str
    position: int
    originator_id: UUID | None = None
    version: int | None = None
    ref: str | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "position": self.position,
            "ref": self.ref,
            "stream": str(self.originator_id) if self.originator_id else None,
            "entry": self.version,
            "detail": self.detail or KIND_MESSAGES[self.kind],
        }


@dataclass
class Report:
    events: int = 0
    links: int = 0
    head: Digest = field(default_factory=lambda: Digest(0, GENESIS.hex()))
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    against: Digest | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def chain_intact(self) -> bool:
        """True when every problem is a payload that no longer matches its (intact) link."""
        return all(p.kind == "payload_changed" for p in self.problems)

    def as_dict(self) -> dict[str, Any]:
        first = self.problems[0] if self.problems else None
        return {
            "ok": self.ok,
            "events": self.events,
            "digest": self.head.as_dict(),
            "problems": [p.as_dict() for p in self.problems],
            "more_problems": self.more_problems,
            "chain_intact": self.chain_intact,
            "first_broken": {"position": first.position, "ref": first.ref} if first else None,
            "against": self.against.as_dict() if self.against else None,
        }


MAX_PROBLEMS = 1000
PAGE = 2000

# (position, originator id bytes, version, topic, state)
EventRow = tuple[int, bytes, int, str, bytes]
# (position, originator id bytes, version, topic, state hash, link)
LinkRow = tuple[int, bytes, int, str, bytes, bytes]


def verify(db: Database, against: Digest | None = None, *, page: int = PAGE) -> Report:
    """Re-reads the whole ledger, in pages, from one consistent snapshot of the database."""
    with _streams(db, page) as (events, links):
        return check(events, links, against)


def check(
    events: Iterator[EventRow], links: Iterator[LinkRow], against: Digest | None = None
) -> Report:
    """Walks the events and the chain side by side in position order."""
    report = Report(against=against)
    problems: list[Problem] = []

    def found(kind: str, position: int, oid: bytes | None, version: int | None) -> None:
        if len(problems) < MAX_PROBLEMS:
            problems.append(Problem(kind, position, UUID(bytes=oid) if oid else None, version))
        else:
            report.more_problems += 1

    previous = GENESIS
    head = Digest(0, GENESIS.hex())
    against_seen = against is None or against.position == 0
    event = next(events, None)
    link = next(links, None)
    sha256 = hashlib.sha256
    while True:
        if event is not None and (link is None or event[0] < link[0]):
            report.events += 1
            found("event_unchained", event[0], event[1], event[2])
            event = next(events, None)
            continue
        if link is None:
            break
        position, oid, version, topic, state_hash, recorded = link
        report.links += 1
        if link_hash(previous, position, oid, version, topic, state_hash) != recorded:
            found("chain_broken", position, oid, version)
        if event is None or event[0] > position:
            found("event_missing", position, oid, version)
        else:
            report.events += 1
            if event[1] != oid or event[2] != version or event[3] != topic:
                found("event_changed", position, event[1], event[2])
            elif sha256(event[4]).digest() != state_hash:
                found("payload_changed", position, oid, version)
            event = next(events, None)
        if against is not None and not against_seen and position >= against.position:
            against_seen = True
            if position > against.position:
                found("digest_mismatch", against.position, None, None)
            elif recorded.hex() != against.hash:
                found("digest_mismatch", position, oid, version)
        previous = recorded
        head = Digest(position, recorded.hex())
        link = next(links, None)
    if against is not None and not against_seen:
        found("digest_truncated", against.position, None, None)
    report.head = head
    report.problems = sorted(problems, key=lambda p: p.position)
    return report


def check_read_models(report: Report, processed: int) -> None:
    """Adds a problem when the read models have seen a position the ledger no longer reaches:
    evidence, kept apart from the chain, that the newest events were removed with their links."""
    if processed > report.head.position:
        report.problems.append(Problem("read_models_ahead", processed))
        report.problems.sort(key=lambda p: p.position)


def name_problems(ledger: OffenderLedger, report: Report) -> None:
    """Names each problem's stream as REF#N (offenders) or `staff ID#N`, from the stream's first
    event; a stream whose first event cannot be read keeps only its id."""
    names: dict[UUID, str | None] = {}
    for problem in report.problems:
        oid = problem.originator_id
        if oid is None:
            continue
        if oid not in names:
            names[oid] = _stream_name(ledger, oid)
        name = names[oid]
        if name is not None:
            problem.ref = f"{name}#{problem.version}"


def _stream_name(ledger: OffenderLedger, oid: UUID) -> str | None:
    try:
        first = ledger.recorder.select_events(oid, limit=1)
        if not first:
            return None
        event = ledger.mapper.to_domain_event(first[0])
    except Exception:
        # Tampered or erased beyond decoding: the stream id still locates it.
        return None
    ref = getattr(event, "ref", None)
    if isinstance(ref, str):
        return ref
    staff = getattr(event, "staff_id", None)
    return f"staff {staff}" if isinstance(staff, str) else None


@contextmanager
def _streams(db: Database, page: int) -> Iterator[tuple[Iterator[EventRow], Iterator[LinkRow]]]:
    if db.is_sqlite:
        with _sqlite_streams(db, page) as streams:
            yield streams
    else:
        with _postgres_streams(db, page) as streams:
            yield streams


@contextmanager
def _sqlite_streams(
    db: Database, page: int
) -> Iterator[tuple[Iterator[EventRow], Iterator[LinkRow]]]:
    conn = sqlite3.connect(f"file:{Path(db.path)}?mode=ro", uri=True, timeout=10)
    try:
        # One read transaction: both streams see the same committed state (WAL snapshot).
        conn.execute("BEGIN")
        events = conn.execute(
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {SQLITE_EVENTS} "
            "ORDER BY rowid"
        )
        links = conn.execute(
            "SELECT position, originator_id, originator_version, topic, state_hash, link "
            f"FROM {SQLITE_CHAIN} ORDER BY position"
        )

        def event_rows() -> Iterator[EventRow]:
            fromhex = bytes.fromhex
            while rows := events.fetchmany(page):
                for p, oid, v, t, s in rows:
                    yield p, fromhex(oid), v, t, s

        def link_rows() -> Iterator[LinkRow]:
            fromhex = bytes.fromhex
            while rows := links.fetchmany(page):
                for p, oid, v, t, h, link in rows:
                    yield p, fromhex(oid), v, t, h, link

        yield event_rows(), link_rows()
    finally:
        conn.close()


@contextmanager
def _postgres_streams(
    db: Database, page: int
) -> Iterator[tuple[Iterator[EventRow], Iterator[LinkRow]]]:
    from psycopg import IsolationLevel
    from psycopg.sql import SQL, Identifier

    from ledger.bootstrap import postgres_connect

    conn = postgres_connect(db)
    try:
        conn.autocommit = False
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        s = Identifier(db.schema)
        with conn.transaction():
            # Server-side cursors stream each table in position order from one snapshot.
            events = conn.cursor(name="verify_events")
            events.itersize = page
            events.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM {0}.{1} ORDER BY notification_id"
                ).format(s, Identifier(PG_EVENTS))
            )
            links = conn.cursor(name="verify_links")
            links.itersize = page
            links.execute(
                SQL(
                    "SELECT position, originator_id, originator_version, topic, state_hash, link "
                    "FROM {0}.{1} ORDER BY position"
                ).format(s, Identifier(PG_CHAIN))
            )

            def event_rows() -> Iterator[EventRow]:
                for p, oid, v, t, state in events:
                    yield p, oid.bytes, v, t, bytes(state)

            def link_rows() -> Iterator[LinkRow]:
                for p, oid, v, t, h, link in links:
                    yield p, oid.bytes, v, t, bytes(h), bytes(link)

            yield event_rows(), link_rows()
    finally:
        conn.close()
