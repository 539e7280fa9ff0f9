"""Ownership of a case: one period per owner per agency, from the event that began it to the one
that ended it. Registration makes the registering person the owner for their agency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.clock import ValidTime, chronological_key, instant
from projections.records import EntryRecord


@dataclass(frozen=True)
class Period:
    agency: str
    staff: str
    start: ValidTime
    end: ValidTime | None  # None while current
    started_by: str  # who made the registration or transfer
    start_entry: int
    end_entry: int | None
    reason: str | None

    def covers(self, moment: datetime) -> bool:
        return instant(self.start) <= moment and (self.end is None or moment < instant(self.end))


def ownership_periods(records: Sequence[EntryRecord]) -> list[Period]:
    """Periods of ownership in valid-time order, from registrations and transfers among `records`."""
    ordered = sorted(
        (r for r in records if r.type in ("Registered", "OwnershipTransferred")),
        key=lambda r: chronological_key(r.occurred_at, r.entry),
    )
    periods: list[Period] = []
    current: dict[str, int] = {}  # agency -> index into periods
    for r in ordered:
        if r.type == "Registered":
            agency, staff, reason = r.agency, r.by, "registration"
        else:
            agency = r.data["to_person"]["agency"]
            staff = r.data["to_person"]["staff"]
            reason = r.data.get("reason")
        if agency in current:
            i = current[agency]
            previous = periods[i]
            if previous.staff == staff:
                continue
            periods[i] = Period(
                previous.agency,
                previous.staff,
                previous.start,
                r.occurred_at,
                previous.started_by,
                previous.start_entry,
                r.entry,
                previous.reason,
            )
        current[agency] = len(periods)
        periods.append(Period(agency, staff, r.occurred_at, None, r.by, r.entry, None, reason))
    return periods


def owners_at(periods: Sequence[Period], moment: datetime) -> dict[str, str]:
    """Who owned the case for each agency at `moment`."""
    return {p.agency: p.staff for p in periods if p.covers(moment)}
