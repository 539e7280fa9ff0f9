"""Reading the read models: plain data out, never aggregates."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from domain.clock import iso
from projections.event_types import REGISTRATION_ENDED
from projections.records import EntryRecord, record_from_row
from projections.schema import EntryRow, OffenderRow, StaffRow


def offender_records(conn: Connection, offender_id: UUID) -> list[EntryRecord]:
    """Every recorded event of one offender, in entry order (an index range scan)."""
    rows = conn.execute(
        select(EntryRow).where(EntryRow.offender_id == offender_id).order_by(EntryRow.entry)
    )
    return [record_from_row(row) for row in rows]


def list_offenders(
    conn: Connection, area: str | None = None, *, include_ended: bool = False
) -> list[dict[str, Any]]:
    """The register: the cases whose registration has not ended, or every case
    (`include_ended`). A registration dated without a time of day is given as its date, as the
    timeline gives it (its `entries` row, #1, says which), never as the midnight it sorts by; so
    is the end of one."""
    ended_table = EntryRow.__table__.alias("ended")
    ended = ended_table.c
    query = (
        select(
            OffenderRow,
            EntryRow.time_known,
            EntryRow.occurred_date,
            ended.occurred_at.label("ended_at"),
            ended.time_known.label("ended_time_known"),
            ended.occurred_date.label("ended_date"),
        )
        .join(
            EntryRow,
            (EntryRow.offender_id == OffenderRow.offender_id) & (EntryRow.entry == 1),
        )
        .outerjoin(
            ended_table,
            (ended.offender_id == OffenderRow.offender_id) & (ended.type == REGISTRATION_ENDED),
        )
        .order_by(OffenderRow.ref)
    )
    if area:
        query = query.where(OffenderRow.area == area)
    if not include_ended:
        query = query.where(ended.entry.is_(None))
    return [
        {
            "ref": row.ref,
            "name": row.name,
            "born": row.born.isoformat(),
            "category": row.category,
            "level": row.level,
            "area": row.area,
            "registered_at": iso(row.registered_at if row.time_known else row.occurred_date),
            "entries": row.events,
            "registration_ended_at": (
                None
                if row.ended_at is None
                else iso(row.ended_at if row.ended_time_known else row.ended_date)
            ),
        }
        for row in conn.execute(query)
    ]


def list_staff(conn: Connection) -> list[dict[str, Any]]:
    return [
        {
            "staff_id": row.staff_id,
            "name": row.name,
            "agency": row.agency,
            "rank": row.rank,
            "senior": row.senior,
            "admin": row.admin,
            "area": row.area,
            "since": row.since.isoformat(),
            "left_on": row.left_on.isoformat() if row.left_on else None,
        }
        for row in conn.execute(select(StaffRow).order_by(StaffRow.agency, StaffRow.staff_id))
    ]
