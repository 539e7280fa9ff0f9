"""Periods in custody and the end of the registration, from one offender's records: plain data
for `show`, the export, and a timeline chart to draw.

A period begins with a custody (`TakenIntoCustody`) or a recall decision to recall, and ends
with the next release, on licence or without one. A recall while already held begins nothing new.
A release with no custody before it (the first after the registration) ends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.clock import ValidTime, chronological_key, iso
from domain.frozen import frozen
from projections.event_types import (
    RECALL_DECISION_RECORDED,
    REGISTRATION_ENDED,
    RELEASED_ON_LICENCE,
    RELEASED_WITHOUT_LICENCE,
    TAKEN_INTO_CUSTODY,
)
from projections.records import EntryRecord


@frozen
class CustodyPeriod:
    """In custody from `start` (entry `start_entry`, for `reason`) to `end` (entry `end_entry`,
    released on licence or without one), or still, where `end` is None."""

    start: ValidTime
    start_entry: int
    reason: str
    end: ValidTime | None = None
    end_entry: int | None = None
    released: str | None = None  # "on licence" or "without a licence"


def custody_periods(records: Iterable[EntryRecord]) -> list[CustodyPeriod]:
    """Every period in custody the records show (pass them corrected), in the order they began."""
    periods: list[CustodyPeriod] = []
    held: CustodyPeriod | None = None
    for r in sorted(records, key=lambda r: chronological_key(r.occurred_at, r.entry)):
        if r.type == TAKEN_INTO_CUSTODY or (
            r.type == RECALL_DECISION_RECORDED and r.data.get("decision") == "recall"
        ):
            if held is None:
                reason = str(r.data.get("reason") or "recalled")
                held = CustodyPeriod(r.occurred_at, r.entry, reason)
        elif r.type in (RELEASED_ON_LICENCE, RELEASED_WITHOUT_LICENCE) and held is not None:
            how = "on licence" if r.type == RELEASED_ON_LICENCE else "without a licence"
            periods.append(
                CustodyPeriod(
                    held.start, held.start_entry, held.reason, r.occurred_at, r.entry, how
                )
            )
            held = None
    if held is not None:
        periods.append(held)
    return periods


def registration_end(records: Iterable[EntryRecord]) -> EntryRecord | None:
    """The record that ended the registration, if any."""
    return next((r for r in records if r.type == REGISTRATION_ENDED), None)


def custody_json(periods: Iterable[CustodyPeriod]) -> list[dict[str, Any]]:
    return [
        {
            "from": iso(p.start),
            "from_entry": p.start_entry,
            "reason": p.reason,
            "to": iso(p.end),
            "to_entry": p.end_entry,
            "released": p.released,
        }
        for p in periods
    ]


def registration_end_json(record: EntryRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "at": iso(record.occurred_at),
        "entry": record.entry,
        "reason": record.data.get("reason"),
        "summary": record.data.get("summary"),
    }
