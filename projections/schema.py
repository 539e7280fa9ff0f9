"""The read models' tables. Alembic owns their schema (`projections/migrations`); this module
describes them for queries and for autogenerating the next migration.

Text that people type (refs, names, ranks, areas, staff ids) is unbounded, as it is in the events
the tables are made from: a length cap would make a projection fail for good on an event that
says more (revision 0300). Only text the code chooses (projection names, event types, agencies)
keeps a length.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from projections.db import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProjectionPosition(Base):
    """How far each projection has read the ledger's log; written with its rows."""

    __tablename__ = "projection_positions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class EntryRow(Base):
    """Every offender event, one row each: the fact table that the views fold."""

    __tablename__ = "entries"

    offender_id: Mapped[UUID] = mapped_column(primary_key=True)
    entry: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, unique=True)
    type: Mapped[str] = mapped_column(String(40))
    # Valid time: an instant (a date alone counts from the start of its London day) ...
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # ... its London calendar day, and whether the time of day is known.
    occurred_date: Mapped[date] = mapped_column(Date)
    time_known: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    by: Mapped[str] = mapped_column(Text)
    agency: Mapped[str] = mapped_column(String(20))
    rank: Mapped[str] = mapped_column(Text)
    senior: Mapped[bool] = mapped_column(Boolean)
    entered_by: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    risk_relevant: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class OffenderRow(Base):
    """One row per offender: the register, for lists and filters by area."""

    __tablename__ = "offenders"

    offender_id: Mapped[UUID] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    born: Mapped[date] = mapped_column(Date)
    category: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    area: Mapped[str | None] = mapped_column(Text, nullable=True, index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    events: Mapped[int] = mapped_column(Integer)


class StaffRow(Base):
    """The staff directory as it stands now."""

    __tablename__ = "staff"

    staff_id: Mapped[str] = mapped_column(Text, primary_key=True)
    aggregate_id: Mapped[UUID] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(Text)
    agency: Mapped[str] = mapped_column(String(20))
    rank: Mapped[str] = mapped_column(Text)
    senior: Mapped[bool] = mapped_column(Boolean)
    admin: Mapped[bool] = mapped_column(Boolean)
    area: Mapped[str | None] = mapped_column(Text, nullable=True)
    since: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


Index("ix_entries_offender_type", EntryRow.offender_id, EntryRow.type)
