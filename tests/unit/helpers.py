"""Helpers the unit tests share (offender records for the review views are in case_records.py)."""

from __future__ import annotations

from datetime import date

from domain.staff import StaffMember
from domain.values import Agency


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
