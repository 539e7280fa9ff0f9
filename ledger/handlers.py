"""The one way in for every write: each command (`ledger.commands`) to its domain method.

`handle` takes a batch (one command typed on the command line, or every line of an import), judges
who is acting, applies each command in order in one unit of work, checks each new event against the
entries it names, and saves the batch in one transaction, retrying as a whole after a lost race
(`ledger.unit_of_work`). A refusal names the command of the batch it came from (`index`), so that
an import can say which line.

Adding a recording command: its model in `ledger.commands`, its method on the aggregate, one line
in `HANDLERS`, one Typer function in `cli/recording.py`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.clock import ValidTime, london_date, parse_past_time, utc_now
from domain.errors import (
    DomainError,
    OffenderAlreadyRegisteredError,
    StaffAlreadyEnrolledError,
    UnknownStaffError,
)
from domain.frozen import frozen
from domain.values import Agency, parse_rank
from ledger import commands as c
from ledger.errors import MissingActorError
from ledger.unit_of_work import UnitOfWork, retrying

if TYPE_CHECKING:
    from domain.offender import Offender
    from domain.staff import Person
    from ledger.app import OffenderLedger


@frozen
class Act:
    """What a handler has to hand: the offender, who did it, who typed it in, when it happened,
    and the unit of work, for anyone else the command names (as they stood at `when`)."""

    offender: Offender
    author: Person
    typist: str
    when: ValidTime
    work: UnitOfWork

    def person(self, staff_ref: str) -> Person:
        return self.work.person(staff_ref, self.when)

    def recipient(self, name: str) -> tuple[Agency, Person | None]:
        """An agency named by its name, else the member of staff with that id."""
        agencies = {a.value: a for a in Agency}
        if name.lower() in agencies:
            return agencies[name.lower()], None
        person = self.person(name)
        return person.agency, person


def _share(command: c.Share, a: Act) -> None:
    agency, person = a.recipient(command.with_)
    a.offender.share(a.when, a.author, a.typist, command.entries, agency, person, command.means)


def _correct(command: c.Correct, a: Act) -> None:
    fixed = (
        parse_past_time(command.entry_occurred_at, field="entry_occurred_at")
        if command.entry_occurred_at is not None
        else None
    )
    a.offender.correct(
        a.when,
        a.author,
        a.typist,
        command.entry,
        command.reason,
        command.summary,
        fixed,
        command.licence_end,
    )


def _release(command: c.RecordRelease, a: Act) -> None:
    if command.no_licence:
        a.offender.release_without_licence(a.when, a.author, a.typist)
    else:
        a.offender.release_on_licence(a.when, a.author, a.typist, command.licence_end)


# Each recording command and what it does to the offender.
HANDLERS: dict[type[c.OffenderCommand], Callable[[Any, Act], None]] = {
    c.RecordRelease: _release,
    c.RecordCustody: lambda m, a: a.offender.take_into_custody(
        a.when, a.author, a.typist, m.reason, m.summary
    ),
    c.EndRegistration: lambda m, a: a.offender.end_registration(
        a.when, a.author, a.typist, m.reason, m.summary
    ),
    c.RecordDisclosure: lambda m, a: a.offender.record_disclosure(
        a.when, a.author, a.typist, m.summary, m.detail, m.risk_relevant
    ),
    c.RecordVisit: lambda m, a: a.offender.record_visit(
        a.when, a.author, a.typist, m.kind, m.outcome
    ),
    c.RecordEntry: lambda m, a: a.offender.record_entry(
        a.when, a.author, a.typist, m.summary, m.risk_relevant
    ),
    c.RecordConcern: lambda m, a: a.offender.record_concern(a.when, a.author, a.typist, m.summary),
    c.RecordAssessment: lambda m, a: a.offender.record_assessment(
        a.when, a.author, a.typist, m.tool, m.risk, m.summary
    ),
    c.RecordReview: lambda m, a: a.offender.record_review(a.when, a.author, a.typist, m.summary),
    c.RecordDecision: lambda m, a: a.offender.record_decision(
        a.when, a.author, a.typist, m.decision, m.rationale, list(m.about)
    ),
    c.RecordDisagreement: lambda m, a: a.offender.record_disagreement(
        a.when, a.author, a.typist, a.person(m.with_), m.summary
    ),
    c.RecordEscalation: lambda m, a: a.offender.record_escalation(
        a.when, a.author, a.typist, a.person(m.to), m.reason
    ),
    c.ReferToMappa: lambda m, a: a.offender.refer_to_mappa(
        a.when, a.author, a.typist, m.level, m.emergency, m.reason
    ),
    c.RecordMappaMeeting: lambda m, a: a.offender.record_mappa_meeting(
        a.when,
        a.author,
        a.typist,
        m.level,
        [a.person(i) for i in m.attendees],
        m.summary,
        list(m.discussed),
    ),
    c.DecideRecall: lambda m, a: a.offender.decide_recall(
        a.when, a.author, a.typist, m.decision, m.rationale
    ),
    c.Acknowledge: lambda m, a: a.offender.acknowledge(a.when, a.author, a.typist, list(m.entries)),
    c.Transfer: lambda m, a: a.offender.transfer(
        a.when, a.author, a.typist, a.person(m.to), m.reason
    ),
    c.Share: _share,
    c.Correct: _correct,
}


@frozen
class Handled:
    """What one command of a batch did: the offender it was about and the entry it made."""

    command: str
    ref: str | None
    entry: int | None
    # An enrolment into an empty ledger, which made its first administrator.
    bootstrap: bool = False


def handle(
    app: OffenderLedger,
    actor: str | None,
    commands: Sequence[c.Command],
    *,
    dry_run: bool = False,
) -> list[Handled]:
    """Applies every command in order, as `actor`, and saves all of them together (unless
    `dry_run`). A refusal is raised as it is, with `index` set to the command it came from.

    A batch that enrols staff into an empty ledger makes its first administrator: it is applied
    and saved holding the administrators' lock, so that of several first enrolments at once
    exactly one finds the ledger empty; the others are judged as later enrolments are."""
    now = utc_now()
    enrols = any(isinstance(command, c.EnrolStaff) for command in commands)
    first = enrols and app.is_empty()
    lock = app.administrators_lock() if first and not dry_run else contextlib.nullcontext()
    with lock:
        return retrying(
            app,
            lambda work: _apply_all(app, work, actor, commands, now, first=first),
            save=not dry_run,
        )


def _apply_all(
    app: OffenderLedger,
    work: UnitOfWork,
    actor: str | None,
    commands: Sequence[c.Command],
    now: datetime,
    *,
    first: bool,
) -> list[Handled]:
    # Judged again holding the lock: another first enrolment may have got there meanwhile.
    empty = first and app.is_empty()
    bootstrap = empty and isinstance(commands[0], c.EnrolStaff)
    typist = _typist(
        app, work, actor, commands, empty=empty, bootstrap=bootstrap, raced=first and not empty
    )
    done = []
    for index, command in enumerate(commands):
        try:
            if isinstance(command, c.EnrolStaff):
                done.append(_enrol(work, typist, command, bootstrap and index == 0, now))
            else:
                done.append(_record(app, work, typist, command, now))
        except DomainError as refusal:
            refusal.index = index
            raise
    return done


def _typist(
    app: OffenderLedger,
    work: UnitOfWork,
    actor: str | None,
    commands: Sequence[c.Command],
    *,
    empty: bool,
    bootstrap: bool,
    raced: bool,
) -> str | None:
    """Who is typing the batch in. The first enrolment into an empty ledger may be made by
    anyone (it makes the first administrator); what follows it in the same batch must be typed
    by the person it enrols. Otherwise an enrolment needs an administrator, and anything else a
    member of staff in post. `raced`: the ledger was empty, and another first enrolment filled
    it while this one waited for the lock."""
    if empty:
        if bootstrap and len(commands) == 1:
            return actor
        if not actor:
            raise MissingActorError
        if not bootstrap or actor != commands[0].staff_id:  # type: ignore[attr-defined]
            raise UnknownStaffError(actor)
        return actor
    if any(isinstance(command, c.EnrolStaff) for command in commands):
        app.check_enrolling_admin(actor, raced=raced)
    else:
        work.add_staff(app.check_actor(actor))
    return actor


def _enrol(
    work: UnitOfWork, typist: str | None, command: c.EnrolStaff, bootstrap: bool, now: datetime
) -> Handled:
    from domain.staff import StaffMember

    if work.staff_exists(command.staff_id):
        raise StaffAlreadyEnrolledError(command.staff_id)
    work.add_staff(
        StaffMember.enrol(
            staff_id=command.staff_id,
            name=command.name,
            agency=command.agency,
            rank=parse_rank(command.agency, command.rank),
            senior_grade=command.senior,
            admin=command.admin or bootstrap,
            area=command.area,
            since=command.since or london_date(now),
            by=typist,
        )
    )
    return Handled(command.command, None, None, bootstrap)


def _record(
    app: OffenderLedger, work: UnitOfWork, typist: str | None, command: Any, now: datetime
) -> Handled:
    """A command about an offender, by `command.by` (default: the typist) at its valid time."""
    from domain.offender import Offender

    when = parse_past_time(command.occurred_at, now)
    if typist is None:
        raise MissingActorError
    author = work.person(command.by or typist, when)
    if isinstance(command, c.RegisterOffender):
        if work.offender_exists(command.ref):
            raise OffenderAlreadyRegisteredError(command.ref)
        offender = Offender.register(
            command.ref,
            command.name,
            command.born,
            command.category,
            command.level,
            command.area,
            when,
            author,
            typist,
        )
        work.add_offender(offender)
        return Handled(command.command, command.ref, offender.version)
    offender = work.offender(command.ref)
    before = len(offender.pending_events)
    HANDLERS[type(command)](command, Act(offender, author, typist, when, work))
    for event in offender.pending_events[before:]:
        app.check_against_entries(offender, event)
    return Handled(command.command, command.ref, offender.version)
