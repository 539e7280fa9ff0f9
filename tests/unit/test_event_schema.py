"""The stored shape of every event class, frozen.

Events are kept forever. A change to an event class's topic or fields that this test catches must
ship as a new `class_version` with an upcaster and a test that reads the old form; only then is
the table below updated.
"""

import dataclasses

from eventsourcing.utils import get_topic, resolve_topic

from domain.offender import Offender
from domain.staff import StaffMember

BASE = {"originator_id", "originator_version", "timestamp"}
RECORDED = ["agency", "by", "entered_by", "occurred_at", "rank", "senior"]

SHIPPED: dict[str, list[str]] = {
    "domain.offender:Offender.AssessmentRecorded": [*RECORDED, "risk", "summary", "tool"],
    "domain.offender:Offender.ConcernRecorded": [*RECORDED, "summary"],
    "domain.offender:Offender.Created": ["originator_topic"],
    "domain.offender:Offender.DecisionRecorded": [*RECORDED, "about", "decision", "rationale"],
    "domain.offender:Offender.DisagreementRecorded": [*RECORDED, "summary", "with_person"],
    "domain.offender:Offender.DisclosureRecorded": [
        *RECORDED,
        "detail",
        "risk_relevant",
        "summary",
    ],
    "domain.offender:Offender.EntriesAcknowledged": [*RECORDED, "entries"],
    "domain.offender:Offender.EntriesShared": [
        *RECORDED,
        "entries",
        "means",
        "with_agency",
        "with_person",
    ],
    # Version 2 added licence_end (tests/unit/test_transcoding.py reads version 1).
    "domain.offender:Offender.EntryCorrected": [
        *RECORDED,
        "entry",
        "entry_occurred_at",
        "licence_end",
        "reason",
        "summary",
    ],
    "domain.offender:Offender.EntryRecorded": [*RECORDED, "risk_relevant", "summary"],
    "domain.offender:Offender.EscalationRecorded": [*RECORDED, "reason", "to_person"],
    "domain.offender:Offender.Event": [],
    "domain.offender:Offender.MappaMeetingRecorded": [
        *RECORDED,
        "attendees",
        "discussed",
        "level",
        "summary",
    ],
    "domain.offender:Offender.MappaReferralRecorded": [*RECORDED, "emergency", "level", "reason"],
    "domain.offender:Offender.OwnershipTransferred": [*RECORDED, "previous", "reason", "to_person"],
    "domain.offender:Offender.RecallDecisionRecorded": [*RECORDED, "decision", "rationale"],
    "domain.offender:Offender.Recorded": [*RECORDED],
    "domain.offender:Offender.Registered": [
        "agency",
        "area",
        "born",
        "by",
        "category",
        "entered_by",
        "level",
        "name",
        "occurred_at",
        "originator_topic",
        "rank",
        "ref",
        "senior",
    ],
    "domain.offender:Offender.ReleasedOnLicence": [*RECORDED, "licence_end"],
    "domain.offender:Offender.ReleasedWithoutLicence": [*RECORDED],
    "domain.offender:Offender.RegistrationEnded": [*RECORDED, "reason", "summary"],
    "domain.offender:Offender.TakenIntoCustody": [*RECORDED, "reason", "summary"],
    "domain.offender:Offender.ReviewRecorded": [*RECORDED, "summary"],
    "domain.offender:Offender.VisitRecorded": [*RECORDED, "kind", "outcome"],
    "domain.staff:StaffMember.AreaChanged": ["area", "by", "since"],
    "domain.staff:StaffMember.Created": ["originator_topic"],
    "domain.staff:StaffMember.Enrolled": [
        "admin",
        "agency",
        "area",
        "by",
        "name",
        "originator_topic",
        "rank",
        "senior_grade",
        "since",
        "staff_id",
    ],
    "domain.staff:StaffMember.Event": [],
    "domain.staff:StaffMember.Left": ["by", "since"],
    "domain.staff:StaffMember.RankChanged": ["by", "rank", "senior_grade", "since"],
}


def stored_event_classes() -> dict[str, type]:
    found = {}
    for aggregate in (Offender, StaffMember):
        for value in vars(aggregate).values():
            if isinstance(value, type) and issubclass(value, aggregate.Event):
                found[get_topic(value)] = value
    return found


def test_every_event_class_keeps_its_topic_and_fields() -> None:
    now = {
        topic: sorted({f.name for f in dataclasses.fields(cls)} - BASE)
        for topic, cls in stored_event_classes().items()
    }
    assert now == {topic: sorted(fields) for topic, fields in SHIPPED.items()}


def test_every_shipped_topic_resolves_to_the_class_the_aggregate_applies() -> None:
    for topic, cls in stored_event_classes().items():
        assert resolve_topic(topic) is cls
