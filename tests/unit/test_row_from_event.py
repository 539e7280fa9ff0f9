"""The timeline's direct row for an event is the row of its record, for every kind of event."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from domain.clock import instant, london_date
from domain.offender import Offender
from domain.staff import Person
from domain.values import Agency, AssessmentTool, RecallChoice, RiskLevel, ShareMeans, VisitKind
from projections.records import (
    COMMON_FIELDS,
    EntryRecord,
    json_safe,
)
from projections.rows import is_risk_relevant, row_from_event, summarise

PC = Person("4521", Agency.POLICE, "PC", False)
PO = Person("7702", Agency.PROBATION, "Probation Officer", False)


def record_from_event(event: Offender.Event, position: int) -> EntryRecord:
    """The read side's record of one offender event, made the plain way."""
    facts = {k: json_safe(v) for k, v in vars(event).items() if k not in COMMON_FIELDS}
    event_class = type(event)
    return EntryRecord(
        offender_id=event.originator_id,
        entry=event.originator_version,
        position=position,
        type=event_class.__name__,
        occurred_at=event.occurred_at,  # type: ignore[attr-defined]
        recorded_at=event.timestamp,
        by=event.by,  # type: ignore[attr-defined]
        agency=event.agency.value,  # type: ignore[attr-defined]
        rank=event.rank,  # type: ignore[attr-defined]
        senior=event.senior,  # type: ignore[attr-defined]
        entered_by=event.entered_by,  # type: ignore[attr-defined]
        summary=summarise(event_class, facts),
        risk_relevant=is_risk_relevant(event_class, facts),
        data=facts,
    )


def row_values(record: EntryRecord) -> dict[str, Any]:
    """The `entries` row for a record."""
    when = record.occurred_at
    return {
        "offender_id": record.offender_id,
        "entry": record.entry,
        "position": record.position,
        "type": record.type,
        "occurred_at": instant(when),
        "occurred_date": london_date(when),
        "time_known": isinstance(when, datetime),
        "recorded_at": record.recorded_at,
        "by": record.by,
        "agency": record.agency,
        "rank": record.rank,
        "senior": record.senior,
        "entered_by": record.entered_by,
        "summary": record.summary,
        "risk_relevant": record.risk_relevant,
        "data": record.data,
    }


def a_full_history() -> list[Offender.Event]:
    when = datetime(2016, 10, 17, 13, 30, tzinfo=UTC)
    day = date(2016, 10, 18)
    offender = Offender.register("WMP-1", "J D", date(1970, 1, 1), 1, 1, "Walsall", day, PC, "4521")
    offender.transfer(when, PC, "4521", PO, "Allocated")
    offender.release_on_licence(day, PO, "7702", date(2020, 1, 1))
    offender.record_disclosure(when, PO, "7702", "Feels isolated", "At the office", True)
    offender.record_visit(day, PC, "1001", VisitKind.HOME, "Nothing of concern")
    offender.record_entry(when, PC, "4521", "New car", False)
    offender.record_concern(when, PC, "4521", "Rising risk")
    offender.record_assessment(day, PO, "7702", AssessmentTool.ARMS, RiskLevel.HIGH, None)
    offender.record_review(when, PO, "7702", "Reviewed")
    offender.record_decision(when, PO, "7702", "More visits", "Risk", [4, 7])
    offender.record_disagreement(when, PC, "4521", PO, "Risk level")
    offender.record_escalation(when, PC, "4521", PO, "Needs a decision")
    offender.refer_to_mappa(when, PC, "4521", 2, True, "Escalating")
    offender.record_mappa_meeting(when, PC, "4521", 2, [PC, PO], "Plan", [4])
    offender.decide_recall(day, PO, "7702", RecallChoice.NO_RECALL, "Considered")
    offender.acknowledge(when, PC, "4521", [4, 5])
    offender.share(when, PC, "4521", [4], Agency.PROBATION, None, ShareMeans.EMAIL)
    offender.share(when, PC, "4521", [6], Agency.HEALTH, PO, ShareMeans.PHONE)
    offender.correct(when, PC, "4521", 6, "Wrong car", "Old car", day)
    return list(offender.collect_events())


def test_every_kind_of_event_gives_the_same_row_both_ways() -> None:
    events = a_full_history()

    assert len({type(e) for e in events}) == 18  # every class, sharing twice
    for position, event in enumerate(events, start=10):
        assert row_from_event(event, position) == row_values(record_from_event(event, position))


def test_the_sqlite_row_is_what_sqlalchemy_would_bind_for_that_row() -> None:
    from sqlalchemy.dialects import sqlite

    from projections.bulk import BulkInsert
    from projections.rows import sqlite_row_from_event
    from projections.schema import EntryRow

    bulk = BulkInsert(EntryRow.__table__)  # type: ignore[arg-type]
    for position, event in enumerate(a_full_history(), start=10):
        expected = bulk.driver_rows(sqlite.dialect(), [row_from_event(event, position)])[0]
        made = sqlite_row_from_event(event, position)
        assert made == expected
        assert [type(v) for v in made] == [type(v) for v in expected]


def test_the_postgresql_copy_row_is_what_sqlalchemy_would_bind_for_that_row() -> None:
    from sqlalchemy.dialects.postgresql import psycopg

    from projections.bulk import BulkInsert
    from projections.rows import pg_row_from_event
    from projections.schema import EntryRow

    bulk = BulkInsert(EntryRow.__table__)  # type: ignore[arg-type]
    for position, event in enumerate(a_full_history(), start=10):
        expected = list(bulk.driver_rows(psycopg.dialect(), [row_from_event(event, position)])[0])
        # SQLAlchemy hands psycopg the facts wrapped, to be written as json.dumps writes them.
        wrapped = expected[-1]
        expected[-1] = (wrapped.dumps or json.dumps)(wrapped.obj)
        # The id as the text COPY reads as that uuid (the rebuild tests compare what is stored).
        expected[0] = expected[0].hex
        made = pg_row_from_event(event, position)
        assert list(made) == expected
        assert [type(v) for v in made] == [type(v) for v in expected]
