"""The domain rule that an event cannot precede the entries it is about."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.errors import DateOrderError
from domain.offender import check_correction_in_order, check_not_before


def test_an_instant_before_the_entry_is_refused_and_the_same_instant_is_not():
    entry = (2, datetime(2016, 9, 12, 9, 0, tzinfo=UTC))
    with pytest.raises(DateOrderError, match="R1#2, which occurred 2016-09-12 10:00 BST"):
        check_not_before("R1", datetime(2016, 9, 12, 8, 59, tzinfo=UTC), [entry])
    check_not_before("R1", datetime(2016, 9, 12, 9, 0, tzinfo=UTC), [entry])


def test_a_date_alone_is_compared_by_london_day():
    late_evening = (2, datetime(2016, 9, 11, 23, 30, tzinfo=UTC))  # 00:30 on the 12th in London
    check_not_before("R1", date(2016, 9, 12), [late_evening])
    with pytest.raises(DateOrderError):
        check_not_before("R1", date(2016, 9, 11), [late_evening])
    check_not_before("R1", datetime(2016, 9, 12, 6, 0, tzinfo=UTC), [(2, date(2016, 9, 12))])


def test_the_registration_is_named_as_such():
    with pytest.raises(DateOrderError, match="before the registration, which occurred 2016-07-04"):
        check_not_before("R1", date(2016, 7, 3), [(1, date(2016, 7, 4))])


def test_a_corrected_time_stays_between_what_it_is_about_and_what_follows_from_it():
    about = [(2, datetime(2016, 9, 12, 9, 0, tzinfo=UTC))]
    follows = [(4, date(2016, 9, 14))]
    # Anywhere from the entry it is about up to the day of what follows from it.
    for corrected in (datetime(2016, 9, 12, 9, 0, tzinfo=UTC), date(2016, 9, 14)):
        check_correction_in_order("R1", 3, corrected, about, follows)
    with pytest.raises(DateOrderError, match="is before R1#2, which occurred 2016-09-12 10:00"):
        check_correction_in_order("R1", 3, date(2016, 9, 11), about, follows)
    with pytest.raises(DateOrderError, match="is after R1#4, which follows from R1#3"):
        check_correction_in_order("R1", 3, datetime(2016, 9, 15, 0, 5, tzinfo=UTC), about, follows)
    # 23:30 UTC on the 14th is already the 15th in London.
    with pytest.raises(DateOrderError, match="R1#4"):
        check_correction_in_order(
            "R1", 3, datetime(2016, 9, 14, 23, 30, tzinfo=UTC), about, follows
        )
