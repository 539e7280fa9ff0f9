"""Ownership periods, folded from hand-made registrations and transfers (no I/O)."""

from __future__ import annotations

from datetime import date

from projections import views
from projections.ownership import current_owners, owners_at, ownership_periods, period_json
from tests.unit.case_records import Case, at


def test_the_registering_officer_owns_the_case_from_registration():
    case = Case()
    case.register("4521", date(2016, 7, 4))

    (period,) = ownership_periods(case.records)

    assert (period.agency, period.staff, period.start, period.end) == (
        "police",
        "4521",
        date(2016, 7, 4),
        None,
    )
    assert (period.how, period.started_by, period.start_entry, period.reason) == (
        "registration",
        "4521",
        1,
        None,
    )


def test_two_transfers_make_three_periods_each_ended_by_the_next():
    case = Case()
    case.register("4521", date(2016, 7, 4))
    case.transfer("1001", "4633", date(2016, 11, 1), reason="Moved to Coventry")
    case.transfer("1001", "4521", date(2017, 2, 1), reason="Moved back")

    first, second, third = (period_json(p) for p in ownership_periods(case.records))

    assert (first["staff"], first["from"], first["to"]) == ("4521", "2016-07-04", "2016-11-01")
    assert (first["ended_by"], first["end_entry"]) == ("1001", 2)
    assert (second["staff"], second["from"], second["to"]) == ("4633", "2016-11-01", "2017-02-01")
    assert (second["by"], second["reason"], second["entry"]) == ("1001", "Moved to Coventry", 2)
    assert (third["staff"], third["to"], third["how"], third["end_entry"]) == (
        "4521",
        None,
        "transfer",
        None,
    )


def test_a_transfer_recorded_late_still_ends_the_period_on_the_day_it_happened():
    case = Case()
    case.register("4521", date(2016, 7, 4))
    case.transfer("1001", "1001", date(2016, 12, 1))
    # Written up after the December transfer, though it happened in November.
    case.transfer("1001", "4633", date(2016, 11, 1))

    periods = ownership_periods(case.records)

    assert [(p.staff, p.start, p.end) for p in periods] == [
        ("4521", date(2016, 7, 4), date(2016, 11, 1)),
        ("4633", date(2016, 11, 1), date(2016, 12, 1)),
        ("1001", date(2016, 12, 1), None),
    ]
    assert owners_at(periods, at("2016-11-15T12:00+00:00")) == {"police": "4633"}


def test_before_the_late_transfer_was_recorded_the_ledger_showed_one_period_fewer():
    case = Case()
    case.register("4521", date(2016, 7, 4))
    case.transfer("1001", "1001", date(2016, 12, 1))
    case.transfer("1001", "4633", date(2016, 11, 1))
    between = case.records[1].recorded_at

    held = views.corrected_view(case.records, as_of=between)
    periods = ownership_periods(c.record for c in held)

    assert [(p.staff, p.end) for p in periods] == [("4521", date(2016, 12, 1)), ("1001", None)]


def test_each_agency_has_its_own_owner():
    case = Case()
    case.register("4521", date(2016, 7, 4))
    case.transfer("1001", "7702", date(2016, 7, 10))

    periods = ownership_periods(case.records)

    assert current_owners(periods) == {"police": "4521", "probation": "7702"}
    assert owners_at(periods, at("2016-07-05T12:00+00:00")) == {"police": "4521"}


def test_a_transfer_naming_the_owner_of_that_moment_changes_nothing():
    case = Case()
    case.register("4521", date(2016, 7, 4))
    case.transfer("1001", "4633", date(2016, 12, 1))
    # Recorded after the December transfer but dated before it: 4521 still owned the case then.
    case.transfer("1001", "4521", date(2016, 9, 1))

    assert [(p.staff, p.start) for p in ownership_periods(case.records)] == [
        ("4521", date(2016, 7, 4)),
        ("4633", date(2016, 12, 1)),
    ]


def test_a_corrected_transfer_date_moves_the_period_boundary_once_recorded():
    case = Case()
    case.register("4521", date(2016, 7, 4))
    transfer = case.transfer("1001", "4633", date(2016, 11, 1))
    case.correct("1001", transfer, "Wrong date typed", entry_occurred_at="2016-10-01")
    before_correction = case.records[transfer - 1].recorded_at

    def first_period_end(**clock: object) -> object:
        view = views.corrected_view(case.records, **clock)  # type: ignore[arg-type]
        return ownership_periods(c.record for c in view)[0].end

    assert first_period_end() == date(2016, 10, 1)
    # Until the correction was recorded the ledger showed the date as first typed.
    assert first_period_end(as_of=before_correction) == date(2016, 11, 1)


def test_show_names_the_owners_that_ownership_says_are_current():
    case = Case()
    case.register("4521", date(2016, 7, 4))
    case.transfer("1001", "7702", date(2016, 7, 10))
    case.transfer("1001", "4633", date(2016, 11, 1))

    for moment in ("2016-07-05T12:00+00:00", "2016-08-01T12:00+00:00", "2017-01-01T12:00+00:00"):
        when = at(moment)
        shown = views.show(case.records, at=when)
        assert shown is not None
        assert shown["owners"] == owners_at(ownership_periods(case.records), when)
