"""The one way the ledger shows a time to people: London wall-clock time with its zone, to the
minute; a date alone as a bare date. A moment asked about (--at, --as-of) is said back exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cli.render import asked_time, local_time
from domain.clock import is_end_of_day, moment_text, parse_query_time


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


@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        # To the second, and to the fraction of a second given: never rounded to the minute.
        ("2020-10-20T14:03:27", "2020-10-20 14:03:27 BST"),
        ("2020-10-20T14:03:27.5", "2020-10-20 14:03:27.5 BST"),
        ("2020-10-20T14:03:27.250", "2020-10-20 14:03:27.25 BST"),
        ("2020-10-20T14:03:27.000001", "2020-10-20 14:03:27.000001 BST"),
        ("2020-10-20T14:03:00.5", "2020-10-20 14:03:00.5 BST"),
        ("2020-10-20T14:03:59.999999", "2020-10-20 14:03:59.999999 BST"),
        ("2020-12-01T09:00:01", "2020-12-01 09:00:01 GMT"),
        # Given in UTC or another offset: the same moment, in London time.
        ("2020-10-20T13:03:27Z", "2020-10-20 14:03:27 BST"),
        ("2020-12-01T11:00:01.75+02:00", "2020-12-01 09:00:01.75 GMT"),
        # The hour the clocks repeat: the zone tells the two apart, seconds kept.
        ("2016-10-30T01:30:15+01:00", "2016-10-30 01:30:15 BST"),
        ("2016-10-30T01:30:15+00:00", "2016-10-30 01:30:15 GMT"),
        # On the minute, as every other time is shown.
        ("2020-10-20T14:03", "2020-10-20 14:03 BST"),
        ("2020-10-20T14:03:00", "2020-10-20 14:03 BST"),
        # A date stays the date given (the end of that day).
        ("2020-10-20", "2020-10-20"),
    ],
)
def test_an_asked_moment_is_said_back_exactly_never_rounded(asked, shown):
    assert asked_time(asked) == shown


def test_moment_text_shows_what_local_time_hides():
    moment = datetime(2020, 10, 20, 13, 3, 27, 120000, tzinfo=UTC)
    assert moment_text(moment) == "2020-10-20 14:03:27.12 BST"
    assert local_time(moment) == "2020-10-20 14:03 BST"
    assert moment_text(moment.replace(second=0, microsecond=0)) == local_time(moment)


def test_the_end_of_a_london_day_is_told_from_any_other_moment():
    assert is_end_of_day(parse_query_time("2020-10-20"))
    assert is_end_of_day(parse_query_time("2020-12-20"))
    assert is_end_of_day(parse_query_time("9999-12-31"))
    assert is_end_of_day(parse_query_time("2020-10-20T23:59:59.999999"))
    assert not is_end_of_day(parse_query_time("2020-10-20T23:59:59"))
    # 23:59:59.999999 UTC is not the end of a day in London in summer.
    assert not is_end_of_day(parse_query_time("2020-10-20T23:59:59.999999+00:00"))
