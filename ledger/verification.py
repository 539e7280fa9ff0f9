"""Checking the hash chain (`ledger verify`): every event against its link, every link against
the one before, and the newest link against a digest kept elsewhere.

The chain itself, and how each link is written with its event, is in `ledger.integrity`; this
module only reads. It is kept apart so that recording, which writes links, never loads it.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import struct
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.frozen import frozen
from ledger.errors import ConfigurationError
from ledger.integrity import (
    GENESIS,
    PG_BINDING_HISTORY,
    PG_CHAIN,
    PG_EVENTS,
    SQLITE_CHAIN,
    SQLITE_EVENTS,
    link_hash,
)
from ledger.settings import Database

if TYPE_CHECKING:
    from ledger.app import OffenderLedger

# The tables, as the eventsourcing library names them for this application, and the chain's.
# ------------------------------------------------------------------------------------- digests


@frozen
class Digest:
    """Where the chain stood: its newest position and that position's link."""

    position: int
    hash: str

    def as_dict(self) -> dict[str, Any]:
        return {"position": self.position, "hash": self.hash}

    def as_text(self) -> str:
        """The digest as `--digest-out` writes it: a small JSON document."""
        return json.dumps(self.as_dict(), indent=2) + "\n"

    def write(
        self, path: Path, option: str = "--digest-out", database: Database | None = None
    ) -> None:
        """Written whole, and only to a new or regular file that is not `database`'s own file
        (`ledger.files`); any refusal names `option`."""
        from ledger.files import output_path, write_whole

        write_whole(output_path(path, option, database), path, option, self.as_text(), database)

    @classmethod
    def read(cls, path: Path) -> Digest:
        """A digest kept outside the ledger: a file written by 'ledger verify --digest-out', a
        JSON export (which carries the digest it was made against), or the digest itself as
        'verify' and the HTML and PDF exports print it, POSITION:HASH.

        A file is read only if it is a regular file of at most `DIGEST_FILE_LIMIT` bytes."""
        from domain.errors import InvalidValueError
        from ledger.files import read_regular

        written = re.fullmatch(r"(\d+):([0-9a-fA-F]{64})", str(path).strip())
        if written is not None and not path.exists():
            return cls(position=int(written[1]), hash=written[2].lower())
        advice = (
            "give a file written by 'ledger verify --digest-out', a JSON export, or "
            "POSITION:HASH as verify and the exports print it"
        )
        try:
            data = read_regular(
                path,
                DIGEST_FILE_LIMIT,
                f"cannot read the digest {path}",
                advice,
                "a digest file or JSON export",
            )
        except InvalidValueError as error:
            raise ConfigurationError(str(error)) from None
        unknown = f"{path} is not a digest: {advice}"
        try:
            document = json.loads(data.decode("utf-8"))
            if isinstance(document, dict) and isinstance(document.get("export"), dict):
                document = document["export"]["ledger"]["digest"]
            digest = cls(position=int(document["position"]), hash=str(document["hash"]).lower())
            bytes.fromhex(digest.hash)
        except (ValueError, KeyError, TypeError, OverflowError, RecursionError):
            raise ConfigurationError(unknown) from None
        if digest.position < 0 or len(digest.hash) != 64:
            raise ConfigurationError(unknown)
        return digest


# The largest file `Digest.read` reads: a digest file is under 100 bytes, but a JSON export of a
# long record, which carries its digest too, may run to tens of megabytes.
DIGEST_FILE_LIMIT = 256 * 1024 * 1024


# ------------------------------------------------------------------------------------ verifying

KIND_MESSAGES = {
    "payload_changed": "the stored payload differs from the one chained when it was written "
    "(edited, re-encrypted or erased); the chain itself is intact here",
    "payload_not_bytes": "the stored payload is not bytes (text, a number or missing), so it "
    "cannot be the payload that was chained: it was written around the ledger",
    "event_changed": "the event's stream, entry number or type differs from what was chained",
    "event_missing": "the chain records an event at this position that is no longer in the ledger",
    "event_unchained": "an event is at this position that was never chained (written around the "
    "ledger)",
    "chain_broken": "this link does not follow from the one before it (a link was altered, "
    "inserted or removed)",
    "link_malformed": "a value in this link's row has the wrong type (text, a number or missing "
    "where the ledger writes bytes or a number): the chain was edited around the ledger",
    "digest_mismatch": "the chain no longer holds the digest's hash at the digest's position: "
    "history up to it was rewritten",
    "digest_truncated": "the ledger ends before the digest's position: events were removed",
    "login_not_bound": "the database login that inserted this event was not bound to the staff "
    "member it names when it was recorded",
    "author_mismatch": "the event's payload names someone other than the staff member its link "
    "names: it was written in someone else's name",
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
    # Events whose link names an author but whose payload could not be decoded to compare it
    # (an encrypted ledger verified without its key): their authors are unchecked.
    authors_unread: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def chain_intact(self) -> bool:
        """True when every problem is a payload that no longer matches its (intact) link."""
        return all(p.kind in PAYLOAD_ONLY for p in self.problems)

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
            "authors_unread": self.authors_unread,
        }


# Problems that leave the chain itself intact: only a payload no longer matches its link.
PAYLOAD_ONLY = frozenset({"payload_changed", "payload_not_bytes"})

MAX_PROBLEMS = 1000
PAGE = 2000

# Rows as the streams below give them: every value is what the ledger writes (16-byte stream id,
# int, str, bytes), or None where the database holds something else there (NULL, text where bytes
# belong, a number where text belongs, an id that is not one). Edits made around the ledger can
# put any value of any type in any column, and `check` must report them, never fail on them.
# The payload is the exception: it is passed on as stored, so that its wrong type can be named.
# (position, originator id bytes, version, topic, state)
EventRow = tuple[int, bytes | None, int | None, str | None, object]
# (position, originator id bytes, version, topic, state hash, link, login, author's staff id,
# recorded at): the last three are PostgreSQL's, stamped by the database (None for a v1 link).
LinkRow = tuple[
    int,
    bytes | None,
    int | None,
    str | None,
    bytes | None,
    bytes | None,
    str | None,
    str | None,
    datetime | None,
]
# The login binding's history, in the order it was written: (at, login, staff id, change).
BindingRow = tuple[datetime, str, str | None, str]


def _as_id(value: object) -> bytes | None:
    """A stream id as its 16 bytes, from a UUID (PostgreSQL) or its hex (SQLite)."""
    if isinstance(value, UUID):
        return value.bytes
    if isinstance(value, str):
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            return None
        return raw if len(raw) == 16 else None
    return None


def _as_int(value: object) -> int | None:
    return value if type(value) is int else None


def _as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _as_bytes(value: object) -> bytes | None:
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else None


def _event_row(p: Any, oid: Any, v: Any, t: Any, s: Any) -> EventRow:
    """Any stored event row, whatever its values' types (`_event_rows` takes the ledger's own
    rows without it)."""
    state = bytes(s) if isinstance(s, (bytearray, memoryview)) else s
    return p, _as_id(oid), _as_int(v), _as_str(t), state


def _link_row(
    p: Any,
    oid: Any,
    v: Any,
    t: Any,
    h: Any,
    link: Any,
    login: Any = None,
    staff: Any = None,
    at: Any = None,
) -> LinkRow:
    """Any chain row, whatever its values' types (`_link_rows` takes the ledger's own rows
    without it)."""
    return (
        p,
        _as_id(oid),
        _as_int(v),
        _as_str(t),
        _as_bytes(h),
        _as_bytes(link),
        _as_str(login),
        _as_str(staff),
        at if isinstance(at, datetime) else None,
    )


def _id_converter() -> Callable[[Any], bytes | None]:
    """`_as_id`, remembering each stream's id once converted: a ledger has thousands of streams
    and a million events."""
    ids: dict[Any, bytes | None] = {}

    def as_id(oid: Any) -> bytes | None:
        try:
            return ids[oid]
        except KeyError:
            raw = ids[oid] = _as_id(oid)
            return raw
        except TypeError:  # an id stored as something unhashable: never the ledger's own
            return _as_id(oid)

    return as_id


def _event_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[EventRow]:
    """Each stored event row as `check` takes it (`_event_row`), each stream's id converted once."""
    as_id = _id_converter()
    for p, oid, v, t, s in rows:
        raw = as_id(oid)
        if type(v) is int and type(t) is str and type(s) is bytes:  # as the ledger writes them
            yield p, raw, v, t, s
        else:
            yield _event_row(p, oid, v, t, s)


def _link_rows(rows: Iterable[tuple[Any, ...]]) -> Iterator[LinkRow]:
    """Each chain row as `check` takes it (`_link_row`), each stream's id converted once."""
    as_id = _id_converter()
    for row in rows:
        p, oid, v, t, h, link = row[:6]
        raw = as_id(oid)
        if type(v) is int and type(t) is str and type(h) is bytes and type(link) is bytes:
            if len(row) == 6:  # a v1 link as the ledger writes it (every SQLite link)
                yield p, raw, v, t, h, link, None, None, None
                continue
            login, staff, at = row[6:9]
            if (
                type(login) is str
                and (staff is None or type(staff) is str)
                and isinstance(at, datetime)
            ):  # a v2 link as the ledger writes it
                yield p, raw, v, t, h, link, login, staff, at
                continue
        yield _link_row(*row)


class Bindings:
    """Which login was bound to which staff member at any moment, from the binding's history."""

    def __init__(self, rows: list[BindingRow]) -> None:
        self._times: list[datetime] = []
        self._states: list[dict[str, str]] = []
        state: dict[str, str] = {}
        for at, login, staff, change in rows:
            state = dict(state)
            if change == "bound" and staff is not None:
                state[login] = staff
            else:
                state.pop(login, None)
            self._times.append(at)
            self._states.append(state)

    def at(self, moment: datetime | None) -> dict[str, str]:
        """The bindings in force at `moment` (the newest when it is unknown)."""
        if not self._states:
            return {}
        if moment is None:
            return self._states[-1]
        index = bisect_right(self._times, moment)
        return self._states[index - 1] if index else {}


def _stored_type(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def _link(
    previous: bytes | None,
    position: int,
    oid: bytes | None,
    version: int | None,
    topic: str | None,
    state_hash: bytes | None,
    login: str | None = None,
    staff: str | None = None,
) -> bytes | None:
    """The link these values chain to, or None when some value could never have been chained
    (the wrong type, or out of the encoding's range, such as a negative entry number)."""
    if previous is None or oid is None or version is None or topic is None or state_hash is None:
        return None
    try:
        return link_hash(previous, position, oid, version, topic, state_hash, login, staff)
    except (struct.error, OverflowError, TypeError, ValueError):
        return None


# Who an event's payload names as its author (`ledger.integrity.author`), from the stored event's
# stream id, version, topic and payload; raises if the payload cannot be decoded.
AuthorOf = Callable[[UUID, int, str, bytes], str | None]


def verify(
    db: Database,
    against: Digest | None = None,
    *,
    page: int = PAGE,
    author_of: AuthorOf | None = None,
) -> Report:
    """Re-reads the whole ledger, in pages, from one consistent snapshot of the database."""
    with _streams(db, page) as (events, links, bindings):
        return check(events, links, against, bindings, author_of)


def payload_author(ledger: OffenderLedger) -> AuthorOf:
    """`AuthorOf` by the ledger's own mapper: the payload decrypted and decompressed as the
    application does, its JSON parsed, and `entered_by`, else `by`, read from it as
    `ledger.integrity.author` reads them from the event. A payload whose fields cannot say (an
    older shape an upcaster completes, a value that is not text) is decoded as the application
    decodes it, upcasting included."""
    from eventsourcing.persistence import StoredEvent

    from ledger.integrity import author

    mapper = ledger.mapper
    cipher, compressor = mapper.cipher, mapper.compressor

    def author_of(oid: UUID, version: int, topic: str, state: bytes) -> str | None:
        data = cipher.decrypt(state) if cipher is not None else state
        data = compressor.decompress(data) if compressor is not None else data
        fields = json.loads(data)
        named = _plain_author(fields) if isinstance(fields, dict) else _UNREAD
        if named is not _UNREAD:
            return named  # type: ignore[return-value]
        stored = StoredEvent(
            originator_id=oid, originator_version=version, topic=topic, state=state
        )
        return author(mapper.to_domain_event(stored))

    return author_of


def _plain_author(fields: dict[str, Any]) -> str | object | None:
    """`entered_by`, else `by`, from a payload's fields as `ledger.integrity.author` reads them
    from the event; `_UNREAD` when the fields cannot say (neither present, or not text)."""
    if "entered_by" not in fields and "by" not in fields:
        return _UNREAD
    for name in ("entered_by", "by"):
        value = fields.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            return _UNREAD
        if value:
            return value
    return None


def check(
    events: Iterator[EventRow],
    links: Iterator[LinkRow],
    against: Digest | None = None,
    bindings: Bindings | None = None,
    author_of: AuthorOf | None = None,
) -> Report:
    """Walks the events and the chain side by side in position order. With `author_of`, a link
    that names an author (v2, PostgreSQL) is also held to the author its event's payload names:
    the link's author is the one the login check vouches for, so a payload naming another is a
    forgery that the hashes alone would pass."""
    report = Report(against=against)
    problems: list[Problem] = []

    def found(
        kind: str, position: int, oid: bytes | None, version: int | None, detail: str = ""
    ) -> None:
        if len(problems) < MAX_PROBLEMS:
            stream = UUID(bytes=oid) if oid else None
            problems.append(Problem(kind, position, stream, version, detail=detail))
        else:
            report.more_problems += 1

    previous: bytes | None = GENESIS
    # The newest link seen (none: the empty ledger, whose head is the genesis).
    head_position: int | None = None
    head_link: bytes | None = GENESIS
    against_seen = against is None or against.position == 0
    if against is not None and against.position == 0 and against.hash != GENESIS.hex():
        # Position 0 is the empty ledger, whose only link is the genesis (all zeros): it is
        # what a digest of an empty ledger holds. Any other hash there is no digest of this
        # ledger, and the ledger cannot be said to extend it.
        found(
            "digest_mismatch",
            0,
            None,
            None,
            "a digest at position 0 is the empty ledger's, whose hash is all zeros "
            f"({GENESIS.hex()}); this one's differs, so the ledger does not extend it",
        )
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
        position, oid, version, topic, state_hash, recorded = link[:6]
        # A v1 row (SQLite, or written before the login binding) has no login, staff or time.
        login, staff, at = link[6:9] if len(link) > 6 else (None, None, None)
        report.links += 1
        if None in (oid, version, topic, state_hash, recorded):
            found("link_malformed", position, oid, version)
        elif (
            previous is not None
            and _link(previous, position, oid, version, topic, state_hash, login, staff) != recorded
        ):
            found("chain_broken", position, oid, version)
        elif login is not None and staff is not None and bindings is not None:
            bound = bindings.at(at)
            if bound and bound.get(login) != staff:
                whom = f"staff {bound[login]}" if login in bound else "no staff member"
                found(
                    "login_not_bound",
                    position,
                    oid,
                    version,
                    f"inserted by the database login {login!r}, bound to {whom} then, in the "
                    f"name of staff {staff}: written in someone else's name",
                )
        if event is None or event[0] > position:
            found("event_missing", position, oid, version)
        else:
            report.events += 1
            _, event_oid, event_version, event_topic, state = event
            if event_oid != oid or event_version != version or event_topic != topic:
                # An id or entry number that is none names what the chain says belongs here.
                if event_oid is None or event_version is None:
                    event_oid, event_version = oid, version
                found("event_changed", position, event_oid, event_version)
            elif not isinstance(state, bytes):
                found(
                    "payload_not_bytes",
                    position,
                    oid,
                    version,
                    f"the stored payload is {_stored_type(state)}, not the bytes that were "
                    "chained: it was written around the ledger",
                )
            elif sha256(state).digest() != state_hash:
                found("payload_changed", position, oid, version)
            elif staff is not None and author_of is not None:
                named = _named_author(author_of, oid, version, topic, state)
                if named is _UNREAD:
                    report.authors_unread += 1
                elif named != staff:
                    found(
                        "author_mismatch",
                        position,
                        oid,
                        version,
                        f"the link names staff {staff}, the payload "
                        + (f"staff {named}" if named else "no one")
                        + ": written in someone else's name",
                    )
            event = next(events, None)
        if against is not None and not against_seen and position >= against.position:
            against_seen = True
            if position > against.position:
                found("digest_mismatch", against.position, None, None)
            elif recorded is None or recorded.hex() != against.hash:
                found("digest_mismatch", position, oid, version)
        # After a malformed link, the next one is checked against nothing (it is reported, if
        # at all, as the link that was edited); after an altered one, against what is stored.
        previous = recorded
        head_position, head_link = position, recorded
        link = next(links, None)
    if against is not None and not against_seen:
        found("digest_truncated", against.position, None, None)
    report.head = (
        Digest(0, GENESIS.hex())
        if head_position is None
        else Digest(head_position, head_link.hex() if head_link is not None else "")
    )
    report.problems = sorted(problems, key=lambda p: p.position)
    return report


_UNREAD = object()


def _named_author(
    author_of: AuthorOf, oid: bytes, version: int, topic: str, state: bytes
) -> str | object | None:
    """The author a payload names (None: no one), or `_UNREAD` when it cannot be decoded: an
    encrypted ledger verified without its key, or a payload that no view could show either."""
    try:
        return author_of(UUID(bytes=oid), version, topic, state)
    except Exception:
        return _UNREAD


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
            names[oid] = ledger.stream_name(oid)
        name = names[oid]
        if name is not None:
            problem.ref = f"{name}#{problem.version}"


@contextmanager
def _streams(
    db: Database, page: int, *, raw: bool = False
) -> Iterator[tuple[Iterator[Any], Iterator[Any], Bindings | None]]:
    """The events and the chain, each in position order, from one snapshot: as `check` takes
    them, or (`raw`) the rows as the driver gives them, which is all a floor for reading them
    should do."""
    if db.is_sqlite:
        with _sqlite_streams(db, page) as (events, links):
            yield (events, links, None) if raw else (_event_rows(events), _link_rows(links), None)
    else:
        with _postgres_streams(db, page) as (events, links, bindings):
            yield (
                (events, links, bindings)
                if raw
                else (_event_rows(events), _link_rows(links), bindings)
            )


@contextmanager
def _sqlite_streams(
    db: Database, page: int
) -> Iterator[tuple[Iterator[tuple[Any, ...]], Iterator[tuple[Any, ...]]]]:
    conn = sqlite3.connect(db.sqlite_uri("ro"), uri=True, timeout=5)
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

        def pages(cursor: sqlite3.Cursor) -> Iterator[tuple[Any, ...]]:
            while rows := cursor.fetchmany(page):
                yield from rows

        yield pages(events), pages(links)
    finally:
        conn.close()


@contextmanager
def _postgres_streams(
    db: Database, page: int
) -> Iterator[tuple[Iterator[Any], Iterator[Any], Bindings | None]]:
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
            bindings = _bindings(conn, db)
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
                    "SELECT position, originator_id, originator_version, topic, state_hash, link"
                    + (", login, staff_id, recorded_at" if bindings is not None else "")
                    + " FROM {0}.{1} ORDER BY position"
                ).format(s, Identifier(PG_CHAIN))
            )

            yield iter(events), iter(links), bindings
    finally:
        conn.close()


def _bindings(conn: Any, db: Database) -> Bindings | None:
    """The binding history in the transaction's snapshot; None for a ledger from before it
    (not yet upgraded by `ledger init`, whose links are all of the v1 form)."""
    from psycopg.sql import SQL, Identifier

    found = conn.execute(
        "SELECT to_regclass(%s)", (f'"{db.schema}".{PG_BINDING_HISTORY}',)
    ).fetchone()
    if found is None or found[0] is None:
        return None
    rows = conn.execute(
        SQL("SELECT at, login, staff_id, change FROM {0}.{1} ORDER BY id").format(
            Identifier(db.schema), Identifier(PG_BINDING_HISTORY)
        )
    ).fetchall()
    return Bindings([tuple(row) for row in rows])
