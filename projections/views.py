"""Views folded from one offender's records: pure functions, no I/O.

Two clocks filter the records before anything is folded: `as_of` keeps only what the ledger had
recorded by then (transaction time), `at` only what had occurred by then (valid time). Corrections
recorded by `as_of` replace the values they correct; the originals stay visible beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from domain.clock import (
    LONDON,
    ValidTime,
    chronological_key,
    end_of_day,
    instant,
    iso,
    london_date,
    utc_now,
)
from domain.errors import DomainError
from domain.frozen import frozen
from projections.custody import (
    custody_json,
    custody_periods,
    registration_end,
    registration_end_json,
)
from projections.event_types import (
    ASSESSMENT_RECORDED,
    ENTRY_CORRECTED,
    MAPPA_MEETING_RECORDED,
    RECALL_DECISION_RECORDED,
    REGISTERED,
    RELEASED_ON_LICENCE,
)
from projections.ownership import current_owners, ownership_periods
from projections.records import EntryRecord

LATE_AFTER_DAYS = 7


@frozen
class Correction:
    entry: int
    reason: str
    by: str
    recorded_at: datetime
    occurred_at: ValidTime


@frozen
class CorrectedRecord:
    """A record with every correction recorded by the view's `as_of` applied."""

    record: EntryRecord
    original: EntryRecord
    corrections: tuple[Correction, ...] = ()

    @property
    def corrected(self) -> bool:
        return bool(self.corrections)


def apply_corrections(
    records: Sequence[EntryRecord], as_of: datetime | None = None
) -> list[CorrectedRecord]:
    """Each record with the corrections recorded by `as_of` applied, in entry order.

    A correction counts from when it was recorded, not from when it says it occurred: until then
    the ledger showed the original.
    """
    known = [r for r in records if as_of is None or r.recorded_at <= as_of]
    by_entry = {r.entry: CorrectedRecord(record=r, original=r) for r in known}
    for fix in sorted((r for r in known if r.type == ENTRY_CORRECTED), key=lambda r: r.entry):
        target = by_entry.get(int(fix.data["entry"]))
        if target is None:
            continue
        changed = target.record
        if fix.data.get("summary"):
            changed = replace(changed, summary=str(fix.data["summary"]))
        if fix.data.get("entry_occurred_at"):
            changed = replace(changed, occurred_at=_parse_valid(fix.data["entry_occurred_at"]))
        if fix.data.get("licence_end"):
            facts = {**changed.data, "licence_end": fix.data["licence_end"]}
            # The summary says the licence end; unless corrected by hand, it says the new one.
            from projections.rows import EVENT_CLASSES, summarise

            kind = EVENT_CLASSES[changed.type]
            derived = summarise(kind, changed.data) == changed.summary
            summary = summarise(kind, facts) if derived else changed.summary
            changed = replace(changed, data=facts, summary=summary)
        note = Correction(
            entry=fix.entry,
            reason=str(fix.data["reason"]),
            by=fix.by,
            recorded_at=fix.recorded_at,
            occurred_at=fix.occurred_at,
        )
        by_entry[target.record.entry] = CorrectedRecord(
            record=changed, original=target.original, corrections=(*target.corrections, note)
        )
    return [by_entry[n] for n in sorted(by_entry)]


def corrected_view(
    records: Sequence[EntryRecord], *, as_of: datetime | None = None, at: datetime | None = None
) -> list[CorrectedRecord]:
    """What a view folds: the records the ledger held at `as_of`, with the corrections it held
    then applied, that had occurred by `at` (by their corrected time), in entry order."""
    return [
        c
        for c in apply_corrections(records, as_of)
        if at is None or instant(c.record.occurred_at) <= at
    ]


class NotOnRecordError(DomainError):
    """The offender was not registered at the valid time asked, or the ledger did not yet hold
    the registration at the transaction time asked."""


def said(moment: datetime | None) -> str:
    """A query moment as a person typed it: London time, to the second."""
    if moment is None:
        return "now"
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S %Z")


def require_registration(
    records: Sequence[EntryRecord],
    ref: str,
    *,
    as_of: datetime | None = None,
    at: datetime | None = None,
) -> EntryRecord:
    """The registration as the view sees it, or a refusal that says which clock excluded it."""
    corrected = {c.record.entry: c.record for c in apply_corrections(records, as_of)}
    registration = next((r for r in corrected.values() if r.type == REGISTERED), None)
    if registration is None:
        recorded = next((r for r in records if r.type == REGISTERED), None)
        when = (
            f" (its registration was recorded at {said(recorded.recorded_at)})" if recorded else ""
        )
        raise NotOnRecordError(
            f"the ledger held nothing about {ref} at --as-of {said(as_of)}{when}; "
            "ask with a later --as-of"
        )
    if at is not None and instant(registration.occurred_at) > at:
        raise NotOnRecordError(
            f"{ref} was not registered at --at {said(at)}: its registration took effect "
            f"{iso(registration.occurred_at)}; ask with a later --at"
        )
    return registration


def _parse_valid(text: str) -> ValidTime:
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


def chronological(items: Iterable[CorrectedRecord]) -> list[CorrectedRecord]:
    return sorted(items, key=lambda c: chronological_key(c.record.occurred_at, c.record.entry))


def delay(record: EntryRecord) -> timedelta:
    """How long after it occurred an event was recorded (a date alone: after its day ended)."""
    occurred = record.occurred_at
    end = occurred if isinstance(occurred, datetime) else end_of_day(occurred)
    return max(record.recorded_at - end, timedelta(0))


# ------------------------------------------------------------------------------------ timeline


def timeline(
    records: Sequence[EntryRecord],
    *,
    as_of: datetime | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    agency: str | None = None,
    late_after_days: int = LATE_AFTER_DAYS,
    names: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The offender's entries in valid-time order, corrections applied, late entries flagged;
    each with its label and the names (`names`: staff id to name) of who made and typed it."""
    from projections.labels import label

    names = names or {}
    late_after = timedelta(days=late_after_days)
    rows = []
    for item in chronological(apply_corrections(records, as_of)):
        r = item.record
        day = london_date(r.occurred_at)
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        if agency and r.agency != agency:
            continue
        lag = delay(r)
        rows.append(
            {
                "entry": r.entry,
                "type": r.type,
                "label": label(r.type, r.data, names),
                "occurred_at": iso(r.occurred_at),
                "time_known": isinstance(r.occurred_at, datetime),
                "recorded_at": iso(r.recorded_at),
                "by": r.by,
                "by_name": names.get(r.by),
                "agency": r.agency,
                "rank": r.rank,
                "entered_by": r.entered_by,
                "entered_by_name": names.get(r.entered_by),
                "summary": r.summary,
                "risk_relevant": r.risk_relevant,
                "corrected": item.corrected,
                "original_summary": item.original.summary if item.corrected else None,
                "original_occurred_at": iso(item.original.occurred_at) if item.corrected else None,
                "corrections": [
                    {
                        "entry": c.entry,
                        "reason": c.reason,
                        "by": c.by,
                        "recorded_at": iso(c.recorded_at),
                    }
                    for c in item.corrections
                ],
                "late": lag > late_after,
                "recorded_after_days": round(lag.total_seconds() / 86400, 1),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------- show


def show(
    records: Sequence[EntryRecord],
    *,
    as_of: datetime | None = None,
    at: datetime | None = None,
) -> dict[str, Any] | None:
    """The offender as the ledger shows them: None when not registered (then) at all."""
    items = corrected_view(records, as_of=as_of, at=at)
    registration = next((c.record for c in items if c.record.type == REGISTERED), None)
    if registration is None:
        return None
    # Without --at, the ledger as it stood at --as-of described the world at that moment.
    now = at or as_of
    reg = registration.data
    level = int(reg["level"])
    risk: str | None = None
    risk_at: ValidTime | None = None
    on_licence = False
    licence_end: str | None = None
    for item in chronological(items):
        r = item.record
        if r.type == MAPPA_MEETING_RECORDED:
            level = int(r.data["level"])
        elif r.type == ASSESSMENT_RECORDED:
            risk, risk_at = str(r.data["risk"]), r.occurred_at
        elif r.type == RELEASED_ON_LICENCE:
            on_licence, licence_end = True, str(r.data["licence_end"])
        elif r.type == RECALL_DECISION_RECORDED and r.data["decision"] == "recall":
            on_licence = False
    if licence_end is not None and date.fromisoformat(licence_end) < london_date(now or utc_now()):
        on_licence = False
    facts = [c.record for c in items]
    periods = custody_periods(facts)
    ended = registration_end(facts)
    return {
        "ref": reg["ref"],
        "name": reg["name"],
        "born": reg["born"],
        "category": int(reg["category"]),
        "level": level,
        "area": reg.get("area"),
        "risk": risk,
        "risk_assessed_at": iso(risk_at),
        "owners": current_owners(ownership_periods(c.record for c in items)),
        "on_licence": on_licence,
        "licence_end": licence_end,
        "entries": len(items),
        "registered_at": iso(registration.occurred_at),
        # Periods in custody and the end of the registration, as plain data (a chart draws them).
        "in_custody": bool(periods) and periods[-1].end is None,
        "custody": custody_json(periods),
        "registration_ended": ended is not None,
        "registration_end": registration_end_json(ended),
        "last_recorded_at": iso(max(c.record.recorded_at for c in items)),
    }
