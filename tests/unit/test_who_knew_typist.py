"""Who typed an entry in for someone else entered it; they did not know it (hand-made records).

The person who made the contact or wrote the entry (`by`) `recorded` it, from when it occurred.
A typist who is someone else (`entered_by`) is listed with `how` = `entered`, at the moment the
ledger recorded it; that is clerical work, not knowledge of the case, so it never makes their
agency know, never discharges an owner, and never satisfies an alert rule that asks whether an
agency knew. An agency knows only through `recorded`, `acknowledged`, `shared` and `meeting`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from projections.alerts.policy import load_policy
from projections.alerts.rules import case_records, disclosure_not_shared
from projections.knowledge import first_known_by_agency, knowings, staff_agencies
from projections.who_knew import who_knew, who_knew_json
from tests.unit.case_records import Case, at

TOLD = at("2016-10-17T14:30+01:00")
WRITTEN = datetime(2016, 10, 19, 9, 0, tzinfo=UTC)  # typed in two days after the contact


def typed_case(typist: str = "4521", written: datetime = WRITTEN) -> tuple[Case, int]:
    """4521 (police) registers and owns police's side; 7702 (probation) owns probation's; 7702
    made a risk-relevant disclosure on 17 October that `typist` typed in at `written`."""
    case = Case()
    case.register("4521", date(2016, 7, 4), recorded=datetime(2016, 7, 4, 12, tzinfo=UTC))
    case.transfer("1001", "7702", date(2016, 7, 10), recorded=datetime(2016, 7, 10, 12, tzinfo=UTC))
    told = case.disclosure("7702", TOLD, "Thoughts of rape")
    case.records[told - 1] = replace(case.records[told - 1], entered_by=typist, recorded_at=written)
    return case, told


def item(doc: dict, entry: int) -> dict:
    (found,) = [i for i in doc["items"] if i["entry"] == entry]
    return found


def staff(entry_doc: dict) -> list[tuple[str, str | None, str, str]]:
    return [(s["staff"], s["agency"], s["since"], s["how"]) for s in entry_doc["staff"]]


def test_the_typist_entered_it_when_they_wrote_it_and_their_agency_did_not_know():
    case, told = typed_case()

    disclosure = item(who_knew_json(who_knew(case.records)), told)

    assert staff(disclosure) == [
        ("7702", "probation", "2016-10-17T13:30:00+00:00", "recorded"),
        ("4521", "police", "2016-10-19T09:00:00+00:00", "entered"),
    ]
    assert disclosure["agencies"] == {
        "police": None,
        "probation": "2016-10-17T13:30:00+00:00",
    }
    # Typing it in is not reading it: the police owner is still responsible and had not known.
    assert [(r["staff"], r["agency"]) for r in disclosure["responsible_not_acknowledged"]] == [
        ("4521", "police")
    ]


def test_at_a_valid_time_before_it_was_written_the_typist_did_not_know_yet():
    case, told = typed_case()

    before = item(who_knew_json(who_knew(case.records, at=at("2016-10-18T12:00+01:00"))), told)
    after = item(who_knew_json(who_knew(case.records, at=at("2016-10-19T12:00+01:00"))), told)

    assert [s["staff"] for s in before["staff"]] == ["7702"]
    assert before["agencies"] == {"police": None, "probation": "2016-10-17T13:30:00+00:00"}
    assert [(r["staff"], r["agency"]) for r in before["responsible_not_acknowledged"]] == [
        ("4521", "police")
    ]
    assert [(s["staff"], s["how"]) for s in after["staff"]] == [
        ("7702", "recorded"),
        ("4521", "entered"),
    ]
    assert after["agencies"]["police"] is None


def test_a_late_entry_lists_its_typist_only_from_when_it_was_written():
    written = datetime(2017, 10, 20, 9, 0, tzinfo=UTC)  # a year late
    case, told = typed_case(written=written)

    now = item(who_knew_json(who_knew(case.records)), told)
    a_month_on = item(who_knew_json(who_knew(case.records, at=at("2016-11-17T12:00+00:00"))), told)

    assert ("4521", "police", "2017-10-20T09:00:00+00:00", "entered") in staff(now)
    # A backfill invents no agency's knowledge.
    assert now["agencies"]["police"] is None
    # Asked about November 2016 with everything recorded since: the entry is there (it occurred
    # in October) but the typist only wrote it up in 2017.
    assert [s["staff"] for s in a_month_on["staff"]] == ["7702"]
    assert a_month_on["agencies"]["police"] is None


def test_as_of_before_it_was_written_the_entry_and_its_typist_are_not_there():
    case, told = typed_case()

    then = who_knew_json(who_knew(case.records, as_of=at("2016-10-18T12:00+01:00")))
    later = who_knew_json(who_knew(case.records, as_of=WRITTEN))

    assert told not in [i["entry"] for i in then["items"]]
    assert [s["staff"] for s in item(later, told)["staff"]] == ["7702", "4521"]


def test_a_typist_who_also_knew_it_is_listed_by_their_knowing():
    case, told = typed_case()
    case.acknowledge("4521", [told], at("2016-10-20T10:00+01:00"))  # after typing it in

    disclosure = item(who_knew_json(who_knew(case.records)), told)

    assert staff(disclosure)[1] == ("4521", "police", "2016-10-20T09:00:00+00:00", "acknowledged")
    assert disclosure["agencies"]["police"] == "2016-10-20T09:00:00+00:00"


def test_when_the_maker_typed_it_in_themselves_nothing_changes():
    case, told = typed_case(typist="7702")

    disclosure = item(who_knew_json(who_knew(case.records)), told)

    assert staff(disclosure) == [("7702", "probation", "2016-10-17T13:30:00+00:00", "recorded")]
    assert disclosure["agencies"] == {"police": None, "probation": "2016-10-17T13:30:00+00:00"}


def test_a_typist_of_the_same_agency_does_not_move_its_first_known_time():
    case, told = typed_case(typist="8801")  # probation, placed by the directory given

    disclosure = item(who_knew_json(who_knew(case.records, agencies={"8801": "probation"})), told)

    assert [s["staff"] for s in disclosure["staff"]] == ["7702", "8801"]
    assert disclosure["agencies"]["probation"] == "2016-10-17T13:30:00+00:00"


def test_the_typists_agency_comes_from_the_directory_else_from_the_records():
    case, told = typed_case(typist="1001")  # an administrator no record here names as author

    # The transfer names 1001 as its author: placed from the records.
    assert staff_agencies(case.records)["1001"] == "police"
    placed = item(who_knew_json(who_knew(case.records)), told)
    assert ("1001", "police", "2016-10-19T09:00:00+00:00", "entered") in staff(placed)

    # A typist nothing places is still listed; no agency is said to know through them.
    stranger, told = typed_case(typist="9999")
    unplaced = item(who_knew_json(who_knew(stranger.records)), told)
    assert ("9999", None, "2016-10-19T09:00:00+00:00", "entered") in staff(unplaced)
    assert unplaced["agencies"] == {"police": None, "probation": "2016-10-17T13:30:00+00:00"}
    # Given the staff directory, they are placed.
    directory = {"9999": "health"}
    given = item(who_knew_json(who_knew(stranger.records, agencies=directory)), told)
    assert ("9999", "health", "2016-10-19T09:00:00+00:00", "entered") in staff(given)
    assert "health" not in given["agencies"]


def test_knowings_carry_the_typist_but_first_known_leaves_them_out():
    case, told = typed_case()

    found = [k for k in knowings(case.records) if k.entry == told]

    assert [(k.staff, k.how, k.since) for k in found] == [
        ("7702", "recorded", TOLD),
        ("4521", "entered", WRITTEN),
    ]
    first = first_known_by_agency(found, told)
    assert "police" not in first and first["probation"].since == TOLD


# ------------------------------------------------------------- what this means for alerts


def test_a_disclosure_typed_in_by_the_other_owning_agency_is_still_not_shared():
    """DISCLOSURE_NOT_SHARED asks whether another owning agency came to know a risk-relevant
    disclosure within a day. A police officer who typed probation's disclosure in entered it:
    police did not know it by that, so the alert stands, however soon it was typed."""
    policy = load_policy()

    same_day, told = typed_case(written=at("2016-10-17T18:00+01:00"))
    [breach] = disclosure_not_shared(case_records(same_day.records), policy)
    assert (breach.entry, breach.satisfied_at) == (told, None)

    # A typist of no other owning agency (here, one no record places) changes nothing.
    own, told = typed_case(typist="8801")
    [breach] = disclosure_not_shared(case_records(own.records), policy)
    assert (breach.entry, breach.satisfied_at) == (told, None)
