"""Plain records of offender events, as the read side keeps them and the views fold them.

An `EntryRecord` is what one row of the `entries` table holds: the event's common facts in
columns and its own facts in `data`, in JSON-safe form (enums as their values, dates as ISO text).
Rows are made from events in `projections.rows`; nothing here needs the event classes, so a read
that applies no event never builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from functools import cached_property
from typing import Any
from uuid import UUID

from domain.clock import ValidTime, instant
from projections import event_types as t

COMMON_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "timestamp",
        "originator_topic",
        "occurred_at",
        "by",
        "agency",
        "rank",
        "senior",
        "entered_by",
    }
)

# The events that carry information someone can know about (who-knew, acknowledgements): the
# stored names of `domain.offender.INFORMATIONAL_EVENTS` (tests/unit/test_event_dispatch.py).
INFORMATIONAL_TYPES = frozenset(
    {
        t.REGISTERED,
        t.RELEASED_ON_LICENCE,
        t.DISCLOSURE_RECORDED,
        t.VISIT_RECORDED,
        t.ENTRY_RECORDED,
        t.CONCERN_RECORDED,
        t.ASSESSMENT_RECORDED,
        t.REVIEW_RECORDED,
        t.DECISION_RECORDED,
        t.DISAGREEMENT_RECORDED,
        t.ESCALATION_RECORDED,
        t.MAPPA_REFERRAL_RECORDED,
        t.MAPPA_MEETING_RECORDED,
        t.RECALL_DECISION_RECORDED,
        t.TAKEN_INTO_CUSTODY,
        t.RELEASED_WITHOUT_LICENCE,
        t.REGISTRATION_ENDED,
    }
)


# A `frozen=True` dataclass rather than `@frozen` (`domain/frozen.py`): a long read makes one per
# entry, and its `__init__` sets fields quicker than `@frozen`'s does.
@dataclass(frozen=True)
class EntryRecord:
    offender_id: UUID
    entry: int
    position: int
    type: str
    occurred_at: ValidTime
    recorded_at: datetime
    by: str
    agency: str
    rank: str
    senior: bool
    entered_by: str
    summary: str
    risk_relevant: bool
    data: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def occurred_instant(self) -> datetime:
        # Cached: rules and views compare it many times per record (a frozen dataclass still
        # has an instance __dict__, which is where cached_property keeps it).
        return instant(self.occurred_at)


# Already JSON as they are: most facts are, and a rebuild asks this of every one of them.
_PLAIN = frozenset({str, int, bool, float, type(None)})


def json_safe(value: Any) -> Any:
    if type(value) in _PLAIN:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return moment.astimezone(UTC).replace(tzinfo=None)


def sqlite_instant(moment: datetime) -> str:
    """An instant as SQLAlchemy's SQLite DateTime stores it: naive UTC, as text."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    # "YYYY-MM-DD HH:MM:SS.ffffff", then the offset "+00:00", which SQLite's text leaves out.
    return moment.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def record_from_row(row: Any) -> EntryRecord:
    """An `entries` row (any object with its columns as attributes) back as a record."""
    when: ValidTime = row.occurred_at if row.time_known else row.occurred_date
    return EntryRecord(
        offender_id=row.offender_id,
        entry=row.entry,
        position=row.position,
        type=row.type,
        occurred_at=when,
        recorded_at=row.recorded_at,
        by=row.by,
        agency=row.agency,
        rank=row.rank,
        senior=row.senior,
        entered_by=row.entered_by,
        summary=row.summary,
        risk_relevant=row.risk_relevant,
        data=row.data or {},
    )
