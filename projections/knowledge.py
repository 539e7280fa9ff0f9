"""Who knew what, and since when: derived from the events, never typed in.

A person knows an item from the moment they made the contact or wrote the entry (`recorded`),
acknowledged it (`acknowledged`), had it shared with them or their agency, or shared it themselves
(`shared`: whoever passes an item on knows it), or attended a MAPPA meeting that discussed it
(`meeting`). An agency knows from the earliest moment any of its staff knew in one of those four
ways, or from when the item was shared with the agency itself.

Who made the contact (`by`) knew from when it occurred. Who typed the entry in (`entered_by`),
when that is someone else, did clerical work, not the case's: they are listed as having
`entered` it at the moment the ledger recorded it, and that never makes their agency know (an
administrator backfilling a probation officer's 2016 visit in 2026 does not make the police know
of it in 2026), nor discharges an owner's duty to know.

Events name the typist by staff id alone. Their agency is the one the staff directory gives
(`agencies`, from the callers that have it), else the one any of the offender's records gives
them (a member's agency is fixed at enrolment, so any record naming it names it for all time);
failing both it is None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.clock import ValidTime, chronological_key, instant
from domain.frozen import frozen
from projections.event_types import ENTRIES_ACKNOWLEDGED, ENTRIES_SHARED, MAPPA_MEETING_RECORDED
from projections.records import INFORMATIONAL_TYPES, EntryRecord

# How a typist who is not the record's maker is listed: clerical work, not knowledge.
ENTERED = "entered"


@frozen
class Knowing:
    """One way one person (or, for a share with an agency, one agency) came to know one item."""

    entry: int  # the item known
    staff: str | None  # None when shared with an agency as a whole
    agency: str | None  # None only for a typist whose agency nothing available names
    since: ValidTime  # valid time from which they knew
    how: str  # "recorded", "acknowledged", "shared", "meeting", or "entered" (not knowing)
    source: int  # the entry whose event made it known
    recorded_at: datetime  # when the ledger learned they knew

    @property
    def knows(self) -> bool:
        """Whether this is knowledge of the case; typing in someone else's record is not."""
        return self.how != ENTERED

    @property
    def since_instant(self) -> datetime:
        return instant(self.since)

    @property
    def order(self) -> tuple[Any, ...]:
        """Earliest first, as the timeline orders: on one day, a known time before a day alone."""
        return chronological_key(self.since, self.source)


def staff_agencies(records: Iterable[EntryRecord]) -> dict[str, str]:
    """Each staff member's agency, as the records name it: as the author of a record, or as
    the person a share, transfer, escalation, disagreement or meeting names."""
    found: dict[str, str] = {}
    for r in records:
        found.setdefault(r.by, r.agency)
        people = [r.data.get("with_person"), r.data.get("to_person")]
        attendees = r.data.get("attendees")
        if isinstance(attendees, list):
            people.extend(attendees)
        for person in people:
            if isinstance(person, dict):
                staff, agency = person.get("staff"), person.get("agency")
                if isinstance(staff, str) and isinstance(agency, str):
                    found.setdefault(staff, agency)
    return found


def knowings(
    records: Sequence[EntryRecord],
    only: set[int] | None = None,
    agencies: Mapping[str, str] | None = None,
) -> list[Knowing]:
    """Every way anyone came to know each informational item among `records` (of the items
    numbered in `only`, when given: the same knowings as filtering afterwards, made faster).

    Pass the records a view folds (`views.corrected_view`) so that corrected times, and only the
    acknowledgements and shares the ledger held then, count. A typist's knowing (from the
    recording time) may be later than a view's valid time: filter with `known_by`. `agencies`
    maps staff ids to agencies and places typists (the staff directory, or what the caller made
    of it); without it, the records' own `staff_agencies` do.
    """
    items = {r.entry for r in records if r.type in INFORMATIONAL_TYPES}
    if only is not None:
        items &= only
    found: list[Knowing] = []
    directory: dict[str, str] | None = None
    for r in records:
        if r.type in INFORMATIONAL_TYPES and r.entry in items:
            found.append(
                Knowing(r.entry, r.by, r.agency, r.occurred_at, "recorded", r.entry, r.recorded_at)
            )
            typist = r.entered_by
            if typist and typist != r.by:
                if directory is None:
                    directory = dict(agencies) if agencies is not None else staff_agencies(records)
                found.append(
                    Knowing(
                        r.entry,
                        typist,
                        directory.get(typist),
                        r.recorded_at,
                        ENTERED,
                        r.entry,
                        r.recorded_at,
                    )
                )
        if r.type == ENTRIES_ACKNOWLEDGED:
            found.extend(
                Knowing(e, r.by, r.agency, r.occurred_at, "acknowledged", r.entry, r.recorded_at)
                for e in r.data["entries"]
                if e in items
            )
        elif r.type == ENTRIES_SHARED:
            person = r.data.get("with_person")
            staff = person["staff"] if person else None
            agency = person["agency"] if person else r.data["with_agency"]
            for e in r.data["entries"]:
                if e in items:
                    found.append(
                        Knowing(e, staff, agency, r.occurred_at, "shared", r.entry, r.recorded_at)
                    )
                    # Who shared it knew it, whoever typed the share in.
                    found.append(
                        Knowing(e, r.by, r.agency, r.occurred_at, "shared", r.entry, r.recorded_at)
                    )
        elif r.type == MAPPA_MEETING_RECORDED:
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
    """For one item, the earliest knowing of each agency: never by typing it in (`entered`)."""
    first: dict[str, Knowing] = {}
    for k in found:
        if k.entry != entry or k.agency is None or not k.knows:
            continue
        current = first.get(k.agency)
        if current is None or k.order < current.order:
            first[k.agency] = k
    return first
