"""The staff directory: the rank someone held on a given day, and whether they were in post."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidValueError, StaffNotInPostError
from domain.identity import staff_id
from domain.staff import Person, StaffMember, check_new_staff_id
from domain.values import Agency
from tests.unit.helpers import constable


def probation_officer() -> StaffMember:
    return StaffMember(
        staff_id="7702",
        name="Pat Lowe",
        agency=Agency.PROBATION,
        rank="Probation Officer",
        senior_grade=False,
        admin=False,
        area=None,
        since=date(2015, 1, 1),
        by="1001",
    )


def test_a_staff_member_is_found_by_their_staff_id():
    assert constable().id == staff_id("4521")


def test_the_rank_on_a_day_is_the_one_held_then_not_now():
    member = constable()
    member.change_rank("PS", False, date(2017, 3, 1), "1001")
    member.change_rank("Insp", False, date(2019, 6, 1), "1001")
    assert member.as_of(date(2016, 10, 17)) == Person("4521", Agency.POLICE, "PC", False)
    assert member.as_of(date(2017, 3, 1)).rank == "PS"
    assert member.as_of(date(2019, 5, 31)).rank == "PS"
    assert member.as_of(date(2019, 6, 1)) == Person("4521", Agency.POLICE, "Insp", True)
    assert member.rank == "Insp"


def test_a_promotion_recorded_late_still_applies_from_its_own_date():
    member = constable()
    member.change_rank("Insp", False, date(2019, 6, 1), "1001")
    # Recorded afterwards, but effective earlier: the posts are kept in date order.
    member.change_rank("PS", False, date(2017, 3, 1), "1001")
    assert [member.as_of(date(y, 12, 31)).rank for y in (2016, 2018, 2020)] == ["PC", "PS", "Insp"]
    assert member.rank == "Insp"


def test_inspector_or_above_means_inspector_and_every_rank_after_it():
    member = constable()
    member.change_rank("DS", False, date(2016, 1, 1), "1001")
    member.change_rank("DCI", False, date(2018, 1, 1), "1001")
    assert member.as_of(date(2017, 1, 1)).senior is False
    assert member.as_of(date(2018, 1, 1)).senior is True


def test_outside_the_police_a_grade_marked_senior_counts_as_inspector_or_above():
    member = probation_officer()
    member.change_rank("Senior Probation Officer", True, date(2018, 1, 1), "1001")
    assert member.as_of(date(2017, 1, 1)).senior is False
    assert member.as_of(date(2018, 1, 1)) == Person(
        "7702", Agency.PROBATION, "Senior Probation Officer", True
    )


def test_before_enrolment_the_rank_is_unknown_and_refused():
    with pytest.raises(StaffNotInPostError, match="enrol them with since on or before that date"):
        constable().as_of(date(2014, 12, 31))


def test_after_leaving_a_staff_member_is_not_in_post():
    member = constable()
    member.leave(date(2019, 6, 30), "1001")
    assert member.in_post_on(date(2019, 6, 29))
    assert not member.in_post_on(date(2019, 6, 30))
    assert member.as_of(date(2019, 6, 29)).rank == "PC"
    with pytest.raises(StaffNotInPostError, match="4521 left on 2019-06-30"):
        member.as_of(date(2019, 6, 30))


def test_an_area_change_moves_the_staff_member():
    member = constable()
    member.change_area("Coventry", date(2018, 1, 1), "1001")
    assert member.area == "Coventry"


def test_a_person_is_written_into_events_as_plain_fields():
    person = constable().as_of(date(2016, 1, 1))
    assert person.as_dict() == {
        "staff": "4521",
        "agency": Agency.POLICE,
        "rank": "PC",
        "senior": False,
    }


@pytest.mark.parametrize(
    "name", ["HEALTH", "police", "Social-Care", "other", "PROBATION", "prison"]
)
def test_a_staff_id_that_is_an_agency_name_is_refused(name):
    """`share --with NAME` means the agency of that name: a person so named could not be meant."""
    with pytest.raises(InvalidValueError, match="is the name of the agency"):
        StaffMember.enrol(
            staff_id=name,
            name="N",
            agency=Agency.POLICE,
            rank="PC",
            senior_grade=False,
            admin=False,
            area=None,
            since=date(2015, 1, 1),
            by="1001",
        )


@pytest.mark.parametrize("staff_id", ["HEALTH1", "police-4521", "socialcare"])
def test_a_staff_id_that_only_contains_an_agency_name_is_kept(staff_id):
    assert check_new_staff_id(staff_id) == staff_id
