"""Events survive the trip into stored form and back, through the ledger's own mapper.

The application runs on the library's in-memory persistence: no file, no server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.identity import offender_id
from domain.offender import Offender, RecallDecision
from domain.staff import Person
from domain.values import Agency, AssessmentTool, RecallChoice, RiskLevel, ShareMeans, VisitKind
from ledger.app import OffenderLedger
from ledger.commands import (
    Acknowledge,
    Command,
    DecideRecall,
    EnrolStaff,
    RecordAssessment,
    RecordEntry,
    RecordRelease,
    RegisterOffender,
    Transfer,
)
from ledger.handlers import handle

SOM = Person(staff="4521", agency=Agency.POLICE, rank="PC", senior=False)
PROBATION = Person(staff="7702", agency=Agency.PROBATION, rank="Probation Officer", senior=False)
WHEN = datetime(2016, 10, 17, 13, 30, tzinfo=UTC)
DAY = date(2016, 10, 17)


@pytest.fixture
def ledger() -> Iterator[OffenderLedger]:
    app = OffenderLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    enrolment = EnrolStaff.build(
        staff_id="4521", name="Sam Reid", agency="police", rank="PC", since="2010-01-01"
    )
    handle(app, None, [enrolment])
    yield app
    app.close()


def round_trip(app: OffenderLedger, event: Any) -> Any:
    stored = app.mapper.to_stored_event(event)
    return app.mapper.to_domain_event(stored)


def fresh_offender() -> Offender:
    return Offender.register(
        "WMP-000123", "John Doe", date(1975, 3, 2), 1, 1, "Birmingham", DAY, SOM, "1001"
    )


def assert_same_event(before: Any, after: Any) -> None:
    assert type(after) is type(before)
    assert after.__dict__ == before.__dict__


def test_registration_keeps_its_dates_and_agency(ledger):
    (event,) = fresh_offender().collect_events()
    after = round_trip(ledger, event)
    assert_same_event(event, after)
    assert type(after.born) is date and type(after.occurred_at) is date
    assert after.agency is Agency.POLICE


def test_an_untimed_event_stays_a_date_and_a_timed_one_an_aware_instant(ledger):
    offender = fresh_offender()
    offender.record_entry(DAY, SOM, "4521", "Untimed", False)
    offender.record_entry(WHEN, SOM, "4521", "Timed", False)
    untimed, timed = (round_trip(ledger, e) for e in offender.collect_events()[1:])
    assert type(untimed.occurred_at) is date and untimed.occurred_at == DAY
    assert type(timed.occurred_at) is datetime and timed.occurred_at == WHEN
    assert timed.occurred_at.tzinfo is not None


def test_every_enum_comes_back_as_itself(ledger):
    offender = fresh_offender()
    offender.release_on_licence(DAY, SOM, "4521", date(2026, 7, 4))
    offender.record_visit(WHEN, SOM, "4521", VisitKind.UNANNOUNCED, "Not in")
    offender.record_assessment(WHEN, SOM, "4521", AssessmentTool.OASYS, RiskLevel.VERY_HIGH, None)
    offender.decide_recall(WHEN, SOM, "4521", RecallChoice.NO_RECALL, "Manageable")
    offender.share(WHEN, SOM, "4521", [1], Agency.SOCIAL_CARE, None, ShareMeans.LETTER)
    events = offender.collect_events()
    for event in events:
        assert_same_event(event, round_trip(ledger, event))
    release, visit, assessment, recall, share = (round_trip(ledger, e) for e in events[1:])
    assert type(release.licence_end) is date
    assert visit.kind is VisitKind.UNANNOUNCED
    assert assessment.tool is AssessmentTool.OASYS and assessment.risk is RiskLevel.VERY_HIGH
    assert recall.decision is RecallChoice.NO_RECALL
    assert share.with_agency is Agency.SOCIAL_CARE and share.means is ShareMeans.LETTER


def test_people_inside_events_keep_their_agency_enum(ledger):
    offender = fresh_offender()
    offender.record_escalation(WHEN, SOM, "4521", PROBATION, "Needs a second view")
    offender.record_mappa_meeting(WHEN, SOM, "4521", 2, [SOM, PROBATION], "Plan", [1])
    offender.transfer(WHEN, SOM, "4521", PROBATION, None)
    offender.share(WHEN, SOM, "4521", [1], Agency.PROBATION, PROBATION, ShareMeans.EMAIL)
    escalation, meeting, transfer, share = (
        round_trip(ledger, e) for e in offender.collect_events()[1:]
    )
    assert escalation.to_person == PROBATION.as_dict()
    assert escalation.to_person["agency"] is Agency.PROBATION
    assert [a["agency"] for a in meeting.attendees] == [Agency.POLICE, Agency.PROBATION]
    assert transfer.to_person["agency"] is Agency.PROBATION
    assert share.with_person["agency"] is Agency.PROBATION and share.with_agency is Agency.PROBATION


def test_a_correction_with_a_date_only_time_keeps_it_a_date(ledger):
    offender = fresh_offender()
    offender.correct(WHEN, SOM, "4521", 1, "Wrong day", None, date(2016, 7, 3))
    offender.correct(WHEN, SOM, "4521", 1, "Wrong time", None, WHEN)
    offender.correct(WHEN, SOM, "4521", 1, "Text only", "Better", None)
    by_date, by_time, text_only = (round_trip(ledger, e) for e in offender.collect_events()[1:])
    assert type(by_date.entry_occurred_at) is date
    assert by_time.entry_occurred_at == WHEN
    assert text_only.entry_occurred_at is None and text_only.summary == "Better"


def test_staff_events_round_trip_with_their_dates(ledger):
    member = ledger.get_staff("4521")
    (enrolled,) = ledger.events.get(member.id)
    assert enrolled.since == date(2010, 1, 1) and enrolled.agency is Agency.POLICE
    member.change_rank("PS", False, date(2017, 3, 1), "4521")
    (changed,) = member.collect_events()
    assert_same_event(changed, round_trip(ledger, changed))


# ---------------------------------------------------------------------------------- snapshots


def record(app: OffenderLedger, model: type[Command], **fields: Any) -> None:
    """Has the ledger handle one command about WMP-000123, typed by 4521 at WHEN."""
    handle(app, "4521", [model.build(ref="WMP-000123", occurred_at=WHEN.isoformat(), **fields)])


def record_entries(app: OffenderLedger, count: int) -> None:
    for n in range(count):
        record(app, RecordEntry, summary=f"#{n}", risk_relevant=n % 2 == 0)


def register(app: OffenderLedger) -> None:
    command = RegisterOffender.build(
        ref="WMP-000123", name="John Doe", born="1975-03-02", category=1, occurred_at="2016-10-17"
    )
    handle(app, "4521", [command])


def enrol_probation_officer(app: OffenderLedger) -> None:
    officer = EnrolStaff.build(
        staff_id="7702",
        name="Pat Lowe",
        agency="probation",
        rank="Probation Officer",
        since="2010-01-01",
    )
    handle(app, "4521", [officer])


def replayed_from_scratch(app: OffenderLedger, ref: str) -> Offender:
    aggregate: Any = None
    for event in app.events.get(offender_id(ref)):
        aggregate = event.mutate(aggregate)
    return aggregate


def test_after_fifty_events_the_offender_loads_from_a_snapshot_equal_to_a_full_replay(ledger):
    register(ledger)
    record_entries(ledger, 20)
    handle(
        ledger,
        "4521",
        [
            RecordRelease.build(
                ref="WMP-000123", occurred_at=DAY.isoformat(), licence_end="2026-01-01"
            )
        ],
    )
    record(ledger, RecordAssessment, tool="ARMS", risk="high")
    record(ledger, Acknowledge, entries=[2, 3])
    enrol_probation_officer(ledger)
    record(ledger, Transfer, to="7702")
    record_entries(ledger, 36)
    assert ledger.get_offender("WMP-000123").version == 61

    snapshots = list(ledger.snapshots.get(offender_id("WMP-000123")))
    assert [s.originator_version for s in snapshots] == [50]

    loaded = ledger.get_offender("WMP-000123")
    replayed = replayed_from_scratch(ledger, "WMP-000123")
    assert loaded.__dict__ == replayed.__dict__
    assert loaded.risk is RiskLevel.HIGH and loaded.on_licence
    assert loaded.owners == {"police": "4521", "probation": "7702"}
    assert loaded.acknowledged == {"4521": [2, 3]}


def test_a_snapshot_holds_enums_and_dates_in_their_own_types(ledger):
    register(ledger)
    record(ledger, RecordAssessment, tool="ARMS", risk="low")
    ledger.take_snapshot(offender_id("WMP-000123"))
    (snapshot,) = ledger.snapshots.get(offender_id("WMP-000123"))
    restored = round_trip(ledger, snapshot).mutate(None)
    assert restored.risk is RiskLevel.LOW and type(restored.born) is date


def register_and_release(ledger) -> None:
    """WMP-000123 registered on DAY and released on licence that day (#2), until 2030."""
    register(ledger)
    release = RecordRelease.build(
        ref="WMP-000123", occurred_at=DAY.isoformat(), licence_end="2030-01-01"
    )
    handle(ledger, "4521", [release])


def test_a_snapshot_keeps_the_release_each_recall_decision_decided_on(ledger):
    register_and_release(ledger)
    record(ledger, DecideRecall, decision="no-recall", rationale="Fine")
    ledger.take_snapshot(offender_id("WMP-000123"))
    (snapshot,) = ledger.snapshots.get(offender_id("WMP-000123"))
    restored = round_trip(ledger, snapshot).mutate(None)
    decided = RecallDecision(occurred_at=WHEN, release_entry=2, recalled=False)
    assert restored.recall_decisions == {"3": decided}
    assert restored.__dict__ == replayed_from_scratch(ledger, "WMP-000123").__dict__


def test_a_batched_save_across_multiples_of_fifty_writes_one_snapshot_of_the_state_saved(ledger):
    register(ledger)
    offender = ledger.get_offender("WMP-000123")
    author = ledger.person("4521", WHEN)
    for n in range(119):
        offender.record_entry(WHEN, author, "4521", f"#{n}", False)
    offender.acknowledge(WHEN, author, "4521", [2, 60, 110])
    enrol_probation_officer(ledger)
    offender.transfer(WHEN, author, "4521", PROBATION, "Batch")
    ledger.save(offender)

    snapshots = list(ledger.snapshots.get(offender_id("WMP-000123")))
    assert [s.originator_version for s in snapshots] == [122]
    loaded = ledger.get_offender("WMP-000123")
    assert loaded.__dict__ == replayed_from_scratch(ledger, "WMP-000123").__dict__
    assert loaded.acknowledged == {"4521": [2, 60, 110]}
    assert loaded.owners == {"police": "4521", "probation": "7702"}


def test_a_save_that_crosses_no_multiple_of_fifty_writes_no_snapshot(ledger):
    register(ledger)
    record_entries(ledger, 48)
    assert list(ledger.snapshots.get(offender_id("WMP-000123"))) == []
    record_entries(ledger, 1)
    assert [s.originator_version for s in ledger.snapshots.get(offender_id("WMP-000123"))] == [50]


def test_a_snapshot_of_an_older_shape_is_passed_over_for_the_events(ledger):
    """Offender snapshots taken before licences and owners were kept with their dates held one
    flag, the latest licence end and each agency's owner (class version 1). Such a snapshot
    cannot be brought up to date without the events it stands for (when was the release?): it
    is passed over, and the offender loads as its events give it."""
    from eventsourcing.domain import Snapshot
    from eventsourcing.utils import get_topic

    from domain.errors import NotOnLicenceError

    register_and_release(ledger)
    current = ledger.get_offender("WMP-000123")
    drop = ("_pending_events", "licences", "transfers", "corrected_times")
    state = {k: v for k, v in current.__dict__.items() if k not in drop}
    # Version 1 (no "class_version"), with a licence end unlike the event's, which would show.
    state.update(on_licence=True, licence_end=date(2029, 6, 30), owners={"police": "4521"})
    old = Snapshot(
        originator_id=current.id,
        originator_version=current.version,
        timestamp=current.modified_on,
        topic=get_topic(Offender),
        state=state,
    )
    ledger.snapshots.put([old])
    (stored,) = ledger.snapshots.get(current.id)
    assert "class_version" not in stored.state

    loaded = ledger.get_offender("WMP-000123")
    assert loaded.__dict__ == replayed_from_scratch(ledger, "WMP-000123").__dict__
    assert loaded.licence_end == date(2030, 1, 1) and loaded.owners == {"police": "4521"}
    # The release was on 2016-10-17: a recall decided before it is refused, as by the events.
    with pytest.raises(NotOnLicenceError):
        loaded.decide_recall(date(2016, 10, 1), SOM, "4521", RecallChoice.RECALL, "Breach")


def test_a_snapshot_of_the_current_shape_is_used(ledger):
    register(ledger)
    ledger.take_snapshot(offender_id("WMP-000123"))
    (snapshot,) = ledger.repository.snapshot_store.get(offender_id("WMP-000123"))
    assert snapshot.state["class_version"] == Offender.class_version


def test_a_correction_stored_before_licence_ends_could_be_corrected_reads_back(ledger):
    """EntryCorrected version 1 (no "class_version", no licence_end) as stored until version 2
    added the corrected licence end: it reads back with none, and replays as it did."""
    from dataclasses import replace as replaced

    offender = fresh_offender()
    offender.correct(WHEN, SOM, "4521", 1, "Wrong date typed", None, DAY, None)
    event = offender.collect_events()[-1]
    stored = ledger.mapper.to_stored_event(event)
    state = ledger.mapper.transcoder.decode(stored.state)
    assert state.pop("class_version") == 2 and state.pop("licence_end") is None
    old = replaced(stored, state=ledger.mapper.transcoder.encode(state))

    after = ledger.mapper.to_domain_event(old)
    assert_same_event(event, after)
    assert after.licence_end is None and after.entry_occurred_at == DAY
