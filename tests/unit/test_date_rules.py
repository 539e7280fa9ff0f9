"""Dates that contradict each other, or have not come yet, are refused by the domain.

Staff changes are dated while the person is in post and not after today; a birth date is neither in
the future nor after the registration; a licence ends after its release; and whether an offender is
on licence is a question about a day, asked the same way by a release and by a recall decision.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.clock import london_date, utc_now
from domain.errors import (
    AlreadyOnLicenceError,
    DateOrderError,
    FutureDateError,
    LeavingBeforeEntryError,
    NotAReleaseError,
    NotInCustodyError,
    NotOnLicenceError,
    RecallDecisionOffLicenceError,
    StaffNotInPostError,
)
from domain.offender import Offender
from domain.staff import LastInPost, Person, check_named_in_post, check_not_future
from domain.values import Agency, CustodyReason, RecallChoice
from tests.unit.helpers import constable  # enrolled on ENROLLED

SOM = Person(staff="4521", agency=Agency.POLICE, rank="PC", senior=False)
INSPECTOR = Person(staff="1001", agency=Agency.POLICE, rank="Insp", senior=True)
ENROLLED = date(2015, 1, 1)
TOMORROW = london_date(utc_now()) + timedelta(days=1)


def registered(on: date = date(2016, 1, 1)) -> Offender:
    return Offender.register(
        "WMP-000999", "John Doe", date(1975, 3, 2), 1, 1, None, on, SOM, "1001"
    )


def released(on: date = date(2016, 11, 1), until: date = date(2018, 11, 1)) -> Offender:
    offender = registered()
    offender.release_on_licence(on, SOM, "4521", until)
    return offender


def held(offender: Offender, on: date) -> None:
    """Taken into custody on `on`: a release after the first ends a custody."""
    offender.take_into_custody(on, SOM, "4521", CustodyReason.SENTENCED, None)


# ------------------------------------------------------------------------------------ staff

# Each dated change to a staff member, as the staff directory's commands make them.
STAFF_CHANGES = pytest.mark.parametrize(
    "change",
    [
        lambda m, day: m.leave(day, "1001"),
        lambda m, day: m.change_rank("DI", False, day, "1001"),
        lambda m, day: m.change_area("Coventry", day, "1001"),
    ],
    ids=["leave", "rank", "area"],
)


@STAFF_CHANGES
def test_a_staff_change_dated_before_the_enrolment_is_refused(change):
    member = constable()
    with pytest.raises(DateOrderError, match=r"was enrolled on 2015-01-01.*on or after 2015-01-01"):
        change(member, date(2010, 1, 1))
    assert member.version == 1 and member.left_on is None and member.rank == "PC"


@STAFF_CHANGES
def test_a_staff_change_dated_in_the_future_is_refused(change):
    member = constable()
    with pytest.raises(FutureDateError, match="is in the future"):
        change(member, TOMORROW)
    assert member.version == 1


def test_a_change_dated_today_is_accepted():
    member = constable()
    member.leave(london_date(utc_now()), "1001")
    assert member.left_on == london_date(utc_now())


def test_leaving_on_the_day_of_enrolment_is_refused_as_never_in_post():
    with pytest.raises(DateOrderError, match="give since after 2015-01-01") as refused:
        constable().leave(ENROLLED, "1001")
    assert refused.value.fields == ("since",)


def test_leaving_on_or_before_a_change_of_rank_is_refused():
    member = constable()
    member.change_rank("PS", False, date(2017, 3, 1), "1001")
    with pytest.raises(DateOrderError, match="change of rank or area dated 2017-03-01"):
        member.leave(date(2017, 3, 1), "1001")
    member.leave(date(2017, 3, 2), "1001")


def test_a_leaving_on_or_before_an_entry_that_has_them_in_post_is_refused():
    member = constable()
    last = LastInPost(date(2019, 7, 5), "WMP-000123#7")
    for day in (date(2019, 7, 1), date(2019, 7, 5)):
        with pytest.raises(
            LeavingBeforeEntryError,
            match=f"4521 is in post in WMP-000123#7, which occurred on 2019-07-05, so they cannot "
            f"have left on {day.isoformat()} .*; give since after 2019-07-05, or first "
            "correct the time of WMP-000123#7",
        ):
            member.leave(day, "1001", last)
    assert member.version == 1 and member.left_on is None
    member.leave(date(2019, 7, 6), "1001", last)
    assert member.left_on == date(2019, 7, 6)


def test_an_entry_moved_outside_a_named_persons_time_in_post_is_refused():
    member = constable()  # enrolled on 2015-01-01
    member.leave(date(2019, 7, 6), "1001")
    check_named_in_post(member, "WMP-000123#7", date(2015, 1, 1))
    check_named_in_post(member, "WMP-000123#7", date(2019, 7, 5))
    for day, why in (
        (date(2014, 12, 31), "was not enrolled until 2015-01-01"),
        (date(2019, 7, 6), "left on 2019-07-06"),
    ):
        with pytest.raises(
            StaffNotInPostError,
            match=f"WMP-000123#7 has 4521 in post, who {why}, so it cannot have occurred on "
            f"{day.isoformat()}: check entry_occurred_at",
        ) as refused:
            check_named_in_post(member, "WMP-000123#7", day)
        assert refused.value.fields == ("entry_occurred_at",)


def test_a_rank_dated_between_earlier_changes_slots_into_the_history():
    member = constable()
    member.change_rank("Insp", False, date(2019, 6, 1), "1001")
    member.change_rank("PS", False, date(2017, 3, 1), "1001")
    assert member.as_of(date(2018, 1, 1)).rank == "PS"
    assert member.rank == "Insp"


def test_a_move_of_area_older_than_the_latest_move_is_refused():
    member = constable()
    member.change_area("Coventry", date(2019, 1, 1), "1001")
    with pytest.raises(DateOrderError, match="move of area dated 2019-01-01"):
        member.change_area("Walsall", date(2018, 1, 1), "1001")
    assert member.area == "Coventry"


def test_changes_after_leaving_and_a_second_leaving_are_refused():
    member = constable()
    member.leave(date(2019, 6, 30), "1001")
    with pytest.raises(StaffNotInPostError, match="left on 2019-06-30"):
        member.change_rank("PS", False, date(2019, 7, 1), "1001")
    with pytest.raises(StaffNotInPostError, match="already recorded as having left"):
        member.leave(date(2019, 6, 1), "1001")
    member.change_rank("PS", False, date(2019, 1, 1), "1001")  # while in post: a late entry


def test_an_enrolment_in_the_future_is_refused():
    with pytest.raises(FutureDateError, match=r"^since 9999-01-01 is in the future") as refused:
        check_not_future(date(9999, 1, 1), "an enrolment")
    assert refused.value.fields == ("since",)
    check_not_future(london_date(utc_now()), "an enrolment")


# -------------------------------------------------------------------------------- offenders


def test_a_birth_date_in_the_future_is_refused():
    with pytest.raises(FutureDateError, match=r"^born 9999-01-01 is in the future") as refused:
        Offender.register("X", "John Doe", date(9999, 1, 1), 1, 1, None, utc_now(), SOM, "1001")
    assert refused.value.fields == ("born",)


def test_a_birth_after_the_registration_is_refused():
    with pytest.raises(DateOrderError, match="after the registration \\(2016-01-01\\)"):
        Offender.register(
            "Y1", "John Doe", date(2020, 1, 1), 1, 1, None, date(2016, 1, 1), SOM, "1"
        )


def test_a_birth_on_the_day_of_registration_is_accepted():
    Offender.register("Y1", "Baby", date(2016, 1, 1), 1, 1, None, date(2016, 1, 1), SOM, "1")


@pytest.mark.parametrize("end", [date(2010, 1, 1), date(2016, 11, 1)])
def test_a_licence_ending_on_or_before_the_release_is_refused(end):
    offender = registered()
    with pytest.raises(DateOrderError, match="is not after the release \\(2016-11-01\\)"):
        offender.release_on_licence(date(2016, 11, 1), SOM, "4521", end)
    assert offender.version == 1


def test_a_release_after_the_licence_ended_needs_a_custody_between():
    offender = released(until=date(2018, 11, 1))
    with pytest.raises(NotInCustodyError, match="not in custody on 2018-11-02"):
        offender.release_on_licence(date(2018, 11, 2), SOM, "4521", date(2020, 1, 1))
    offender.take_into_custody(date(2018, 11, 2), SOM, "4521", CustodyReason.SENTENCED, None)
    offender.release_on_licence(date(2019, 1, 1), SOM, "4521", date(2020, 1, 1))
    assert offender.licence_end == date(2020, 1, 1)
    assert offender.on_licence_on(date(2019, 1, 1))


def test_a_release_on_the_last_day_of_a_licence_is_refused():
    offender = released(until=date(2018, 11, 1))
    with pytest.raises(AlreadyOnLicenceError, match="on 2018-11-01 \\(until 2018-11-01\\)"):
        offender.release_on_licence(date(2018, 11, 1), SOM, "4521", date(2020, 1, 1))


def test_a_late_entry_of_an_earlier_release_is_allowed_once_the_custody_between_is():
    offender = released(on=date(2016, 11, 1))
    with pytest.raises(DateOrderError, match="before WMP-000999#2, the release on 2016-11-01"):
        offender.release_on_licence(date(2012, 1, 1), SOM, "4521", date(2013, 1, 1))
    offender.take_into_custody(date(2015, 1, 1), SOM, "4521", CustodyReason.SENTENCED, None)
    offender.release_on_licence(date(2012, 1, 1), SOM, "4521", date(2013, 1, 1))
    assert offender.on_licence_on(date(2012, 6, 1)) and not offender.on_licence_on(date(2014, 1, 1))
    assert offender.licence_end == date(2018, 11, 1)


def test_a_recall_decision_is_allowed_only_while_the_licence_runs():
    offender = released(on=date(2016, 11, 1), until=date(2018, 11, 1))
    with pytest.raises(NotOnLicenceError, match="not on licence on 2019-01-01"):
        offender.decide_recall(date(2019, 1, 1), INSPECTOR, "1001", RecallChoice.RECALL, "Late")
    with pytest.raises(NotOnLicenceError, match="not on licence on 2016-10-31"):
        offender.decide_recall(date(2016, 10, 31), INSPECTOR, "1001", RecallChoice.RECALL, "Early")
    offender.decide_recall(date(2018, 11, 1), INSPECTOR, "1001", RecallChoice.NO_RECALL, "Fine")


def test_a_recall_ends_the_licence_from_its_day_and_allows_a_new_release():
    offender = released(on=date(2016, 11, 1), until=date(2026, 7, 4))
    recalled = datetime(2017, 5, 1, 10, 0, tzinfo=UTC)
    offender.decide_recall(recalled, INSPECTOR, "1001", RecallChoice.RECALL, "Breach")
    assert offender.on_licence_on(date(2017, 4, 30)) and not offender.on_licence_on(recalled)
    assert offender.on_licence is False
    offender.release_on_licence(date(2018, 1, 1), SOM, "4521", date(2028, 1, 1))
    assert offender.on_licence and offender.on_licence_on(date(2018, 1, 1))


def test_old_events_with_a_recall_dated_before_its_release_replay_as_before():
    """Before recall decisions were checked against dates, a recall ended the latest release
    recorded whatever its date: replaying such a history still ends that licence."""
    offender = released(on=date(2016, 11, 1), until=date(2026, 7, 4))
    offender.trigger_event(
        Offender.RecallDecisionRecorded,
        occurred_at=date(2016, 10, 1),
        entered_by="1001",
        by="1001",
        agency=Agency.POLICE,
        rank="Insp",
        senior=True,
        decision=RecallChoice.RECALL,
        rationale="Recorded under the old rule",
    )
    assert offender.on_licence is False
    assert not offender.on_licence_on(date(2017, 1, 1))


# ------------------------------------------------------------------- a corrected licence end


def correct_end(offender: Offender, entry: int, end: date, moved: date | None = None) -> None:
    offender.correct(date(2017, 1, 1), INSPECTOR, "1001", entry, "Typed wrong", None, moved, end)


def test_a_corrected_licence_end_moves_the_licence():
    offender = released(until=date(2018, 11, 1))  # release is #2
    correct_end(offender, 2, date(2017, 5, 1))
    assert offender.licence_end == date(2017, 5, 1)
    assert not offender.on_licence_on(date(2017, 6, 1))
    with pytest.raises(NotOnLicenceError):
        offender.decide_recall(date(2017, 6, 1), SOM, "4521", RecallChoice.RECALL, "Breach")
    # Replayed from its events, the offender has the same licences.
    rebuilt = None
    for event in offender.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.licences == offender.licences


def test_only_a_release_has_a_licence_end_to_correct():
    offender = released()
    offender.record_entry(date(2016, 12, 1), SOM, "4521", "Seen", False)
    with pytest.raises(NotAReleaseError, match="#3 is not a release on licence"):
        correct_end(offender, 3, date(2019, 1, 1))


def test_a_corrected_licence_end_is_after_the_release_as_corrected():
    offender = released(on=date(2016, 11, 1))
    with pytest.raises(DateOrderError, match="is not after the release"):
        correct_end(offender, 2, date(2016, 11, 1))
    # Moved to a later day by the same correction, the end is judged against that day.
    with pytest.raises(DateOrderError, match=r"\(2016-12-01\)"):
        correct_end(offender, 2, date(2016, 11, 20), moved=date(2016, 12, 1))


def test_a_corrected_licence_end_cannot_run_into_a_later_licence():
    offender = released(on=date(2016, 11, 1), until=date(2017, 1, 31))
    held(offender, date(2017, 2, 15))  # #3
    offender.release_on_licence(date(2017, 3, 1), SOM, "4521", date(2019, 3, 1))  # #4
    with pytest.raises(AlreadyOnLicenceError, match="runs into the licence released on 2017-03-01"):
        correct_end(offender, 2, date(2017, 3, 1))
    correct_end(offender, 2, date(2017, 2, 28))
    # Recalled before the later release, the first licence may end after it on paper. (Recalled
    # while held since #3: a recall before #3 would have two moves into custody with no release
    # between, refused as a custody after a recall is.)
    offender.decide_recall(date(2017, 2, 20), SOM, "4521", RecallChoice.RECALL, "Breach")
    correct_end(offender, 2, date(2017, 6, 1))


# ------------------------------------------------- a corrected release and its recall decisions


def correct_time(offender: Offender, entry: int, moved: date | datetime) -> None:
    offender.correct(date(2017, 1, 1), INSPECTOR, "1001", entry, "Typed wrong", None, moved)


def test_a_release_cannot_be_corrected_to_after_a_recall_decision_on_its_licence():
    offender = released(on=date(2016, 11, 1))  # release is #2
    decided = datetime(2016, 12, 1, 10, 0, tzinfo=UTC)
    offender.decide_recall(decided, INSPECTOR, "1001", RecallChoice.RECALL, "Breach")  # #3
    for later in (date(2016, 12, 2), datetime(2016, 12, 1, 10, 1, tzinfo=UTC)):
        with pytest.raises(
            RecallDecisionOffLicenceError,
            match=r"is after WMP-000999#3, a recall decision on the licence WMP-000999#2 began, "
            r"which occurred 2016-12-01 10:00 GMT; .* first correct the time of WMP-000999#3",
        ):
            correct_time(offender, 2, later)
    assert offender.version == 3
    # Up to the decision itself, or a date alone on its day, is in order.
    correct_time(offender, 2, decided)
    correct_time(offender, 2, date(2016, 12, 1))


def test_a_corrected_recall_decision_is_judged_at_its_corrected_time():
    offender = released(on=date(2016, 11, 1))
    offender.decide_recall(date(2016, 12, 1), INSPECTOR, "1001", RecallChoice.NO_RECALL, "Fine")
    correct_time(offender, 3, date(2016, 11, 20))
    with pytest.raises(RecallDecisionOffLicenceError, match="which occurred 2016-11-20"):
        correct_time(offender, 2, date(2016, 11, 25))
    correct_time(offender, 2, date(2016, 11, 20))


def test_a_licence_end_cannot_be_corrected_to_before_a_recall_decision_on_it():
    offender = released(on=date(2016, 11, 1), until=date(2018, 11, 1))
    offender.decide_recall(date(2017, 6, 1), INSPECTOR, "1001", RecallChoice.NO_RECALL, "Fine")
    with pytest.raises(
        RecallDecisionOffLicenceError,
        match=r"^licence_end 2017-05-31 is before WMP-000999#3, a recall decision on that licence, "
        "which occurred 2017-06-01; give an end on or after 2017-06-01",
    ) as refused:
        correct_end(offender, 2, date(2017, 5, 31))
    assert refused.value.fields == ("licence_end",)
    correct_end(offender, 2, date(2017, 6, 1))


def test_a_decision_on_another_licence_does_not_hold_a_release_back():
    offender = released(on=date(2016, 11, 1), until=date(2017, 1, 31))  # #2
    held(offender, date(2017, 2, 15))  # #3
    offender.release_on_licence(date(2017, 3, 1), SOM, "4521", date(2019, 3, 1))  # #4
    offender.decide_recall(date(2017, 4, 1), INSPECTOR, "1001", RecallChoice.RECALL, "Breach")
    assert offender.referred_entries(offender.collect_events()[-1]) == [4]
    correct_time(offender, 2, date(2016, 11, 20))
    correct_end(offender, 2, date(2017, 2, 1))
    with pytest.raises(RecallDecisionOffLicenceError, match="WMP-000999#5"):
        correct_time(offender, 4, date(2017, 4, 2))


def test_the_release_a_decision_decided_on_survives_a_replay_and_later_corrections():
    offender = released(on=date(2016, 11, 1))
    offender.decide_recall(date(2016, 12, 1), INSPECTOR, "1001", RecallChoice.NO_RECALL, "Fine")
    correct_time(offender, 2, date(2016, 11, 15))
    events = offender.collect_events()
    decision = events[2]
    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.recall_decisions == offender.recall_decisions
    assert rebuilt.referred_entries(decision) == offender.referred_entries(decision) == [2]


def test_a_recall_decision_cannot_be_corrected_to_after_its_licence():
    offender = released(on=date(2016, 11, 1), until=date(2018, 11, 1))
    offender.decide_recall(date(2017, 6, 1), INSPECTOR, "1001", RecallChoice.NO_RECALL, "Fine")
    with pytest.raises(
        RecallDecisionOffLicenceError,
        match=r"2018-11-02 is after the licence WMP-000999#2 began ends \(2018-11-01\), and "
        r"WMP-000999#3 is a recall decision on that licence; .* check entry_occurred_at",
    ):
        correct_time(offender, 3, date(2018, 11, 2))
    correct_time(offender, 3, date(2018, 11, 1))


def test_a_decision_not_to_recall_cannot_be_moved_past_the_recall():
    offender = released(on=date(2016, 11, 1), until=date(2018, 11, 1))
    offender.decide_recall(date(2017, 1, 1), INSPECTOR, "1001", RecallChoice.NO_RECALL, "Fine")
    offender.decide_recall(date(2017, 6, 1), INSPECTOR, "1001", RecallChoice.RECALL, "Breach")
    with pytest.raises(RecallDecisionOffLicenceError, match=r"was recalled \(2017-06-01\)"):
        correct_time(offender, 3, date(2017, 6, 2))
    correct_time(offender, 3, date(2017, 6, 1))


def test_a_corrected_recall_moves_the_day_the_licence_stopped():
    offender = released(on=date(2016, 11, 1), until=date(2018, 11, 1))
    offender.decide_recall(date(2017, 6, 1), INSPECTOR, "1001", RecallChoice.RECALL, "Breach")
    assert offender.on_licence_on(date(2017, 5, 1))
    correct_time(offender, 3, date(2017, 4, 1))
    assert offender.licences[0].recalled_on == date(2017, 4, 1)
    assert offender.on_licence_on(date(2017, 3, 31))
    assert not offender.on_licence_on(date(2017, 5, 1))


def test_a_recall_cannot_be_moved_past_the_next_release():
    offender = released(on=date(2016, 11, 1), until=date(2018, 11, 1))
    offender.decide_recall(date(2017, 6, 1), INSPECTOR, "1001", RecallChoice.RECALL, "Breach")
    offender.release_on_licence(date(2017, 9, 1), SOM, "4521", date(2019, 9, 1))  # #4
    with pytest.raises(
        AlreadyOnLicenceError,
        match=r"running beside the licence WMP-000999#4 began \(2017-09-01 to 2019-09-01\)",
    ):
        correct_time(offender, 3, date(2017, 9, 2))
    # A release on the day of the recall is in order, as when recording.
    correct_time(offender, 3, date(2017, 9, 1))


def test_a_release_cannot_be_corrected_into_another_licence():
    offender = released(on=date(2016, 11, 1), until=date(2017, 11, 1))
    held(offender, date(2017, 12, 1))  # #3
    offender.release_on_licence(date(2018, 3, 1), SOM, "4521", date(2019, 3, 1))  # #4
    for day in (date(2017, 11, 1), date(2017, 1, 1)):
        with pytest.raises(AlreadyOnLicenceError, match=r"the licence WMP-000999#2 began"):
            correct_time(offender, 4, day)
    with pytest.raises(
        AlreadyOnLicenceError, match=r"runs into the licence released on 2018-03-01"
    ):
        correct_end(offender, 2, date(2019, 1, 1), moved=date(2018, 2, 1))
    with pytest.raises(DateOrderError, match=r"is not before the end of the licence WMP-000999#2"):
        correct_time(offender, 2, date(2017, 11, 1))
    # After the end of #2 but before the custody #3 it was released from: two releases with no
    # custody between, refused by the custody order.
    with pytest.raises(DateOrderError, match=r"WMP-000999#4, a release on 2017-11-02, right"):
        correct_time(offender, 4, date(2017, 11, 2))
    correct_time(offender, 4, date(2017, 12, 2))
    assert offender.licences[1].released_on == date(2017, 12, 2)
