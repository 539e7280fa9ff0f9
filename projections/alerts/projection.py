"""Keeping every offender's breaches up to date as events arrive.

After each page, the offenders the page touched are marked pending (in the page's transaction,
beside its position) and, when re-reading their histories is cheap, re-evaluated at once from
their `entries` rows (the timeline projection wrote them earlier in the same transaction). A page
that would cost more - a rebuild, a bulk import - leaves them pending, and the next reader settles
them: each offender is then evaluated once, not once per page it appears in. Re-evaluating an
offender replaces all of its alert rows, so doing it twice gives the same rows.

The policy's digest and the rules' version are stored with the rows: when the figures or the
rules change, every offender is marked pending, and so re-evaluated before anything is read.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from itertools import groupby
from json.encoder import encode_basestring as _encode_text
from operator import attrgetter
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.engine import Dialect

from domain.offender import Offender
from projections.alerts.policy import Policy, load_policy
from projections.alerts.rules import Breach, evaluate
from projections.alerts.schema import AlertPendingRow, AlertPolicyRow, AlertRow
from projections.bulk import BulkInsert
from projections.db import clear_tables
from projections.records import EntryRecord, naive_utc, record_from_row, sqlite_instant
from projections.runner import Projection
from projections.schema import EntryRow, OffenderRow, ProjectionPosition, StaffRow

NAME = "alerts"
# Entry rows a page may re-read to evaluate its offenders at once; beyond, they wait for a reader.
LIVE_BUDGET = 20_000
# Raise when a rule's meaning changes: stored alerts are then re-evaluated before the next read.
# 2: an agency knows an entry from when one of its staff typed it in for someone else (who-knew's
# knowledge, which DISCLOSURE_NOT_SHARED reads); 3: such a typist placed by the staff directory;
# 4: whoever shares an item knows it, and so does their agency.
RULES_VERSION = 4
# Offenders evaluated per query when settling many.
CHUNK = 200
# Past this many entry rows to read, a settle evaluates in worker processes, this many.
PARALLEL_ROWS = 100_000
WORKERS = 2
# Offenders per worker task: one transaction each when written.
WORKER_CHUNK = 50

insert_alerts = BulkInsert(AlertRow.__table__)  # type: ignore[arg-type]


class AlertsProjection(Projection):
    name = NAME
    handles: ClassVar[tuple[type, ...]] = (Offender.Event,)
    # Every secondary index of the alerts table: a rebuild writes all of its rows at the end.
    deferred_indexes = tuple(sorted(AlertRow.__table__.indexes, key=lambda i: str(i.name)))

    def __init__(self, policy_path: str | None = None) -> None:
        # Loaded now, so that a malformed LEDGER_POLICY is one clear error before any page.
        self.policy: Policy = load_policy(policy_path)
        # The offenders touched by the page, as ids in hex (pickled and compared cheaply).
        self._touched: set[str] = set()
        # During a rebuild every offender is re-read at the end, once: pages only mark them.
        self._deferring = False

    def start_page(self) -> None:
        self._touched = set()

    def process(self, event: Any, position: int, conn: Connection) -> None:
        if isinstance(event, Offender.Event):
            self._touched.add(event.originator_id.hex)

    def prepare(self, page: Sequence[tuple[int, Any]], dialect: Dialect) -> Any:
        events = [e.originator_id.hex for _, e in page if isinstance(e, Offender.Event)]
        return len(events), set(events)

    def process_prepared(self, prepared: Any, conn: Connection) -> int:
        count, touched = prepared
        self._touched |= touched
        return int(count)

    def end_page(self, conn: Connection) -> None:
        keys, self._touched = self._touched, set()
        if not keys:
            return
        check_policy(conn, self.policy)
        if self._deferring:
            _insert_pending(conn, keys)
            return
        touched = {UUID(hex=key) for key in keys}
        mark_pending(conn, touched)
        size = conn.scalar(
            select(func.coalesce(func.sum(OffenderRow.events), 0)).where(
                OffenderRow.offender_id.in_(touched)
            )
        )
        if int(size or 0) <= LIVE_BUDGET:
            reevaluate(conn, self.policy, sorted(touched))

    def start_rebuild(self) -> None:
        self._deferring = True

    def finish_rebuild(self, engine: Engine, reached: bool) -> None:
        """Evaluates every offender the rebuild marked, each once, from its complete history."""
        self._deferring = False
        if reached:
            settle_in_chunks(engine, self.policy)

    def clear(self, conn: Connection) -> None:
        clear_tables(conn, AlertRow.__table__, AlertPendingRow.__table__, AlertPolicyRow.__table__)


def _insert_pending(conn: Connection, keys: Iterable[str]) -> None:
    """Marks offenders (ids in hex) pending, those already marked staying as they are, in one
    driver call."""
    if conn.dialect.name == "sqlite":
        sql = "INSERT INTO alerts_pending (offender_id) VALUES (?) ON CONFLICT DO NOTHING"
        conn.exec_driver_sql(sql, [(key,) for key in sorted(keys)])
    else:
        sql = (
            "INSERT INTO alerts_pending (offender_id) SELECT unnest(%(ids)s::uuid[]) "
            "ON CONFLICT DO NOTHING"
        )
        conn.exec_driver_sql(sql, {"ids": [UUID(hex=key) for key in sorted(keys)]})


def check_policy(conn: Connection, policy: Policy) -> None:
    """Marks every offender pending when the stored alerts were made under other figures or by
    another version of the rules."""
    made_by = f"{RULES_VERSION}:{policy.digest}"
    stored = conn.scalar(select(AlertPolicyRow.digest).where(AlertPolicyRow.name == "current"))
    if stored == made_by:
        return
    if stored is None:
        conn.execute(insert(AlertPolicyRow).values(name="current", digest=made_by))
    else:
        conn.execute(
            update(AlertPolicyRow).where(AlertPolicyRow.name == "current").values(digest=made_by)
        )
    mark_pending(conn, conn.scalars(select(OffenderRow.offender_id)))


def mark_pending(conn: Connection, offenders: Iterable[UUID]) -> None:
    wanted = set(offenders)
    if not wanted:
        return
    present: set[UUID] = set()
    for chunk in _chunks(sorted(wanted), CHUNK * 5):
        present.update(
            conn.scalars(
                select(AlertPendingRow.offender_id).where(AlertPendingRow.offender_id.in_(chunk))
            )
        )
    missing = wanted - present
    if missing:
        conn.execute(insert(AlertPendingRow), [{"offender_id": o} for o in sorted(missing)])


def settle(conn: Connection, policy: Policy) -> int:
    """Re-evaluates every pending offender; returns how many. Serialised with catch-up by the
    alerts projection's position row, so two readers never evaluate the same offender at once."""
    lock(conn)
    check_policy(conn, policy)
    pending = sorted(conn.scalars(select(AlertPendingRow.offender_id)))
    reevaluate(conn, policy, pending)
    return len(pending)


def settle_in_chunks(engine: Engine, policy: Policy, workers: int | None = None) -> int:
    """`settle`, a transaction per chunk of offenders: after a rebuild that is every offender, and
    one transaction for all would hold the alerts' lock (and the rows in memory) throughout.
    Stopped half-way, the chunks not done are still pending, and the next reader settles them.

    When there are many entry rows to read, worker processes read and evaluate the offenders
    (the rules are pure Python: one process uses one core) while this one writes their rows."""
    with engine.begin() as conn:
        lock(conn)
        check_policy(conn, policy)
        pending = sorted(conn.scalars(select(AlertPendingRow.offender_id)))
        size = _history_size(conn, pending)
        stamp = stamp_of(conn)
        where = _location(conn)
    if workers is None:
        workers = WORKERS if size >= PARALLEL_ROWS else 0
    if workers > 0 and pending:
        _settle_in_workers(engine, policy, pending, stamp, where, workers)
        return len(pending)
    for chunk in _chunks(pending, CHUNK):
        with engine.begin() as conn:
            lock(conn)
            reevaluate(conn, policy, chunk)
    return len(pending)


def _history_size(conn: Connection, offenders: Sequence[UUID]) -> int:
    """How many entry rows the offenders have (as the register counts them)."""
    total = 0
    for chunk in _chunks(offenders, CHUNK * 5):
        found = conn.scalar(
            select(func.coalesce(func.sum(OffenderRow.events), 0)).where(
                OffenderRow.offender_id.in_(chunk)
            )
        )
        total += int(found or 0)
    return total


def stamp_of(conn: Connection) -> tuple[Any, Any]:
    """What a settle's evaluations were made against: the alerts' position and the rules' digest.
    Pending marks are only added by a transaction that changes one of the two."""
    position = conn.scalar(
        select(ProjectionPosition.position).where(ProjectionPosition.name == NAME)
    )
    digest = conn.scalar(select(AlertPolicyRow.digest).where(AlertPolicyRow.name == "current"))
    return position, digest


def _location(conn: Connection) -> tuple[str, str | None]:
    """How a worker process reaches the same database: its URL and (PostgreSQL) search path."""
    url = conn.engine.url.render_as_string(hide_password=False)
    if conn.dialect.name != "postgresql":
        return url, None
    return url, str(conn.exec_driver_sql("SHOW search_path").scalar())


def _settle_in_workers(
    engine: Engine,
    policy: Policy,
    pending: Sequence[UUID],
    stamp: tuple[Any, Any],
    where: tuple[str, str | None],
    workers: int,
) -> None:
    """Worker processes read, evaluate and write chunks of offenders, each chunk in a transaction
    of its own (see `workers.serve`); this process only hands them out. Should a worker fail,
    the chunks not known to be written are evaluated here (doing one twice gives the same rows).
    """
    from projections.alerts.workers import Evaluators, WorkerError

    chunks = list(_chunks(pending, WORKER_CHUNK))
    ahead = workers * 2  # chunks asked for beyond the one awaited: keeps every worker busy
    done = 0
    try:
        pool = Evaluators(workers, *where, policy, stamp)
        try:
            for chunk in chunks[:ahead]:
                pool.submit(chunk)
            for index in range(len(chunks)):
                pool.next_result()
                done = index + 1
                if index + ahead < len(chunks):
                    pool.submit(chunks[index + ahead])
        finally:
            pool.close()
    except (OSError, EOFError, WorkerError) as error:
        warnings.warn(
            f"alerts: evaluating in worker processes failed ({error}); evaluating here instead",
            RuntimeWarning,
            stacklevel=2,
        )
        for chunk in chunks[done:]:
            with engine.begin() as conn:
                lock(conn)
                reevaluate(conn, policy, chunk)


def lock(conn: Connection) -> None:
    lock = select(ProjectionPosition.position).where(ProjectionPosition.name == NAME)
    if conn.dialect.name == "postgresql":
        lock = lock.with_for_update()
    conn.execute(lock)


def staff_agencies(conn: Connection) -> dict[str, str]:
    """Each staff member's agency, from the staff directory: the rules place by it someone who
    typed an entry in for another and authored nothing else on that offender."""
    return {
        staff: agency for staff, agency in conn.execute(select(StaffRow.staff_id, StaffRow.agency))
    }


def reevaluate(conn: Connection, policy: Policy, offenders: Sequence[UUID]) -> None:
    """Replaces the alert rows of `offenders` with their breaches as of everything recorded."""
    agencies = staff_agencies(conn)
    for chunk in _chunks(offenders, CHUNK):
        rows: list[dict[str, Any]] = []
        for offender_id, records in load_histories(conn, chunk):
            breaches = evaluate(records, policy, agencies=agencies)
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
    return [
        (key, seq, ref, area, rule, entry, stamp(due), None if done is None else stamp(done), *rest)
        for (_, seq, ref, area, rule, entry, due, done, *rest) in rows
    ]


# How each dialect's driver takes an id and an instant, as SQLAlchemy's bind processors make them
# (checked against them by the unit tests).
_DRIVER_FORMS: dict[tuple[str, str], tuple[Callable[[UUID], Any], Callable[[datetime], Any]]] = {
    ("sqlite", "pysqlite"): (attrgetter("hex"), sqlite_instant),
    ("postgresql", "psycopg"): (_same, naive_utc),
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
)


def _rows(
    offender_id: UUID, records: Sequence[EntryRecord], breaches: Sequence[Breach]
) -> list[tuple[Any, ...]]:
    registration = next((r for r in records if r.type == "Registered"), None)
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
        document = (
            f'{{"rule": {quote(b.rule)}, {head}"entry": {entry}, '
            f'"due_at": {quote(b.due_at.isoformat())}, "detail": {quote(b.detail)}{tail}'
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
            )
        )
    return rows


def _quote(value: Any) -> str:
    if type(value) is str:
        return _encode_text(value)
    return json.dumps(value, ensure_ascii=False)


def _chunks(items: Sequence[UUID], size: int) -> Iterable[Sequence[UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
