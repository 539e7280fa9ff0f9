"""Every class of event the domain declares is handled by each projection's table, chosen by its
class: a new event class, or a renamed one, fails here rather than falling through unnoticed."""

from __future__ import annotations

import ast
import inspect
import re

from domain.offender import Offender
from domain.staff import StaffMember
from projections import event_types
from projections.builtin import StaffDirectory
from projections.catalogue import all_projections
from projections.records import INFORMATIONAL_TYPES
from projections.rows import EVENT_CLASSES, RISK_RELEVANCE, SUMMARIES


def event_classes(aggregate: type) -> set[type]:
    """The events an aggregate's module declares: the classes written in its body that derive
    from its `Event`, without the bases the others share (`Event` itself, `Offender.Recorded`).
    Read from the source, since the library adds classes of its own (a `Created` never used)."""
    tree = ast.parse(inspect.getsource(inspect.getmodule(aggregate)))
    (body,) = (n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == aggregate.__name__)
    written = [getattr(aggregate, n.name) for n in body.body if isinstance(n, ast.ClassDef)]
    declared = {c for c in written if issubclass(c, aggregate.Event)}
    return {c for c in declared if not any(o is not c and issubclass(o, c) for o in declared)}


offender_events = event_classes(Offender)
staff_events = event_classes(StaffMember)


def test_the_domain_declares_the_events_the_read_side_was_written_for() -> None:
    assert len(offender_events) == 21
    assert staff_events == {
        StaffMember.Enrolled,
        StaffMember.RankChanged,
        StaffMember.AreaChanged,
        StaffMember.Left,
    }


def test_every_offender_event_has_a_timeline_summary_and_a_risk_rule() -> None:
    assert set(SUMMARIES) == offender_events
    assert set(RISK_RELEVANCE) == offender_events


def test_every_stored_type_name_is_the_name_of_its_class() -> None:
    assert {cls.__name__: cls for cls in offender_events} == EVENT_CLASSES
    names = {k: v for k, v in vars(event_types).items() if k.isupper()}
    assert set(names.values()) == set(EVENT_CLASSES)
    # Each constant names the class it is spelt after: REGISTERED is Offender.Registered.
    for constant, name in names.items():
        assert re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper() == constant


def test_every_staff_event_has_a_handler_in_the_staff_directory() -> None:
    registry = StaffDirectory.__dict__["process"].dispatcher.registry
    assert staff_events <= set(registry)


def test_every_event_reaches_a_projection() -> None:
    projections = all_projections()
    for cls in offender_events | staff_events:
        assert any(issubclass(cls, p.handles) for p in projections), cls.__name__


def test_the_informational_types_are_the_stored_names_of_the_informational_events() -> None:
    from domain.offender import INFORMATIONAL_EVENTS

    assert {cls.__name__ for cls in INFORMATIONAL_EVENTS} == INFORMATIONAL_TYPES


def test_the_ledger_snapshots_the_offender_aggregate_by_its_topic() -> None:
    from eventsourcing.utils import get_topic

    from ledger.app import OFFENDER_TOPIC, OffenderLedger

    assert get_topic(Offender) == OFFENDER_TOPIC
    assert OffenderLedger.snapshot_intervals == {OFFENDER_TOPIC: 50}
