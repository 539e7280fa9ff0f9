"""From offender events to `entries` rows: what the timeline projection writes for each event,
with the one-line summary and the risk relevance of each class of event, chosen by its class.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.clock import LONDON, instant, london_date, start_of_day
from domain.offender import Offender
from projections.records import COMMON_FIELDS, json_safe, naive_utc, sqlite_instant
from projections.sealing import Sealer


def row_from_event(event: Offender.Event, position: int) -> dict[str, Any]:
    """The `entries` row of one offender event: the timeline projection makes one of these per
    event, and a rebuild makes a million."""
    facts = {k: json_safe(v) for k, v in vars(event).items() if k not in COMMON_FIELDS}
    event_class = type(event)
    when = event.occurred_at  # type: ignore[attr-defined]
    return {
        "offender_id": event.originator_id,
        "entry": event.originator_version,
        "position": position,
        "type": event_class.__name__,
        "occurred_at": instant(when),
        "occurred_date": london_date(when),
        "time_known": isinstance(when, datetime),
        "recorded_at": event.timestamp,
        "by": event.by,  # type: ignore[attr-defined]
        "agency": event.agency.value,  # type: ignore[attr-defined]
        "rank": event.rank,  # type: ignore[attr-defined]
        "senior": event.senior,  # type: ignore[attr-defined]
        "entered_by": event.entered_by,  # type: ignore[attr-defined]
        "summary": summarise(event_class, facts),
        "risk_relevant": is_risk_relevant(event_class, facts),
        "data": facts,
    }


def _driver_row(
    event: Offender.Event,
    position: int,
    oid: Callable[[UUID], Any],
    moment: Callable[[datetime], Any],
    day: Callable[[date], Any],
    sealer: Sealer | None = None,
) -> tuple[Any, ...]:
    """`row_from_event` in the `entries` table's column order, each id, instant and date made by
    the given function as the driver takes it; the summary and the facts sealed as `SealedText`
    and `SealedJSON` would seal them, when there is a `sealer`."""
    facts = {k: json_safe(v) for k, v in vars(event).items() if k not in COMMON_FIELDS}
    event_class = type(event)
    when = event.occurred_at  # type: ignore[attr-defined]
    known = isinstance(when, datetime)
    summary = summarise(event_class, facts)
    data = json.dumps(facts)
    if sealer is not None:
        summary = sealer.seal(summary)
        data = json.dumps(sealer.seal(data))
    return (
        oid(event.originator_id),
        event.originator_version,
        position,
        event_class.__name__,
        moment(when if known else start_of_day(when)),
        day(when.astimezone(LONDON).date() if known else when),
        known,
        moment(event.timestamp),
        event.by,  # type: ignore[attr-defined]
        event.agency.value,  # type: ignore[attr-defined]
        event.rank,  # type: ignore[attr-defined]
        event.senior,  # type: ignore[attr-defined]
        event.entered_by,  # type: ignore[attr-defined]
        summary,
        is_risk_relevant(event_class, facts),
        data,
    )


def sqlite_row_from_event(
    event: Offender.Event, position: int, sealer: Sealer | None = None
) -> tuple[Any, ...]:
    """`row_from_event` as SQLite's driver takes it: what SQLAlchemy's bind processors would make
    of that row (hex ids, naive UTC instants and dates as ISO text, JSON text), made in one step.
    A rebuild makes a million."""
    return _driver_row(event, position, _hex, sqlite_instant, date.isoformat, sealer)


def pg_row_from_event(
    event: Offender.Event, position: int, sealer: Sealer | None = None
) -> tuple[Any, ...]:
    """`row_from_event` as psycopg takes it for COPY: naive UTC instants, as SQLAlchemy's bind
    processors make them, the facts as JSON text, and the offender's id as 32 hex digits, which
    COPY reads as the same uuid. Made in a rebuild's helper process and pickled to the one that
    writes: a UUID object costs several times as much as its text to pickle and unpickle."""
    return _driver_row(event, position, _hex, naive_utc, _same, sealer)


def _hex(oid: UUID) -> str:
    return oid.hex


def _same(value: Any) -> Any:
    return value


def _person(person: dict[str, Any] | None) -> str:
    if not person:
        return "?"
    return f"{person['staff']} ({person['agency']})"


def _entries(numbers: list[int]) -> str:
    return ", ".join(f"#{n}" for n in numbers)


def _own_summary(f: dict[str, Any]) -> str:
    return str(f["summary"])


def _assessment(f: dict[str, Any]) -> str:
    text = f"{f['tool']} assessment: risk {f['risk']}"
    return f"{text}: {f['summary']}" if f.get("summary") else text


def _decision(f: dict[str, Any]) -> str:
    about = f" (about {_entries(f['about'])})" if f.get("about") else ""
    return f"Decision: {f['decision']}{about}. Rationale: {f['rationale']}"


def _referral(f: dict[str, Any]) -> str:
    kind = "Emergency MAPPA" if f["emergency"] else "MAPPA"
    return f"{kind} level {f['level']} referral: {f['reason']}"


def _recall(f: dict[str, Any]) -> str:
    verdict = "Recall" if f["decision"] == "recall" else "No recall"
    return f"Recall decision: {verdict}. Rationale: {f['rationale']}"


def _transfer(f: dict[str, Any]) -> str:
    reason = f": {f['reason']}" if f.get("reason") else ""
    return f"Case transferred to {_person(f['to_person'])}{reason}"


def _share(f: dict[str, Any]) -> str:
    whom = _person(f["with_person"]) if f.get("with_person") else f["with_agency"]
    return f"Shared {_entries(f['entries'])} with {whom} by {f['means']}"


# The timeline's line for each class of offender event, from the event's own facts.
SUMMARIES: dict[type[Offender.Event], Callable[[dict[str, Any]], str]] = {
    Offender.Registered: lambda f: (
        f"Registered: {f['name']}, MAPPA category {f['category']} level {f['level']}"
    ),
    Offender.ReleasedOnLicence: lambda f: f"Released on licence until {f['licence_end']}",
    Offender.DisclosureRecorded: _own_summary,
    Offender.EntryRecorded: _own_summary,
    Offender.ConcernRecorded: _own_summary,
    Offender.ReviewRecorded: _own_summary,
    Offender.VisitRecorded: lambda f: f"{f['kind'].capitalize()} visit: {f['outcome']}",
    Offender.AssessmentRecorded: _assessment,
    Offender.DecisionRecorded: _decision,
    Offender.DisagreementRecorded: lambda f: (
        f"Disagreement with {_person(f['with_person'])}: {f['summary']}"
    ),
    Offender.EscalationRecorded: lambda f: f"Escalated to {_person(f['to_person'])}: {f['reason']}",
    Offender.MappaReferralRecorded: _referral,
    Offender.MappaMeetingRecorded: lambda f: f"MAPPA level {f['level']} meeting: {f['summary']}",
    Offender.RecallDecisionRecorded: _recall,
    Offender.EntriesAcknowledged: lambda f: f"Acknowledged {_entries(f['entries'])}",
    Offender.OwnershipTransferred: _transfer,
    Offender.EntriesShared: _share,
    Offender.EntryCorrected: lambda f: f"Correction of #{f['entry']}: {f['reason']}",
    Offender.TakenIntoCustody: lambda f: (
        f"Taken into custody ({f['reason']})" + (f": {f['summary']}" if f.get("summary") else "")
    ),
    Offender.ReleasedWithoutLicence: lambda f: "Released from custody without a licence",
    Offender.RegistrationEnded: lambda f: f"Registration ended ({f['reason']}): {f['summary']}",
}

# Each offender event class by the name its rows are stored under (the `type` column).
EVENT_CLASSES: dict[str, type[Offender.Event]] = {cls.__name__: cls for cls in SUMMARIES}


def summarise(event_class: type[Offender.Event], facts: dict[str, Any]) -> str:
    """One line saying what the event records, as a person reads it in a timeline."""
    summary = SUMMARIES.get(event_class)
    return summary(facts) if summary is not None else event_class.__name__


def _never(facts: dict[str, Any]) -> bool:
    return False


def _if_marked(facts: dict[str, Any]) -> bool:
    return bool(facts.get("risk_relevant"))


# Whether an event of each class is risk-relevant, from its facts: every concern, a disclosure or
# entry marked so, an assessment of high risk or above; nothing else.
RISK_RELEVANCE: dict[type[Offender.Event], Callable[[dict[str, Any]], bool]] = {
    Offender.Registered: _never,
    Offender.ReleasedOnLicence: _never,
    Offender.DisclosureRecorded: _if_marked,
    Offender.EntryRecorded: _if_marked,
    Offender.ConcernRecorded: lambda f: True,
    Offender.ReviewRecorded: _never,
    Offender.VisitRecorded: _never,
    Offender.AssessmentRecorded: lambda f: f.get("risk") in ("high", "very-high"),
    Offender.DecisionRecorded: _never,
    Offender.DisagreementRecorded: _never,
    Offender.EscalationRecorded: _never,
    Offender.MappaReferralRecorded: _never,
    Offender.MappaMeetingRecorded: _never,
    Offender.RecallDecisionRecorded: _never,
    Offender.EntriesAcknowledged: _never,
    Offender.OwnershipTransferred: _never,
    Offender.EntriesShared: _never,
    Offender.EntryCorrected: _never,
    Offender.TakenIntoCustody: _never,
    Offender.ReleasedWithoutLicence: _never,
    Offender.RegistrationEnded: _never,
}


def is_risk_relevant(event_class: type[Offender.Event], facts: dict[str, Any]) -> bool:
    relevant = RISK_RELEVANCE.get(event_class)
    return relevant is not None and relevant(facts)
