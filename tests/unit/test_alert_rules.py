"""Each alert rule on its own: it fires, it is satisfied in time, it is satisfied late."""

from __future__ import annotations

import pytest

from projections.alerts.rules import (
    arms_overdue,
    disagreement_not_escalated,
    disclosure_not_shared,
    entry_unacknowledged,
    escalation_not_acted_on,
    evaluate,
    recall_not_considered,
    visit_overdue,
)
from tests.unit.helpers import (
    INSPECTOR,
    PC,
    PC2,
    POLICY,
    PROBATION,
    SENIOR_PROBATION,
    Story,
    at,
    person,
)

# ------------------------------------------------------------------------------ ARMS_OVERDUE


@pytest.fixture
def released() -> Story:
    story = Story()
    story.register("2016-07-01")
    story.release("2016-07-15")
    return story


def test_arms_overdue_fires_42_days_after_release(released):
    [breach] = released.breaches(arms_overdue)
    assert (breach.entry, breach.due_at, breach.satisfied_at) == (2, at("2016-08-26"), None)
    assert not breach.standing(at("2016-08-25T23:59"))
    assert breach.standing(at("2016-08-26"))


def test_arms_within_42_days_satisfies_it(released):
    released.add("AssessmentRecorded", "2016-08-20", tool="ARMS", risk="high", summary=None)
    assert released.breaches(arms_overdue) == []


def test_arms_late_closes_it_when_done(released):
    released.add("AssessmentRecorded", "2016-09-10", tool="ARMS", risk="high", summary=None)
    [breach] = released.breaches(arms_overdue)
    assert breach.satisfied_at == at("2016-09-10")
    assert breach.standing(at("2016-09-09")) and not breach.standing(at("2016-09-10"))


def test_other_tools_do_not_count_as_arms(released):
    released.add("AssessmentRecorded", "2016-08-01", tool="OASys", risk="high", summary=None)
    assert released.breaches(arms_overdue)[0].satisfied_at is None


def test_registration_in_the_community_starts_the_clock():
    story = Story()
    story.register("2016-01-04")
    [breach] = story.breaches(arms_overdue)
    assert (breach.entry, breach.due_at) == (1, at("2016-02-15"))


# ------------------------------------------------------------------- ESCALATION_NOT_ACTED_ON


@pytest.fixture
def concern() -> Story:
    story = Story()
    story.register("2016-07-01")
    story.add("ConcernRecorded", "2016-10-17T10:00", PROBATION, summary="thoughts of rape")
    return story


def test_escalation_fires_two_days_after_a_concern(concern):
    [breach] = concern.breaches(escalation_not_acted_on)
    assert (breach.entry, breach.due_at, breach.satisfied_at) == (2, at("2016-10-19T10:00"), None)
    assert "no review by an inspector or above" in breach.detail


def test_inspector_review_and_mappa_referral_in_time_satisfy_it(concern):
    concern.add("ReviewRecorded", "2016-10-18", INSPECTOR, summary="re-evaluated")
    concern.add("MappaReferralRecorded", "2016-10-18", PC, level=2, emergency=True, reason="r")
    assert concern.breaches(escalation_not_acted_on) == []


def test_a_senior_decision_naming_the_item_stands_for_the_referral(concern):
    concern.add("ReviewRecorded", "2016-10-18", INSPECTOR, summary="re-evaluated")
    concern.add("DecisionRecorded", "2016-10-18", INSPECTOR, decision="d", rationale="r", about=[2])
    assert concern.breaches(escalation_not_acted_on) == []


def test_escalation_closes_only_when_both_actions_are_done_late(concern):
    concern.add("ReviewRecorded", "2016-10-18", INSPECTOR, summary="re-evaluated")
    concern.add("MappaReferralRecorded", "2016-10-25", PC, level=2, emergency=True, reason="r")
    [breach] = concern.breaches(escalation_not_acted_on)
    assert breach.satisfied_at == at("2016-10-25")
    assert "no MAPPA referral" in breach.detail and "no review" not in breach.detail


def test_a_review_by_a_constable_is_not_an_inspectors_review(concern):
    concern.add("ReviewRecorded", "2016-10-18", PC, summary="re-evaluated")
    concern.add("MappaReferralRecorded", "2016-10-18", PC, level=2, emergency=True, reason="r")
    assert concern.breaches(escalation_not_acted_on)[0].satisfied_at is None


def test_an_assessment_raising_risk_to_high_is_an_escalation_but_staying_high_is_not():
    story = Story()
    story.register("2016-07-01")
    story.add("AssessmentRecorded", "2016-07-10", tool="ARMS", risk="medium", summary=None)
    raised = story.add("AssessmentRecorded", "2016-08-10", tool="ARMS", risk="high", summary=None)
    story.add("AssessmentRecorded", "2016-09-10", tool="ARMS", risk="high", summary=None)
    assert [b.entry for b in story.breaches(escalation_not_acted_on)] == [raised]


# ---------------------------------------------------------------------- ENTRY_UNACKNOWLEDGED


@pytest.fixture
def probation_entry() -> Story:
    story = Story()
    story.register("2016-07-01")  # by 4521, the police owner
    story.add("EntryRecorded", "2016-09-01", PROBATION, summary="intel", risk_relevant=False)
    return story


def test_an_entry_by_someone_else_is_due_for_acknowledgement_in_7_days(probation_entry):
    [breach] = probation_entry.breaches(entry_unacknowledged)
    assert (breach.entry, breach.due_at, breach.satisfied_at) == (2, at("2016-09-08"), None)


def test_the_owners_own_entries_need_no_acknowledgement():
    story = Story()
    story.register("2016-07-01")
    story.add("EntryRecorded", "2016-09-01", PC, summary="mine", risk_relevant=False)
    assert story.breaches(entry_unacknowledged) == []


def test_acknowledged_by_the_owner_in_time(probation_entry):
    probation_entry.acknowledge("2016-09-05", PC, 2)
    assert probation_entry.breaches(entry_unacknowledged) == []


def test_acknowledged_by_someone_else_does_not_count(probation_entry):
    probation_entry.acknowledge("2016-09-05", INSPECTOR, 2)
    assert probation_entry.breaches(entry_unacknowledged)[0].satisfied_at is None


def test_acknowledged_late(probation_entry):
    probation_entry.acknowledge("2016-09-20", PC, 2)
    [breach] = probation_entry.breaches(entry_unacknowledged)
    assert breach.satisfied_at == at("2016-09-20")


def test_a_transfer_passes_unacknowledged_and_recent_risk_relevant_entries_on(probation_entry):
    story = probation_entry
    old_risky = story.add("EntryRecorded", "2016-03-01", PROBATION, summary="x", risk_relevant=True)
    risky = story.add("EntryRecorded", "2016-09-02", PROBATION, summary="risk", risk_relevant=True)
    story.acknowledge("2016-09-03", PC, risky)  # the old owner saw it; the new one must too
    story.transfer("2016-09-04", PC2)
    found = story.breaches(entry_unacknowledged)
    # Both fall due a week after the transfer, owed by the new owner; the old one's duty ended.
    assert sorted((b.entry, b.due_at) for b in found) == [
        (2, at("2016-09-11")),
        (risky, at("2016-09-11")),
    ]
    assert all("4600" in b.detail for b in found)
    assert old_risky not in {b.entry for b in found}  # older than the 90-day look-back
    story.acknowledge("2016-09-10", PC2, 2, risky)
    assert story.breaches(entry_unacknowledged) == []


def test_a_transfer_after_the_due_date_closes_the_old_owners_breach(probation_entry):
    probation_entry.transfer("2016-09-20", PC2)
    old, new = probation_entry.breaches(entry_unacknowledged)
    assert (old.due_at, old.satisfied_at) == (at("2016-09-08"), at("2016-09-20"))
    assert "transferred" in old.resolution
    assert (new.due_at, new.satisfied_at) == (at("2016-09-27"), None)


def test_a_late_acknowledgement_and_a_transfer_close_the_breach_at_whichever_came_first():
    """Before the transfer, the acknowledgement closes it; the transfer, before it; at the same
    moment, the acknowledgement."""
    for acknowledged, transferred, closed_at, how in (
        ("2016-09-15", "2016-09-20", "2016-09-15", "acknowledged"),
        ("2016-09-25", "2016-09-20", "2016-09-20", "case transferred"),
        ("2016-09-20", "2016-09-20", "2016-09-20", "acknowledged"),
    ):
        story = Story()
        story.register("2016-07-01")
        story.add("EntryRecorded", "2016-09-01", PROBATION, summary="intel", risk_relevant=False)
        story.acknowledge(acknowledged, PC, 2)
        story.transfer(transferred, PC2)
        old = story.breaches(entry_unacknowledged)[0]
        assert (old.due_at, old.satisfied_at) == (at("2016-09-08"), at(closed_at))
        assert old.resolution.startswith(how)


# ---------------------------------------------------------------------- DISCLOSURE_NOT_SHARED


@pytest.fixture
def two_owners() -> Story:
    story = Story()
    story.register("2016-07-01")  # police owner 4521
    story.transfer("2016-07-02", PROBATION)  # probation owner 7702
    story.disclosure("2016-10-17T10:00")
    return story


def test_a_disclosure_known_only_to_probation_fires_after_a_day(two_owners):
    [breach] = two_owners.breaches(disclosure_not_shared)
    assert (breach.entry, breach.due_at, breach.satisfied_at) == (3, at("2016-10-18T10:00"), None)
    assert "known to probation" in breach.detail and "not to police" in breach.detail


def test_shared_with_police_within_a_day(two_owners):
    two_owners.add(
        "EntriesShared",
        "2016-10-17T16:00",
        PROBATION,
        entries=[3],
        with_agency="police",
        with_person=None,
        means="phone",
    )
    assert two_owners.breaches(disclosure_not_shared) == []


def test_a_police_officer_passing_it_on_shows_police_knew(two_owners):
    """4600 (police) shares probation's disclosure with health the next morning: police knew it
    by then, whether or not anyone there acknowledged it."""
    two_owners.add(
        "EntriesShared",
        "2016-10-18T09:00",
        PC2,
        entries=[3],
        with_agency="health",
        with_person=None,
        means="email",
    )
    assert two_owners.breaches(disclosure_not_shared) == []


def test_acknowledged_by_police_late(two_owners):
    two_owners.acknowledge("2016-10-24", PC, 3)
    [breach] = two_owners.breaches(disclosure_not_shared)
    assert breach.satisfied_at == at("2016-10-24")
    assert breach.resolution == "an acknowledgement by police (#4)"


def test_with_one_owning_agency_there_is_no_one_to_share_with():
    story = Story()
    story.register("2016-07-01")
    story.disclosure("2016-10-17")
    assert story.breaches(disclosure_not_shared) == []


NAMES = {"4521": "Sam Reid", "4600": "Lee Hart", "7702": "Pat Lowe"}


def only(rule: str, breaches: list) -> list:
    return [b for b in breaches if b.rule == rule]


def test_a_breach_names_the_people_it_concerns_given_the_directory(probation_entry):
    probation_entry.transfer("2016-09-20", PC2)
    found = only("ENTRY_UNACKNOWLEDGED", evaluate(probation_entry.records, POLICY, names=NAMES))
    # Sam Reid's duty ended with the transfer; Lee Hart inherited the entry.
    breach, inherited = sorted(found, key=lambda b: b.due_at)
    assert "by police owner Lee Hart (4600) within 7 days of the transfer" in inherited.detail
    assert breach.detail.startswith("entry #2 of 2016-09-01 by Pat Lowe (7702, PO) ")
    assert "by police owner Sam Reid (4521) within 7 days" in breach.detail
    assert breach.resolution == "case transferred from Sam Reid (4521) on 2016-09-20"
    # The rules alone, without the directory, name people by id.
    bare = min(only("ENTRY_UNACKNOWLEDGED", evaluate(probation_entry.records, POLICY)))
    assert "by 7702 (PO) not acknowledged by police owner 4521 " in bare.detail


# ----------------------------------------------------------------- DISAGREEMENT_NOT_ESCALATED


@pytest.fixture
def disagreement() -> Story:
    story = Story()
    story.register("2016-07-01")
    story.add(
        "DisagreementRecorded", "2016-10-20", PC, with_person=person(PROBATION), summary="risk?"
    )
    return story


def test_a_disagreement_fires_after_two_days(disagreement):
    [breach] = disagreement.breaches(disagreement_not_escalated)
    assert (breach.entry, breach.due_at, breach.satisfied_at) == (2, at("2016-10-22"), None)


def test_escalated_to_a_senior_manager_in_time(disagreement):
    disagreement.add(
        "EscalationRecorded", "2016-10-21", PC, to_person=person(SENIOR_PROBATION), reason="r"
    )
    assert disagreement.breaches(disagreement_not_escalated) == []


def test_escalation_to_someone_junior_does_not_count(disagreement):
    disagreement.add("EscalationRecorded", "2016-10-21", PC, to_person=person(PC2), reason="r")
    assert disagreement.breaches(disagreement_not_escalated)[0].satisfied_at is None


def test_a_senior_decision_naming_it_late(disagreement):
    disagreement.add(
        "DecisionRecorded", "2016-11-01", INSPECTOR, decision="d", rationale="r", about=[2]
    )
    [breach] = disagreement.breaches(disagreement_not_escalated)
    assert breach.satisfied_at == at("2016-11-01")


def test_a_disagreement_names_both_people_given_the_directory(disagreement):
    found = evaluate(disagreement.records, POLICY, names=NAMES)
    [breach] = only("DISAGREEMENT_NOT_ESCALATED", found)
    assert "between Sam Reid (4521, PC) and Pat Lowe (7702, PO) not escalated" in breach.detail


# --------------------------------------------------------------------- RECALL_NOT_CONSIDERED


def test_a_disclosure_on_licence_needs_a_recall_decision_within_a_day(released):
    released.disclosure("2016-10-17T10:00")
    [breach] = released.breaches(recall_not_considered)
    assert (breach.entry, breach.due_at, breach.satisfied_at) == (3, at("2016-10-18T10:00"), None)


def test_a_recall_decision_in_time(released):
    released.disclosure("2016-10-17T10:00")
    released.add("RecallDecisionRecorded", "2016-10-17T18:00", decision="no-recall", rationale="r")
    assert released.breaches(recall_not_considered) == []


def test_a_recall_decision_late(released):
    released.disclosure("2016-10-17T10:00")
    released.add("RecallDecisionRecorded", "2016-10-20", decision="recall", rationale="r")
    [breach] = released.breaches(recall_not_considered)
    assert breach.satisfied_at == at("2016-10-20")


def test_no_recall_to_consider_when_not_on_licence():
    story = Story()
    story.register("2016-07-01")
    story.disclosure("2016-10-17")
    assert story.breaches(recall_not_considered) == []


# ----------------------------------------------------------------------------- VISIT_OVERDUE


@pytest.fixture
def assessed_high(released) -> Story:
    released.add("AssessmentRecorded", "2016-07-20", tool="ARMS", risk="high", summary=None)
    return released


def test_a_high_risk_offender_is_due_a_visit_56_days_after_release(assessed_high):
    [breach] = assessed_high.breaches(visit_overdue)
    assert (breach.entry, breach.due_at, breach.satisfied_at) == (None, at("2016-09-09"), None)


def test_a_visit_in_time_moves_the_next_one_on(assessed_high):
    assessed_high.add("VisitRecorded", "2016-09-01", kind="home", outcome="seen")
    [breach] = assessed_high.breaches(visit_overdue)
    assert (breach.due_at, breach.satisfied_at) == (at("2016-10-27"), None)


def test_a_late_visit_closes_the_breach(assessed_high):
    assessed_high.add("VisitRecorded", "2016-09-20", kind="home", outcome="seen")
    late, _next = assessed_high.breaches(visit_overdue)
    assert (late.due_at, late.satisfied_at) == (at("2016-09-09"), at("2016-09-20"))


def test_raising_the_risk_shortens_the_interval(assessed_high):
    assessed_high.add(
        "AssessmentRecorded", "2016-08-01", tool="ARMS", risk="very-high", summary=None
    )
    [breach] = assessed_high.breaches(visit_overdue)
    assert breach.due_at == at("2016-08-12")  # 28 days after release


def test_nothing_is_due_before_a_risk_level_is_known(released):
    assert released.breaches(visit_overdue) == []


# ------------------------------------------------------------------------------- all together


def test_evaluate_applies_corrections_first(probation_entry):
    # Corrected to 2015, the entry predates the police owner's registration: nothing was owed.
    probation_entry.add(
        "EntryCorrected",
        "2016-09-02",
        PROBATION,
        entry=2,
        reason="wrong date",
        summary=None,
        entry_occurred_at="2015-09-01",
    )
    assert [
        b for b in evaluate(probation_entry.records, POLICY) if b.rule == "ENTRY_UNACKNOWLEDGED"
    ] == []


def test_evaluate_as_of_sees_only_what_was_recorded_then(released):
    released.add("AssessmentRecorded", "2016-09-10", tool="ARMS", risk="high", summary=None)
    before = at("2016-09-01")
    [breach] = [
        b for b in evaluate(released.records, POLICY, as_of=before) if b.rule == "ARMS_OVERDUE"
    ]
    assert breach.satisfied_at is None
