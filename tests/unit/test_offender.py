"""The offender aggregate's rules, with no storage: each refusal is its own domain exception."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime

import pytest

from domain.errors import (
    AlreadyAcknowledgedError,
    AlreadyOnLicenceError,
    AlreadyOwnerError,
    DomainError,
    NotInformationError,
    NotOnLicenceError,
    SelfReferenceError,
    UnknownEntryError,
)
from domain.identity import offender_id
from domain.offender import Offender, check_about_information, people_in_post
from domain.staff import Person
from domain.values import Agency, AssessmentTool, RecallChoice, RiskLevel, ShareMeans, VisitKind

SOM = Person(staff="4521", agency=Agency.POLICE, rank="PC", senior=False)
OTHER_SOM = Person(staff="4633", agency=Agency.POLICE, rank="DC", senior=False)
PROBATION = Person(staff="7702", agency=Agency.PROBATION, rank="Probation Officer", senior=False)
INSPECTOR = Person(staff="1001", agency=Agency.POLICE, rank="Insp", senior=True)

REGISTERED_ON = date(2016, 7, 4)
LATER = datetime(2016, 10, 17, 13, 30, tzinfo=UTC)


def registered() -> Offender:
    return Offender.register(
        ref="WMP-000123",
        name="John Doe",
        born=date(1975, 3, 2),
        category=1,
        level=1,
        area="Birmingham",
        occurred_at=REGISTERED_ON,
        author=SOM,
        entered_by="1001",
    )


def with_entry() -> Offender:
    """Registered (entry 1), then an entry by probation (entry 2)."""
    offender = registered()
    offender.record_entry(LATER, PROBATION, "7702", "Seen near a school", True)
    return offender


def released() -> Offender:
    offender = registered()
    offender.release_on_licence(REGISTERED_ON, SOM, "1001", date(2026, 7, 4))
    return offender


def last_event(offender: Offender) -> Offender.Event:
    return offender.collect_events()[-1]


# ----------------------------------------------------------------------------- registration


def test_registration_is_entry_one_and_the_registering_officer_owns_the_case():
    offender = registered()
    assert offender.version == 1
    assert offender.id == offender_id("WMP-000123")
    assert offender.owner_for(Agency.POLICE) == "4521"
    assert offender.owner_for(Agency.PROBATION) is None
    assert offender.on_licence is False and offender.risk is None


def test_every_event_carries_its_author_as_they_stood_then_and_who_typed_it():
    offender = with_entry()
    event = last_event(offender)
    assert isinstance(event, Offender.EntryRecorded)
    assert (event.occurred_at, event.by, event.agency, event.rank, event.senior) == (
        LATER,
        "7702",
        Agency.PROBATION,
        "Probation Officer",
        False,
    )
    assert event.entered_by == "7702"
    assert event.originator_version == 2


def test_recording_commands_each_append_one_numbered_event():
    offender = with_entry()
    offender.record_disclosure(LATER, PROBATION, "7702", "Feels isolated", "Lives alone", True)
    offender.record_visit(LATER, SOM, "4521", VisitKind.HOME, "Seen at home")
    offender.record_concern(LATER, SOM, "4521", "Noticing open windows")
    offender.record_assessment(LATER, SOM, "4521", AssessmentTool.ARMS, RiskLevel.HIGH, None)
    offender.record_review(LATER, INSPECTOR, "1001", "Risk rising")
    offender.record_decision(LATER, INSPECTOR, "1001", "Refer", "Escalating", [2, 3, 3])
    offender.record_disagreement(LATER, SOM, "4521", PROBATION, "No need to recall")
    offender.record_escalation(LATER, SOM, "4521", INSPECTOR, "Managers disagree")
    offender.refer_to_mappa(LATER, SOM, "4521", 2, True, "Thoughts of rape disclosed")
    offender.record_mappa_meeting(LATER, INSPECTOR, "1001", 2, [SOM, PROBATION], "Plan", [3])
    offender.share(LATER, SOM, "4521", [3], Agency.PROBATION, None, ShareMeans.PHONE)
    offender.correct(LATER, SOM, "4521", 3, "Typo", "Feels very isolated", None)
    events = offender.collect_events()
    assert [e.originator_version for e in events] == list(range(1, 15))
    assert offender.risk is RiskLevel.HIGH
    assert offender.level == 2
    decision = events[7]
    assert isinstance(decision, Offender.DecisionRecorded) and decision.about == [2, 3]


# ----------------------------------------------------------------------------- acknowledging


def test_acknowledging_an_entry_records_who_acknowledged_it():
    offender = with_entry()
    offender.acknowledge(LATER, SOM, "4521", [2])
    assert offender.acknowledged == {"4521": [2]}


def test_acknowledging_an_entry_that_does_not_exist_is_refused():
    offender = with_entry()
    with pytest.raises(UnknownEntryError) as refused:
        offender.acknowledge(LATER, SOM, "4521", [2, 9])
    assert refused.value.entry == 9
    assert offender.version == 2


def test_entry_zero_does_not_exist_either():
    with pytest.raises(UnknownEntryError):
        with_entry().acknowledge(LATER, SOM, "4521", [0])


def test_acknowledging_the_same_entry_twice_is_refused():
    offender = with_entry()
    offender.acknowledge(LATER, SOM, "4521", [2])
    with pytest.raises(
        AlreadyAcknowledgedError, match="4521 has already acknowledged WMP-000123#2"
    ):
        offender.acknowledge(LATER, SOM, "4521", [2])
    assert offender.version == 3


def test_someone_else_may_acknowledge_an_entry_already_acknowledged():
    offender = with_entry()
    offender.acknowledge(LATER, SOM, "4521", [2])
    offender.acknowledge(LATER, INSPECTOR, "1001", [2])
    assert offender.acknowledged == {"4521": [2], "1001": [2]}


# ----------------------------------------------------------------------------------- transfer


def test_a_transfer_changes_the_owner_for_the_new_owners_agency_only():
    offender = registered()
    offender.transfer(LATER, INSPECTOR, "1001", OTHER_SOM, "Moved to Coventry")
    offender.transfer(LATER, INSPECTOR, "1001", PROBATION, None)
    assert offender.owners == {"police": "4633", "probation": "7702"}
    event = offender.collect_events()[1]
    assert isinstance(event, Offender.OwnershipTransferred) and event.previous == "4521"


def test_a_transfer_to_the_current_owner_is_refused():
    offender = registered()
    with pytest.raises(AlreadyOwnerError, match="4521 already owns WMP-000123 for police"):
        offender.transfer(LATER, INSPECTOR, "1001", SOM, None)
    assert offender.version == 1


# --------------------------------------------------------------------------------- correction


def test_a_correction_names_the_entry_it_corrects():
    offender = with_entry()
    offender.correct(LATER, SOM, "4521", 2, "Wrong day", None, date(2016, 10, 16))
    event = last_event(offender)
    assert isinstance(event, Offender.EntryCorrected)
    assert (event.entry, event.reason, event.entry_occurred_at) == (
        2,
        "Wrong day",
        date(2016, 10, 16),
    )


def test_correcting_an_entry_that_does_not_exist_is_refused():
    offender = with_entry()
    with pytest.raises(UnknownEntryError, match="WMP-000123 has no entry 3"):
        offender.correct(LATER, SOM, "4521", 3, "Wrong", "Text", None)
    assert offender.version == 2


def test_a_decision_or_meeting_about_unknown_entries_is_refused():
    offender = with_entry()
    with pytest.raises(UnknownEntryError):
        offender.record_decision(LATER, INSPECTOR, "1001", "Refer", "Why", [5])
    with pytest.raises(UnknownEntryError):
        offender.record_mappa_meeting(LATER, INSPECTOR, "1001", 2, [SOM], "Plan", [5])
    with pytest.raises(UnknownEntryError):
        offender.share(LATER, SOM, "4521", [5], Agency.PROBATION, None, ShareMeans.EMAIL)
    assert offender.version == 2


# ------------------------------------------------------------------------------------ licence


def test_a_release_puts_the_offender_on_licence_and_a_recall_ends_it():
    offender = released()
    assert offender.on_licence and offender.licence_end == date(2026, 7, 4)
    offender.decide_recall(LATER, INSPECTOR, "1001", RecallChoice.RECALL, "Unmanageable")
    assert offender.on_licence is False


def test_a_decision_not_to_recall_leaves_the_licence_running():
    offender = released()
    offender.decide_recall(LATER, INSPECTOR, "1001", RecallChoice.NO_RECALL, "Manageable")
    assert offender.on_licence is True


def test_a_recall_decision_for_someone_never_released_is_refused():
    offender = registered()
    with pytest.raises(NotOnLicenceError, match="record the release first"):
        offender.decide_recall(LATER, INSPECTOR, "1001", RecallChoice.NO_RECALL, "Why")
    assert offender.version == 1


def test_a_recall_decision_after_a_recall_is_refused():
    offender = released()
    offender.decide_recall(LATER, INSPECTOR, "1001", RecallChoice.RECALL, "Unmanageable")
    with pytest.raises(NotOnLicenceError):
        offender.decide_recall(LATER, INSPECTOR, "1001", RecallChoice.RECALL, "Again")


def test_a_second_release_while_on_licence_is_refused():
    offender = released()
    with pytest.raises(AlreadyOnLicenceError, match="a new release needs a recall first"):
        offender.release_on_licence(LATER, SOM, "4521", date(2027, 1, 1))
    assert offender.version == 2


def test_a_release_after_a_recall_is_allowed():
    offender = released()
    offender.decide_recall(LATER, INSPECTOR, "1001", RecallChoice.RECALL, "Unmanageable")
    offender.release_on_licence(LATER, SOM, "4521", date(2027, 1, 1))
    assert offender.on_licence and offender.licence_end == date(2027, 1, 1)


def test_only_information_can_be_acknowledged_or_shared():
    offender = with_entry()
    offender.transfer(LATER, INSPECTOR, "1001", OTHER_SOM, "Moved area")  # 3
    offender.acknowledge(LATER, OTHER_SOM, "4633", [2])  # 4
    offender.correct(LATER, PROBATION, "7702", 2, "Typo", "Seen near a school.", None)  # 5
    named = {e.originator_version: e for e in offender.collect_events()}
    offender.acknowledge(LATER, SOM, "4521", [1, 2])  # 6: the registration and the entry
    offender.share(LATER, SOM, "4521", [1, 2], Agency.PROBATION, None, ShareMeans.EMAIL)  # 7
    named |= {e.originator_version: e for e in offender.collect_events()}
    for act, instead in [
        (3, "name the entries themselves, such as those a new owner takes on"),
        (4, "name the entries it concerns (WMP-000123#2)"),
        (5, "name WMP-000123#2, the entry it corrects"),
        (7, "name the entries it concerns (WMP-000123#1, WMP-000123#2)"),
    ]:
        for about_it, verb in [(named[6], "acknowledged"), (named[7], "shared")]:
            naming = dataclasses.replace(about_it, entries=[2, act])
            with pytest.raises(
                NotInformationError, match=rf"cannot be {verb}; .*{re.escape(instead)}"
            ):
                check_about_information("WMP-000123", naming, named)
    for about_it in (named[6], named[7]):
        check_about_information("WMP-000123", about_it, named)


def test_an_event_has_in_post_its_author_and_everyone_it_names_as_they_stood():
    offender = with_entry()  # 2, by probation
    offender.record_disagreement(LATER, SOM, "1001", PROBATION, "Disagree")  # 3
    offender.record_escalation(LATER, SOM, "4521", INSPECTOR, "Help")  # 4
    offender.transfer(LATER, INSPECTOR, "1001", OTHER_SOM, "Moved area")  # 5: from SOM
    offender.share(LATER, SOM, "4521", [2], Agency.PROBATION, PROBATION, ShareMeans.EMAIL)  # 6
    offender.share(LATER, SOM, "4521", [2], Agency.PROBATION, None, ShareMeans.EMAIL)  # 7
    offender.record_mappa_meeting(LATER, INSPECTOR, "1001", 2, [SOM, PROBATION], "m", [2])  # 8
    named = [people_in_post(e) for e in offender.collect_events()]
    # Not who typed an entry in (1001 typed #1 and #3), nor a transfer's previous owner (4521).
    assert named == [
        ["4521"],
        ["7702"],
        ["4521", "7702"],
        ["4521", "1001"],
        ["1001", "4633"],
        ["4521", "7702"],
        ["4521"],
        ["1001", "4521", "7702"],
    ]


# --------------------------------------------------------------------------------- self-reference


def test_escalating_to_oneself_is_refused():
    offender = registered()
    with pytest.raises(SelfReferenceError, match="4521 cannot escalate to themselves"):
        offender.record_escalation(LATER, SOM, "4521", SOM, "Help")
    assert offender.version == 1


def test_disagreeing_with_oneself_is_refused():
    with pytest.raises(SelfReferenceError, match="cannot disagree with themselves"):
        registered().record_disagreement(LATER, SOM, "4521", SOM, "Hmm")


def test_every_refusal_is_a_domain_error():
    for error in (
        AlreadyAcknowledgedError,
        AlreadyOnLicenceError,
        AlreadyOwnerError,
        NotOnLicenceError,
        SelfReferenceError,
        UnknownEntryError,
    ):
        assert issubclass(error, DomainError)
