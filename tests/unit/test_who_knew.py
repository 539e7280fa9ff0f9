"""Who knew what, when, and who was responsible but had not read it (hand-made records, no I/O).

The case: 4521 (police) registers WMP-000123 on 4 July 2016 and hands probation's side to 7702.
On 17 October 7702 records a risk-relevant disclosure; 4521 does not read it; on 25 October it
is shared with police, and 4521 acknowledges it on 26 October.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import UnknownEntryError
from projections.knowledge import first_known_by_agency, knowings, known_by
from projections.views import NotOnRecordError
from projections.who_knew import NotAnItemError, who_knew, who_knew_json
from tests.unit.case_records import Case, at

OCT_20 = at("2016-10-20T23:59+01:00")


def disclosure_case() -> tuple[Case, int]:
    case = Case()
    case.register("4521", date(2016, 7, 4))
    case.transfer("1001", "7702", date(2016, 7, 10), reason="Released to probation supervision")
    told = case.disclosure("7702", at("2016-10-17T14:30+01:00"), "Thoughts of rape")
    return case, told


def item(doc: dict, entry: int) -> dict:
    (found,) = [i for i in doc["items"] if i["entry"] == entry]
    return found


def test_on_20_october_probation_knew_and_the_police_owner_had_not_read_it():
    case, told = disclosure_case()
    case.share("7702", [told], date(2016, 10, 25), "police")
    case.acknowledge("4521", [told], date(2016, 10, 26))

    doc = who_knew_json(who_knew(case.records, at=OCT_20, entry=told))

    assert doc["owners"] == {"police": "4521", "probation": "7702"}
    disclosure = item(doc, told)
    assert disclosure["agencies"] == {"police": None, "probation": "2016-10-17T13:30:00+00:00"}
    assert [(s["staff"], s["how"]) for s in disclosure["staff"]] == [("7702", "recorded")]
    assert [(r["staff"], r["agency"]) for r in disclosure["responsible_not_acknowledged"]] == [
        ("4521", "police")
    ]
    assert disclosure["responsible_not_acknowledged"][0]["responsible_from"] == (
        "2016-10-17T13:30:00+00:00"
    )


def test_a_share_with_the_agency_makes_police_know_but_does_not_discharge_the_owner():
    case, told = disclosure_case()
    case.share("7702", [told], date(2016, 10, 25), "police")
    case.acknowledge("4521", [told], date(2016, 10, 26))

    on_25th = item(who_knew_json(who_knew(case.records, at=at("2016-10-25T18:00+01:00"))), told)
    on_26th = item(who_knew_json(who_knew(case.records, at=at("2016-10-26T18:00+01:00"))), told)

    assert on_25th["agencies"]["police"] == "2016-10-25"
    assert [r["staff"] for r in on_25th["responsible_not_acknowledged"]] == ["4521"]
    assert on_26th["responsible_not_acknowledged"] == []
    assert ("4521", "acknowledged", "2016-10-26") in {
        (s["staff"], s["how"], s["since"]) for s in on_26th["staff"]
    }


def test_a_share_with_the_owner_by_name_discharges_them():
    case, told = disclosure_case()
    case.share("7702", [told], date(2016, 10, 18), "4521")

    disclosure = item(who_knew_json(who_knew(case.records, at=OCT_20)), told)

    assert ("4521", "police", "shared") in {
        (s["staff"], s["agency"], s["how"]) for s in disclosure["staff"]
    }
    assert disclosure["responsible_not_acknowledged"] == []


def test_meeting_attendees_know_what_was_discussed_and_the_meeting_itself():
    case, told = disclosure_case()
    meeting = case.meeting("8801", date(2016, 10, 19), ["8801", "9901"], [told])

    doc = who_knew_json(who_knew(case.records, at=OCT_20))

    assert item(doc, told)["agencies"]["health"] == "2016-10-19"
    for entry in (told, meeting):
        assert ("9901", "meeting") in {(s["staff"], s["how"]) for s in item(doc, entry)["staff"]}


def test_an_owner_transferred_away_unread_stays_responsible_for_their_time():
    case, told = disclosure_case()
    case.transfer("1001", "4633", date(2016, 11, 1), reason="Moved to Coventry")

    disclosure = item(who_knew_json(who_knew(case.records)), told)

    assert [
        (r["staff"], r["responsible_from"], r["responsible_to"])
        for r in disclosure["responsible_not_acknowledged"]
    ] == [
        ("4521", "2016-10-17T13:30:00+00:00", "2016-11-01"),
        ("4633", "2016-11-01", None),
    ]


def test_an_owner_whose_ownership_ended_before_the_item_is_not_responsible_for_it():
    case = Case()
    case.register("4521", date(2016, 7, 4))
    case.transfer("1001", "4633", date(2016, 9, 1))
    told = case.disclosure("4633", date(2016, 10, 17), "Feels isolated")

    disclosure = item(who_knew_json(who_knew(case.records)), told)

    assert disclosure["responsible_not_acknowledged"] == []
    assert disclosure["agencies"] == {"police": "2016-10-17"}


def test_what_the_ledger_showed_before_the_acknowledgement_was_recorded():
    case, told = disclosure_case()
    ack = case.acknowledge("4521", [told], date(2016, 10, 18))
    before_ack = case.records[ack - 1].recorded_at - timedelta(seconds=1)

    then = item(who_knew_json(who_knew(case.records, at=OCT_20, as_of=before_ack)), told)
    now = item(who_knew_json(who_knew(case.records, at=OCT_20)), told)

    assert [r["staff"] for r in then["responsible_not_acknowledged"]] == ["4521"]
    assert then["agencies"]["police"] is None
    assert now["responsible_not_acknowledged"] == []
    assert now["agencies"]["police"] == "2016-10-18"


def test_corrections_apply_only_once_the_ledger_held_them():
    case, told = disclosure_case()
    fix = case.correct("7702", told, "Left out the threat", summary="Thoughts of rape; a threat")
    before_fix = case.records[fix - 1].recorded_at - timedelta(seconds=1)

    then = item(who_knew_json(who_knew(case.records, as_of=before_fix)), told)
    now = item(who_knew_json(who_knew(case.records)), told)

    assert (then["summary"], then["corrected"]) == ("Thoughts of rape", False)
    assert (now["summary"], now["corrected"]) == ("Thoughts of rape; a threat", True)


def test_a_corrected_time_moves_when_its_author_knew_it():
    case, told = disclosure_case()
    case.correct("7702", told, "Wrong day", entry_occurred_at="2016-10-21")

    # Corrected to the 21st, it had not happened by the 20th.
    assert told not in [i.item.record.entry for i in who_knew(case.records, at=OCT_20).items]
    disclosure = item(who_knew_json(who_knew(case.records)), told)
    assert disclosure["agencies"]["probation"] == "2016-10-21"


def test_only_informational_items_are_listed():
    case, told = disclosure_case()
    case.acknowledge("4521", [told], date(2016, 10, 26))

    doc = who_knew_json(who_knew(case.records))

    assert [(i["entry"], i["type"]) for i in doc["items"]] == [
        (1, "Registered"),
        (told, "DisclosureRecorded"),
    ]


def test_asking_about_an_act_or_a_missing_entry_is_refused():
    case, told = disclosure_case()
    ack = case.acknowledge("4521", [told], date(2016, 10, 26))

    with pytest.raises(NotAnItemError, match="EntriesAcknowledged"):
        who_knew(case.records, entry=ack)
    with pytest.raises(UnknownEntryError):
        who_knew(case.records, entry=99)
    with pytest.raises(NotOnRecordError, match="--at"):
        who_knew(case.records, entry=ack, at=OCT_20)
    with pytest.raises(NotOnRecordError, match="--as-of"):
        who_knew(case.records, entry=told, as_of=case.records[told - 2].recorded_at)


def test_asking_before_the_registration_is_refused_naming_the_clock():
    case, _ = disclosure_case()

    with pytest.raises(NotOnRecordError, match="not registered at --at"):
        who_knew(case.records, at=at("2016-07-01T12:00+01:00"))
    with pytest.raises(NotOnRecordError, match="held nothing"):
        who_knew(case.records, as_of=at("2020-01-01T00:00+00:00"))


def test_an_agency_knows_from_the_earliest_moment_any_of_its_staff_knew():
    case, told = disclosure_case()
    case.acknowledge("4633", [told], date(2016, 10, 30))
    case.acknowledge("4521", [told], date(2016, 10, 22))

    first = first_known_by_agency(knowings(case.records), told)

    assert (first["police"].staff, first["police"].since) == ("4521", date(2016, 10, 22))
    assert {k.staff for k in known_by(knowings(case.records), at=OCT_20) if k.entry == told} == {
        "7702"
    }


def test_on_one_day_a_known_time_comes_before_a_day_alone():
    case, told = disclosure_case()
    # Shared with 8801 "on the 17th", time not known: it may have been after 14:30.
    case.share("7702", [told], date(2016, 10, 17), "8801")

    first = first_known_by_agency(knowings(case.records), told)
    staff = [s["staff"] for s in item(who_knew_json(who_knew(case.records)), told)["staff"]]

    assert (first["probation"].staff, first["probation"].how) == ("7702", "recorded")
    assert staff == ["7702", "8801"]


def test_whoever_shares_an_item_knows_it_and_so_does_their_agency():
    """4521 (police) passes 7702's disclosure to a MAPPA coordinator on the 18th without having
    acknowledged it: passing it on shows 4521 knew it, and so police did, from then."""
    case, told = disclosure_case()
    share = case.share("4521", [told], date(2016, 10, 18), "8801")

    disclosure = item(who_knew_json(who_knew(case.records, at=OCT_20)), told)

    assert disclosure["agencies"]["police"] == "2016-10-18"
    assert ("4521", "police", "shared", "2016-10-18") in {
        (s["staff"], s["agency"], s["how"], s["since"]) for s in disclosure["staff"]
    }
    assert disclosure["responsible_not_acknowledged"] == []
    mine = {k.source for k in knowings(case.records) if k.staff == "4521" and k.entry == told}
    assert mine == {share}
