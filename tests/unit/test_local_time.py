"""The one way the ledger shows a time to people: London wall-clock time with its zone, to the
minute; a date alone as a bare date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cli.render import asked_time, local_time


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        # Summer: the disclosure entered as 2016-10-17T14:30 (London) is stored as 13:30 UTC.
        (datetime(2016, 10, 17, 13, 30, tzinfo=UTC), "2016-10-17 14:30 BST"),
        ("2016-10-17T13:30:00+00:00", "2016-10-17 14:30 BST"),
        ("2016-10-17T14:30:00+01:00", "2016-10-17 14:30 BST"),
        # Midnight in London on 15 August is 23:00 UTC the day before.
        ("2016-08-14T23:00:00+00:00", "2016-08-15 00:00 BST"),
        # Winter: London is UTC.
        ("2016-12-01T09:00:00+00:00", "2016-12-01 09:00 GMT"),
        # The hour the clocks repeat: the zone tells the two 01:30s apart.
        ("2016-10-30T00:30:00+00:00", "2016-10-30 01:30 BST"),
        ("2016-10-30T01:30:00+00:00", "2016-10-30 01:30 GMT"),
        # The store's naive instants are UTC; seconds and fractions are not shown.
        (datetime(2016, 10, 17, 13, 30, 59, 999999), "2016-10-17 14:30 BST"),
        ("2016-10-17T13:30:59.123456+00:00", "2016-10-17 14:30 BST"),
        # A date alone: the time of day is unknown, and no time is made up for it.
        (date(2016, 10, 17), "2016-10-17"),
        ("2016-10-17", "2016-10-17"),
        (None, ""),
        ("", ""),
    ],
)
def test_every_time_is_shown_in_london_with_its_zone(value, shown):
    assert local_time(value) == shown


def test_an_asked_moment_is_said_back_as_given_a_date_stays_a_date():
    assert asked_time("2016-10-20") == "2016-10-20"
    assert asked_time("2016-10-17T14:30") == "2016-10-17 14:30 BST"
    assert asked_time("2016-10-17T13:30Z") == "2016-10-17 14:30 BST"
    assert asked_time(None) == ""
