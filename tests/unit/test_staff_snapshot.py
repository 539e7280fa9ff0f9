"""A staff member's snapshot keeps each rank held as a named value (`Post`), and a snapshot of
the older shape, with positional lists (class version 1), is brought up to date as it loads.

The ledger takes no staff snapshots by itself; one taken by hand must still read back right.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from eventsourcing.domain import Snapshot
from eventsourcing.utils import get_topic

from domain.identity import staff_id
from domain.staff import Post, StaffMember
from ledger.app import OffenderLedger
from ledger.commands import EnrolStaff
from ledger.handlers import handle


@pytest.fixture
def ledger() -> Iterator[OffenderLedger]:
    app = OffenderLedger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    enrolment = EnrolStaff.build(
        staff_id="4521", name="Sam Reid", agency="police", rank="PC", since="2010-01-01"
    )
    handle(app, None, [enrolment])
    member = app.get_staff("4521")
    member.change_rank("PS", False, date(2014, 3, 1), "4521")
    member.change_rank("DS", True, date(2012, 6, 1), "4521")  # a late entry, slotted in
    app.save(member)
    yield app
    app.close()


def replayed(app: OffenderLedger) -> StaffMember:
    aggregate: Any = None
    for event in app.events.get(staff_id("4521")):
        aggregate = event.mutate(aggregate)
    return aggregate


def test_a_staff_snapshot_reads_back_with_its_posts_named(ledger):
    ledger.take_snapshot(staff_id("4521"))
    loaded = ledger.get_staff("4521")
    assert loaded._posts == [
        Post(date(2010, 1, 1), "PC", senior_grade=False),
        Post(date(2012, 6, 1), "DS", senior_grade=True),
        Post(date(2014, 3, 1), "PS", senior_grade=False),
    ]
    assert loaded.__dict__ == replayed(ledger).__dict__
    assert loaded.as_of(date(2013, 1, 1)).rank == "DS" and loaded.rank == "PS"


def test_a_staff_snapshot_of_positional_posts_is_brought_up_to_date(ledger):
    current = replayed(ledger)
    state = {k: v for k, v in current.__dict__.items() if k not in ("_id", "_version")}
    state.pop("_pending_events")
    # Version 1: no "class_version", and each post as [since, rank, senior grade].
    state["_posts"] = [[p.since, p.rank, p.senior_grade] for p in current._posts]
    old = Snapshot(
        originator_id=current.id,
        originator_version=current.version,
        timestamp=current.modified_on,
        topic=get_topic(StaffMember),
        state=state,
    )
    ledger.snapshots.put([old])
    (stored,) = ledger.repository.snapshot_store.get(current.id)
    assert "class_version" not in stored.state

    loaded = ledger.get_staff("4521")
    assert loaded.__dict__ == current.__dict__
    assert loaded.as_of(date(2012, 6, 1)).senior
