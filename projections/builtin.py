"""The core read models: the timeline's entries, the offender register and the staff directory."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial, singledispatchmethod
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.engine import Dialect

from domain.clock import instant
from domain.offender import Offender
from domain.staff import StaffMember
from domain.values import Agency, is_senior
from projections.bulk import BulkInsert
from projections.db import clear_tables
from projections.rows import pg_row_from_event, row_from_event, sqlite_row_from_event
from projections.runner import Projection
from projections.schema import EntryRow, OffenderRow, StaffRow
from projections.sealing import sealer_of

_insert_entries = BulkInsert(EntryRow.__table__)  # type: ignore[arg-type]


class TimelineProjection(Projection):
    """Every offender event as one `entries` row, inserted in bulk per page."""

    name = "timeline"
    handles = (Offender.Event,)
    deferred_indexes = tuple(
        i for i in EntryRow.__table__.indexes if i.name == "ix_entries_offender_type"
    )

    def __init__(self) -> None:
        # Each row as the driver takes it: a rebuild makes a million of these.
        self._rows: list[tuple[Any, ...]] = []

    def start_page(self) -> None:
        self._rows = []

    def process(self, event: Any, position: int, conn: Connection) -> None:
        if isinstance(event, Offender.Event):
            self._rows.append(_driver_row(conn.dialect)(event, position))

    def prepare(self, page: Sequence[tuple[int, Any]], dialect: Dialect) -> Any:
        make = _driver_row(dialect)
        return [
            make(event, position) for position, event in page if isinstance(event, Offender.Event)
        ]

    def process_prepared(self, prepared: Any, conn: Connection) -> int:
        self._rows.extend(prepared)
        return len(prepared)

    def end_page(self, conn: Connection) -> None:
        _insert_entries.insert_driver_rows(conn, self._rows)
        self._rows = []

    def clear(self, conn: Connection) -> None:
        clear_tables(conn, EntryRow.__table__)


def _driver_row(dialect: Dialect) -> Callable[[Offender.Event, int], tuple[Any, ...]]:
    """The timeline's row of an event, made straight in the form the driver takes (sealed under
    the dialect's key, when it has one)."""
    sealer = sealer_of(dialect)
    if dialect.name == "sqlite":
        return (
            sqlite_row_from_event
            if sealer is None
            else partial(sqlite_row_from_event, sealer=sealer)
        )
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return pg_row_from_event if sealer is None else partial(pg_row_from_event, sealer=sealer)
    prepared = _insert_entries.driver_rows
    return lambda event, position: prepared(dialect, [row_from_event(event, position)])[0]


class OffenderRegister(Projection):
    """The register of offenders: who, where, which MAPPA level now, how many entries."""

    name = "offenders"
    handles = (Offender.Event,)

    def __init__(self) -> None:
        self._new: dict[str, dict[str, Any]] = {}
        self._changes: dict[str, dict[str, Any]] = {}

    def start_page(self) -> None:
        self._new, self._changes = {}, {}

    def process(self, event: Any, position: int, conn: Connection) -> None:
        if isinstance(event, Offender.Event):
            _merge(self._new, self._changes, event)

    def prepare(self, page: Sequence[tuple[int, Any]], dialect: Dialect) -> Any:
        # The page's changes merged per offender: a few hundred offenders, not 5,000 events.
        new: dict[str, dict[str, Any]] = {}
        changes: dict[str, dict[str, Any]] = {}
        count = 0
        for _, event in page:
            if isinstance(event, Offender.Event):
                _merge(new, changes, event)
                count += 1
        return count, new, changes

    def process_prepared(self, prepared: Any, conn: Connection) -> int:
        count, new, changes = prepared
        # As `_merge` would have, event by event: a change to an offender registered earlier in
        # the page goes to its new row.
        self._new.update(new)
        for key, values in changes.items():
            row = self._new.get(key)
            if row is not None:
                row.update(values)
            else:
                self._changes.setdefault(key, {}).update(values)
        return int(count)

    def end_page(self, conn: Connection) -> None:
        if self._new:
            conn.execute(insert(OffenderRow), list(self._new.values()))
        if self._changes:
            _update_register(conn, self._changes)
        self._new, self._changes = {}, {}

    def clear(self, conn: Connection) -> None:
        clear_tables(conn, OffenderRow.__table__)


def _merge(
    new: dict[str, dict[str, Any]], changes: dict[str, dict[str, Any]], event: Offender.Event
) -> None:
    """Adds what one event changes in the register to a page's new rows and changes, each keyed
    by the offender's id in hex (a few thousand a page, pickled and compared cheaply)."""
    offender_id = event.originator_id
    key = offender_id.hex
    if isinstance(event, Offender.Registered):
        new[key] = {
            "offender_id": offender_id,
            "ref": event.ref,
            "name": event.name,
            "born": event.born,
            "category": event.category,
            "level": event.level,
            "area": event.area,
            "registered_at": instant(event.occurred_at),
            "recorded_at": event.timestamp,
            "events": 1,
        }
        return
    values = new.get(key)
    if values is None:
        values = changes.setdefault(key, {})
    values["events"] = event.originator_version
    if isinstance(event, Offender.MappaMeetingRecorded):
        values["level"] = event.level


def _update_register(conn: Connection, changes: dict[str, dict[str, Any]]) -> None:
    """The page's changes to offenders already registered, in one or two driver calls: a page of
    a large ledger touches thousands of offenders."""
    if conn.dialect.name == "sqlite":
        plain = [(v["events"], key) for key, v in changes.items() if "level" not in v]
        leveled = [(v["events"], v["level"], key) for key, v in changes.items() if "level" in v]
        if plain:
            sql = "UPDATE offenders SET events = ? WHERE offender_id = ?"
            conn.exec_driver_sql(sql, plain)
        if leveled:
            sql = "UPDATE offenders SET events = ?, level = ? WHERE offender_id = ?"
            conn.exec_driver_sql(sql, leveled)
        return
    if conn.dialect.name == "postgresql":
        # One statement: the changes as arrays, a level left NULL where it did not change.
        conn.exec_driver_sql(
            "UPDATE offenders AS o SET events = v.events, level = COALESCE(v.level, o.level) "
            "FROM unnest(%(ids)s::uuid[], %(events)s::int[], %(levels)s::int[]) "
            "AS v(id, events, level) WHERE o.offender_id = v.id",
            {
                "ids": [UUID(hex=key) for key in changes],
                "events": [v["events"] for v in changes.values()],
                "levels": [v.get("level") for v in changes.values()],
            },
        )
        return
    for with_level in (False, True):
        rows = [
            {"changed_id": UUID(hex=key), "new_events": v["events"], "new_level": v.get("level")}
            for key, v in changes.items()
            if ("level" in v) == with_level
        ]
        if not rows:
            continue
        values = {"events": bindparam("new_events")}
        if with_level:
            values["level"] = bindparam("new_level")
        conn.execute(
            update(OffenderRow)
            .where(OffenderRow.offender_id == bindparam("changed_id"))
            .values(**values),
            rows,
        )


class StaffDirectory(Projection):
    """The staff directory as it stands: current rank, area, and whether they have left."""

    name = "staff"
    handles = (StaffMember.Event,)

    def start_page(self) -> None:
        pass

    @singledispatchmethod
    def process(self, event: Any, position: int, conn: Connection) -> None:
        pass

    def prepare(self, page: Sequence[tuple[int, Any]], dialect: Dialect) -> Any:
        # A handful in a whole ledger: handed over as they are, processed as usual.
        return [(p, e) for p, e in page if isinstance(e, StaffMember.Event)]

    def process_prepared(self, prepared: Any, conn: Connection) -> int:
        for position, event in prepared:
            self.process(event, position, conn)
        return len(prepared)

    @process.register
    def _(self, event: StaffMember.Enrolled, position: int, conn: Connection) -> None:
        conn.execute(
            insert(StaffRow).values(
                staff_id=event.staff_id,
                aggregate_id=event.originator_id,
                name=event.name,
                agency=event.agency.value,
                rank=event.rank,
                senior=is_senior(event.agency, event.rank, event.senior_grade),
                admin=event.admin,
                area=event.area,
                since=event.since,
                left_on=None,
                recorded_at=event.timestamp,
            )
        )

    @process.register
    def _(self, event: StaffMember.RankChanged, position: int, conn: Connection) -> None:
        # The directory shows the newest-dated rank; `since` says from when.
        staff = conn.execute(
            select(StaffRow.agency, StaffRow.since).where(
                StaffRow.aggregate_id == event.originator_id
            )
        ).one()
        if event.since >= staff.since:
            senior = is_senior(Agency(staff.agency), event.rank, event.senior_grade)
            self._update(conn, event, rank=event.rank, senior=senior, since=event.since)

    @process.register
    def _(self, event: StaffMember.AreaChanged, position: int, conn: Connection) -> None:
        self._update(conn, event, area=event.area)

    @process.register
    def _(self, event: StaffMember.Left, position: int, conn: Connection) -> None:
        self._update(conn, event, left_on=event.since)

    @staticmethod
    def _update(conn: Connection, event: StaffMember.Event, **values: Any) -> None:
        conn.execute(
            update(StaffRow).where(StaffRow.aggregate_id == event.originator_id).values(**values)
        )

    def clear(self, conn: Connection) -> None:
        clear_tables(conn, StaffRow.__table__)
