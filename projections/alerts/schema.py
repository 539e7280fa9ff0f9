"""The alerts read model's tables (Alembic revision 0100 creates them)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from projections.db import UTCDateTime
from projections.schema import Base


class AlertRow(Base):
    """One breach of one rule for one offender, open or closed, with the offender's area and ref
    copied in so that an area's morning check reads this table alone."""

    __tablename__ = "alerts"

    offender_id: Mapped[UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(Text)
    area: Mapped[str | None] = mapped_column(Text, nullable=True)
    rule: Mapped[str] = mapped_column(String(40))
    entry: Mapped[int | None] = mapped_column(Integer, nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    satisfied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    detail: Mapped[str] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The alert as `ledger alerts --json` prints it, made once when the breach is evaluated: an
    # area's check then joins stored text rather than rebuilding tens of thousands of objects.
    document: Mapped[str] = mapped_column(Text)
    # When its remedy stopped being possible, and why (revision 0400); None while it had not.
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    lapse: Mapped[str | None] = mapped_column(Text, nullable=True)


class AlertPendingRow(Base):
    """Offenders whose alert rows may be out of date: written in the same transaction as the
    events' position, so a crash or a deferred evaluation loses nothing."""

    __tablename__ = "alerts_pending"

    offender_id: Mapped[UUID] = mapped_column(primary_key=True)


class AlertPolicyRow(Base):
    """The digest of the policy whose figures made the stored alerts."""

    __tablename__ = "alerts_policy"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))


# "Standing at T" is three range scans: open rows (neither satisfied nor lapsed) due by T, rows
# closed after T and rows lapsed after T; most rows are closed or lapsed long before, and these
# indexes let each scan skip them.
Index(
    "ix_alerts_area_standing",
    AlertRow.area,
    AlertRow.satisfied_at,
    AlertRow.lapsed_at,
    AlertRow.due_at,
)
Index("ix_alerts_standing", AlertRow.satisfied_at, AlertRow.lapsed_at, AlertRow.due_at)
# One offender's: without it, planners take the index above and scan every open alert.
Index(
    "ix_alerts_offender_standing",
    AlertRow.offender_id,
    AlertRow.satisfied_at,
    AlertRow.lapsed_at,
    AlertRow.due_at,
)
