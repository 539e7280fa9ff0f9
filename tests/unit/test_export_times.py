"""How the exports people read (HTML, PDF) show times: London wall-clock time with its zone."""

from __future__ import annotations

import pytest

from cli.export import london, stood_at


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2016-10-17T13:30:00+00:00", "2016-10-17 14:30 BST"),
        ("2016-12-01T09:00:00+00:00", "2016-12-01 09:00 GMT"),
        ("2026-11-30T07:11:18.583514+00:00", "2026-11-30 07:11 GMT"),
        # The hour the clocks repeat in October, told apart by its zone.
        ("2016-10-30T00:30:00+00:00", "2016-10-30 01:30 BST"),
        ("2016-10-30T01:30:00+00:00", "2016-10-30 01:30 GMT"),
        # A date alone (time of day unknown) stays a bare date.
        ("2016-10-17", "2016-10-17"),
        # An anonymised year of birth, or any other text, is left as it is.
        ("1975", "1975"),
    ],
)
def test_london_shows_instants_in_london_and_dates_as_dates(stored, shown):
    assert london(stored) == shown


def test_no_time_is_shown_as_given():
    assert london(None) == "" and london(None, "now") == "now"


@pytest.mark.parametrize(
    ("as_of", "caption"),
    [
        # --as-of 2020-10-20T14:03:27 (London): the caption names that second, not 14:03.
        ("2020-10-20T13:03:27+00:00", "2020-10-20 14:03:27 BST"),
        ("2020-10-20T13:03:27.500000+00:00", "2020-10-20 14:03:27.5 BST"),
        ("2020-10-20T13:03:27.123456+00:00", "2020-10-20 14:03:27.123456 BST"),
        ("2020-12-01T09:00:00.000001+00:00", "2020-12-01 09:00:00.000001 GMT"),
        ("2020-10-20T13:03:00+00:00", "2020-10-20 14:03 BST"),
        # A date asked for is the last instant of that day in London, said as such.
        ("2020-10-20T22:59:59.999999+00:00", "the end of 2020-10-20 (London time)"),
        ("2020-12-20T23:59:59.999999+00:00", "the end of 2020-12-20 (London time)"),
        (None, "the time of export"),
    ],
)
def test_the_as_of_caption_is_the_exact_moment_the_export_reflects(as_of, caption):
    assert stood_at(as_of) == caption
