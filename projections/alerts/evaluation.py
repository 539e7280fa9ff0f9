"""Evaluating offenders' alerts from their `entries` rows and writing their alert rows: the work
shared by the alerts projection and the worker processes it may hand that work to.

Re-evaluating an offender replaces all of its alert rows, so doing it twice gives the same rows.
Writers take the alerts' lock (`lock`) first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache, partial
from itertools import groupby
from json.encoder import encode_basestring as _encode_text
from operator import attrgetter
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from sqlalchemy import Connection, delete, select
from sqlalchemy.engine import Dialect

from projections.alerts.policy import Policy
from projections.alerts.schema import AlertPendingRow, AlertPolicyRow, AlertRow
from projections.bulk import BulkInsert
from projections.event_types import REGISTERED
from projections.records import EntryRecord, naive_utc, record_from_row, sqlite_instant
from projections.schema import EntryRow, ProjectionPosition, StaffRow
from projections.sealing import seal_text, sealer_of

if TYPE_CHECKING:
    from projections.alerts.rules import Breach

# The alerts projection's name: its position row is the alerts' lock.
NAME = "alerts"
# Offenders evaluated per query when settling many.
CHUNK = 200

insert_alerts = BulkInsert(AlertRow.__table__)  # type: ignore[arg-type]


def stamp_of(conn: Connection) -> tuple[Any, Any]:
    """What a settle's evaluations were made against: the alerts' position and the rules' digest.
    Pending marks are only added by a transaction that changes one of the two."""
    position = conn.scalar(
        select(ProjectionPosition.position).where(ProjectionPosition.name == NAME)
    )
    digest = conn.scalar(select(AlertPolicyRow.digest).where(AlertPolicyRow.name == "current"))
    return position, digest


def lock(conn: Connection) -> None:
    lock = select(ProjectionPosition.position).where(ProjectionPosition.name == NAME)
    if conn.dialect.name == "postgresql":
        lock = lock.with_for_update()
    conn.execute(lock)


class Directory(NamedTuple):
    """The staff directory as the rules read it: each member's agency (which places someone who
    typed an entry in for another and authored nothing else on that offender) and name (which a
    breach's detail gives beside the id)."""

    agencies: dict[str, str]
    names: dict[str, str]


def staff_directory(conn: Connection) -> Directory:
    """Every staff member's agency and name, from the staff read model."""
    agencies: dict[str, str] = {}
    names: dict[str, str] = {}
    for staff, agency, name in conn.execute(
        select(StaffRow.staff_id, StaffRow.agency, StaffRow.name)
    ):
        agencies[staff] = agency
        names[staff] = name
    return Directory(agencies, names)


def reevaluate(conn: Connection, policy: Policy, offenders: Sequence[UUID]) -> None:
    """Replaces the alert rows of `offenders` with their breaches as of everything recorded."""
    if not offenders:
        return  # most reads settle nothing
    # The rules (and what they read: knowledge, ownership, labels) only when there is something
    # to evaluate.
    from projections.alerts.rules import evaluate

    staff = staff_directory(conn)
    for chunk in in_chunks(offenders, CHUNK):
        rows: list[dict[str, Any]] = []
        for offender_id, records in load_histories(conn, chunk):
            breaches = evaluate(records, policy, agencies=staff.agencies, names=staff.names)
            rows.extend(alert_driver_rows(conn.dialect, offender_id, records, breaches))
        replace_alerts(conn, chunk, rows)


def replace_alerts(conn: Connection, offenders: Sequence[UUID], rows: Sequence[Any]) -> None:
    """The offenders' alert rows replaced by `rows` (as the driver takes them); none pending."""
    conn.execute(delete(AlertRow).where(AlertRow.offender_id.in_(offenders)))
    conn.execute(delete(AlertPendingRow).where(AlertPendingRow.offender_id.in_(offenders)))
    insert_alerts.insert_driver_rows(conn, rows)


def load_histories(
    conn: Connection, offenders: Sequence[UUID], as_of: Any = None
) -> list[tuple[UUID, list[EntryRecord]]]:
    """Each offender's entry rows as records (those recorded by `as_of`, when given)."""
    if as_of is None:
        return _load_histories_raw(conn, offenders)
    query = (
        select(EntryRow)
        .where(EntryRow.offender_id.in_(offenders))
        .where(EntryRow.recorded_at <= as_of)
        .order_by(EntryRow.offender_id, EntryRow.entry)
    )
    rows = conn.execute(query)
    return [
        (offender_id, [record_from_row(row) for row in group])
        for offender_id, group in groupby(rows, key=lambda row: row.offender_id)
    ]


_HISTORY_COLUMNS = (
    'entry, position, type, occurred_at, occurred_date, time_known, recorded_at, "by", agency, '
    "rank, senior, entered_by, summary, risk_relevant, data, offender_id"
)
# The same on PostgreSQL, made cheaper to take in: instants as timestamptz (read, under a UTC
# session time zone, straight into aware UTC datetimes), the facts as JSON text (parsed in one
# call per chunk, as on SQLite) and the offender's id as text.
_PG_HISTORY_COLUMNS = (
    "entry, position, type, occurred_at AT TIME ZONE 'UTC', occurred_date, time_known, "
    "recorded_at AT TIME ZONE 'UTC', \"by\", agency, rank, senior, entered_by, summary, "
    "risk_relevant, data::text, offender_id::text"
)


def _load_histories_raw(
    conn: Connection, offenders: Sequence[UUID]
) -> list[tuple[UUID, list[EntryRecord]]]:
    """`load_histories` as of now, through the driver: settling after a rebuild reads every entry
    row back, and SQLAlchemy's per-value result processing would cost more than the rules. The
    records are the same as `record_from_row` makes (UTC-aware instants, dates, bools, dicts),
    with `occurred_instant` already set from the row's own column."""
    if not offenders:
        return []
    driver = conn.connection.driver_connection
    if conn.dialect.name == "sqlite":
        ids = {o.hex: o for o in offenders}
        marks = ", ".join("?" * len(ids))
        sql = f"SELECT {_HISTORY_COLUMNS} FROM entries WHERE offender_id IN ({marks})"
        query = driver.execute(sql + " ORDER BY offender_id, entry", tuple(ids))  # type: ignore[union-attr]
        rows = query.fetchall()
        stamp, day = _sqlite_stamp, date.fromisoformat
    else:
        ids = {str(o): o for o in offenders}
        sql = f"SELECT {_PG_HISTORY_COLUMNS} FROM entries WHERE offender_id = ANY(%(ids)s)"
        with driver.cursor() as cursor:  # type: ignore[union-attr]
            # For this transaction only: timestamptz values come back in the session's zone.
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")
            cursor.execute(sql + " ORDER BY offender_id, entry", {"ids": list(offenders)})
            rows = cursor.fetchall()
        stamp, day = _same, _same
    # Every row's facts parsed in one call: json.loads costs more per call than per byte.
    facts = json.loads("[" + ",".join(row[14] or "null" for row in rows) + "]")
    sealer = sealer_of(conn.dialect)
    if sealer is not None:
        # Sealed (`projections.sealing`): each row's facts are the JSON string of their sealed
        # text, and its summary is sealed text.
        facts = [None if text is None else sealer.unseal_json(text) for text in facts]
        rows = [(*row[:12], sealer.unseal(row[12]), *row[13:]) for row in rows]
    new = object.__new__
    histories: list[tuple[UUID, list[EntryRecord]]] = []
    records: list[EntryRecord] = []
    key = None
    for (
        entry,
        position,
        kind,
        at,
        on,
        known,
        recorded,
        by,
        agency,
        rank,
        senior,
        entered,
        summary,
        risk,
        _,
        offender,
    ), data in zip(rows, facts, strict=True):
        if offender != key:
            key, records = offender, []
            histories.append((ids[offender], records))
        record = new(EntryRecord)
        occurred = stamp(at)
        # The fields `EntryRecord(...)` would set (checked by the unit tests), and the cached
        # `occurred_instant`, without going through the frozen dataclass's __setattr__.
        record.__dict__.update(
            {
                "offender_id": ids[offender],
                "entry": entry,
                "position": position,
                "type": kind,
                "occurred_at": occurred if known else day(on),
                "recorded_at": stamp(recorded),
                "by": by,
                "agency": agency,
                "rank": rank,
                "senior": bool(senior),
                "entered_by": entered,
                "summary": summary,
                "risk_relevant": bool(risk),
                "data": data or {},
                "occurred_instant": occurred,
            }
        )
        records.append(record)
    return histories


def _sqlite_stamp(text: str) -> datetime:
    # Naive UTC text as SQLAlchemy stores it; parsing it with its offset is the cheaper way to an
    # aware datetime than replacing the tzinfo of a naive one.
    return datetime.fromisoformat(text + "+00:00")


def _same(value: Any) -> Any:
    return value


def alert_rows(
    offender_id: UUID, records: Sequence[EntryRecord], breaches: Sequence[Breach]
) -> list[dict[str, Any]]:
    return [
        dict(zip(_ALERT_COLUMNS, row, strict=True)) for row in _rows(offender_id, records, breaches)
    ]


def alert_driver_rows(
    dialect: Dialect, offender_id: UUID, records: Sequence[EntryRecord], breaches: Sequence[Breach]
) -> list[Any]:
    """`alert_rows` as the driver takes them, on SQLite and with psycopg made straight from the
    breaches: ids and instants as SQLAlchemy's bind processors would make them (hex ids and text
    instants on SQLite, naive UTC instants for PostgreSQL's COPY)."""
    rows = _rows(offender_id, records, breaches)
    forms = _DRIVER_FORMS.get((dialect.name, dialect.driver))
    if forms is None or insert_alerts.keys(dialect) != _ALERT_COLUMNS:
        named = [dict(zip(_ALERT_COLUMNS, row, strict=True)) for row in rows]
        return insert_alerts.driver_rows(dialect, named)
    id_form, stamp = forms
    key = id_form(offender_id)
    sealer = sealer_of(dialect)
    if sealer is not None:
        # Sealed as `SealedText` would seal them (`projections.sealing`).
        seal = partial(seal_text, sealer)
        rows = [
            (*row[:8], seal(row[8]), seal(row[9]), seal(row[10]), row[11], seal(row[12]))
            for row in rows
        ]
    return [
        (
            key,
            seq,
            ref,
            area,
            rule,
            entry,
            stamp(due),
            None if done is None else stamp(done),
            detail,
            resolution,
            document,
            None if lapsed is None else stamp(lapsed),
            lapse,
        )
        for (
            _,
            seq,
            ref,
            area,
            rule,
            entry,
            due,
            done,
            detail,
            resolution,
            document,
            lapsed,
            lapse,
        ) in rows
    ]


# How each dialect's driver takes an id and an instant, as SQLAlchemy's bind processors make them
# (checked against them by the unit tests). Cached: an offender's alerts repeat a few moments many
# times (a transfer closes every duty it ended), and converting them was a third of making rows.
_DRIVER_FORMS: dict[tuple[str, str], tuple[Callable[[UUID], Any], Callable[[datetime], Any]]] = {
    ("sqlite", "pysqlite"): (attrgetter("hex"), lru_cache(maxsize=8192)(sqlite_instant)),
    ("postgresql", "psycopg"): (_same, lru_cache(maxsize=8192)(naive_utc)),
}

# The alerts table's columns, in the order `_rows` gives them.
_ALERT_COLUMNS = (
    "offender_id",
    "seq",
    "ref",
    "area",
    "rule",
    "entry",
    "due_at",
    "satisfied_at",
    "detail",
    "resolution",
    "document",
    "lapsed_at",
    "lapse",
)


def _rows(
    offender_id: UUID, records: Sequence[EntryRecord], breaches: Sequence[Breach]
) -> list[tuple[Any, ...]]:
    registration = next((r for r in records if r.type == REGISTERED), None)
    if registration is None:
        return []
    ref, area = registration.data["ref"], registration.data.get("area")
    rows = []
    quote = _quote
    head = f'"ref": {quote(ref)}, '
    tail = f', "area": {quote(area)}}}'
    for seq, b in enumerate(breaches, start=1):
        # As json.dumps(..., ensure_ascii=False) writes it, key for key, without building a dict.
        entry = "null" if b.entry is None else int.__repr__(b.entry)
        # Stored for the standing list, where every alert is open.
        document = (
            f'{{"rule": {quote(b.rule)}, {head}"entry": {entry}, '
            f'"due_at": {quote(b.due_at.isoformat())}, "detail": {quote(b.detail)}, '
            f'"state": "open"{tail}'
        )
        rows.append(
            (
                offender_id,
                seq,
                ref,
                area,
                b.rule,
                b.entry,
                b.due_at,
                b.satisfied_at,
                b.detail,
                b.resolution,
                document,
                b.lapsed_at,
                b.lapse,
            )
        )
    return rows


def _quote(value: Any) -> str:
    if type(value) is str:
        return _encode_text(value)
    return json.dumps(value, ensure_ascii=False)


def in_chunks(items: Sequence[UUID], size: int) -> Iterable[Sequence[UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
