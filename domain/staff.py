"""The staff directory: each staff member is a small event stream.

A decision needs the rank its author held *at the time*, so rank and area changes are dated events,
and any past day can be asked "what rank did they hold then?".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from domain.clock import check_day_not_future
from domain.errors import (
    DateOrderError,
    InvalidValueError,
    LeavingBeforeEntryError,
    StaffNotInPostError,
)
from domain.frozen import frozen
from domain.identity import staff_id as derive_staff_id
from domain.text import check_fields, check_new_reference
from domain.values import Agency, is_senior


def check_new_staff_id(staff_id: str) -> str:
    """A staff id as first enrolled: the form of a reference (`check_new_reference`), and not
    the name of an agency in any letter case, since a share names whom it is with by staff id or
    by agency, and takes an agency's name for the agency: a share with such a person would be
    recorded as one with the agency."""
    check_new_reference(staff_id, "staff id")
    agency = next((a for a in Agency if a.value.lower() == staff_id.lower()), None)
    if agency is not None:
        raise InvalidValueError(
            f"{staff_id!r} cannot be a staff id: it is the name of the agency {agency.value!r}, "
            f"and a share with {staff_id!r} would be with the agency, not the person; "
            "give another id (for police, the collar number)"
        )
    return staff_id


@frozen
class Person:
    """A staff member as they stood on one day: what events carry about an author or recipient."""

    staff: str
    agency: Agency
    rank: str
    senior: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "staff": self.staff,
            "agency": self.agency,
            "rank": self.rank,
            "senior": self.senior,
        }


@frozen
class LastInPost:
    """The latest day an offender's entry has a staff member in post, and that entry (`REF#N`)."""

    day: date
    entry: str


@frozen
class Post:
    """A rank held from a day (`since`) until the next change of rank, and whether it was held
    at a senior grade (`senior_grade`)."""

    since: date
    rank: str
    senior_grade: bool


class StaffMember(Aggregate):
    # The shape of its state, which snapshots keep. Version 2 keeps each rank held as a `Post`
    # instead of a positional list (`upcast_v1_v2`).
    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """A version 1 snapshot's state, as read back, in version 2: its posts were [since,
        rank, senior grade]."""
        state["_posts"] = [Post(*post) for post in state["_posts"]]

    class Event(Aggregate.Event):
        """Every staff event. Declared here, and every event below derives from it, so that the
        library uses these classes as written instead of defining a subclass of each."""

    class Enrolled(Event, Aggregate.Created):
        staff_id: str
        name: str
        agency: Agency
        rank: str
        senior_grade: bool
        admin: bool
        area: str | None
        since: date
        by: str | None

    class RankChanged(Event):
        rank: str
        senior_grade: bool
        since: date
        by: str

        def apply(self, staff: StaffMember) -> None:
            staff._posts.append(Post(self.since, self.rank, self.senior_grade))
            staff._posts.sort(key=lambda post: post.since)

    class AreaChanged(Event):
        area: str | None
        since: date
        by: str

        def apply(self, staff: StaffMember) -> None:
            staff.area = self.area
            staff.area_since = max(staff.area_since, self.since)

    class Left(Event):
        since: date
        by: str

        def apply(self, staff: StaffMember) -> None:
            staff.left_on = self.since

    def __init__(
        self,
        staff_id: str,
        name: str,
        agency: Agency,
        rank: str,
        senior_grade: bool,
        admin: bool,
        area: str | None,
        since: date,
        by: str | None,
    ) -> None:
        self.staff_id = staff_id
        self.name = name
        self.agency = agency
        self.admin = admin
        self.area = area
        self.enrolled_on = since
        self.left_on: date | None = None
        # The date of the newest area change (or the enrolment): an older one would contradict it.
        self.area_since = since
        # Every rank held, oldest first.
        self._posts: list[Post] = [Post(since, rank, senior_grade)]

    @staticmethod
    def create_id(staff_id: str, **_: Any) -> Any:
        return derive_staff_id(staff_id)

    @classmethod
    def enrol(cls, **fields: Any) -> StaffMember:
        """A new staff member, once the id and the text are known to be storable."""
        check_new_staff_id(fields["staff_id"])
        check_fields(fields)
        check_not_future(fields["since"], "an enrolment")
        return cls(**fields)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        check_fields(kwargs)
        super().trigger_event(event_class, **kwargs)

    @property
    def rank(self) -> str:
        return self._posts[-1].rank

    @property
    def senior_grade(self) -> bool:
        return self._posts[-1].senior_grade

    def change_rank(self, rank: str, senior_grade: bool, since: date, by: str) -> None:
        # A rank dated between earlier changes is a late entry and slots into the dated history.
        check_change_date(self, since, "a change of rank")
        self.trigger_event(
            self.RankChanged, rank=rank, senior_grade=senior_grade, since=since, by=by
        )

    def change_area(self, area: str | None, since: date, by: str) -> None:
        check_change_date(self, since, "a move of area")
        if since < self.area_since:
            # Only the current area is kept, so an older move would overwrite a newer one.
            raise DateOrderError(
                f"{self.staff_id} has a move of area dated {self.area_since.isoformat()} already, "
                f"so a move dated {since.isoformat()} would contradict it; give since on or "
                f"after {self.area_since.isoformat()}",
                fields=("since",),
            )
        self.trigger_event(self.AreaChanged, area=area, since=since, by=by)

    def leave(self, since: date, by: str, last_in_post: LastInPost | None = None) -> None:
        """Records that they left on `since` (the first day no longer in post). `last_in_post`:
        the latest entry in any offender's record that has them in post, None where there is
        none."""
        if self.left_on is not None:
            raise StaffNotInPostError(
                f"{self.staff_id} is already recorded as having left on "
                f"{self.left_on.isoformat()}; nothing more to record"
            )
        check_change_date(self, since, "a leaving")
        if since <= self.enrolled_on:
            raise DateOrderError(
                f"{self.staff_id} was enrolled on {self.enrolled_on.isoformat()}, so they cannot "
                f"have left on {since.isoformat()} (since is the first day no longer in post); "
                f"give since after {self.enrolled_on.isoformat()}",
                fields=("since",),
            )
        latest = max(self.area_since, *(post.since for post in self._posts))
        if since <= latest:
            raise DateOrderError(
                f"{self.staff_id} has a change of rank or area dated {latest.isoformat()}, so they "
                f"cannot have left on {since.isoformat()}; give since after {latest.isoformat()}",
                fields=("since",),
            )
        check_not_left_before(self, since, last_in_post)
        self.trigger_event(self.Left, since=since, by=by)

    def in_post_on(self, day: date) -> bool:
        return self.enrolled_on <= day and (self.left_on is None or day < self.left_on)

    def as_of(self, day: date) -> Person:
        """Who this person was on `day`: their agency, rank and seniority then."""
        check_in_post(self, day)
        held = self._posts[0]
        for post in self._posts:
            if post.since <= day:
                held = post
        return Person(
            staff=self.staff_id,
            agency=self.agency,
            rank=held.rank,
            senior=is_senior(self.agency, held.rank, held.senior_grade),
        )


def check_not_future(day: date, what: str, today: date | None = None) -> None:
    """Staff changes are recorded once they have happened: a date after today is refused."""
    advice = f"record {what} on or after the day it takes effect, with since {{today}} or earlier"
    check_day_not_future(day, "since", advice, today)


def check_change_date(staff: StaffMember, since: date, what: str) -> None:
    """A change is dated while the staff member is in post (enrolled, not yet left), not later than
    today."""
    check_not_future(since, what)
    if since < staff.enrolled_on:
        raise DateOrderError(
            f"{staff.staff_id} was enrolled on {staff.enrolled_on.isoformat()}, so {what} "
            f"cannot be dated {since.isoformat()}; give since on or after "
            f"{staff.enrolled_on.isoformat()}",
            fields=("since",),
        )
    if staff.left_on is not None and since >= staff.left_on:
        raise StaffNotInPostError(
            f"{staff.staff_id} left on {staff.left_on.isoformat()}, so {what} dated "
            f"{since.isoformat()} cannot be recorded; give since before "
            f"{staff.left_on.isoformat()}",
            fields=("since",),
        )


def check_not_left_before(staff: StaffMember, since: date, last: LastInPost | None) -> None:
    """A leaving must not contradict the record: every entry that has them in post (as its
    author, or someone it names) occurred before the day they left."""
    if last is None or since > last.day:
        return
    day = last.day.isoformat()
    raise LeavingBeforeEntryError(
        f"{staff.staff_id} is in post in {last.entry}, which occurred on {day}, so they cannot "
        f"have left on {since.isoformat()} (since is the first day no longer in post); give "
        f"since after {day}, or first correct the time of {last.entry}",
        fields=("since",),
    )


def check_named_in_post(staff: StaffMember, entry: str, day: date) -> None:
    """A correction moving `entry` to `day` keeps everyone it has in post in post that day."""
    if staff.in_post_on(day):
        return
    if day < staff.enrolled_on:
        why = f"was not enrolled until {staff.enrolled_on.isoformat()}"
    else:
        why = f"left on {staff.left_on.isoformat()}"  # type: ignore[union-attr]
    raise StaffNotInPostError(
        f"{entry} has {staff.staff_id} in post, who {why}, so it cannot have occurred on "
        f"{day.isoformat()}: check entry_occurred_at",
        fields=("entry_occurred_at",),
    )


def check_in_post(staff: StaffMember, day: date) -> None:
    if day < staff.enrolled_on:
        raise StaffNotInPostError(
            f"{staff.staff_id} was not enrolled until {staff.enrolled_on.isoformat()}, so their "
            f"rank on {day.isoformat()} is unknown; enrol them with since on or before that date",
            fields=("since",),
        )
    if staff.left_on is not None and day >= staff.left_on:
        left = staff.left_on.isoformat()
        raise StaffNotInPostError(
            f"{staff.staff_id} left on {left}, so was not in post on {day.isoformat()}: give a "
            f"time before {left} (occurred_at), or name someone in post (by; entered_by for who "
            "is typing)",
            fields=("occurred_at", "by", "entered_by"),
        )
