"""Hand-made offender records for pure tests of the review views: one `Case` is one offender's
stream, written entry by entry as the read side would hold it, with the recording time chosen."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.clock import ValidTime
from projections.records import EntryRecord

OFFENDER = UUID("00000000-0000-0000-0000-000000000123")
# Everything is written up years later unless a test says when it was recorded.
WRITTEN_UP = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

AGENCY_OF = {"1001": "police", "4521": "police", "4633": "police", "7702": "probation"}
AGENCY_OF |= {"8801": "probation", "9901": "health"}


def person(staff: str) -> dict[str, Any]:
    return {"staff": staff, "agency": AGENCY_OF[staff], "rank": "PC", "senior": False}


class Case:
    def __init__(self) -> None:
        self.records: list[EntryRecord] = []

    def add(
        self,
        type_: str,
        when: ValidTime,
        by: str,
        recorded: datetime | None = None,
        line: str = "",
        **data: Any,
    ) -> int:
        entry = len(self.records) + 1
        self.records.append(
            EntryRecord(
                offender_id=OFFENDER,
                entry=entry,
                position=entry,
                type=type_,
                occurred_at=when,
                recorded_at=recorded or WRITTEN_UP + timedelta(minutes=entry),
                by=by,
                agency=AGENCY_OF[by],
                rank="PC",
                senior=False,
                entered_by=by,
                summary=line or type_,
                risk_relevant=type_ == "DisclosureRecorded",
                data=data,
            )
        )
        return entry

    def register(self, by: str, when: ValidTime, **kw: Any) -> int:
        facts = {"ref": "WMP-000123", "name": "John Doe", "born": "1975-03-02", "category": 1}
        return self.add("Registered", when, by, **kw, **facts, level=1, area="Birmingham")

    def transfer(
        self, by: str, to: str, when: ValidTime, reason: str | None = None, **kw: Any
    ) -> int:
        return self.add(
            "OwnershipTransferred",
            when,
            by,
            **kw,
            to_person=person(to),
            previous=None,
            reason=reason,
        )

    def disclosure(self, by: str, when: ValidTime, summary: str, **kw: Any) -> int:
        return self.add("DisclosureRecorded", when, by, line=summary, summary=summary, **kw)

    def acknowledge(self, by: str, entries: list[int], when: ValidTime, **kw: Any) -> int:
        return self.add("EntriesAcknowledged", when, by, entries=entries, **kw)

    def share(self, by: str, entries: list[int], when: ValidTime, with_: str, **kw: Any) -> int:
        if with_ in AGENCY_OF:
            agency, whom = AGENCY_OF[with_], person(with_)
        else:
            agency, whom = with_, None
        return self.add(
            "EntriesShared",
            when,
            by,
            entries=entries,
            with_agency=agency,
            with_person=whom,
            means="email",
            **kw,
        )

    def meeting(
        self, by: str, when: ValidTime, attendees: list[str], discussed: list[int], **kw: Any
    ) -> int:
        return self.add(
            "MappaMeetingRecorded",
            when,
            by,
            level=2,
            attendees=[person(a) for a in attendees],
            summary="MAPPA level 2 meeting",
            discussed=discussed,
            **kw,
        )

    def correct(
        self,
        by: str,
        entry: int,
        reason: str,
        summary: str | None = None,
        entry_occurred_at: str | None = None,
        **kw: Any,
    ) -> int:
        return self.add(
            "EntryCorrected",
            kw.pop("when", date(2016, 12, 1)),
            by,
            entry=entry,
            reason=reason,
            summary=summary,
            entry_occurred_at=entry_occurred_at,
            **kw,
        )


def at(text: str) -> datetime:
    """A moment given as ISO text with an offset (tests say exactly which instant they mean)."""
    return datetime.fromisoformat(text).astimezone(UTC)
