"""The unit of work: the aggregates a batch of commands touches, saved together or not at all.

Each aggregate is loaded once and changed in memory, so every command of a batch is judged against
everything before it, saved or not; then all of their new events go in ONE transaction. Should
someone else write to one of the same streams meanwhile, the save fails as a whole and the batch
is applied again to the fresh state (`retrying`), so a command that only adds still succeeds and
a rule whose outcome the other write changed is judged again (and may now refuse).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from domain.clock import ValidTime, london_date
from domain.errors import UnknownOffenderError, UnknownStaffError
from ledger.errors import ConcurrentWriteError

if TYPE_CHECKING:
    from domain.offender import Offender
    from domain.staff import Person, StaffMember

T = TypeVar("T")


class Store(Protocol):
    """What a unit of work needs of the ledger: its aggregates, and a save of several at once."""

    def get_staff(self, staff_ref: str) -> StaffMember: ...

    def get_offender(self, ref: str) -> Offender: ...

    def save(self, *aggregates: Any) -> Any: ...


# How often a batch is applied again after losing a race for one of its streams, and the longest
# pause between two tries. Pauses double from 5 ms up to the cap and each is drawn at random below
# its bound ("full jitter"), so writers that lost the same race do not meet again in step: with a
# fixed pause, four processes appending back to back to one offender lost eight races in a row.
RETRIES = 16
FIRST_PAUSE = 0.005
LONGEST_PAUSE = 0.25


def pause_before_try(attempt: int) -> float:
    """Seconds to wait before try `attempt + 1`, the first try being attempt 0."""
    return random.uniform(0, min(LONGEST_PAUSE, FIRST_PAUSE * 2**attempt))


class UnitOfWork:
    """The aggregates one batch touches, by reference and by staff id."""

    def __init__(self, app: Store) -> None:
        self.app = app
        self.offenders: dict[str, Offender] = {}
        self.staff: dict[str, StaffMember] = {}

    def member(self, staff_ref: str) -> StaffMember:
        if staff_ref not in self.staff:
            self.staff[staff_ref] = self.app.get_staff(staff_ref)
        return self.staff[staff_ref]

    def person(self, staff_ref: str, when: ValidTime) -> Person:
        """Who `staff_ref` was at `when`: agency, rank and seniority on that day."""
        return self.member(staff_ref).as_of(london_date(when))

    def staff_exists(self, staff_ref: str) -> bool:
        try:
            self.member(staff_ref)
        except UnknownStaffError:
            return False
        return True

    def offender(self, ref: str) -> Offender:
        if ref not in self.offenders:
            self.offenders[ref] = self.app.get_offender(ref)
        return self.offenders[ref]

    def offender_exists(self, ref: str) -> bool:
        try:
            self.offender(ref)
        except UnknownOffenderError:
            return False
        return True

    def add_staff(self, member: StaffMember) -> None:
        self.staff[member.staff_id] = member

    def add_offender(self, offender: Offender) -> None:
        self.offenders[offender.ref] = offender

    def commit(self) -> None:
        """Saves every new event of the batch in one transaction."""
        changed: list[Any] = [
            a for a in (*self.staff.values(), *self.offenders.values()) if a.pending_events
        ]
        if changed:
            self.app.save(*changed)


def retrying(app: Store, work: Callable[[UnitOfWork], T], *, save: bool = True) -> T:
    """Runs `work` on a fresh unit of work and commits it (unless `save` is false), again on
    fresh state whenever another write to one of its streams got there first."""
    from eventsourcing.persistence import IntegrityError

    for attempt in range(RETRIES):
        unit = UnitOfWork(app)
        result = work(unit)
        if not save:
            return result
        try:
            unit.commit()
        except IntegrityError:
            time.sleep(pause_before_try(attempt))
            continue
        return result
    raise ConcurrentWriteError(
        "the ledger is being written by others too often to save this; try again"
    )
