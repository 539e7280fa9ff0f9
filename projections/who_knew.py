"""Who knew what, and when, and who was responsible but had not read it: the reviewer's view.

For every informational item the view lists each person who knew it (their first way of knowing),
the earliest moment each agency knew it, and the owners who were responsible for it without
having come to know it. Who typed an entry in for someone else is listed as having `entered` it,
at the moment they wrote it (its recording time; see `projections.knowledge`), unless they also
knew it another way; entering is not knowing, so it neither makes their agency know nor
discharges an owner. An owner is responsible for an item from the moment it occurred or from
the start of their ownership, whichever is later, until their ownership ended (or the view's
moment); they discharge that responsibility by knowing it in their own person (writing,
acknowledging, a share with them by name or by them, a meeting). A share with their agency as a whole makes
the agency know but does not show that the owner read it, so it does not discharge the owner.

Both clocks apply as everywhere: `as_of` hides what the ledger had not recorded by then (items,
acknowledgements, shares, transfers and corrections alike), `at` what had not occurred by then.
A typist's knowing occurred when they wrote the entry, so at valid time `at` the typist of an item
recorded after `at` did not yet know it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from domain.clock import ValidTime, instant, iso, local_text
from domain.errors import DomainError, UnknownEntryError
from domain.frozen import frozen
from domain.values import Agency
from projections.event_types import REGISTERED
from projections.knowledge import (
    Knowing,
    first_known_by_agency,
    knowings,
    known_by,
    staff_agencies,
)
from projections.ownership import Period, current_owners, ownership_periods
from projections.records import INFORMATIONAL_TYPES, EntryRecord
from projections.views import (
    CorrectedRecord,
    NotOnRecordError,
    corrected_view,
    require_registration,
    said,
)

AGENCY_ORDER = {agency.value: i for i, agency in enumerate(Agency)}


class NotAnItemError(DomainError):
    """The entry asked about records an act (an acknowledgement, share, transfer or correction),
    not information anyone can know."""


@frozen
class Responsibility:
    """An owner who was responsible for an item and had not come to know it in their own person."""

    staff: str
    agency: str
    responsible_from: ValidTime
    responsible_to: ValidTime | None  # when their ownership ended; None if it had not by then
    ownership_entry: int  # the registration or transfer that made them owner


@frozen
class ItemKnowledge:
    item: CorrectedRecord
    agencies: dict[str, Knowing | None]  # every owning or knowing agency; None: did not know
    staff: tuple[Knowing, ...]  # each person's first way of knowing, earliest first
    responsible_not_acknowledged: tuple[Responsibility, ...]


@frozen
class WhoKnew:
    ref: str
    at: datetime | None
    as_of: datetime | None
    owners: dict[str, str]  # the owners for each agency at the view's moment
    items: tuple[ItemKnowledge, ...]

    @property
    def agencies(self) -> list[str]:
        """Every agency any item names, in the fixed agency order: the matrix's columns."""
        names = {a for item in self.items for a in item.agencies} | set(self.owners)
        return sorted(names, key=_agency_key)


def _agency_key(agency: str) -> tuple[int, str]:
    return (AGENCY_ORDER.get(agency, len(AGENCY_ORDER)), agency)


def _later(a: ValidTime, b: ValidTime) -> ValidTime:
    return a if instant(a) >= instant(b) else b


def who_knew(
    records: Sequence[EntryRecord],
    *,
    at: datetime | None = None,
    as_of: datetime | None = None,
    entry: int | None = None,
    agencies: Mapping[str, str] | None = None,
) -> WhoKnew:
    """Who knew each informational item (or only `entry`) at valid time `at`, as the ledger
    stood at transaction time `as_of`. Refuses when the offender or the entry was not on record
    then, naming the clock that hid it. `agencies` (staff id to agency, the staff directory)
    places typists whom no record of this offender places."""
    registration = require_registration(records, _ref(records), as_of=as_of, at=at)
    ref = str(registration.data["ref"])
    view = corrected_view(records, as_of=as_of, at=at)
    if entry is not None:
        _check_entry(records, view, ref, entry, at=at, as_of=as_of)
    facts = [c.record for c in view]
    # Every fact is already within both clocks, and so is every knowing derived from them but a
    # typist's: they knew from when they wrote the entry, which may be after `at`. Agencies are
    # placed from every record: a member's agency never changes.
    directory = staff_agencies(records) | dict(agencies or {})
    by_item: dict[int, list[Knowing]] = defaultdict(list)
    for k in known_by(knowings(facts, agencies=directory), at=at):
        by_item[k.entry].append(k)
    periods = ownership_periods(facts)
    owners = current_owners(periods)
    items = tuple(
        _item(c, by_item.get(c.record.entry, []), periods, owners, at)
        for c in view
        if c.record.type in INFORMATIONAL_TYPES and (entry is None or c.record.entry == entry)
    )
    return WhoKnew(ref=ref, at=at, as_of=as_of, owners=owners, items=items)


def _ref(records: Sequence[EntryRecord]) -> str:
    registration = next((r for r in records if r.type == REGISTERED), None)
    return str(registration.data["ref"]) if registration else "the offender"


def _check_entry(
    records: Sequence[EntryRecord],
    view: Sequence[CorrectedRecord],
    ref: str,
    entry: int,
    *,
    at: datetime | None,
    as_of: datetime | None,
) -> None:
    everything = {r.entry: r for r in records}
    if entry not in everything:
        raise UnknownEntryError(ref, entry)
    seen = {c.record.entry: c.record for c in view}
    if entry not in seen:
        held = {c.record.entry: c.record for c in corrected_view(records, as_of=as_of)}
        if entry not in held:
            raise NotOnRecordError(
                f"{ref}#{entry} was recorded at {said(everything[entry].recorded_at)}, after "
                f"--as-of {said(as_of)}; ask with a later --as-of"
            )
        raise NotOnRecordError(
            f"{ref}#{entry} occurred at {local_text(held[entry].occurred_at)}, after --at {said(at)}; "
            "ask with a later --at"
        )
    if seen[entry].type not in INFORMATIONAL_TYPES:
        raise NotAnItemError(
            f"{ref}#{entry} records an act ({seen[entry].type}), not information anyone can "
            "know; ask about the entry it concerns"
        )


def _item(
    item: CorrectedRecord,
    found: Sequence[Knowing],
    periods: Sequence[Period],
    owners: dict[str, str],
    at: datetime | None,
) -> ItemKnowledge:
    first_by_agency = first_known_by_agency(found, item.record.entry)
    agencies: dict[str, Knowing | None] = {a: None for a in owners}
    agencies.update(first_by_agency)
    first_by_staff: dict[str, Knowing] = {}
    # Each person's first knowing; a typist who never knew it otherwise, by their entering.
    for k in sorted(found, key=lambda k: (not k.knows, k.order)):
        if k.staff is not None:
            first_by_staff.setdefault(k.staff, k)
    staff = sorted(first_by_staff.values(), key=lambda k: k.order)
    return ItemKnowledge(
        item=item,
        agencies=dict(sorted(agencies.items(), key=lambda pair: _agency_key(pair[0]))),
        staff=tuple(staff),
        responsible_not_acknowledged=tuple(_unread_by_owners(item.record, found, periods, at)),
    )


def _unread_by_owners(
    record: EntryRecord, found: Sequence[Knowing], periods: Sequence[Period], at: datetime | None
) -> list[Responsibility]:
    """The owners who, during their ownership after the item occurred, never knew it."""
    occurred = instant(record.occurred_at)
    unread: list[Responsibility] = []
    for p in periods:
        if p.end is not None and instant(p.end) <= occurred:
            continue  # their ownership ended before the item existed
        deadline = instant(p.end) if p.end is not None else at
        knew = any(
            k.staff == p.staff and k.knows and (deadline is None or k.since_instant <= deadline)
            for k in found
        )
        if not knew:
            unread.append(
                Responsibility(
                    staff=p.staff,
                    agency=p.agency,
                    responsible_from=_later(record.occurred_at, p.start),
                    responsible_to=p.end,
                    ownership_entry=p.start_entry,
                )
            )
    return unread


# ------------------------------------------------------------------------------------- JSON


def _knowing_json(k: Knowing, names: Mapping[str, str]) -> dict[str, Any]:
    return {
        "staff": k.staff,
        "name": names.get(k.staff) if k.staff else None,
        "agency": k.agency,
        "since": iso(k.since),
        "how": k.how,
        "source": k.source,
        "recorded_at": iso(k.recorded_at),
    }


def who_knew_json(view: WhoKnew, names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The contract's `who-knew` document, with the owners and the unacknowledged beside it, and
    each entry's label and each person's name (`names`: staff id to name) beside their ids."""
    from projections.labels import label

    names = names or {}
    return {
        "ref": view.ref,
        "at": iso(view.at),
        "as_of": iso(view.as_of),
        "owners": view.owners,
        "items": [
            {
                "entry": i.item.record.entry,
                "type": i.item.record.type,
                "label": label(i.item.record.type, i.item.record.data, names),
                "summary": i.item.record.summary,
                "occurred_at": iso(i.item.record.occurred_at),
                "recorded_at": iso(i.item.record.recorded_at),
                "by": i.item.record.by,
                "by_name": names.get(i.item.record.by),
                "agency": i.item.record.agency,
                "risk_relevant": i.item.record.risk_relevant,
                "corrected": i.item.corrected,
                "agencies": {a: (iso(k.since) if k else None) for a, k in i.agencies.items()},
                # How each agency first knew: through which person (null for a share with the
                # agency as a whole), how, and by which entry.
                "agencies_how": {
                    a: (_knowing_json(k, names) if k else None) for a, k in i.agencies.items()
                },
                "staff": [_knowing_json(k, names) for k in i.staff],
                "responsible_not_acknowledged": [
                    {
                        "staff": r.staff,
                        "name": names.get(r.staff),
                        "agency": r.agency,
                        "responsible_from": iso(r.responsible_from),
                        "responsible_to": iso(r.responsible_to),
                        "ownership_entry": r.ownership_entry,
                    }
                    for r in i.responsible_not_acknowledged
                ],
            }
            for i in view.items
        ],
    }
