"""Who knew what, and since when: derived from the events, never typed in.

A person knows an item from the moment they made the contact or wrote the entry (`recorded`),
acknowledged it (`acknowledged`), had it shared with them or their agency (`shared`), or attended
a MAPPA meeting that discussed it (`meeting`). An agency knows from the earliest moment any of its
staff knew, or from when the item was shared with the agency itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.clock import ValidTime, chronological_key, instant
from projections.records import INFORMATIONAL_TYPES, EntryRecord

HOW = ("recorded", "acknowledged", "shared", "meeting")


@dataclass(frozen=True)
class Knowing:
    """One way one person (or, for a share with an agency, one agency) came to know one item."""

    entry: int  # the item known
    staff: str | None  # None when shared with an agency as a whole
    agency: str
    since: ValidTime  # valid time from which they knew
    how: str  # one of HOW
    source: int  # the entry whose event made it known
    recorded_at: datetime  # when the ledger learned they knew

    @property
    def since_instant(self) -> datetime:
        return instant(self.since)

    @property
    def order(self) -> tuple[Any, ...]:
        """Earliest first, as the timeline orders: on one day, a known time before a day alone."""
        return chronological_key(self.since, self.source)


def knowings(records: Sequence[EntryRecord], only: set[int] | None = None) -> list[Knowing]:
    """Every way anyone came to know each informational item among `records` (of the items
    numbered in `only`, when given: the same knowings as filtering afterwards, made faster).

    Pass the records a view folds (`views.corrected_view`) so that corrected times, and only the
    acknowledgements and shares the ledger held then, count.
    """
    items = {r.entry for r in records if r.type in INFORMATIONAL_TYPES}
    if only is not None:
        items &= only
    found: list[Knowing] = []
    for r in records:
        if r.type in INFORMATIONAL_TYPES and r.entry in items:
            found.append(
                Knowing(r.entry, r.by, r.agency, r.occurred_at, "recorded", r.entry, r.recorded_at)
            )
        if r.type == "EntriesAcknowledged":
            found.extend(
                Knowing(e, r.by, r.agency, r.occurred_at, "acknowledged", r.entry, r.recorded_at)
                for e in r.data["entries"]
                if e in items
            )
        elif r.type == "EntriesShared":
            person = r.data.get("with_person")
            staff = person["staff"] if person else None
            agency = person["agency"] if person else r.data["with_agency"]
            found.extend(
                Knowing(e, staff, agency, r.occurred_at, "shared", r.entry, r.recorded_at)
                for e in r.data["entries"]
                if e in items
            )
        elif r.type == "MappaMeetingRecorded":
            discussed = [e for e in r.data["discussed"] if e in items]
            if r.entry in items:
                discussed.append(r.entry)
            found.extend(
                Knowing(
                    e, a["staff"], a["agency"], r.occurred_at, "meeting", r.entry, r.recorded_at
                )
                for a in r.data["attendees"]
                for e in discussed
            )
    return found


def known_by(
    found: Iterable[Knowing], at: datetime | None = None, as_of: datetime | None = None
) -> list[Knowing]:
    """The knowings that had happened by valid time `at` and were recorded by `as_of`."""
    return [
        k
        for k in found
        if (at is None or k.since_instant <= at) and (as_of is None or k.recorded_at <= as_of)
    ]


def first_known_by_agency(found: Iterable[Knowing], entry: int) -> dict[str, Knowing]:
    """For one item, the earliest knowing of each agency."""
    first: dict[str, Knowing] = {}
    for k in found:
        if k.entry != entry:
            continue
        current = first.get(k.agency)
        if current is None or k.order < current.order:
            first[k.agency] = k
    return first
