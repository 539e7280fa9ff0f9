"""The ledger's application: the event store, and the reads and checks that commands need.

Every write comes in as a command (`ledger.commands`) through `ledger.handlers.handle`, which
names the actor (who typed it) and `by` (who made the contact; default the actor). The rank an
event carries is the one `by` held on the day the event occurred. The staff directory's own
changes (rank, area, leaving) are the methods here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from itertools import chain
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic

from domain.clock import ValidTime, london_date, utc_now
from domain.errors import (
    LastAdministratorError,
    NotAuthorisedError,
    UnknownOffenderError,
    UnknownStaffError,
)
from domain.identity import offender_id, staff_id
from domain.staff import LastInPost, Person, StaffMember, check_in_post, check_named_in_post
from ledger.errors import MissingActorError
from ledger.integrity import author
from ledger.locks import administrators_lock
from ledger.snapshots import CurrentSnapshots
from ledger.transcodings import register_domain_transcodings

if TYPE_CHECKING:
    from domain.offender import Offender

# The aggregate whose snapshots are taken, by topic: naming its class would import it, and with it
# the classes of all its events, which a read (it never saves) has no use for.
OFFENDER_TOPIC = "domain.offender:Offender"


class OffenderLedger(Application[UUID]):
    name = "ledger"
    # Appending costs the same whatever the history: at most 50 events replay on top of a snapshot
    # (`_take_snapshots`, which reads these intervals; the library's own are left empty).
    is_snapshotting_enabled = True
    snapshot_intervals: ClassVar[dict[str, int]] = {OFFENDER_TOPIC: 50}

    def construct_repository(self) -> Repository[UUID]:
        """The library's repository, reading only snapshots of the aggregate's current shape."""
        repository = super().construct_repository()
        if repository.snapshot_store is not None:
            repository.snapshot_store = CurrentSnapshots(repository.snapshot_store)
        return repository

    def register_transcodings(self, transcoder: Transcoder) -> None:
        super().register_transcodings(transcoder)
        register_domain_transcodings(transcoder)

    # ------------------------------------------------------------------------------------ staff

    def check_enrolling_admin(self, actor: str | None, *, raced: bool = False) -> None:
        """`check_admin` for an enrolment: someone not in the directory is not an administrator
        either. `raced`: the enrolment found the ledger empty, and then, holding the lock, found
        that another enrolment had made its first administrator meanwhile."""
        try:
            self.check_admin(actor)
        except (UnknownStaffError, NotAuthorisedError, MissingActorError) as refusal:
            if not raced and not isinstance(refusal, UnknownStaffError):
                raise
            why = (
                "another enrolment made this ledger's first administrator just now, so this is "
                "no longer the first enrolment"
                if raced
                else "no staff member has that id"
            )
            raise NotAuthorisedError(
                f"{actor or 'the actor'} is not an administrator ({why}): only an administrator "
                "may enrol staff; ask one to run it ('ledger --as ADMIN_ID staff add ...')"
            ) from None

    def change_rank(
        self, actor: str | None, staff_ref: str, rank: str, senior_grade: bool, since: date
    ) -> None:
        admin = self.check_admin(actor)
        self._update_staff(staff_ref, lambda m: m.change_rank(rank, senior_grade, since, admin))

    def change_area(self, actor: str | None, staff_ref: str, area: str | None, since: date) -> None:
        admin = self.check_admin(actor)
        self._update_staff(staff_ref, lambda m: m.change_area(area, since, admin))

    def staff_leaves(self, actor: str | None, staff_ref: str, since: date) -> None:
        """Records a leaving; refused when it would leave no administrator in post.

        Administrators are only ever made at enrolment (`--admin`, or the bootstrap enrolment), so
        the ledger has one for as long as one of them is in post. The leaving of an administrator
        is checked and saved while holding a lock that every such leaving takes (a PostgreSQL
        advisory lock; on SQLite, a lock file beside the database), so two administrators leaving
        at once cannot both see the other still in post.
        """
        admin = self.check_admin(actor)
        leaving = self.get_staff(staff_ref)
        last_in_post = self.last_in_post(leaving.staff_id)
        if not leaving.admin:
            self._update_staff(staff_ref, lambda m: m.leave(since, admin, last_in_post))
            return

        def leave_keeping_an_administrator(member: StaffMember) -> None:
            member.leave(since, admin, last_in_post)
            today = london_date(utc_now())
            if not any(a != member.staff_id for a in self.administrators_in_post(today)):
                raise LastAdministratorError(
                    f"{member.staff_id} is the only administrator in post, and without one nobody "
                    "could enrol staff again; enrol another administrator first ('ledger staff "
                    f"add ... --admin'), then record that {member.staff_id} has left"
                )

        with self.administrators_lock():
            self._update_staff(staff_ref, leave_keeping_an_administrator)

    def last_in_post(self, staff: str) -> LastInPost | None:
        """The latest entry of any offender that has `staff` in post (`people_in_post`), by the
        London day it occurred as corrected; None where there is none. Read from the event log
        itself: every event is read, a scan made only when someone leaves.

        A recording naming them that commits after the scan and before the leaving is saved is
        not seen: the recording checked them in post against the directory as it stood."""
        from domain.offender import Offender, people_in_post

        refs: dict[UUID, str] = {}
        times: dict[tuple[UUID, int], ValidTime] = {}
        for event in self._log():
            if not isinstance(event, Offender.Event):
                continue
            offender = event.originator_id
            if isinstance(event, Offender.Registered):
                refs[offender] = event.ref
            if staff in people_in_post(event):
                occurred: ValidTime = event.occurred_at  # type: ignore[attr-defined]
                times[offender, event.originator_version] = occurred
            if (
                isinstance(event, Offender.EntryCorrected)
                and event.entry_occurred_at is not None
                and (offender, event.entry) in times
            ):
                times[offender, event.entry] = event.entry_occurred_at
        if not times:
            return None
        (offender, entry), when = max(times.items(), key=lambda item: london_date(item[1]))
        return LastInPost(london_date(when), f"{refs[offender]}#{entry}")

    def _log(self, topics: Sequence[str] = ()) -> Iterator[DomainEventProtocol[UUID]]:
        """Every event of the ledger in commit order (only those of `topics`, if given), read and
        decoded a page at a time: a scan, for the rare commands that must see the whole log."""
        after = 0
        while page := self.recorder.select_notifications(
            start=after, limit=1000, topics=topics, inclusive_of_start=False
        ):
            yield from (self.mapper.to_domain_event(n) for n in page)
            after = page[-1].id

    def administrators_in_post(self, day: date) -> list[str]:
        """The staff ids of the administrators in post on `day`, read from the event log itself
        (every enrolment is read: a scan, made only when an administrator leaves)."""
        enrolments = self._log(topics=[get_topic(StaffMember.Enrolled)])
        admins = [str(getattr(e, "staff_id", "")) for e in enrolments if getattr(e, "admin", False)]
        return [a for a in admins if self.get_staff(a).in_post_on(day)]

    def get_staff(self, staff_ref: str) -> StaffMember:
        try:
            return self.repository.get(staff_id(staff_ref))
        except AggregateNotFoundError:
            raise UnknownStaffError(staff_ref) from None

    def person(self, staff_ref: str, when: ValidTime) -> Person:
        """Who `staff_ref` was at `when`: agency, rank and seniority on that day."""
        return self.get_staff(staff_ref).as_of(london_date(when))

    def check_actor(self, actor: str | None) -> StaffMember:
        """The actor must be enrolled and in post today."""
        if not actor:
            raise MissingActorError
        member = self.get_staff(actor)
        check_in_post(member, london_date(utc_now()))
        return member

    def check_admin(self, actor: str | None) -> str:
        member = self.check_actor(actor)
        if not member.admin:
            raise NotAuthorisedError(
                f"{member.staff_id} is not an administrator; only staff enrolled with --admin "
                "may enrol staff or change their rank or area"
            )
        return member.staff_id

    # -------------------------------------------------------------------------------- offenders

    def get_offender(self, ref: str) -> Offender:
        try:
            return self.repository.get(offender_id(ref))
        except AggregateNotFoundError:
            raise UnknownOffenderError(ref) from None

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """Snapshots each aggregate whose save crossed a multiple of its interval, in one write.

        The library rebuilds each snapshot by reading the stream back and writes it in a
        transaction of its own, once per multiple crossed; a batched save of thousands of
        events spent most of its time there. The aggregate in hand is the state just saved
        (state changes only by applying its events), so it is snapshotted as it stands, at its
        newest version, and every snapshot of one save goes in one transaction.
        """
        if self.snapshots is None:
            return
        due: dict[UUID, Any] = {}
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshot_intervals.get(get_topic(type(aggregate)))
            if interval and event.originator_version % interval == 0:
                due[event.originator_id] = aggregate
        if due:
            self.snapshots.put(
                [
                    getattr(type(a), "Snapshot", type(self).snapshot_class).take(a)
                    for a in due.values()
                ]
            )

    # --------------------------------------------------------------------------- the event log

    def check_against_entries(self, offender: Offender, event: Any) -> None:
        """Checks a new event against the entries it names. Refuses an acknowledgement or share
        of an entry that records an act rather than information; an event dated before an entry
        it is about (a recall decision: the release whose licence it decides on); and a
        correction that moves an entry out of order with what it is about or what follows from
        it. Those entries are read one by one (by stream and version, through the index), or
        taken from the offender's events not yet saved (found by their number, not searched
        for: an import of many events to one offender checks each in constant time), so the
        check costs the same whatever the length of the history."""
        from domain.offender import Offender, check_about_information, check_not_before

        read: dict[int, Any] = {}
        if isinstance(event, Offender.EntryCorrected) and event.entry_occurred_at is not None:
            self._check_corrected_time(offender, event, read)
        numbers = offender.referred_entries(event)
        if not numbers:
            return
        if isinstance(event, Offender.EntriesAcknowledged | Offender.EntriesShared):
            named = {n: self._entry(offender, n, read) for n in numbers}
            check_about_information(offender.ref, event, named)
        referred = [(n, self._occurred(offender, n, read)) for n in numbers]
        check_not_before(offender.ref, event.occurred_at, referred)

    def _check_corrected_time(
        self, offender: Offender, correction: Any, read: dict[int, Any]
    ) -> None:
        """Refuses a corrected time that puts an entry before what it is about, or after what is
        about it, or on a day when someone it has in post (`people_in_post`) was not. Finding
        what is about it reads the stream from the entry on: it costs as the history after the
        entry, and only a correction of a time pays it."""
        from domain.offender import check_correction_in_order, people_in_post

        number = correction.entry
        entry = self._entry(offender, number, read)
        referred = [
            (n, self._occurred(offender, n, read)) for n in offender.referred_entries(entry)
        ]
        pending = offender.pending_events
        first = pending[0].originator_version if pending else number + 1
        unsaved_after = pending[max(0, number + 1 - first) :]
        later = chain(self.events.get(offender.id, gt=number), unsaved_after)
        referred_by = [
            (e.originator_version, self._occurred(offender, e.originator_version, read))
            for e in later
            if number in offender.referred_entries(e)
        ]
        check_correction_in_order(
            offender.ref, number, correction.entry_occurred_at, referred, referred_by
        )
        day = london_date(correction.entry_occurred_at)
        for staff in dict.fromkeys(people_in_post(entry)):
            check_named_in_post(self.get_staff(staff), f"{offender.ref}#{number}", day)

    def _occurred(self, offender: Offender, number: int, read: dict[int, Any]) -> ValidTime:
        """When entry `number` occurred, as corrected."""
        corrected = offender.corrected_times.get(str(number))
        if corrected is not None:
            return corrected
        occurred: ValidTime = self._entry(offender, number, read).occurred_at
        return occurred

    def _entry(self, offender: Offender, number: int, read: dict[int, Any]) -> Any:
        """Entry `number`: one of the offender's events not yet saved (they are numbered one
        after another), one already `read`, or read alone through the index (and kept in
        `read`)."""
        pending = offender.pending_events
        if pending:
            index = number - pending[0].originator_version
            if 0 <= index < len(pending):
                return pending[index]
        if number not in read:
            (read[number],) = self.events.get(offender.id, gt=number - 1, lte=number)
        return read[number]

    def is_empty(self) -> bool:
        return not self.recorder.max_notification_id()

    def head(self) -> int:
        """The position of the newest event in the ledger (0 when empty)."""
        return self.recorder.max_notification_id() or 0

    def prepare_for_long_read(self) -> None:
        """Before much of the log is read at once (a rebuild, a catch-up of a long backlog): on
        PostgreSQL, the event tables are vacuumed and analyzed if many rows came since they last
        were (`ChainedPostgresRecorder.refresh_after_bulk_writes`); elsewhere, nothing."""
        refresh = getattr(self.recorder, "refresh_after_bulk_writes", None)
        if refresh is not None:
            refresh()

    def read_events(
        self, after: int, limit: int, stop: int | None = None
    ) -> list[tuple[int, DomainEventProtocol[UUID]]]:
        """A page of the ledger's events in commit order, after position `after`, each checked
        against its hash-chain link before it is decoded: the page ends before the first event
        that does not match, and a page that would begin with it raises `TamperedEventError`
        (so a projection applies everything before an altered event, and never the event)."""
        from ledger.integrity import first_unlinked

        notifications = self.recorder.select_notifications(
            start=after, limit=limit, stop=stop, inclusive_of_start=False
        )
        chain: dict[int, Any] = {}
        if notifications:
            chain = self.recorder.chain_after(after, notifications[-1].id)  # type: ignore[attr-defined]
            bad = first_unlinked(
                [
                    (n.id, _uuid(n.originator_id), n.originator_version, n.topic, n.state)
                    for n in notifications
                ],
                chain,
            )
            if bad is not None:
                if bad == 0:
                    n = notifications[0]
                    raise self._tampered(n.id, _uuid(n.originator_id), n.originator_version)
                notifications = notifications[:bad]
        events = [(n.id, self.mapper.to_domain_event(n)) for n in notifications]
        for index, (position, event) in enumerate(events):
            # A v2 link names the event's author: an event naming someone else was forged.
            _, row = chain[position]
            if row[6] is not None and row[7] != author(event):
                if index == 0:
                    n = notifications[0]
                    raise self._tampered(n.id, _uuid(n.originator_id), n.originator_version)
                return events[:index]
        return events

    def _record(self, processing_event: Any) -> Any:
        """Records as the library does, telling the recorder each event's author first: a v2
        link names the staff member the event names (`ledger.integrity.links_for`)."""
        authors = getattr(self.recorder, "authors", None)
        if authors is None:
            return super()._record(processing_event)
        authors.update(
            {(e.originator_id, e.originator_version): author(e) for e in processing_event.events}
        )
        try:
            return super()._record(processing_event)
        finally:
            authors.clear()

    def check_stream(self, ref: str) -> None:
        """Checks every stored event of offender `ref` against its hash-chain link, and that
        none is missing; raises `TamperedEventError` naming the first that does not match."""
        from ledger.integrity import first_unlinked

        oid = offender_id(ref)
        events, chain = self.recorder.stream_links(oid)  # type: ignore[attr-defined]
        for index, (position, _, version, _, _) in enumerate(events):
            if version != index + 1:  # one removed before it
                raise self._tampered(position, oid, index + 1, ref)
        bad = first_unlinked(events, chain)
        if bad is not None:
            position, _, version, _, _ = events[bad]
            raise self._tampered(position, oid, version, ref)

    def stream_name(self, oid: UUID) -> str | None:
        """A stream's name from its first event: REF for an offender, `staff ID` for a member
        of staff; None when that event cannot be read (tampered or erased beyond decoding: the
        stream id still locates it)."""
        try:
            first = self.recorder.select_events(oid, limit=1)
            if not first:
                return None
            event = self.mapper.to_domain_event(first[0])
        except Exception:
            # Tampered or erased beyond decoding: the stream id still locates it.
            return None
        ref = getattr(event, "ref", None)
        if isinstance(ref, str):
            return ref
        staff = getattr(event, "staff_id", None)
        return f"staff {staff}" if isinstance(staff, str) else None

    def _tampered(
        self, position: int, oid: UUID, version: int, ref: str | None = None
    ) -> Exception:
        from ledger.integrity import TamperedEventError

        error = TamperedEventError(position, oid, version)
        name = ref or self.stream_name(oid)
        if name is not None:
            error.ref = f"{name}#{version}"
        return error

    def offender_events(self, ref: str) -> Sequence[DomainEventProtocol[UUID]]:
        return list(self.events.get(offender_id(ref)))

    # -------------------------------------------------------------------------------- internals

    def administrators_lock(self) -> contextlib.AbstractContextManager[None]:
        """Held across reading who the administrators are and saving a change to them: an
        administrator's leaving, and the first enrolment, which makes the first one."""
        return administrators_lock(self.recorder)

    def _update_staff(self, staff_ref: str, command: Callable[[StaffMember], None]) -> None:
        from ledger.unit_of_work import retrying

        retrying(self, lambda work: command(work.member(staff_ref)))


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))
