"""The domain rule that an event cannot precede the entries it is about."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from domain.errors import DateOrderError
from domain.offender import check_not_before


def _event(occurred_at, version=5):
    return SimpleNamespace(occurred_at=occurred_at, originator_version=version)


def test_an_instant_before_the_entry_is_refused_and_the_same_instant_is_not():
    entry = _event(datetime(2016, 9, 12, 9, 0, tzinfo=UTC), 2)
    with pytest.raises(DateOrderError, match="R1#2, which occurred 2016-09-12 10:00 BST"):
        check_not_before("R1", _event(datetime(2016, 9, 12, 8, 59, tzinfo=UTC)), [entry])
    check_not_before("R1", _event(datetime(2016, 9, 12, 9, 0, tzinfo=UTC)), [entry])


def test_a_date_alone_is_compared_by_london_day():
    late_evening = _event(datetime(2016, 9, 11, 23, 30, tzinfo=UTC), 2)  # 00:30 on the 12th
    check_not_before("R1", _event(date(2016, 9, 12)), [late_evening])
    with pytest.raises(DateOrderError):
        check_not_before("R1", _event(date(2016, 9, 11)), [late_evening])
    check_not_before(
        "R1", _event(datetime(2016, 9, 12, 6, 0, tzinfo=UTC)), [_event(date(2016, 9, 12))]
    )


def test_the_registration_is_named_as_such():
    with pytest.raises(DateOrderError, match="before the registration, which occurred 2016-07-04"):
        check_not_before("R1", _event(date(2016, 7, 3)), [_event(date(2016, 7, 4), 1)])
