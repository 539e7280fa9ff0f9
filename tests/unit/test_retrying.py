"""The retry policy for a batch that lost a race for one of its streams."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from ledger import unit_of_work
from ledger.errors import ConcurrentWriteError
from ledger.unit_of_work import FIRST_PAUSE, LONGEST_PAUSE, RETRIES, pause_before_try, retrying


class LosingStore:
    """A store whose first `losses` saves lose the race."""

    def __init__(self, losses: int) -> None:
        self.losses = losses
        self.saves = 0

    def get_staff(self, staff_ref: str) -> Any:
        raise AssertionError("not used")

    def get_offender(self, ref: str) -> Any:
        raise AssertionError("not used")

    def save(self, *aggregates: Any) -> None:
        self.saves += 1
        if self.saves <= self.losses:
            raise IntegrityError("lost the race")


class Changed:
    pending_events = ["an event"]


def add_one(unit: unit_of_work.UnitOfWork) -> str:
    unit.offenders["X"] = Changed()  # type: ignore[assignment]
    return "done"


@pytest.fixture
def pauses(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waited: list[float] = []
    monkeypatch.setattr(unit_of_work.time, "sleep", waited.append)
    return waited


def test_a_batch_that_lost_races_is_applied_again_until_it_is_saved(pauses: list[float]) -> None:
    store = LosingStore(losses=RETRIES - 1)
    assert retrying(store, add_one) == "done"
    assert store.saves == RETRIES and len(pauses) == RETRIES - 1


def test_a_batch_that_loses_every_try_is_refused_as_a_concurrent_write(
    pauses: list[float],
) -> None:
    store = LosingStore(losses=RETRIES)
    with pytest.raises(ConcurrentWriteError, match="written by others too often"):
        retrying(store, add_one)
    assert store.saves == RETRIES


def test_pauses_are_drawn_below_a_bound_that_doubles_up_to_a_cap() -> None:
    for attempt in range(RETRIES):
        bound = min(LONGEST_PAUSE, FIRST_PAUSE * 2**attempt)
        drawn = [pause_before_try(attempt) for _ in range(200)]
        assert all(0 <= p <= bound for p in drawn)
        # drawn at random, so two writers that lost together do not try again together
        assert len(set(drawn)) > 1
    assert min(LONGEST_PAUSE, FIRST_PAUSE * 2 ** (RETRIES - 1)) == LONGEST_PAUSE
