"""The offender aggregate: one event stream per offender, one event per thing recorded.

Each event is a published schema, stored forever: its fields are declared here explicitly, and a
change of shape ships only with `class_version` and an upcaster. Every event carries its valid time
(`occurred_at`), who made the contact (`by`), that person's agency, rank and seniority at that
moment, and who typed it in (`entered_by`). The library's own `timestamp` is the recording time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate

from domain.clock import (
    ValidTime,
    check_day_not_future,
    chronological_key,
    local_text,
    london_date,
)
from domain.custody import CustodyOrderBreach, MoveKey, MoveKind, new_breaches
from domain.errors import (
    AlreadyAcknowledgedError,
    AlreadyInCustodyError,
    AlreadyOnLicenceError,
    AlreadyOwnerError,
    DateOrderError,
    InvalidValueError,
    NotAReleaseError,
    NotInCustodyError,
    NotInformationError,
    NotOnLicenceError,
    RecallDecisionOffLicenceError,
    RegistrationEndedError,
    SelfReferenceError,
    UnknownEntryError,
)
from domain.identity import offender_id
from domain.staff import Person
from domain.state import ChangeOfOwner, CustodyMove, Licence, RecallDecision, RegistrationEnd
from domain.text import FROM_DIRECTORY, check_fields, check_new_reference
from domain.values import (
    Agency,
    AssessmentTool,
    CustodyReason,
    RecallChoice,
    RegistrationEndReason,
    RiskLevel,
    ShareMeans,
    VisitKind,
)

ONE_DAY = timedelta(days=1)


class Offender(Aggregate):
    # The shape of its state, which snapshots keep. Version 2 keeps every licence period (see
    # `licences`) instead of one on-licence flag; version 3 every change of owner with its valid
    # time (`transfers`); version 4 corrected times (`corrected_times`); version 5 the licence
    # each recall decision decided on (`recall_decisions`); version 6 keeps licences, changes of
    # owner and recall decisions as named values instead of positional lists (`upcast_v5_v6`);
    # version 7 the moves into and out of custody that no licence records (`custody`) and the
    # end of the registration (`registration_end`), both new kinds of event (`upcast_v6_v7`);
    # version 8 the time of each release on licence (`release_times`), which orders it among
    # other moves the same day. A snapshot older than version 5 cannot be brought up to date
    # without its events, and nor can one older than version 8 (a licence kept only its day, and
    # no upcaster can tell the time of day it began): the ledger passes over it and replays them
    # (ledger.snapshots.CurrentSnapshots, which reads no snapshot that no chain of upcasters
    # reaches, and there is no `upcast_v7_v8`).
    class_version = 8

    @staticmethod
    def upcast_v5_v6(state: dict[str, Any]) -> None:
        """A version 5 snapshot's state, as read back, in version 6: its licences were
        [released on, ends on, recalled on, release entry], its changes of owner [occurred at,
        entry, agency's value, staff] and its recall decisions [occurred at, release entry,
        recalled]. Every licence in a version 5 snapshot has its release entry: those without one
        came only from snapshots older than version 5, which were passed over."""
        state["licences"] = [Licence(*period) for period in state["licences"]]
        state["transfers"] = [
            ChangeOfOwner(at, entry, Agency(agency), staff)
            for at, entry, agency, staff in state["transfers"]
        ]
        state["recall_decisions"] = {
            number: RecallDecision(*decided)
            for number, decided in state["recall_decisions"].items()
        }

    @staticmethod
    def upcast_v6_v7(state: dict[str, Any]) -> None:
        """A version 6 snapshot's state in version 7. Its events were of kinds that existed
        then, none of which moves anyone into or out of custody outside a licence or ends the
        registration, so both are empty: exactly what its events give."""
        state["custody"] = []
        state["registration_end"] = None

    # ----------------------------------------------------------------------------------- events

    class Event(Aggregate.Event):
        """Every offender event. Declared here, and every event below derives from it, so that
        the library uses these classes as written instead of defining a subclass of each."""

    class Recorded(Event):
        """What every offender event carries besides its own facts."""

        occurred_at: datetime | date
        by: str
        agency: Agency
        rank: str
        senior: bool
        entered_by: str

        def apply(self, offender: Offender) -> None:
            """Most events add to the record without changing what later commands check."""

    class Registered(Event, Aggregate.Created):
        ref: str
        name: str
        born: date
        category: int
        level: int
        area: str | None
        occurred_at: datetime | date
        by: str
        agency: Agency
        rank: str
        senior: bool
        entered_by: str

    class ReleasedOnLicence(Recorded):
        licence_end: date

        def apply(self, offender: Offender) -> None:
            day = london_date(self.occurred_at)
            offender.licences.append(
                Licence(
                    day, self.licence_end, recalled_on=None, release_entry=self.originator_version
                )
            )
            offender.release_times[str(self.originator_version)] = self.occurred_at

    class DisclosureRecorded(Recorded):
        summary: str
        detail: str | None
        risk_relevant: bool

    class VisitRecorded(Recorded):
        kind: VisitKind
        outcome: str

    class EntryRecorded(Recorded):
        summary: str
        risk_relevant: bool

    class ConcernRecorded(Recorded):
        summary: str

    class AssessmentRecorded(Recorded):
        tool: AssessmentTool
        risk: RiskLevel
        summary: str | None

        def apply(self, offender: Offender) -> None:
            offender.risk = self.risk

    class ReviewRecorded(Recorded):
        summary: str

    class DecisionRecorded(Recorded):
        decision: str
        rationale: str
        about: list[int]

    class DisagreementRecorded(Recorded):
        with_person: dict[str, Any]
        summary: str

    class EscalationRecorded(Recorded):
        to_person: dict[str, Any]
        reason: str

    class MappaReferralRecorded(Recorded):
        level: int
        emergency: bool
        reason: str

    class MappaMeetingRecorded(Recorded):
        level: int
        attendees: list[dict[str, Any]]
        summary: str
        discussed: list[int]

        def apply(self, offender: Offender) -> None:
            offender.level = self.level

    class RecallDecisionRecorded(Recorded):
        decision: RecallChoice
        rationale: str

        def apply(self, offender: Offender) -> None:
            day = london_date(self.occurred_at)
            decided_on = offender.licence_on(day, recalled_that_day=True)
            recalled = False
            if self.decision is RecallChoice.RECALL:
                licence = offender.licence_on(day)
                if licence is None:
                    # Recorded before recall decisions were checked against the licence's dates:
                    # it recalled the latest release recorded and not yet recalled.
                    licence = next(
                        (lic for lic in reversed(offender.licences) if lic.recalled_on is None),
                        None,
                    )
                if licence is not None:
                    offender._replace_licence(replace(licence, recalled_on=day))
                    recalled = (
                        decided_on is not None and licence.release_entry == decided_on.release_entry
                    )
            offender.recall_decisions[str(self.originator_version)] = RecallDecision(
                occurred_at=self.occurred_at,
                release_entry=decided_on.release_entry if decided_on is not None else None,
                recalled=recalled,
            )

    class EntriesAcknowledged(Recorded):
        entries: list[int]

        def apply(self, offender: Offender) -> None:
            offender.acknowledged.setdefault(self.by, []).extend(self.entries)

    class OwnershipTransferred(Recorded):
        to_person: dict[str, Any]
        previous: str | None
        reason: str | None

        def apply(self, offender: Offender) -> None:
            offender.transfers.append(
                ChangeOfOwner(
                    occurred_at=self.occurred_at,
                    entry=self.originator_version,
                    agency=self.to_person["agency"],
                    staff=self.to_person["staff"],
                )
            )

    class EntriesShared(Recorded):
        entries: list[int]
        with_agency: Agency
        with_person: dict[str, Any] | None
        means: ShareMeans

    class TakenIntoCustody(Recorded):
        """Taken into custody at `occurred_at`: recalled, remanded, sentenced or otherwise.
        Visits are not due while in custody."""

        reason: CustodyReason
        summary: str | None

        def apply(self, offender: Offender) -> None:
            offender.custody.append(CustodyMove(self.occurred_at, self.originator_version, True))

    class ReleasedWithoutLicence(Recorded):
        """Released from custody with no licence to follow (a release on licence is
        `ReleasedOnLicence`)."""

        def apply(self, offender: Offender) -> None:
            offender.custody.append(CustodyMove(self.occurred_at, self.originator_version, False))

    class RegistrationEnded(Recorded):
        """The notification requirements ended: the period expired, the person died, a court
        removed the requirement, or else. The record stays readable; no alert stands after
        it."""

        reason: RegistrationEndReason
        summary: str

        def apply(self, offender: Offender) -> None:
            offender.registration_end = RegistrationEnd(
                self.occurred_at, self.originator_version, self.reason
            )

    class EntryCorrected(Recorded):
        # Version 2 can correct a release's licence end (`licence_end`, None in version 1).
        class_version = 2

        entry: int
        reason: str
        summary: str | None
        entry_occurred_at: datetime | date | None
        licence_end: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["licence_end"] = None

        def apply(self, offender: Offender) -> None:
            if self.entry_occurred_at is not None:
                day = london_date(self.entry_occurred_at)
                offender.corrected_times[str(self.entry)] = self.entry_occurred_at
                begun = offender.licence_begun_by(self.entry)
                if begun is not None:
                    offender._replace_licence(replace(begun, released_on=day))
                recalled = offender.licence_recalled_by(self.entry)
                if recalled is not None:
                    offender._replace_licence(replace(recalled, recalled_on=day))
            begun = offender.licence_begun_by(self.entry)
            if self.licence_end is not None and begun is not None:
                offender._replace_licence(replace(begun, ends_on=self.licence_end))

    # ------------------------------------------------------------------------------ construction

    def __init__(
        self,
        ref: str,
        name: str,
        born: date,
        category: int,
        level: int,
        area: str | None,
        occurred_at: ValidTime,
        by: str,
        agency: Agency,
        rank: str,
        senior: bool,
        entered_by: str,
    ) -> None:
        self.ref = ref
        self.name = name
        self.born = born
        self.category = category
        self.level = level
        self.area = area
        self.risk: RiskLevel | None = None
        # Every release on licence, in the order recorded.
        self.licences: list[Licence] = []
        # When each release on licence occurred, as recorded, by its entry number (as text): a
        # licence is known by its days, a move out of custody by its time.
        self.release_times: dict[str, ValidTime] = {}
        # Whoever registers the case owns it for their agency until it is transferred. Every
        # change of owner, in the order recorded.
        self.transfers: list[ChangeOfOwner] = [ChangeOfOwner(occurred_at, 1, agency, by)]
        # When a corrected entry occurred, by entry number (as text, as snapshots keep keys).
        self.corrected_times: dict[str, ValidTime] = {}
        # Each recall decision, recall or not, by entry number (as text): a correction of its
        # own time moves the day the licence it recalled stopped.
        self.recall_decisions: dict[str, RecallDecision] = {}
        self.acknowledged: dict[str, list[int]] = {}
        # Moves into and out of custody recorded by events of their own (not by a licence).
        self.custody: list[CustodyMove] = []
        self.registration_end: RegistrationEnd | None = None

    @staticmethod
    def create_id(ref: str, **_: Any) -> Any:
        return offender_id(ref)

    @classmethod
    def register(
        cls,
        ref: str,
        name: str,
        born: date,
        category: int,
        level: int,
        area: str | None,
        occurred_at: ValidTime,
        author: Person,
        entered_by: str,
    ) -> Offender:
        check_birth_date(born, occurred_at)
        fields = {
            "ref": check_capitals(check_new_reference(ref, "reference")),
            "name": name,
            "born": born,
            "category": category,
            "level": level,
            "area": area,
            "occurred_at": occurred_at,
            "entered_by": entered_by,
            **_author_fields(author),
        }
        check_fields(fields, FROM_DIRECTORY)
        return cls(**fields)

    def trigger_event(self, event_class: Any, **kwargs: Any) -> None:
        """Every command's event, once its text is known to be storable (see domain.text)."""
        check_fields(kwargs, FROM_DIRECTORY)
        super().trigger_event(event_class, **kwargs)

    # ---------------------------------------------------------------------------------- commands

    def release_on_licence(
        self, when: ValidTime, author: Person, entered_by: str, licence_end: date
    ) -> None:
        check_registration_open(self, "a release", when)
        check_licence_end(when, licence_end)
        check_not_on_licence(self, when)
        check_custody_move(self, when, into=False)
        self._record(self.ReleasedOnLicence, when, author, entered_by, licence_end=licence_end)

    def release_without_licence(self, when: ValidTime, author: Person, entered_by: str) -> None:
        check_registration_open(self, "a release", when)
        check_custody_move(self, when, into=False)
        self._record(self.ReleasedWithoutLicence, when, author, entered_by)

    def take_into_custody(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        reason: CustodyReason,
        summary: str | None,
    ) -> None:
        check_registration_open(self, "a period in custody", when)
        check_custody_move(self, when, into=True)
        self._record(
            self.TakenIntoCustody, when, author, entered_by, reason=reason, summary=summary
        )

    def end_registration(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        reason: RegistrationEndReason,
        summary: str,
    ) -> None:
        check_registration_end(self, when)
        self._record(
            self.RegistrationEnded, when, author, entered_by, reason=reason, summary=summary
        )

    def record_disclosure(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        summary: str,
        detail: str | None,
        risk_relevant: bool,
    ) -> None:
        self._record(
            self.DisclosureRecorded,
            when,
            author,
            entered_by,
            summary=summary,
            detail=detail,
            risk_relevant=risk_relevant,
        )

    def record_visit(
        self, when: ValidTime, author: Person, entered_by: str, kind: VisitKind, outcome: str
    ) -> None:
        check_registration_open(self, "a visit", when)
        self._record(self.VisitRecorded, when, author, entered_by, kind=kind, outcome=outcome)

    def record_entry(
        self, when: ValidTime, author: Person, entered_by: str, summary: str, risk_relevant: bool
    ) -> None:
        self._record(
            self.EntryRecorded,
            when,
            author,
            entered_by,
            summary=summary,
            risk_relevant=risk_relevant,
        )

    def record_concern(
        self, when: ValidTime, author: Person, entered_by: str, summary: str
    ) -> None:
        self._record(self.ConcernRecorded, when, author, entered_by, summary=summary)

    def record_assessment(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        tool: AssessmentTool,
        risk: RiskLevel,
        summary: str | None,
    ) -> None:
        check_registration_open(self, "an assessment", when)
        self._record(
            self.AssessmentRecorded, when, author, entered_by, tool=tool, risk=risk, summary=summary
        )

    def record_review(self, when: ValidTime, author: Person, entered_by: str, summary: str) -> None:
        self._record(self.ReviewRecorded, when, author, entered_by, summary=summary)

    def record_decision(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        decision: str,
        rationale: str,
        about: Sequence[int],
    ) -> None:
        check_entries_exist(self, about)
        self._record(
            self.DecisionRecorded,
            when,
            author,
            entered_by,
            decision=decision,
            rationale=rationale,
            about=sorted(set(about)),
        )

    def record_disagreement(
        self, when: ValidTime, author: Person, entered_by: str, other: Person, summary: str
    ) -> None:
        check_not_self(author, other, "disagree with")
        self._record(
            self.DisagreementRecorded,
            when,
            author,
            entered_by,
            with_person=other.as_dict(),
            summary=summary,
        )

    def record_escalation(
        self, when: ValidTime, author: Person, entered_by: str, to: Person, reason: str
    ) -> None:
        check_not_self(author, to, "escalate to")
        self._record(
            self.EscalationRecorded,
            when,
            author,
            entered_by,
            to_person=to.as_dict(),
            reason=reason,
        )

    def refer_to_mappa(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        level: int,
        emergency: bool,
        reason: str,
    ) -> None:
        self._record(
            self.MappaReferralRecorded,
            when,
            author,
            entered_by,
            level=level,
            emergency=emergency,
            reason=reason,
        )

    def record_mappa_meeting(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        level: int,
        attendees: Sequence[Person],
        summary: str,
        discussed: Sequence[int],
    ) -> None:
        check_entries_exist(self, discussed)
        self._record(
            self.MappaMeetingRecorded,
            when,
            author,
            entered_by,
            level=level,
            attendees=[a.as_dict() for a in attendees],
            summary=summary,
            discussed=sorted(set(discussed)),
        )

    def decide_recall(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        decision: RecallChoice,
        rationale: str,
    ) -> None:
        check_on_licence(self, "a recall decision", when)
        if decision is RecallChoice.RECALL:
            check_custody_move(self, when, into=True, recall=True)
        self._record(
            self.RecallDecisionRecorded,
            when,
            author,
            entered_by,
            decision=decision,
            rationale=rationale,
        )

    def acknowledge(
        self, when: ValidTime, author: Person, entered_by: str, entries: Sequence[int]
    ) -> None:
        check_entries_exist(self, entries)
        check_not_acknowledged(self, author.staff, entries)
        self._record(
            self.EntriesAcknowledged, when, author, entered_by, entries=sorted(set(entries))
        )

    def transfer(
        self, when: ValidTime, author: Person, entered_by: str, to: Person, reason: str | None
    ) -> None:
        check_registration_open(self, "a transfer", when)
        check_not_current_owner(self, to, when)
        self._record(
            self.OwnershipTransferred,
            when,
            author,
            entered_by,
            to_person=to.as_dict(),
            previous=self.owner_for(to.agency, when),
            reason=reason,
        )

    def share(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        entries: Sequence[int],
        with_agency: Agency,
        with_person: Person | None,
        means: ShareMeans,
    ) -> None:
        check_entries_exist(self, entries)
        self._record(
            self.EntriesShared,
            when,
            author,
            entered_by,
            entries=sorted(set(entries)),
            with_agency=with_agency,
            with_person=with_person.as_dict() if with_person else None,
            means=means,
        )

    def correct(
        self,
        when: ValidTime,
        author: Person,
        entered_by: str,
        entry: int,
        reason: str,
        summary: str | None,
        entry_occurred_at: ValidTime | None,
        licence_end: date | None = None,
    ) -> None:
        if summary is not None and not summary.strip():
            raise InvalidValueError(
                "the corrected summary is empty; give the text it should say", fields=("summary",)
            )
        if summary is None and entry_occurred_at is None and licence_end is None:
            raise InvalidValueError(
                "a correction says what was wrong: give the corrected summary, "
                "entry_occurred_at or licence_end",
                fields=("summary", "entry_occurred_at", "licence_end"),
            )
        check_entries_exist(self, [entry])
        if licence_end is not None:
            check_licence_end_correction(self, entry, entry_occurred_at, licence_end)
        check_recall_decisions_stay_on_licence(self, entry, entry_occurred_at, licence_end)
        check_licences_stay_apart(self, entry, entry_occurred_at, licence_end)
        check_custody_order_kept(self, entry, entry_occurred_at)
        check_registration_kept(self, entry, entry_occurred_at)
        self._record(
            self.EntryCorrected,
            when,
            author,
            entered_by,
            entry=entry,
            reason=reason,
            summary=summary,
            entry_occurred_at=entry_occurred_at,
            licence_end=licence_end,
        )

    # ---------------------------------------------------------------------------------- queries

    def licence_on(self, day: date, *, recalled_that_day: bool = False) -> Licence | None:
        """The licence running on `day`, the latest released if several; None when not on
        licence that day. A licence runs to the end of its last day, and until the day it was
        recalled, or through it if `recalled_that_day`."""

        def running(licence: Licence) -> bool:
            recalled = licence.recalled_on
            if recalled is not None and (
                day > recalled or (day == recalled and not recalled_that_day)
            ):
                return False
            return licence.released_on <= day <= licence.ends_on

        found = [licence for licence in self.licences if running(licence)]
        return max(found, key=lambda licence: licence.released_on) if found else None

    def referred_entries(self, event: Offender.Event) -> list[int]:
        """The earlier entries `event` cannot precede (`entries_referred_to`); for a recall
        decision (applied to this offender), the release whose licence it decided on, on its
        London day, whether or not the decision recalled it (none where no licence ran that
        day, as under the rules before decisions were checked against dates)."""
        if not isinstance(event, Offender.RecallDecisionRecorded):
            return entries_referred_to(event)
        decided = self.recall_decisions.get(str(event.originator_version))
        if decided is None or decided.release_entry is None:
            return []
        return [decided.release_entry]

    def licence_recalled_by(self, entry: int) -> Licence | None:
        """The licence that recall decision `entry` recalled; None when it recalled none (no
        recall decision, a decision not to recall, or one from before decisions were tied to
        their licence)."""
        decided = self.recall_decisions.get(str(entry))
        if decided is None or not decided.recalled or decided.release_entry is None:
            return None
        return self.licence_begun_by(decided.release_entry)

    def licence_begun_by(self, entry: int) -> Licence | None:
        """The licence that release `entry` began; None when `entry` is no release."""
        return next((lic for lic in self.licences if lic.release_entry == entry), None)

    def _replace_licence(self, licence: Licence) -> None:
        """Puts `licence` in place of the licence its release began, keeping the order: for
        the events' `apply` alone, as every change of state."""
        for index, held in enumerate(self.licences):
            if held.release_entry == licence.release_entry:
                self.licences[index] = licence

    @property
    def registration_ended_at(self) -> ValidTime | None:
        """When the registration ended, as corrected; None while it is in force."""
        ended = self.registration_end
        if ended is None:
            return None
        return self.corrected_times.get(str(ended.entry), ended.occurred_at)

    def on_licence_on(self, when: ValidTime) -> bool:
        return self.licence_on(london_date(when)) is not None

    @property
    def on_licence(self) -> bool:
        """The latest licence released has not been recalled, whatever its end date. What the rules
        check, and what views report, is `on_licence_on` a given day."""
        latest = self.latest_licence
        return latest is not None and latest.recalled_on is None

    @property
    def licence_end(self) -> date | None:
        """The end of the latest licence released (whether or not it still runs)."""
        latest = self.latest_licence
        return latest.ends_on if latest is not None else None

    @property
    def latest_licence(self) -> Licence | None:
        """The licence released latest, None before any release."""
        return max(self.licences, key=lambda lic: lic.released_on, default=None)

    def owner_for(self, agency: Agency, when: ValidTime | None = None) -> str | None:
        """Who owned the case for `agency` at valid time `when` (a new event's), or by the latest
        change of owner when no time is given."""
        return self._owners_at(when).get(agency.value)

    @property
    def owners(self) -> dict[str, str]:
        """Each agency's owner by the latest change of owner in valid time."""
        return self._owners_at(None)

    def _owners_at(self, when: ValidTime | None) -> dict[str, str]:
        limit = None if when is None else chronological_key(when, self.version + 1)
        latest: dict[str, tuple[Any, str]] = {}
        for change in self.transfers:
            key, agency = chronological_key(change.occurred_at, change.entry), change.agency.value
            if (limit is None or key <= limit) and (
                agency not in latest or key > latest[agency][0]
            ):
                latest[agency] = (key, change.staff)
        return {agency: staff for agency, (_, staff) in latest.items()}

    def custody_moves(self, moved: Mapping[int, ValidTime] | None = None) -> list[CustodyMove]:
        """Every move into and out of custody, in the order they occurred (`chronological_key`:
        London day, timed moves before untimed ones that day, then time, then entry): releases on
        licence and the recalls that ended them from the licences, the rest from `custody`, each
        at its time as corrected, or as `moved` would have it (new times by entry number, for a
        correction to be judged). A recall's move is numbered by the decision that recalled the
        licence, at that decision's time (for a recall recorded before decisions were tied to
        their licence, the release's number, on the day the licence was recalled)."""
        moved = moved or {}

        def at(entry: int, recorded: ValidTime) -> ValidTime:
            if entry in moved:
                return moved[entry]
            return self.corrected_times.get(str(entry), recorded)

        moves = [
            replace(move, occurred_at=at(move.entry, move.occurred_at)) for move in self.custody
        ]
        for licence in self.licences:
            entry = licence.release_entry
            released = self.release_times.get(str(entry), licence.released_on)
            moves.append(CustodyMove(at(entry, released), entry, False))
            if licence.recalled_on is not None:
                recall = next(
                    (
                        (int(number), at(int(number), decided.occurred_at))
                        for number, decided in self.recall_decisions.items()
                        if decided.recalled and decided.release_entry == entry
                    ),
                    (entry, licence.recalled_on),
                )
                moves.append(CustodyMove(recall[1], recall[0], True))
        return sorted(moves, key=lambda move: chronological_key(move.occurred_at, move.entry))

    def custody_move_kinds(
        self, moved: Mapping[int, ValidTime] | None = None
    ) -> list[tuple[MoveKey, MoveKind]]:
        """The moves of `custody_moves`, as the custody-order rule (`custody_order_breaches`)
        takes them: each its time key and kind."""
        taken = {move.entry for move in self.custody if move.into}
        return [
            (chronological_key(move.occurred_at, move.entry), move_kind(move, taken))
            for move in self.custody_moves(moved)
        ]

    @property
    def registered_at(self) -> ValidTime:
        """When the registration occurred, as corrected."""
        return self.corrected_times.get("1", self.transfers[0].occurred_at)

    def has_entry(self, entry: int) -> bool:
        return 1 <= entry <= self.version

    def _record(
        self,
        event_class: type[Offender.Recorded],
        when: ValidTime,
        author: Person,
        entered_by: str,
        **facts: Any,
    ) -> None:
        self.trigger_event(
            event_class, occurred_at=when, entered_by=entered_by, **_author_fields(author), **facts
        )


# The events that carry information someone can know about: the items who-knew lists, and what
# may be acknowledged or shared. The others record acts on the record itself: a change of owner,
# an acknowledgement, a share, a correction.
INFORMATIONAL_EVENTS: tuple[type[Offender.Event], ...] = (
    Offender.Registered,
    Offender.ReleasedOnLicence,
    Offender.DisclosureRecorded,
    Offender.VisitRecorded,
    Offender.EntryRecorded,
    Offender.ConcernRecorded,
    Offender.AssessmentRecorded,
    Offender.ReviewRecorded,
    Offender.DecisionRecorded,
    Offender.DisagreementRecorded,
    Offender.EscalationRecorded,
    Offender.MappaReferralRecorded,
    Offender.MappaMeetingRecorded,
    Offender.RecallDecisionRecorded,
    Offender.TakenIntoCustody,
    Offender.ReleasedWithoutLicence,
    Offender.RegistrationEnded,
)


def _author_fields(author: Person) -> dict[str, Any]:
    return {
        "by": author.staff,
        "agency": author.agency,
        "rank": author.rank,
        "senior": author.senior,
    }


# ------------------------------------------------------------------------------------- guards


def check_registration_open(offender: Offender, what: str, when: ValidTime) -> None:
    """Refuses `what` (a visit, an assessment, a transfer, custody or a release) at or after the
    end of the registration: the notification requirements no longer apply. Earlier events may
    still be entered late."""
    ended, at = offender.registration_end, offender.registration_ended_at
    if ended is None or at is None or occurs_before(when, at):
        return
    raise RegistrationEndedError(
        f"the registration of {offender.ref} ended {local_text(at)} ({ended.reason.value}, "
        f"{offender.ref}#{ended.entry}), so {what} cannot be recorded then; the record stays "
        "open to corrections, acknowledgements, shares, entries and MAPPA meetings: check "
        "occurred_at",
        fields=("occurred_at",),
    )


def check_registration_end(offender: Offender, when: ValidTime) -> None:
    """Refuses a second end of the registration, one before the registration, and one before a
    move into or out of custody already recorded (which needs the registration in force)."""
    ended = offender.registration_end
    ref = offender.ref
    if ended is not None:
        at = offender.registration_ended_at
        raise RegistrationEndedError(
            f"the registration of {ref} already ended {local_text(at)} ({ended.reason.value}, "
            f"{ref}#{ended.entry}); it ends once: to change its date or summary, correct "
            f"{ref}#{ended.entry}"
        )
    check_not_before(ref, when, [(1, offender.registered_at)])
    later = [m for m in offender.custody_moves() if occurs_before(when, m.occurred_at)]
    if later:
        move = later[-1]
        what = "a move into custody" if move.into else "a release"
        raise DateOrderError(
            f"occurred_at {local_text(when)} is before {ref}#{move.entry}, {what} on "
            f"{local_text(move.occurred_at)}, which needs the registration in force: check "
            "occurred_at",
            fields=("occurred_at",),
        )


def check_registration_kept(offender: Offender, entry: int, occurred: ValidTime | None) -> None:
    """Refuses a corrected time (`occurred`) that would put a move into or out of custody, a
    release or a transfer (`entry`) at or after the end of the registration, which recording it
    then refuses (`check_registration_open`); or, for the end itself, that would end the
    registration at or before such a move. A recall's move is not one: a recall decision may be
    recorded after the end. Corrections of any other entry, or of no time, pass."""
    ended = offender.registration_end
    if occurred is None or ended is None:
        return
    ref = offender.ref
    recorded = {move.entry for move in offender.custody} | {
        licence.release_entry for licence in offender.licences
    }
    transfers = {change.entry: change.occurred_at for change in offender.transfers[1:]}
    if entry == ended.entry:
        kept = [
            (move.entry, move.occurred_at, "a move into custody" if move.into else "a release")
            for move in offender.custody_moves()
            if move.entry in recorded
        ] + [
            (number, offender.corrected_times.get(str(number), at), "a transfer")
            for number, at in transfers.items()
        ]
        after = sorted(
            (item for item in kept if not occurs_before(item[1], occurred)),
            key=lambda item: chronological_key(item[1], item[0]),
        )
        if after:
            number, at, what = after[-1]
            raise DateOrderError(
                f"entry_occurred_at {local_text(occurred)} for {ref}#{entry} would end the "
                f"registration at or before {ref}#{number}, {what} on {local_text(at)}, which "
                "needs the registration in force: check entry_occurred_at",
                fields=("entry_occurred_at",),
            )
        return
    if entry not in recorded and entry not in transfers:
        return
    end = offender.registration_ended_at
    if end is None or occurs_before(occurred, end):
        return
    raise RegistrationEndedError(
        f"entry_occurred_at {local_text(occurred)} for {ref}#{entry} is at or after the end of "
        f"the registration of {ref}, {local_text(end)} ({ended.reason.value}, {ref}#"
        f"{ended.entry}), when it could not have been recorded: check entry_occurred_at",
        fields=("entry_occurred_at",),
    )


def move_kind(move: CustodyMove, taken: set[int]) -> MoveKind:
    """What `move` is to the custody-order rule, given the entries that recorded a custody
    (`taken`): a custody, a recall (a move into custody that no custody recorded), or a
    release."""
    if not move.into:
        return MoveKind.RELEASE
    return MoveKind.CUSTODY if move.entry in taken else MoveKind.RECALL


def check_custody_move(
    offender: Offender, when: ValidTime, *, into: bool, recall: bool = False
) -> None:
    """Refuses a move into custody (`into`) while already in custody, or a release while not in
    custody, at `when`; and either where it would leave two moves the same way one after the
    other (a custody with a later one and no release between, a release before another with no
    custody between). The first release after the registration needs no custody before it: the
    ledger may not know where the person was held. A recall decision that recalls a licence
    (`recall`) takes the person into custody: a recall while already held keeps them there, but
    a custody after it with no release between is refused, as it would be recorded after it.
    Moves are ordered by `chronological_key` (London day, then time where known), whatever the
    order they were recorded in; the rule is `custody_order_breaches`, which corrections apply
    too."""
    ref = offender.ref
    entry = offender.version + 1
    kind = MoveKind.RECALL if recall else MoveKind.CUSTODY if into else MoveKind.RELEASE
    before = offender.custody_move_kinds()
    breaches = new_breaches(before, [*before, (chronological_key(when, entry), kind)])
    if not breaches:
        return
    breach = breaches[0]
    times = {move.entry: move.occurred_at for move in offender.custody_moves()}
    if breach.later.entry == entry:
        last = breach.earlier.entry
        if into:
            raise AlreadyInCustodyError(
                f"{ref} was already in custody on {local_text(when)}, since "
                f"{local_text(times[last])} ({ref}#{last}); record the release first, or check "
                "occurred_at",
                fields=("occurred_at",),
            )
        raise NotInCustodyError(
            f"{ref} was not in custody on {local_text(when)}: released "
            f"{local_text(times[last])} ({ref}#{last}) and not taken into custody since; record "
            "the custody first, or check occurred_at",
            fields=("occurred_at",),
        )
    following = breach.later.entry
    if recall:
        raise DateOrderError(
            f"occurred_at {local_text(when)} would recall {ref} to custody before {ref}#"
            f"{following}, the custody on {local_text(times[following])}, with no release "
            "between; record the release between first, or check occurred_at",
            fields=("occurred_at",),
        )
    if into:
        raise DateOrderError(
            f"occurred_at {local_text(when)} would begin a custody that runs into the one "
            f"{ref}#{following} began on {local_text(times[following])}, with no release between; "
            "record the release between first, or check occurred_at",
            fields=("occurred_at",),
        )
    raise DateOrderError(
        f"occurred_at {local_text(when)} would put a release before {ref}#{following}, the "
        f"release on {local_text(times[following])}, with no custody between; record the "
        "custody between first, or check occurred_at",
        fields=("occurred_at",),
    )


def check_custody_order_kept(offender: Offender, entry: int, occurred: ValidTime | None) -> None:
    """Refuses a corrected time (`occurred`) of a custody, a release or a recall decision that
    recalled a licence (`entry`) that would break the order of moves into and out of custody as
    recording them requires (`custody_order_breaches`, the same rule): a custody while already
    held, a release while free. Corrections of any other entry, or of no time, pass."""
    if occurred is None:
        return
    if all(move.entry != entry for move in offender.custody_moves()):
        return
    before = offender.custody_move_kinds()
    after = offender.custody_move_kinds({entry: occurred})
    breaches = new_breaches(before, after)
    if not breaches:
        return
    # The breach the moved entry is part of, where there is one, says most.
    breach = min(breaches, key=lambda b: entry not in b.entries)
    times = {move.entry: move.occurred_at for move in offender.custody_moves({entry: occurred})}
    raise DateOrderError(
        f"entry_occurred_at {local_text(occurred)} for {offender.ref}#{entry} would put "
        f"{_breach_text(offender.ref, breach, times)}; moves into and out of custody "
        "alternate: check entry_occurred_at, or first correct the time of the other move",
        fields=("entry_occurred_at",),
    )


def _breach_text(ref: str, breach: CustodyOrderBreach, times: Mapping[int, ValidTime]) -> str:
    """Two moves out of order, as a refusal states them."""
    words = {
        MoveKind.CUSTODY: "a custody",
        MoveKind.RECALL: "a recall to custody",
        MoveKind.RELEASE: "a release",
    }
    earlier, later = breach.earlier, breach.later
    between = "release" if later.kind.into else "custody"
    return (
        f"{ref}#{later.entry}, {words[later.kind]} on {local_text(times[later.entry])}, right "
        f"after {ref}#{earlier.entry}, {words[earlier.kind]} on "
        f"{local_text(times[earlier.entry])}, with no {between} between"
    )


def check_entries_exist(offender: Offender, entries: Iterable[int]) -> None:
    for entry in entries:
        if not offender.has_entry(entry):
            raise UnknownEntryError(offender.ref, entry)


def check_not_acknowledged(offender: Offender, staff: str, entries: Iterable[int]) -> None:
    already = set(offender.acknowledged.get(staff, ()))
    for entry in entries:
        if entry in already:
            raise AlreadyAcknowledgedError(offender.ref, entry, staff)


def check_not_current_owner(offender: Offender, to: Person, when: ValidTime) -> None:
    if offender.owner_for(to.agency, when) == to.staff:
        raise AlreadyOwnerError(offender.ref, to.staff, to.agency.value)


def check_birth_date(born: date, registered: ValidTime, today: date | None = None) -> None:
    check_day_not_future(born, "born", "give the date of birth, on or before {today}", today)
    day = london_date(registered)
    if born > day:
        raise DateOrderError(
            f"born {born.isoformat()} is after the registration ({day.isoformat()}); give the "
            "right date of birth, or the registration's occurred_at",
            fields=("born", "occurred_at"),
        )


def check_capitals(ref: str) -> str:
    """A new offender reference is in capitals, so that one case cannot be registered twice under
    references differing only in case (each names its own stream). References registered before
    this rule are found as they were written."""
    if ref != ref.upper():
        raise InvalidValueError(
            f"{ref!r} is not a usable reference: give it in capitals, {ref.upper()!r}, so that "
            "no case is registered twice under one reference written two ways"
        )
    return ref


def check_licence_end(released: ValidTime, licence_end: date) -> None:
    day = london_date(released)
    if licence_end <= day:
        raise DateOrderError(
            f"licence_end {licence_end.isoformat()} is not after the release "
            f"({day.isoformat()}); give the date the licence ends, after the release's occurred_at",
            fields=("licence_end", "occurred_at"),
        )


def check_licence_end_correction(
    offender: Offender, entry: int, released: ValidTime | None, licence_end: date
) -> None:
    """A corrected licence end belongs to a release, after its day (as corrected by the same
    correction, when it moves the release too), and does not run into a licence released later:
    two licences never run on one day."""
    licence = offender.licence_begun_by(entry)
    if licence is None:
        raise NotAReleaseError(
            f"{offender.ref}#{entry} is not a release on licence, so it has no licence_end to "
            "correct; give the release's entry number",
            fields=("licence_end",),
        )
    start = licence.released_on if released is None else london_date(released)
    recalled = licence.recalled_on
    check_licence_end(start, licence_end)
    for other in offender.licences:
        if other.release_entry == licence.release_entry or other.released_on < start:
            continue
        if other.released_on <= licence_end and (recalled is None or recalled > other.released_on):
            day = other.released_on.isoformat()
            raise AlreadyOnLicenceError(
                f"licence_end {licence_end.isoformat()} runs into the licence released on "
                f"{day}; give an end before {day}",
                fields=("licence_end",),
            )


def check_recall_decisions_stay_on_licence(
    offender: Offender, entry: int, released: ValidTime | None, licence_end: date | None
) -> None:
    """A correction of a release's time (`released`) or licence end leaves every recall decision
    on that licence within it, as recording the decision required: not before the release (its
    time, where both are times; its day, where either is a date alone) and not after the
    licence's last day. Corrections of any other entry pass."""
    if offender.licence_begun_by(entry) is None:
        return
    ref = offender.ref
    for number, decided in offender.recall_decisions.items():
        if decided.release_entry != entry:
            continue
        then = offender.corrected_times.get(number, decided.occurred_at)
        if released is not None and occurs_before(then, released):
            raise RecallDecisionOffLicenceError(
                f"entry_occurred_at {local_text(released)} is after {ref}#{number}, a recall "
                f"decision on the licence {ref}#{entry} began, which occurred {local_text(then)}; "
                "a licence is decided on only once it has begun: check entry_occurred_at, or "
                f"first correct the time of {ref}#{number}",
                fields=("entry_occurred_at",),
            )
        if licence_end is not None and london_date(then) > licence_end:
            day = london_date(then).isoformat()
            raise RecallDecisionOffLicenceError(
                f"licence_end {licence_end.isoformat()} is before {ref}#{number}, a recall "
                f"decision on that licence, which occurred {local_text(then)}; give an end on or "
                f"after {day}, or first correct the time of {ref}#{number}",
                fields=("licence_end",),
            )


def check_licences_stay_apart(
    offender: Offender, entry: int, occurred: ValidTime | None, licence_end: date | None = None
) -> None:
    """A corrected time of a release or of a recall decision keeps the licences as recording
    them required: a recall decision while its licence runs (to its last day, or, for a decision
    not to recall, to the day another decision recalled it), and two licences never running on
    one day. Moving a release moves when its licence begins; moving the decision that recalled a
    licence moves when it stops (a new release may fall on the day of a recall, not before)."""
    if occurred is None:
        return
    ref, day = offender.ref, london_date(occurred)
    moved = offender.licence_begun_by(entry)
    decided = offender.recall_decisions.get(str(entry))
    if moved is None and decided is not None and decided.release_entry is not None:
        licence = offender.licence_begun_by(decided.release_entry)
        if licence is not None:
            last, why = licence.ends_on, "ends"
            recalled = licence.recalled_on
            if not decided.recalled and recalled is not None and recalled < last:
                last, why = recalled, "was recalled"
            if day > last:
                raise RecallDecisionOffLicenceError(
                    f"entry_occurred_at {local_text(occurred)} is after the licence "
                    f"{ref}#{decided.release_entry} began {why} ({last.isoformat()}), and "
                    f"{ref}#{entry} is a recall decision on that licence; a licence is decided on "
                    "only while it runs: check entry_occurred_at",
                    fields=("entry_occurred_at",),
                )
        recalled_licence = offender.licence_recalled_by(entry)
        if recalled_licence is None:
            return
        corrected = replace(recalled_licence, recalled_on=day)
    elif moved is not None:
        end = moved.ends_on if licence_end is None else licence_end
        if day >= end:
            raise DateOrderError(
                f"entry_occurred_at {local_text(occurred)} is not before the end of the licence "
                f"{ref}#{entry} began ({end.isoformat()}); check entry_occurred_at, or correct "
                "the licence end too (licence_end)",
                fields=("entry_occurred_at", "licence_end"),
            )
        corrected = replace(moved, released_on=day, ends_on=end)
    else:
        return
    for other in offender.licences:
        if other.release_entry == corrected.release_entry:
            continue
        if other.released_on < corrected.stops_on and corrected.released_on < other.stops_on:
            raise AlreadyOnLicenceError(
                f"entry_occurred_at {local_text(occurred)} would have the licence it concerns "
                f"running beside the licence {ref}#{other.release_entry} began "
                f"({licence_dates(other)}); two licences never run on "
                "one day: check entry_occurred_at",
                fields=("entry_occurred_at",),
            )


def licence_dates(licence: Licence) -> str:
    """A licence's dates as a refusal states them: `2016-11-01 to 2018-11-01, recalled
    2017-06-01`."""
    dates = f"{licence.released_on.isoformat()} to {licence.ends_on.isoformat()}"
    if licence.recalled_on is not None:
        dates += f", recalled {licence.recalled_on.isoformat()}"
    return dates


def check_on_licence(offender: Offender, what: str, when: ValidTime) -> None:
    day = london_date(when)
    if offender.licence_on(day) is not None:
        return
    latest = offender.latest_licence
    if latest is None:
        raise NotOnLicenceError(
            f"{offender.ref} is not on licence, so {what} cannot be recorded; "
            "record the release first"
        )
    raise NotOnLicenceError(
        f"{offender.ref} was not on licence on {day.isoformat()} (the latest licence: "
        f"{licence_dates(latest)}), so {what} cannot be recorded then; check occurred_at, or "
        "record the release it follows first",
        fields=("occurred_at",),
    )


def check_not_on_licence(offender: Offender, when: ValidTime) -> None:
    day = london_date(when)
    licence = offender.licence_on(day)
    if licence is not None:
        raise AlreadyOnLicenceError(
            f"{offender.ref} is already on licence on {day.isoformat()} (until "
            f"{licence.ends_on}); a new release needs a recall first, or occurred_at after "
            f"{licence.ends_on}",
            fields=("occurred_at",),
        )


def check_about_information(
    offender_ref: str, event: Offender.Event, named: Mapping[int, Offender.Event]
) -> None:
    """Refuses an acknowledgement or share (`event`) of an entry that records an act rather than
    information, given the entries it names (`named`, by number). Who-knew never lists an act as
    an item, so acknowledging or sharing one would show nobody knowing anything by it, and the
    owner's duty to acknowledge is to the entries themselves."""
    if isinstance(event, Offender.EntriesAcknowledged):
        verb = "acknowledged"
    elif isinstance(event, Offender.EntriesShared):
        verb = "shared"
    else:
        return
    for number in event.entries:
        act = named[number]
        if not isinstance(act, INFORMATIONAL_EVENTS):
            raise NotInformationError(
                f"{offender_ref}#{number} records an act ({type(act).__name__}), not information "
                f"anyone can know, so it cannot be {verb}; {_instead(offender_ref, act)}"
            )


def _instead(offender_ref: str, act: Offender.Event) -> str:
    """What to name instead of the entry `act`, which records an act."""
    if isinstance(act, Offender.EntryCorrected):
        return f"name {offender_ref}#{act.entry}, the entry it corrects (views show it corrected)"
    if isinstance(act, Offender.EntriesAcknowledged | Offender.EntriesShared):
        listed = ", ".join(f"{offender_ref}#{n}" for n in act.entries)
        return f"name the entries it concerns ({listed})"
    return "name the entries themselves, such as those a new owner takes on"


def check_not_self(author: Person, other: Person, verb: str) -> None:
    if author.staff == other.staff:
        raise SelfReferenceError(f"{author.staff} cannot {verb} themselves; name someone else")


def people_in_post(event: Offender.Event) -> list[str]:
    """The staff an event has in post when it occurred, each held to it when it was recorded:
    its author (`by`), the person disagreed with, escalated to, handed the case or shared with,
    and a meeting's attendees. Not who typed it in (in post when it was recorded), nor a
    transfer's previous owner."""
    named = [event.by]  # type: ignore[attr-defined]
    for field in ("with_person", "to_person"):
        person = getattr(event, field, None)
        if person is not None:
            named.append(person["staff"])
    named.extend(a["staff"] for a in getattr(event, "attendees", ()))
    return named


def entries_referred_to(event: Offender.Event) -> list[int]:
    """The earlier entries an event is about, which it cannot precede: the entries acknowledged,
    shared, discussed, decided about or corrected, and the registration a transfer moves on
    from."""
    if isinstance(event, Offender.OwnershipTransferred):
        return [1]
    if isinstance(event, Offender.EntryCorrected):
        return [event.entry]
    if isinstance(event, Offender.EntriesAcknowledged | Offender.EntriesShared):
        return list(event.entries)
    if isinstance(event, Offender.MappaMeetingRecorded):
        return list(event.discussed)
    if isinstance(event, Offender.DecisionRecorded):
        return list(event.about)
    return []


def check_not_before(
    offender_ref: str, when: ValidTime, referred: Iterable[tuple[int, ValidTime]]
) -> None:
    """Refuses an event occurring at `when` before an entry it is about, given as (entry number,
    when that entry occurred, as corrected): nobody acknowledges, shares or discusses what has
    not happened yet, nor takes over a case before it was registered. Where either time is a date
    alone, the London days are compared."""
    for number, then in referred:
        if occurs_before(when, then):
            what = "the registration" if number == 1 else f"{offender_ref}#{number}"
            raise DateOrderError(
                f"occurred_at {local_text(when)} is before {what}, which occurred "
                f"{local_text(then)}; nothing can follow from {what} before it happened: check "
                "occurred_at",
                fields=("occurred_at",),
            )


def check_correction_in_order(
    offender_ref: str,
    entry: int,
    corrected: ValidTime,
    referred: Iterable[tuple[int, ValidTime]],
    referred_by: Iterable[tuple[int, ValidTime]],
) -> None:
    """Refuses a corrected time for `entry` that would put it out of order with what it is about
    (`referred`: the entries it acknowledges, shares, discusses or decides about) or with what is
    about it (`referred_by`: the acknowledgements, shares, meetings, decisions and, for the
    registration, transfers that follow from it), each given as (entry number, when it occurred,
    as corrected). A correction must not make who-knew say anyone knew of an entry before it
    happened, any more than a new event may."""
    for number, then in referred:
        if occurs_before(corrected, then):
            raise DateOrderError(
                f"entry_occurred_at {local_text(corrected)} is before {offender_ref}#{number}, "
                f"which occurred {local_text(then)}; {offender_ref}#{entry} follows from it and "
                "cannot have happened first: check entry_occurred_at",
                fields=("entry_occurred_at",),
            )
    for number, then in referred_by:
        if occurs_before(then, corrected):
            raise DateOrderError(
                f"entry_occurred_at {local_text(corrected)} is after {offender_ref}#{number}, "
                f"which follows from {offender_ref}#{entry} and occurred {local_text(then)}; "
                f"check entry_occurred_at, or first correct the time of {offender_ref}#{number}",
                fields=("entry_occurred_at",),
            )


def occurs_before(earlier: ValidTime, later: ValidTime) -> bool:
    """Whether `earlier` is before `later`; where either is a date alone (time of day unknown),
    whether its London day is before the other's."""
    if isinstance(earlier, datetime) and isinstance(later, datetime):
        return earlier < later
    return london_date(earlier) < london_date(later)
