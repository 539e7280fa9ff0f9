"""The domain's refusals speak of facts, not of one way of typing them.

Each names the fields it is about by their own names (`licence_end`, `occurred_at`) and lists
them in `fields`, so that the command line can spell them as its options and an import as its
keys; none names an option or a command of the command line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest

from domain.errors import DomainError
from domain.offender import Offender, check_birth_date
from domain.staff import Person, StaffMember, check_in_post, check_not_future
from domain.values import Agency, RecallChoice

SOM = Person(staff="4521", agency=Agency.POLICE, rank="PC", senior=False)
INSPECTOR = Person(staff="1001", agency=Agency.POLICE, rank="Insp", senior=True)


def registered() -> Offender:
    return Offender.register(
        "WMP-000999", "John Doe", date(1975, 3, 2), 1, 1, None, date(2016, 1, 1), SOM, "1001"
    )


def released() -> Offender:
    """Released on 2016-11-01 (#2) until 2018-11-01."""
    offender = registered()
    offender.release_on_licence(date(2016, 11, 1), SOM, "4521", date(2018, 11, 1))
    return offender


def recalled() -> Offender:
    """Released (#2), then a decision not to recall on 2017-06-01 (#3)."""
    offender = released()
    offender.decide_recall(date(2017, 6, 1), INSPECTOR, "1001", RecallChoice.NO_RECALL, "Fine")
    return offender


def left() -> StaffMember:
    member = StaffMember(
        staff_id="4521", name="Sam Reid", agency=Agency.POLICE, rank="PC", senior_grade=False,
        admin=False, area=None, since=date(2015, 1, 1), by="1001",
    )  # fmt: skip
    member.leave(date(2019, 7, 6), "1001")
    return member


def correct(
    offender: Offender,
    entry: int,
    summary: str | None = None,
    entry_occurred_at: date | None = None,
    licence_end: date | None = None,
) -> None:
    offender.correct(
        date(2017, 1, 1), INSPECTOR, "1001", entry, "Typed wrong", summary, entry_occurred_at,
        licence_end,
    )  # fmt: skip


REFUSALS: dict[str, tuple[Callable[[], None], tuple[str, ...]]] = {
    "born after the registration": (
        lambda: check_birth_date(date(2017, 1, 1), date(2016, 1, 1)),
        ("born", "occurred_at"),
    ),
    "born in the future": (
        lambda: check_birth_date(date(9999, 1, 1), date(2016, 1, 1)),
        ("born",),
    ),
    "a licence ending before its release": (
        lambda: registered().release_on_licence(date(2016, 11, 1), SOM, "4521", date(2016, 1, 1)),
        ("licence_end", "occurred_at"),
    ),
    "a second release on licence": (
        lambda: released().release_on_licence(date(2017, 1, 1), SOM, "4521", date(2019, 1, 1)),
        ("occurred_at",),
    ),
    "a recall decision off licence": (
        lambda: released().decide_recall(
            date(2016, 10, 1), INSPECTOR, "1001", RecallChoice.RECALL, "Breach"
        ),
        ("occurred_at",),
    ),
    "a correction that corrects nothing": (
        lambda: correct(registered(), 1),
        ("summary", "entry_occurred_at", "licence_end"),
    ),
    "an empty corrected summary": (
        lambda: correct(registered(), 1, summary="  "),
        ("summary",),
    ),
    "a licence end corrected on no release": (
        lambda: correct(registered(), 1, licence_end=date(2019, 1, 1)),
        ("licence_end",),
    ),
    "a licence end corrected to before a recall decision": (
        lambda: correct(recalled(), 2, licence_end=date(2017, 5, 31)),
        ("licence_end",),
    ),
    "a release moved after a recall decision on its licence": (
        lambda: correct(recalled(), 2, entry_occurred_at=date(2017, 6, 2)),
        ("entry_occurred_at",),
    ),
    "a recall decision moved after its licence": (
        lambda: correct(recalled(), 3, entry_occurred_at=date(2018, 11, 2)),
        ("entry_occurred_at",),
    ),
    "a release moved to its licence's end": (
        lambda: correct(released(), 2, entry_occurred_at=date(2018, 11, 1)),
        ("entry_occurred_at", "licence_end"),
    ),
    "a staff change in the future": (
        lambda: check_not_future(date(9999, 1, 1), "an enrolment"),
        ("since",),
    ),
    "a change of rank before the enrolment": (
        lambda: left().change_rank("PS", False, date(2010, 1, 1), "1001"),
        ("since",),
    ),
    "an author after they left": (
        lambda: check_in_post(left(), date(2020, 1, 1)),
        ("occurred_at", "by", "entered_by"),
    ),
}


@pytest.mark.parametrize("refusal", REFUSALS, ids=list(REFUSALS))
def test_a_refusal_names_its_fields_and_no_option_or_command(refusal):
    command, fields = REFUSALS[refusal]
    with pytest.raises(DomainError) as refused:
        command()
    message = str(refused.value)
    assert refused.value.fields == fields
    for field in fields:
        assert re.search(rf"\b{field}\b", message), (field, message)
    assert "--" not in message and "ledger" not in message, message
