"""Helpers the unit tests share (offender records for the review views are in case_records.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from domain.clock import instant, parse_time
from domain.staff import StaffMember
from domain.values import Agency
from projections.alerts.policy import load_policy
from projections.alerts.rules import Breach, case_records
from projections.records import EntryRecord
from projections.rows import EVENT_CLASSES, is_risk_relevant


def constable() -> StaffMember:
    return StaffMember(
        staff_id="4521",
        name="Sam Reid",
        agency=Agency.POLICE,
        rank="PC",
        senior_grade=False,
        admin=False,
        area="Birmingham",
        since=date(2015, 1, 1),
        by="1001",
    )


# ------------------------------------------------------------------- alert rules, story by story

POLICY = load_policy()
PC = {"by": "4521", "agency": "police", "rank": "PC", "senior": False}
PC2 = {"by": "4600", "agency": "police", "rank": "PC", "senior": False}
INSPECTOR = {"by": "1001", "agency": "police", "rank": "Insp", "senior": True}
PROBATION = {"by": "7702", "agency": "probation", "rank": "PO", "senior": False}
SENIOR_PROBATION = {"by": "8801", "agency": "probation", "rank": "SPO", "senior": True}


def person(who: dict[str, Any]) -> dict[str, Any]:
    return {
        "staff": who["by"],
        "agency": who["agency"],
        "rank": who["rank"],
        "senior": who["senior"],
    }


class Story:
    """One offender's records, written as they happen."""

    def __init__(self) -> None:
        self.records: list[EntryRecord] = []
        self.id = uuid4()

    def add(self, type_: str, when: str, who: dict[str, Any] = PC, **data: Any) -> int:
        n = len(self.records) + 1
        occurred = parse_time(when)
        self.records.append(
            EntryRecord(
                offender_id=self.id,
                entry=n,
                position=n,
                type=type_,
                occurred_at=occurred,
                recorded_at=instant(occurred) + timedelta(hours=1),
                by=who["by"],
                agency=who["agency"],
                rank=who["rank"],
                senior=who["senior"],
                entered_by=who["by"],
                summary=str(data.get("summary", type_)),
                risk_relevant=is_risk_relevant(EVENT_CLASSES[type_], data),
                data=data,
            )
        )
        return n

    def register(self, when: str, who: dict[str, Any] = PC) -> int:
        return self.add(
            "Registered", when, who, ref="T-1", name="X", category=1, level=1, area="North"
        )

    def release(self, when: str, who: dict[str, Any] = PROBATION) -> int:
        return self.add("ReleasedOnLicence", when, who, licence_end="2030-01-01")

    def transfer(self, when: str, to: dict[str, Any], who: dict[str, Any] = INSPECTOR) -> int:
        return self.add("OwnershipTransferred", when, who, to_person=person(to), reason=None)

    def disclosure(self, when: str, who: dict[str, Any] = PROBATION) -> int:
        return self.add(
            "DisclosureRecorded", when, who, summary="thoughts", detail=None, risk_relevant=True
        )

    def acknowledge(self, when: str, who: dict[str, Any], *entries: int) -> int:
        return self.add("EntriesAcknowledged", when, who, entries=list(entries))

    def breaches(self, rule: Any) -> list[Breach]:
        return rule(case_records(self.records), POLICY)


def at(text: str) -> Any:
    return instant(parse_time(text))


def events_read_after(ledger: Any, monkeypatch: Any) -> list[Any]:
    """The version after which each read of the offender's events started (None: the start),
    recorded from here on."""
    reads: list[Any] = []
    event_store = ledger.repository.event_store
    read = event_store.get

    def recording_read(originator_id: Any, **options: Any) -> Any:
        reads.append(options.get("gt"))
        return read(originator_id, **options)

    monkeypatch.setattr(event_store, "get", recording_read)
    return reads
