"""Ownership of a case: one period per owner per agency, from the event that began it to the one
that ended it. Registration makes the registering person the owner for their agency; a transfer
makes its recipient the owner for the recipient's agency.

Periods follow valid time (when the transfer took effect), not the order the ledger learned of
them: a transfer recorded late still ends the previous owner's period on the day it happened.
The views that need "as the ledger stood at T" filter the records before they get here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from domain.clock import ValidTime, chronological_key, instant, iso
from domain.frozen import frozen
from projections.event_types import OWNERSHIP_TRANSFERRED, REGISTERED
from projections.records import EntryRecord

OWNERSHIP_TYPES = (REGISTERED, OWNERSHIP_TRANSFERRED)


@frozen
class Period:
    agency: str
    staff: str
    start: ValidTime
    end: ValidTime | None  # None while current
    started_by: str  # who made the registration or transfer
    start_entry: int
    end_entry: int | None
    reason: str | None  # why the transfer was made; None for a registration or when not given
    how: str = "transfer"  # "registration" or "transfer"
    ended_by: str | None = None  # who made the transfer that ended it
    start_recorded_at: datetime | None = None  # when the ledger learned the period began
    end_recorded_at: datetime | None = None

    @property
    def current(self) -> bool:
        return self.end is None

    def covers(self, moment: datetime) -> bool:
        return instant(self.start) <= moment and (self.end is None or moment < instant(self.end))


def _order(record: EntryRecord) -> tuple[int, tuple[Any, ...]]:
    # The registration opens the case whatever time it carries; everything else in valid time.
    return (
        0 if record.type == REGISTERED else 1,
        chronological_key(record.occurred_at, record.entry),
    )


def ownership_periods(records: Iterable[EntryRecord]) -> list[Period]:
    """Periods of ownership in valid-time order, from registrations and transfers among `records`."""
    ordered = sorted((r for r in records if r.type in OWNERSHIP_TYPES), key=_order)
    periods: list[Period] = []
    current: dict[str, int] = {}  # agency -> index into periods
    for r in ordered:
        if r.type == REGISTERED:
            agency, staff, reason, how = r.agency, r.by, None, "registration"
        else:
            agency = r.data["to_person"]["agency"]
            staff = r.data["to_person"]["staff"]
            reason, how = r.data.get("reason"), "transfer"
        if agency in current:
            i = current[agency]
            previous = periods[i]
            # Recorded out of order, a transfer can name the owner of that moment: no change.
            if previous.staff == staff:
                continue
            periods[i] = Period(
                agency=previous.agency,
                staff=previous.staff,
                start=previous.start,
                end=r.occurred_at,
                started_by=previous.started_by,
                start_entry=previous.start_entry,
                end_entry=r.entry,
                reason=previous.reason,
                how=previous.how,
                ended_by=r.by,
                start_recorded_at=previous.start_recorded_at,
                end_recorded_at=r.recorded_at,
            )
        current[agency] = len(periods)
        periods.append(
            Period(
                agency=agency,
                staff=staff,
                start=r.occurred_at,
                end=None,
                started_by=r.by,
                start_entry=r.entry,
                end_entry=None,
                reason=reason,
                how=how,
                start_recorded_at=r.recorded_at,
            )
        )
    return periods


def owners_at(periods: Sequence[Period], moment: datetime) -> dict[str, str]:
    """Who owned the case for each agency at `moment`."""
    return {p.agency: p.staff for p in periods if p.covers(moment)}


def current_owners(periods: Sequence[Period]) -> dict[str, str]:
    """Who owns the case for each agency once every period among `periods` has begun."""
    return {p.agency: p.staff for p in periods if p.current}


def period_json(period: Period) -> dict[str, Any]:
    """A period as the `ownership` command prints it."""
    return {
        "agency": period.agency,
        "staff": period.staff,
        "from": iso(period.start),
        "to": iso(period.end),
        "how": period.how,
        "by": period.started_by,
        "reason": period.reason,
        "entry": period.start_entry,
        "recorded_at": iso(period.start_recorded_at),
        "ended_by": period.ended_by,
        "end_entry": period.end_entry,
        "end_recorded_at": iso(period.end_recorded_at),
    }
