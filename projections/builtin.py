"""The core read models: the timeline's entries, the offender register and the staff directory."""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from domain.clock import instant
from domain.offender import Offender
from domain.staff import StaffMember
from domain.values import Agency, is_senior
from projections.bulk import BulkInsert
from projections.records import row_from_event, sqlite_row_from_event
from projections.runner import Projection
from projections.schema import EntryRow, OffenderRow, StaffRow

_insert_entries = BulkInsert(EntryRow.__table__)  # type: ignore[arg-type]


class TimelineProjection(Projection):
    """Every offender event as one `entries` row, inserted in bulk per page."""

    name = "timeline"
    handles = (Offender.Event,)
    deferred_indexes = tuple(
        i for i in EntryRow.__table__.indexes if i.name == "ix_entries_offender_type"
    )

    def __init__(self) -> None:
        self._rows: list[Any] = []

    def start_page(self) -> None:
        self._rows = []

    def process(self, event: Any, position: int, conn: Connection) -> None:
        if isinstance(event, Offender.Event):
            if conn.dialect.name == "sqlite":
                # Straight to what the driver takes: a rebuild makes a million of these.
                self._rows.append(sqlite_row_from_event(event, position))
            else:
                self._rows.append(row_from_event(event, position))

    def end_page(self, conn: Connection) -> None:
        if conn.dialect.name == "sqlite":
            _insert_entries.insert_driver_rows(conn, self._rows)
        else:
            _insert_entries(conn, self._rows)
        self._rows = []

    def clear(self, conn: Connection) -> None:
        conn.execute(delete(EntryRow))


class OffenderRegister(Projection):
    """The register of offenders: who, where, which MAPPA level now, how many entries."""

    name = "offenders"
    handles = (Offender.Event,)

    def __init__(self) -> None:
        self._new: dict[UUID, dict[str, Any]] = {}
        self._changes: dict[UUID, dict[str, Any]] = {}

    def start_page(self) -> None:
        self._new, self._changes = {}, {}

    @singledispatchmethod
    def process(self, event: Any, position: int, conn: Connection) -> None:
        if isinstance(event, Offender.Event):
            self._change(event).update(events=event.originator_version)

    @process.register
    def _(self, event: Offender.Registered, position: int, conn: Connection) -> None:
        self._new[event.originator_id] = {
            "offender_id": event.originator_id,
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

    @process.register
    def _(self, event: Offender.MappaMeetingRecorded, position: int, conn: Connection) -> None:
        self._change(event).update(events=event.originator_version, level=event.level)

    def _change(self, event: Offender.Event) -> dict[str, Any]:
        new = self._new.get(event.originator_id)
        if new is not None:
            return new
        return self._changes.setdefault(event.originator_id, {})

    def end_page(self, conn: Connection) -> None:
        if self._new:
            conn.execute(insert(OffenderRow), list(self._new.values()))
        # One statement per page for all offenders whose level did not change, one for the rest:
        # a page of a large ledger touches hundreds of offenders.
        for with_level, changes in _split_by_level(self._changes).items():
            values = {"events": bindparam("new_events")}
            if with_level:
                values["level"] = bindparam("new_level")
            conn.execute(
                update(OffenderRow)
                .where(OffenderRow.offender_id == bindparam("changed_id"))
                .values(**values),
                changes,
            )
        self._new, self._changes = {}, {}

    def clear(self, conn: Connection) -> None:
        conn.execute(delete(OffenderRow))


def _split_by_level(changes: dict[UUID, dict[str, Any]]) -> dict[bool, list[dict[str, Any]]]:
    groups: dict[bool, list[dict[str, Any]]] = {}
    for offender_id, values in changes.items():
        row = {"changed_id": offender_id, "new_events": values["events"]}
        if "level" in values:
            row["new_level"] = values["level"]
        groups.setdefault("level" in values, []).append(row)
    return groups


class StaffDirectory(Projection):
    """The staff directory as it stands: current rank, area, and whether they have left."""

    name = "staff"
    handles = (StaffMember.Event,)

    def start_page(self) -> None:
        pass

    @singledispatchmethod
    def process(self, event: Any, position: int, conn: Connection) -> None:
        pass

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
        conn.execute(delete(StaffRow))
