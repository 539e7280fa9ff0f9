"""The domain rule that an event cannot precede the entries it is about."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.errors import DateOrderError
from domain.offender import check_not_before


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
