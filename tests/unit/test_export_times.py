"""How the exports people read (HTML, PDF) show times: London wall-clock time with its zone."""

from __future__ import annotations

import pytest

from cli.export import london


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
