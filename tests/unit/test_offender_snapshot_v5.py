"""A snapshot written before the offender's state had names (class version 5) still loads.

`fixtures/offender_snapshot_v5.json` holds an offender's stored events and a stored snapshot of
it at entry 12, exactly as the ledger wrote them then (`fixtures/make_offender_snapshot_v5.py`):
two releases, recall decisions either way, changes of owner, and corrections of a release's
time, a recall decision's time and a licence end. Read through today's code, the snapshot is
brought up to date (`Offender.upcast_v5_v6`, then `upcast_v6_v7`) and gives the state its events
give. Version 8 keeps the time of each release on licence, which no snapshot before it held and
no upcaster can invent: the ledger passes such a snapshot over and replays the events. The tests
of the upcasters' own work lend those times from the replay (`lent_release_times`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from domain.offender import ChangeOfOwner, Licence, Offender, RecallDecision
from domain.values import Agency, RiskLevel
from ledger.app import OffenderLedger
from ledger.commands import DecideRecall, EnrolStaff, RecordRelease
from ledger.handlers import handle
from tests.unit.helpers import events_read_after

FIXTURE = json.loads(
    Path(__file__).with_name("fixtures").joinpath("offender_snapshot_v5.json").read_text()
)
OFFENDER_ID = UUID(FIXTURE["originator_id"])
SNAPSHOT_AT = FIXTURE["snapshot"]["originator_version"]


def stored(record: dict[str, Any]) -> StoredEvent:
    return StoredEvent(
        originator_id=OFFENDER_ID,
        originator_version=record["originator_version"],
        topic=record["topic"],
        state=json.dumps(record["state"]).encode(),
    )


STORED_EVENTS = [stored(record) for record in FIXTURE["events"]]
STORED_SNAPSHOT = stored(FIXTURE["snapshot"])


@pytest.fixture
def ledger() -> Iterator[OffenderLedger]:
    app = OffenderLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield app
    app.close()


def replayed(ledger: OffenderLedger, up_to: int) -> Offender:
    aggregate: Any = None
    for record in STORED_EVENTS[:up_to]:
        aggregate = ledger.mapper.to_domain_event(record).mutate(aggregate)
    return aggregate


@pytest.fixture
def lent_release_times(ledger: OffenderLedger, monkeypatch: pytest.MonkeyPatch) -> None:
    """An `upcast_v7_v8` that takes the release times from the replay of the events, as no
    upcaster of the ledger's own can: the rest of the state is then the upcasters' work alone."""
    times = replayed(ledger, SNAPSHOT_AT).release_times

    def upcast_v7_v8(state: dict[str, Any]) -> None:
        state["release_times"] = dict(times)

    monkeypatch.setattr(Offender, "upcast_v7_v8", staticmethod(upcast_v7_v8), raising=False)


def from_snapshot(ledger: OffenderLedger) -> Offender:
    snapshot: Any = ledger.mapper.to_domain_event(STORED_SNAPSHOT)
    return snapshot.mutate(None)


def test_the_fixture_is_a_version_5_snapshot_of_positional_lists():
    state = FIXTURE["snapshot"]["state"]["state"]
    assert state["class_version"] == 5 and Offender.class_version == 8
    assert [len(licence) for licence in state["licences"]] == [4, 4]
    assert [len(change) for change in state["transfers"]] == [4, 4, 4]


def test_a_version_5_snapshot_loads_as_the_replay_of_its_events(ledger, lent_release_times):
    restored = from_snapshot(ledger)
    assert restored.version == SNAPSHOT_AT
    assert restored.__dict__ == replayed(ledger, SNAPSHOT_AT).__dict__


def test_its_licences_changes_of_owner_and_recall_decisions_have_names(ledger, lent_release_times):
    restored = from_snapshot(ledger)
    assert restored.licences == [
        Licence(date(2016, 2, 2), date(2017, 2, 1), recalled_on=date(2016, 6, 2), release_entry=2),
        Licence(date(2016, 9, 1), date(2018, 10, 1), recalled_on=None, release_entry=6),
    ]
    assert restored.transfers == [
        ChangeOfOwner(date(2016, 1, 4), 1, Agency.POLICE, "4521"),
        ChangeOfOwner(datetime(2016, 9, 2, 12, tzinfo=UTC), 7, Agency.PROBATION, "7702"),
        ChangeOfOwner(datetime(2016, 9, 6, 12, tzinfo=UTC), 11, Agency.POLICE, "4600"),
    ]
    assert restored.recall_decisions == {
        "4": RecallDecision(datetime(2016, 5, 1, 12, tzinfo=UTC), 2, recalled=False),
        "5": RecallDecision(datetime(2016, 6, 1, 12, tzinfo=UTC), 2, recalled=True),
    }
    assert restored.owners == {"police": "4600", "probation": "7702"}
    assert restored.risk is RiskLevel.HIGH and restored.on_licence


def test_the_events_after_it_apply_on_top_as_on_a_replay(ledger, lent_release_times):
    offender = from_snapshot(ledger)
    for record in STORED_EVENTS[SNAPSHOT_AT:]:
        offender = ledger.mapper.to_domain_event(record).mutate(offender)
    assert offender.__dict__ == replayed(ledger, len(STORED_EVENTS)).__dict__
    assert offender.licences[1].recalled_on == date(2017, 1, 1) and not offender.on_licence


# ------------------------------------------------------------------------- in the application


def store_fixture(ledger: OffenderLedger) -> None:
    """The fixture's events and snapshot, written into the ledger as they were stored."""
    ledger.recorder.insert_events(STORED_EVENTS)
    assert ledger.snapshots is not None
    ledger.snapshots.recorder.insert_events([STORED_SNAPSHOT])


def test_the_ledger_loads_an_offender_from_its_version_5_snapshot(
    ledger, monkeypatch, lent_release_times
):
    store_fixture(ledger)
    reads = events_read_after(ledger, monkeypatch)
    loaded = ledger.get_offender("WMP-000123")
    # With every upcaster to today's version, the snapshot is not passed over: the events read
    # are only those after it.
    assert reads == [SNAPSHOT_AT]
    assert loaded.__dict__ == replayed(ledger, len(STORED_EVENTS)).__dict__


def test_without_an_upcaster_to_version_8_the_ledger_replays_the_events(ledger, monkeypatch):
    """No upcaster can tell the time of day a licence began, so the ledger passes a version 5
    snapshot over and replays: the release times are those the events give."""
    store_fixture(ledger)
    reads = events_read_after(ledger, monkeypatch)
    loaded = ledger.get_offender("WMP-000123")
    assert reads == [None]
    assert loaded.__dict__ == replayed(ledger, len(STORED_EVENTS)).__dict__
    # As recorded: #2 at noon (its correction's time is in `corrected_times`), #6 a date alone.
    assert loaded.release_times == {
        "2": datetime(2016, 2, 1, 12, tzinfo=UTC),
        "6": date(2016, 9, 1),
    }


@pytest.mark.parametrize("version", [4, Offender.class_version + 1])
def test_a_snapshot_no_upcaster_reaches_is_passed_over_for_the_events(ledger, monkeypatch, version):
    """Version 4 and older lack what version 5 added (no `upcast_v4_v5` can invent it), and a
    newer version is not this code's to read: the offender is replayed from its events."""
    record = json.loads(json.dumps(FIXTURE["snapshot"]))
    record["state"]["state"]["class_version"] = version
    ledger.recorder.insert_events(STORED_EVENTS)
    assert ledger.snapshots is not None
    ledger.snapshots.recorder.insert_events([stored(record)])
    reads = events_read_after(ledger, monkeypatch)
    loaded = ledger.get_offender("WMP-000123")
    assert reads == [None]
    assert loaded.__dict__ == replayed(ledger, len(STORED_EVENTS)).__dict__


def test_an_offender_loaded_from_a_version_5_snapshot_takes_new_commands(ledger):
    enrolment = EnrolStaff.build(
        staff_id="4521", name="Sam Reid", agency="police", rank="PC", since="2010-01-01"
    )
    handle(ledger, None, [enrolment])
    store_fixture(ledger)
    when = datetime(2017, 3, 1, 10, tzinfo=UTC)
    at = when.isoformat()
    release = RecordRelease.build(ref="WMP-000123", occurred_at=at, licence_end="2019-03-01")
    decision = DecideRecall.build(
        ref="WMP-000123", occurred_at=at, decision="no-recall", rationale="Settled"
    )
    handle(ledger, "4521", [release])
    handle(ledger, "4521", [decision])
    offender = ledger.get_offender("WMP-000123")
    assert offender.licences[-1] == Licence(date(2017, 3, 1), date(2019, 3, 1), None, 15)
    assert offender.recall_decisions["16"] == RecallDecision(when, 15, recalled=False)

    # The next snapshot is of today's shape, and gives the same state.
    ledger.take_snapshot(OFFENDER_ID)
    *_, newest = ledger.snapshots.get(OFFENDER_ID)
    assert newest.state["class_version"] == Offender.class_version
    assert ledger.get_offender("WMP-000123").__dict__ == offender.__dict__


def test_a_snapshot_stores_each_value_by_name(ledger, lent_release_times):
    """The stored form of today's snapshot: each value under its transcoding's name, each field
    by its own name. Names are part of the stored form and never change."""
    snapshot = Offender.Snapshot.take(from_snapshot(ledger))
    state = json.loads(ledger.mapper.to_stored_event(snapshot).state)["state"]
    assert state["licences"][0] == {
        "_type_": "Licence",
        "_data_": {
            "released_on": {"_type_": "date_iso", "_data_": "2016-02-02"},
            "ends_on": {"_type_": "date_iso", "_data_": "2017-02-01"},
            "recalled_on": {"_type_": "date_iso", "_data_": "2016-06-02"},
            "release_entry": 2,
        },
    }
    assert state["transfers"][0] == {
        "_type_": "ChangeOfOwner",
        "_data_": {
            "occurred_at": {"_type_": "date_iso", "_data_": "2016-01-04"},
            "entry": 1,
            "agency": {"_type_": "Agency", "_data_": "police"},
            "staff": "4521",
        },
    }
    assert state["recall_decisions"]["4"] == {
        "_type_": "RecallDecision",
        "_data_": {
            "occurred_at": {"_type_": "datetime_iso", "_data_": "2016-05-01T12:00:00+00:00"},
            "release_entry": 2,
            "recalled": False,
        },
    }
