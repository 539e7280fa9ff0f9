"""Custody, releases and the end of a registration, as the offender judges them.

Moves into and out of custody alternate: a custody while already held, or a release while free
(other than the first release after the registration), is refused, as is a move that would leave
two the same way one after the other once history is entered out of order. A recall decision to
recall takes the person into custody. After the registration ends, visits, assessments,
transfers, custody and releases are refused; entries, acknowledgements and meetings are not.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from domain.errors import (
    AlreadyInCustodyError,
    DateOrderError,
    NotInCustodyError,
    RegistrationEndedError,
)
from domain.offender import CustodyMove, Offender, RegistrationEnd
from domain.staff import Person
from domain.values import (
    Agency,
    CustodyReason,
    RecallChoice,
    RegistrationEndReason,
    RiskLevel,
    VisitKind,
)
from ledger.app import OffenderLedger
from tests.unit.helpers import events_read_after

SOM = Person(staff="4521", agency=Agency.POLICE, rank="PC", senior=False)
OTHER_SOM = Person(staff="4633", agency=Agency.POLICE, rank="PC", senior=False)
INSPECTOR = Person(staff="1001", agency=Agency.POLICE, rank="Insp", senior=True)
REMANDED = CustodyReason.REMANDED


def released() -> Offender:
    """Registered on 2016-01-01, released on licence (#2) on 2016-07-04 until 2026-07-04."""
    offender = Offender.register(
        "WMP-000999", "John Doe", date(1975, 3, 2), 1, 1, None, date(2016, 1, 1), SOM, "4521"
    )
    offender.release_on_licence(date(2016, 7, 4), SOM, "4521", date(2026, 7, 4))
    return offender


def test_custody_then_release_without_licence_alternate():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, "New charge")  # 3
    offender.release_without_licence(date(2017, 1, 10), SOM, "4521")  # 4
    assert offender.custody == [
        CustodyMove(date(2016, 11, 20), 3, True),
        CustodyMove(date(2017, 1, 10), 4, False),
    ]
    # The licence runs on through a remand: only a recall stops it.
    assert offender.on_licence_on(date(2017, 2, 1))


def test_custody_while_already_in_custody_is_refused():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)
    with pytest.raises(AlreadyInCustodyError, match="already in custody on 2016-11-25, since"):
        offender.take_into_custody(date(2016, 11, 25), SOM, "4521", REMANDED, None)
    assert offender.version == 3


def test_a_release_while_not_in_custody_is_refused_but_the_first_is_not():
    offender = released()  # the first release needed no custody before it
    with pytest.raises(NotInCustodyError, match=r"released 2016-07-04 .*#2"):
        offender.release_without_licence(date(2016, 8, 1), SOM, "4521")
    assert offender.version == 2


def test_a_recall_takes_the_offender_into_custody():
    offender = released()
    offender.decide_recall(date(2016, 12, 1), INSPECTOR, "1001", RecallChoice.RECALL, "Breach")
    with pytest.raises(AlreadyInCustodyError, match="since 2016-12-01 \\(WMP-000999#3\\)"):
        offender.take_into_custody(date(2016, 12, 5), SOM, "4521", REMANDED, None)
    offender.release_without_licence(date(2017, 6, 1), SOM, "4521")


def test_a_recall_while_remanded_keeps_the_offender_in_custody():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)
    offender.decide_recall(date(2016, 12, 1), INSPECTOR, "1001", RecallChoice.RECALL, "Charged")
    offender.release_on_licence(date(2017, 6, 1), SOM, "4521", date(2019, 6, 1))


@pytest.mark.parametrize(
    ("into", "on", "match"),
    [
        (True, date(2016, 11, 15), "runs into the one WMP-000999#3 began"),
        (False, date(2016, 10, 1), "release before WMP-000999#4|not in custody"),
    ],
    ids=["custody-before-a-custody", "release-before-a-release"],
)
def test_moves_entered_out_of_order_are_refused(into, on, match):
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    offender.release_without_licence(date(2017, 1, 10), SOM, "4521")  # 4
    with pytest.raises((DateOrderError, NotInCustodyError), match=match):
        if into:
            offender.take_into_custody(on, SOM, "4521", REMANDED, None)
        else:
            offender.release_without_licence(on, SOM, "4521")
    assert offender.version == 4


def test_a_custody_entered_late_between_a_release_and_a_custody_is_refused():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    offender.release_without_licence(date(2017, 1, 10), SOM, "4521")  # 4
    # Between the two releases? No: between #2 and #3 the person was free, then held from #3.
    with pytest.raises(DateOrderError, match="runs into the one WMP-000999#3"):
        offender.take_into_custody(date(2016, 9, 1), SOM, "4521", REMANDED, None)
    # A custody after the last release is in order.
    offender.take_into_custody(date(2017, 3, 1), SOM, "4521", CustodyReason.SENTENCED, None)


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_moves_on_one_day_are_judged_by_their_times_not_the_order_typed():
    offender = released()
    offender.take_into_custody(at(date(2016, 11, 20), 15), SOM, "4521", REMANDED, None)  # 3
    # Released at 09:00, before the custody at 15:00: free since the release on licence.
    with pytest.raises(NotInCustodyError, match=r"not in custody on 2016-11-20 09:00 GMT"):
        offender.release_without_licence(at(date(2016, 11, 20), 9), SOM, "4521")
    offender.release_without_licence(at(date(2016, 11, 20), 16), SOM, "4521")  # 4
    # Recalled at 15:00; remanded at 09:00 the same day, typed after: the recall kept them held.
    offender.decide_recall(at(date(2016, 12, 1), 15), INSPECTOR, "1001", RecallChoice.RECALL, "x")
    offender.take_into_custody(at(date(2016, 12, 1), 9), SOM, "4521", REMANDED, None)  # 6
    assert [m.entry for m in offender.custody_moves()] == [2, 3, 4, 6, 5]


def test_a_release_on_licence_is_placed_by_its_time():
    offender = Offender.register(
        "WMP-000999", "John Doe", date(1975, 3, 2), 1, 1, None, date(2016, 1, 1), SOM, "4521"
    )
    offender.take_into_custody(at(date(2016, 7, 4), 15), SOM, "4521", REMANDED, None)  # 2
    offender.release_on_licence(at(date(2016, 7, 4), 9), SOM, "4521", date(2026, 7, 4))  # 3
    assert offender.release_times == {"3": at(date(2016, 7, 4), 9)}
    # Held since 15:00, after the first release at 09:00: a later release is no release while
    # free.
    offender.release_without_licence(date(2016, 8, 1), SOM, "4521")


def test_a_correction_keeps_custody_and_release_alternating():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    offender.release_without_licence(date(2017, 1, 10), SOM, "4521")  # 4
    with pytest.raises(DateOrderError) as refusal:
        offender.correct(date(2017, 2, 1), SOM, "4521", 4, "Typo", None, date(2016, 11, 1))
    assert refusal.value.fields == ("entry_occurred_at",)
    assert "entry_occurred_at 2016-11-01 for WMP-000999#4 would put WMP-000999#4, a release" in (
        str(refusal.value)
    )
    with pytest.raises(
        DateOrderError,
        match=r"for WMP-000999#3 would put WMP-000999#4, a release on 2017-01-10, right",
    ):
        offender.correct(date(2017, 2, 1), SOM, "4521", 3, "Typo", None, date(2017, 2, 1))
    # The first release moved after the custody would leave two releases one after the other.
    with pytest.raises(DateOrderError, match=r"for WMP-000999#2 would put WMP-000999#4"):
        offender.correct(date(2017, 2, 1), SOM, "4521", 2, "Typo", None, date(2016, 12, 1))
    assert offender.version == 4
    offender.correct(date(2017, 2, 1), SOM, "4521", 4, "Typo", None, date(2016, 12, 1))  # 5
    offender.correct(date(2017, 2, 1), SOM, "4521", 3, "Typo", None, date(2016, 8, 1))  # 6
    assert [(m.entry, m.occurred_at) for m in offender.custody_moves()] == [
        (2, date(2016, 7, 4)),
        (3, date(2016, 8, 1)),
        (4, date(2016, 12, 1)),
    ]


def test_a_recall_before_a_custody_with_no_release_between_is_refused_as_its_correction_is():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    with pytest.raises(DateOrderError, match=r"would recall WMP-000999 to custody before .*#3"):
        offender.decide_recall(date(2016, 11, 10), INSPECTOR, "1001", RecallChoice.RECALL, "x")
    # A decision not to recall moves no one; a recall while held keeps them there.
    offender.decide_recall(date(2016, 11, 10), INSPECTOR, "1001", RecallChoice.NO_RECALL, "x")
    offender.decide_recall(date(2016, 11, 25), INSPECTOR, "1001", RecallChoice.RECALL, "x")


def test_a_correction_of_a_recall_keeps_the_order_too():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    offender.decide_recall(date(2016, 12, 1), INSPECTOR, "1001", RecallChoice.RECALL, "x")  # 4
    with pytest.raises(DateOrderError, match=r"WMP-000999#4, a recall to custody on 2016-11-10"):
        offender.correct(date(2017, 1, 1), SOM, "4521", 4, "Typo", None, date(2016, 11, 10))
    offender.correct(date(2017, 1, 1), SOM, "4521", 4, "Typo", None, date(2016, 11, 25))


def test_the_registration_ends_once_and_not_before_a_move():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    with pytest.raises(DateOrderError, match="before WMP-000999#3"):
        offender.end_registration(
            date(2016, 11, 1), SOM, "4521", RegistrationEndReason.REMOVED, "Order quashed"
        )
    with pytest.raises(DateOrderError, match="before the registration"):
        offender.end_registration(
            date(2015, 11, 1), SOM, "4521", RegistrationEndReason.REMOVED, "Order quashed"
        )
    offender.end_registration(
        date(2017, 1, 1), SOM, "4521", RegistrationEndReason.DECEASED, "Died in custody"
    )  # 4
    assert offender.registration_end == RegistrationEnd(
        date(2017, 1, 1), 4, RegistrationEndReason.DECEASED
    )
    with pytest.raises(RegistrationEndedError, match="already ended 2017-01-01"):
        offender.end_registration(date(2017, 2, 1), SOM, "4521", RegistrationEndReason.OTHER, "x")


@pytest.mark.parametrize(
    "command",
    [
        lambda o, t: o.record_visit(t, SOM, "4521", VisitKind.HOME, "Seen"),
        lambda o, t: o.record_assessment(t, SOM, "4521", "ARMS", RiskLevel.HIGH, None),
        lambda o, t: o.transfer(t, INSPECTOR, "1001", OTHER_SOM, None),
        lambda o, t: o.take_into_custody(t, SOM, "4521", REMANDED, None),
        lambda o, t: o.release_without_licence(t, SOM, "4521"),
        lambda o, t: o.release_on_licence(t, SOM, "4521", date(2030, 1, 1)),
    ],
    ids=["visit", "assessment", "transfer", "custody", "release", "release-on-licence"],
)
def test_after_the_registration_ends_the_acts_of_management_are_refused(command):
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    ended = datetime(2018, 1, 1, 12, 0, tzinfo=UTC)
    offender.end_registration(ended, SOM, "4521", RegistrationEndReason.EXPIRED, "Ended")  # 4
    with pytest.raises(RegistrationEndedError, match="registration of WMP-000999 ended"):
        command(offender, date(2018, 2, 1))
    assert offender.version == 4


def test_after_the_registration_ends_the_record_stays_open_to_review():
    offender = released()
    offender.end_registration(date(2018, 1, 1), SOM, "4521", RegistrationEndReason.EXPIRED, "x")
    offender.record_entry(date(2018, 2, 1), INSPECTOR, "1001", "Review: visits were missed", True)
    offender.acknowledge(date(2018, 2, 2), SOM, "4521", [4])
    offender.record_mappa_meeting(date(2018, 2, 3), INSPECTOR, "1001", 2, [SOM], "SCR", [4])
    offender.correct(date(2018, 2, 4), INSPECTOR, "1001", 4, "Typo", "Reviewed", None)
    # Before the end, late entries of management are still taken.
    offender.record_visit(date(2017, 6, 1), SOM, "4521", VisitKind.HOME, "Seen")


def ended_after_moves() -> Offender:
    """Released on licence (#2), remanded (#3) on 2016-11-20, released (#4) on 2017-01-10, the
    case transferred (#5) on 2017-03-01, and the registration ended (#6) on 2018-01-01."""
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    offender.release_without_licence(date(2017, 1, 10), SOM, "4521")  # 4
    offender.transfer(date(2017, 3, 1), INSPECTOR, "1001", OTHER_SOM, None)  # 5
    offender.end_registration(date(2018, 1, 1), SOM, "4521", RegistrationEndReason.EXPIRED, "x")
    return offender


@pytest.mark.parametrize("entry", [4, 5], ids=["release", "transfer"])
def test_a_correction_cannot_move_an_act_of_management_past_the_end(entry):
    """Recording a custody, a release or a transfer after the end is refused; correcting one to
    a time after the end was not."""
    offender = ended_after_moves()
    with pytest.raises(RegistrationEndedError, match=f"WMP-000999#{entry} is at or after the end"):
        offender.correct(date(2018, 2, 1), SOM, "4521", entry, "Typo", None, date(2018, 1, 1))
    assert offender.version == 6
    # A time still before the end is taken.
    offender.correct(date(2018, 2, 1), SOM, "4521", entry, "Typo", None, date(2017, 12, 31))


def test_a_correction_cannot_move_a_custody_past_the_end():
    offender = released()
    offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)  # 3
    offender.end_registration(date(2018, 1, 1), SOM, "4521", RegistrationEndReason.DECEASED, "x")
    with pytest.raises(RegistrationEndedError, match="WMP-000999#3 is at or after the end"):
        offender.correct(date(2018, 2, 1), SOM, "4521", 3, "Typo", None, date(2018, 1, 2))
    assert offender.version == 4


def test_a_correction_cannot_end_the_registration_before_an_act_of_management():
    offender = ended_after_moves()
    with pytest.raises(DateOrderError, match="at or before WMP-000999#5, a transfer on 2017-03-01"):
        offender.correct(date(2018, 2, 1), SOM, "4521", 6, "Typo", None, date(2017, 2, 1))
    # The latest of them is named: it is the one the end must stay after.
    with pytest.raises(DateOrderError, match="at or before WMP-000999#5, a transfer"):
        offender.correct(date(2018, 2, 1), SOM, "4521", 6, "Typo", None, date(2016, 12, 1))
    assert offender.version == 6
    offender.correct(date(2018, 2, 1), SOM, "4521", 6, "Typo", None, date(2017, 3, 2))
    # Once the end has moved, the moves are held to it.
    with pytest.raises(RegistrationEndedError, match="#5 is at or after the end"):
        offender.correct(date(2018, 2, 1), SOM, "4521", 5, "Typo", None, date(2017, 3, 2))


def test_a_version_6_snapshot_is_brought_up_to_version_7_as_its_events_give(monkeypatch):
    """A version 6 snapshot has no custody moves nor registration end: no event of its time made
    any, so the upcaster's empty values are exact. (Version 8's release times, which no upcaster
    can give, are lent from the offender itself.)"""
    app = OffenderLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        offender = released()
        offender.decide_recall(date(2016, 12, 1), INSPECTOR, "1001", RecallChoice.RECALL, "x")
        offender.collect_events()
        times = dict(offender.release_times)
        monkeypatch.setattr(
            Offender,
            "upcast_v7_v8",
            staticmethod(lambda state: state.__setitem__("release_times", dict(times))),
            raising=False,
        )
        snapshot = Offender.Snapshot.take(offender)
        stored = app.mapper.to_stored_event(snapshot)
        state = json.loads(stored.state)
        state["state"]["class_version"] = 6
        del state["state"]["custody"], state["state"]["registration_end"]
        del state["state"]["release_times"]
        old = type(stored)(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=json.dumps(state).encode(),
        )
        restored = app.mapper.to_domain_event(old).mutate(None)
        assert restored.__dict__ == offender.__dict__
        assert restored.custody == [] and restored.registration_end is None
    finally:
        app.close()


def test_a_snapshot_keeps_custody_and_the_registration_end_by_name():
    app = OffenderLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        offender = released()
        offender.take_into_custody(date(2016, 11, 20), SOM, "4521", REMANDED, None)
        offender.end_registration(
            date(2017, 1, 1), SOM, "4521", RegistrationEndReason.DECEASED, "Died in custody"
        )
        offender.collect_events()
        stored = app.mapper.to_stored_event(Offender.Snapshot.take(offender))
        state = json.loads(stored.state)["state"]
        assert state["custody"] == [
            {
                "_type_": "CustodyMove",
                "_data_": {
                    "occurred_at": {"_type_": "date_iso", "_data_": "2016-11-20"},
                    "entry": 3,
                    "into": True,
                },
            }
        ]
        assert state["registration_end"]["_data_"]["reason"] == {
            "_type_": "RegistrationEndReason",
            "_data_": "deceased",
        }
        restored = app.mapper.to_domain_event(stored).mutate(None)
        assert restored.__dict__ == offender.__dict__
    finally:
        app.close()


def test_a_version_7_snapshot_is_passed_over_and_the_offender_replayed(monkeypatch):
    """A version 7 snapshot, as today's code wrote it before version 8, kept a licence's day but
    not the time its release occurred, which orders it among moves the same day: no upcaster can
    tell it, so the ledger passes the snapshot over and replays the events, and the time is
    the one they give."""
    from ledger.commands import EnrolStaff, RecordRelease, RegisterOffender
    from ledger.handlers import handle

    app = OffenderLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        handle(app, None, [EnrolStaff.build(staff_id="4521", name="Sam Reid", agency="police",
                                            rank="PC", since="2010-01-01")])  # fmt: skip
        handle(
            app,
            "4521",
            [
                RegisterOffender.build(
                    ref="WMP-000999",
                    name="John Doe",
                    born="1975-03-02",
                    category=1,
                    occurred_at="2016-01-01",
                ),
                RecordRelease.build(
                    ref="WMP-000999",
                    licence_end="2026-07-04",
                    occurred_at="2016-07-04T09:00:00+00:00",
                ),
            ],
        )
        offender = app.get_offender("WMP-000999")
        assert app.snapshots is not None
        stored = app.mapper.to_stored_event(Offender.Snapshot.take(offender))
        state = json.loads(stored.state)
        assert state["state"]["class_version"] == 8
        state["state"]["class_version"] = 7
        del state["state"]["release_times"]
        app.snapshots.recorder.insert_events(
            [
                type(stored)(
                    originator_id=stored.originator_id,
                    originator_version=stored.originator_version,
                    topic=stored.topic,
                    state=json.dumps(state).encode(),
                )
            ]
        )
        reads = events_read_after(app, monkeypatch)
        loaded = app.get_offender("WMP-000999")
        assert reads == [None]
        assert loaded.release_times == {"2": datetime(2016, 7, 4, 9, tzinfo=UTC)}
        assert loaded.__dict__ == offender.__dict__
    finally:
        app.close()
