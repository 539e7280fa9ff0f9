"""When a breach can no longer be remedied it lapses: each rule's lapse condition, from `evaluate`.

Each rule is seen firing and standing, met in time (no breach), met late (closed before the lapse,
so it stays closed) and lapsed (it stops standing at the lapse, and says why). A breach whose
remedy stopped being possible before it fell due is none. After the registration ends nothing
stands. The conditions are stated beside each rule's source in the policy file.
"""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from projections.alerts.rules import LAPSES, RULES, Breach, evaluate
from tests.unit.helpers import (
    INSPECTOR,
    PC,
    POLICY,
    PROBATION,
    SENIOR_PROBATION,
    Story,
    at,
    person,
)

LICENCE_ENDS = "2017-01-31"
LICENCE_STOPPED = at("2017-02-01")  # the start of the day after its last


def on_licence() -> Story:
    """Registered 2016-07-01 by police (4521), released on licence 2016-07-15 until 2017-01-31."""
    story = Story()
    story.register("2016-07-01")
    story.add("ReleasedOnLicence", "2016-07-15", PROBATION, licence_end=LICENCE_ENDS)
    return story


def breaches(story: Story, rule: str, entry: int | None = None) -> list[Breach]:
    return [
        b
        for b in evaluate(story.records, POLICY)
        if b.rule == rule and (entry is None or b.entry == entry)
    ]


def custody(story: Story, when: str, reason: str = "remanded") -> int:
    return story.add("TakenIntoCustody", when, PC, reason=reason, summary=None)


def end_registration(story: Story, when: str) -> int:
    return story.add("RegistrationEnded", when, PC, reason="expired", summary="Period ended")


def test_every_rule_has_a_lapse_condition_stated_beside_its_source():
    stated = tomllib.loads(
        resources.files("projections.alerts").joinpath("policy.toml").read_text("utf-8")
    )["rules"]
    assert set(LAPSES) == set(RULES) == set(stated)
    assert all(stated[rule]["lapses"].strip() for rule in RULES)


def test_a_lapsed_breach_stands_until_its_lapse_and_not_after():
    story = on_licence()
    told = story.disclosure("2016-10-17T10:00")
    [breach] = breaches(story, "RECALL_NOT_CONSIDERED", told)
    assert (breach.satisfied_at, breach.lapsed_at) == (None, LICENCE_STOPPED)
    assert breach.lapse == f"licence ended on {LICENCE_ENDS}"
    assert breach.standing(at("2017-01-31T23:00"))
    assert not breach.standing(LICENCE_STOPPED)


# ------------------------------------------------------------------------------ ARMS_OVERDUE


def test_arms_lapses_when_the_offender_is_taken_into_custody():
    story = on_licence()  # ARMS due 2016-08-26
    taken = custody(story, "2016-09-20")
    [breach] = breaches(story, "ARMS_OVERDUE")
    assert (breach.lapsed_at, breach.lapse) == (
        at("2016-09-20"),
        f"taken into custody (remanded) #{taken}",
    )


def test_arms_is_no_breach_when_custody_came_before_it_fell_due():
    story = on_licence()
    custody(story, "2016-08-01")
    assert breaches(story, "ARMS_OVERDUE") == []


def test_arms_met_late_stays_met_and_met_in_time_is_none():
    story = on_licence()
    story.add("AssessmentRecorded", "2016-09-10", tool="ARMS", risk="high", summary=None)
    custody(story, "2016-09-20")
    [breach] = breaches(story, "ARMS_OVERDUE")
    assert (breach.satisfied_at, breach.lapsed_at) == (at("2016-09-10"), None)
    in_time = on_licence()
    in_time.add("AssessmentRecorded", "2016-08-01", tool="ARMS", risk="high", summary=None)
    assert breaches(in_time, "ARMS_OVERDUE") == []


def test_arms_after_a_release_lapses_when_that_licence_stops():
    story = on_licence()
    [breach] = breaches(story, "ARMS_OVERDUE")
    assert (breach.lapsed_at, breach.lapse) == (LICENCE_STOPPED, f"licence ended on {LICENCE_ENDS}")


# ------------------------------------------------------------------- ESCALATION_NOT_ACTED_ON


def test_escalation_of_an_item_on_licence_lapses_when_the_licence_ends():
    story = on_licence()
    item = story.add("ConcernRecorded", "2016-10-17T10:00", PROBATION, summary="thoughts")
    [breach] = breaches(story, "ESCALATION_NOT_ACTED_ON", item)
    assert breach.standing(at("2016-12-01")) and breach.lapsed_at == LICENCE_STOPPED


def test_escalation_met_late_before_the_lapse_stays_closed_late():
    story = on_licence()
    item = story.add("ConcernRecorded", "2016-10-17T10:00", PROBATION, summary="thoughts")
    story.add("ReviewRecorded", "2016-11-01", INSPECTOR, summary="reviewed")
    story.add("MappaReferralRecorded", "2016-11-02", INSPECTOR, level=2, emergency=True, reason="r")
    [breach] = breaches(story, "ESCALATION_NOT_ACTED_ON", item)
    assert (breach.satisfied_at, breach.lapsed_at) == (at("2016-11-02"), None)


def test_escalation_off_licence_lapses_only_with_the_registration():
    story = Story()
    story.register("2016-07-01")
    item = story.add("ConcernRecorded", "2016-10-17T10:00", PROBATION, summary="thoughts")
    [breach] = breaches(story, "ESCALATION_NOT_ACTED_ON", item)
    assert breach.lapsed_at is None
    ended = end_registration(story, "2017-03-01")
    [breach] = breaches(story, "ESCALATION_NOT_ACTED_ON", item)
    assert (breach.lapsed_at, breach.lapse) == (
        at("2017-03-01"),
        f"registration ended (expired) #{ended}",
    )


# ---------------------------------------------------------------------- ENTRY_UNACKNOWLEDGED


def test_an_unacknowledged_entry_on_licence_lapses_with_the_licence():
    story = on_licence()
    item = story.add("EntryRecorded", "2016-10-01", PROBATION, summary="new address")
    [breach] = breaches(story, "ENTRY_UNACKNOWLEDGED", item)
    assert (breach.due_at, breach.lapsed_at) == (at("2016-10-08"), LICENCE_STOPPED)


def test_an_entry_acknowledged_late_stays_closed():
    story = on_licence()
    item = story.add("EntryRecorded", "2016-10-01", PROBATION, summary="new address")
    story.acknowledge("2016-10-20", PC, item)
    [breach] = breaches(story, "ENTRY_UNACKNOWLEDGED", item)
    assert (breach.satisfied_at, breach.lapsed_at) == (at("2016-10-20"), None)


# --------------------------------------------------------------------- DISCLOSURE_NOT_SHARED


def two_owners_on_licence() -> Story:
    story = on_licence()
    story.transfer("2016-07-15", PROBATION)  # probation owns its side too
    return story


def test_an_unshared_disclosure_on_licence_lapses_with_the_licence():
    story = two_owners_on_licence()
    item = story.disclosure("2016-10-17T10:00")
    [breach] = breaches(story, "DISCLOSURE_NOT_SHARED", item)
    assert breach.lapsed_at == LICENCE_STOPPED


def test_a_disclosure_shared_late_stays_closed():
    story = two_owners_on_licence()
    item = story.disclosure("2016-10-17T10:00")
    story.acknowledge("2016-10-25", PC, item)
    [breach] = breaches(story, "DISCLOSURE_NOT_SHARED", item)
    assert (breach.satisfied_at, breach.lapsed_at) == (at("2016-10-25"), None)


# ---------------------------------------------------------------- DISAGREEMENT_NOT_ESCALATED


def test_a_disagreement_on_licence_lapses_with_the_licence():
    story = on_licence()
    item = story.add(
        "DisagreementRecorded", "2016-10-20", PC, with_person=person(PROBATION), summary="risk?"
    )
    [breach] = breaches(story, "DISAGREEMENT_NOT_ESCALATED", item)
    assert breach.lapsed_at == LICENCE_STOPPED
    story.add(
        "EscalationRecorded", "2016-11-01", PC, to_person=person(SENIOR_PROBATION), reason="r"
    )
    [breach] = breaches(story, "DISAGREEMENT_NOT_ESCALATED", item)
    assert (breach.satisfied_at, breach.lapsed_at) == (at("2016-11-01"), None)


# --------------------------------------------------------------------- RECALL_NOT_CONSIDERED


def test_a_recall_not_considered_lapses_when_a_recall_by_custody_stops_the_licence():
    story = on_licence()
    item = story.disclosure("2016-10-17T10:00")
    taken = custody(story, "2016-10-25", reason="recalled")
    [breach] = breaches(story, "RECALL_NOT_CONSIDERED", item)
    assert (breach.lapsed_at, breach.lapse) == (at("2016-10-25"), f"recalled #{taken}")


def test_a_recall_decided_late_is_met_late_not_lapsed():
    story = on_licence()
    item = story.disclosure("2016-10-17T10:00")
    story.add("RecallDecisionRecorded", "2016-10-20", INSPECTOR, decision="recall", rationale="r")
    [breach] = breaches(story, "RECALL_NOT_CONSIDERED", item)
    assert (breach.satisfied_at, breach.lapsed_at) == (at("2016-10-20"), None)


# ----------------------------------------------------------------------------- VISIT_OVERDUE


def assessed_high() -> Story:
    story = on_licence()
    story.add("AssessmentRecorded", "2016-07-20", tool="OASys", risk="high", summary=None)
    return story  # a visit is due 56 days after the release: 2016-09-09; ARMS is still owed


def test_an_overdue_visit_lapses_in_custody_and_the_clock_restarts_at_release():
    story = assessed_high()
    taken = custody(story, "2016-09-20")
    [lapsed] = breaches(story, "VISIT_OVERDUE")
    assert (lapsed.due_at, lapsed.satisfied_at, lapsed.lapsed_at) == (
        at("2016-09-09"),
        None,
        at("2016-09-20"),
    )
    assert lapsed.lapse == f"taken into custody (remanded) #{taken}"
    story.add("ReleasedWithoutLicence", "2016-11-01", PC)
    lapsed, scheduled = breaches(story, "VISIT_OVERDUE")
    assert scheduled.due_at == at("2016-12-27")  # 56 days after the release


def test_no_visit_is_due_in_custody_nor_after_the_registration_ends():
    story = assessed_high()
    custody(story, "2016-08-01")
    assert breaches(story, "VISIT_OVERDUE") == []
    ended = assessed_high()
    end_registration(ended, "2016-09-20")
    [lapsed] = breaches(ended, "VISIT_OVERDUE")
    assert lapsed.lapsed_at == at("2016-09-20") and "registration ended" in lapsed.lapse


def test_a_visit_late_before_custody_stays_closed_late():
    story = assessed_high()
    story.add("VisitRecorded", "2016-09-15", kind="home", outcome="seen")
    custody(story, "2016-09-20")
    [late] = breaches(story, "VISIT_OVERDUE")
    assert (late.satisfied_at, late.lapsed_at) == (at("2016-09-15"), None)


# ------------------------------------------------------------------------------ all together


@pytest.mark.parametrize("rule", sorted(RULES))
def test_after_the_registration_ends_nothing_of_any_rule_stands(rule):
    story = assessed_high()
    story.transfer("2016-07-15", PROBATION)
    item = story.add("ConcernRecorded", "2016-10-17T10:00", PROBATION, summary="thoughts")
    story.add("DisagreementRecorded", "2016-10-20", PC, with_person=person(PROBATION), summary="?")
    story.add("EntryRecorded", "2016-10-21", PROBATION, summary="seen near a school")
    assert any(b.rule == rule for b in evaluate(story.records, POLICY)), item
    end_registration(story, "2016-12-01")
    # A review's finding entered after the end raises nothing either.
    story.add("EntryRecorded", "2017-01-05", INSPECTOR, summary="review finding")
    found = [b for b in evaluate(story.records, POLICY) if b.rule == rule]
    assert not [b for b in found if b.standing(at("2017-06-01"))]
    assert all(b.lapsed_at is not None or b.satisfied_at is not None for b in found)


def test_a_case_whose_licence_ended_shows_its_old_breaches_lapsed_or_met_none_standing():
    # As in the walkthrough: no risk level assessed, so no visits fall due; everything owed
    # arose under the licence.
    story = on_licence()
    story.transfer("2016-07-15", PROBATION)
    first = story.disclosure("2016-09-12")
    told = story.disclosure("2016-10-17T10:00")
    story.acknowledge("2016-10-25", PC, first, told)
    found = evaluate(story.records, POLICY)
    assert {b.rule for b in found} == {
        "ARMS_OVERDUE",
        "ESCALATION_NOT_ACTED_ON",
        "RECALL_NOT_CONSIDERED",
        "DISCLOSURE_NOT_SHARED",
        "ENTRY_UNACKNOWLEDGED",
    }
    assert [b for b in found if b.standing(at("2016-12-01"))]
    after = at("2017-06-01")
    assert [b for b in found if b.standing(after)] == []
    assert all(
        b.lapsed_at is not None or (b.satisfied_at is not None and b.satisfied_at <= after)
        for b in found
    )
