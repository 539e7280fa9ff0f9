"""The custody-order rule alone (`domain.custody.custody_order_breaches`): moves into and out of
custody alternate, in the order they occurred by `chronological_key` (London day, the timed
moves of a day before the untimed ones, then time, then entry), whatever order they were typed
in."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.clock import ValidTime, chronological_key
from domain.custody import MoveKey, MoveKind, custody_order_breaches, new_breaches

CUSTODY, RECALL, RELEASE = MoveKind.CUSTODY, MoveKind.RECALL, MoveKind.RELEASE


def moves(*given: tuple[ValidTime, int, MoveKind]) -> list[tuple[MoveKey, MoveKind]]:
    return [(chronological_key(when, entry), kind) for when, entry, kind in given]


def pairs(*given: tuple[ValidTime, int, MoveKind]) -> list[tuple[int, int]]:
    return [breach.entries for breach in custody_order_breaches(moves(*given))]


def at(day: int, hour: int) -> datetime:
    return datetime(2016, 11, day, hour, tzinfo=UTC)


def test_alternating_moves_break_nothing_and_the_first_may_be_a_release():
    assert pairs() == []
    assert pairs((date(2016, 7, 4), 2, RELEASE)) == []
    assert (
        pairs(
            (date(2016, 7, 4), 2, RELEASE),
            (date(2016, 11, 20), 3, CUSTODY),
            (date(2017, 1, 10), 4, RELEASE),
            (date(2017, 2, 1), 5, RECALL),
            (date(2017, 6, 1), 6, RELEASE),
        )
        == []
    )


@pytest.mark.parametrize(
    ("first", "second", "broken"),
    [
        (CUSTODY, CUSTODY, True),
        (RECALL, CUSTODY, True),  # the recall took them into custody
        (RELEASE, RELEASE, True),
        (CUSTODY, RECALL, False),  # a recall while held keeps them there
        (CUSTODY, RELEASE, False),
        (RECALL, RELEASE, False),
        (RELEASE, CUSTODY, False),
        (RELEASE, RECALL, False),
    ],
)
def test_which_moves_may_follow_which(first, second, broken):
    found = pairs((date(2016, 11, 20), 3, first), (date(2016, 12, 1), 4, second))
    assert found == ([(3, 4)] if broken else [])


def test_moves_are_ordered_by_time_not_by_entry():
    # A release at 09:00 typed (#4) after a custody at 15:00 (#3) the same day comes first.
    assert pairs(
        (date(2016, 7, 4), 2, RELEASE), (at(20, 15), 3, CUSTODY), (at(20, 9), 4, RELEASE)
    ) == [(2, 4)]
    assert pairs(
        (date(2016, 7, 4), 2, RELEASE), (at(20, 9), 3, RELEASE), (at(20, 15), 4, CUSTODY)
    ) == [(2, 3)]
    # Held since the 1st: released at 09:00, taken back at 15:00, typed the other way round.
    assert (
        pairs(
            (at(1, 12), 2, CUSTODY),
            (at(20, 15), 3, CUSTODY),
            (at(20, 9), 4, RELEASE),
        )
        == []
    )


def test_a_date_alone_comes_after_the_timed_moves_of_its_day():
    # Taken into custody at 15:00 (#3) and released that day, time unknown (#2, typed first):
    # the release comes after the custody, whatever the entry numbers say.
    assert pairs((date(2016, 11, 20), 2, RELEASE), (at(20, 15), 3, CUSTODY)) == []
    # Released at 15:00 (#3), taken into custody that day, time unknown (#2): custody after.
    assert pairs((date(2016, 11, 20), 2, CUSTODY), (at(20, 15), 3, RELEASE)) == []
    assert pairs((at(20, 15), 2, CUSTODY), (date(2016, 11, 20), 3, CUSTODY)) == [(2, 3)]
    assert pairs((date(2016, 11, 20), 2, CUSTODY), (at(20, 15), 3, CUSTODY)) == [(3, 2)]
    # Two dates alone on one day keep the order they were entered in.
    assert pairs((date(2016, 11, 20), 2, CUSTODY), (date(2016, 11, 20), 3, RELEASE)) == []
    assert pairs((date(2016, 11, 20), 2, RELEASE), (date(2016, 11, 20), 3, CUSTODY)) == []
    assert pairs(
        (date(2016, 7, 4), 1, RELEASE),
        (date(2016, 11, 20), 2, RELEASE),
        (date(2016, 11, 20), 3, CUSTODY),
    ) == [(1, 2)]


def test_a_change_is_judged_by_the_breaches_it_adds():
    held = moves((date(2016, 7, 4), 2, RELEASE), (date(2016, 7, 5), 3, RELEASE))
    assert [b.entries for b in custody_order_breaches(held)] == [(2, 3)]
    # A breach already in the history is not the new move's.
    later = [*held, *moves((date(2016, 8, 1), 4, CUSTODY))]
    assert new_breaches(held, later) == []
    again = [*held, *moves((date(2016, 8, 2), 5, CUSTODY))]
    assert [b.entries for b in new_breaches(later, [*later, again[-1]])] == [(4, 5)]
