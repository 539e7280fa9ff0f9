"""The alert rules: pure functions over one offender's records and the policy.

Each rule returns breaches. A breach exists from its `due_at` until `satisfied_at` (None while
nothing has closed it); it is *standing* at valid time T when it is due by T and nothing that
occurred by T closed it. Whether a breach exists, and when it fell due, depends only on what
occurred before its due time; so one list of breaches, worked out from everything recorded,
answers "what was standing on any date". A breach that is not yet due is kept too: it becomes
standing as time passes, without anything being recorded.

A breach *lapses* when its remedy is no longer possible (`LAPSES`, one condition per rule, stated
in the policy file beside its source): a recall that can no longer be considered because the
licence stopped, a visit schedule while in custody, anything once the registration has ended. A
lapsed breach stands no longer from `lapsed_at`, and stays in the history with why (`lapse`). One
whose remedy stopped being possible before it fell due is no breach at all.

Records are taken with corrections applied and ordered by the instant they occurred (a date alone
counts from the start of its London day), then by entry; the visit rule, which follows custody,
reads them in the order custody is judged by (`visit_overdue`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from domain.clock import LONDON, chronological_key, instant, london_date, start_of_day
from domain.values import RiskLevel
from projections.alerts.policy import Policy
from projections.event_types import (
    ASSESSMENT_RECORDED,
    CONCERN_RECORDED,
    DECISION_RECORDED,
    DISAGREEMENT_RECORDED,
    DISCLOSURE_RECORDED,
    ENTRIES_ACKNOWLEDGED,
    ENTRY_CORRECTED,
    ENTRY_RECORDED,
    ESCALATION_RECORDED,
    MAPPA_REFERRAL_RECORDED,
    OWNERSHIP_TRANSFERRED,
    RECALL_DECISION_RECORDED,
    REGISTERED,
    REGISTRATION_ENDED,
    RELEASED_ON_LICENCE,
    RELEASED_WITHOUT_LICENCE,
    REVIEW_RECORDED,
    TAKEN_INTO_CUSTODY,
    VISIT_RECORDED,
)
from projections.knowledge import Knowing, first_known_by_agency, knowings
from projections.labels import person
from projections.ownership import Period, owners_at, ownership_periods
from projections.records import INFORMATIONAL_TYPES, EntryRecord
from projections.views import apply_corrections


class Breach(NamedTuple):
    """A value, made by the thousand per offender: a named tuple is made in a third of the time
    of a frozen dataclass."""

    rule: str
    entry: int | None  # the entry it concerns, None where it concerns no one entry
    due_at: datetime
    satisfied_at: datetime | None  # when something closed it; None while open
    detail: str
    resolution: str | None = None  # what closed it, for the history
    lapsed_at: datetime | None = None  # when its remedy stopped being possible; None if not
    lapse: str | None = None  # why, for the history

    def standing(self, at: datetime) -> bool:
        return (
            self.due_at <= at
            and (self.satisfied_at is None or self.satisfied_at > at)
            and (self.lapsed_at is None or self.lapsed_at > at)
        )


# A moment after which a remedy is no longer possible, and why.
End = tuple[datetime, str]


class Licence(NamedTuple):
    """A release on licence as the rules read it: from the release (`start`, entry `entry`) to
    the moment it stopped running (`stop`: the start of the day after its end, or a recall),
    and why it stopped."""

    entry: int
    start: datetime
    stop: datetime
    why: str


class Case:
    """One offender's records as the rules read them, indexed by type so that "the first X at
    or after T" is a binary search rather than a scan."""

    def __init__(
        self,
        records: Sequence[EntryRecord],
        agencies: Mapping[str, str] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        self.records = list(records)
        # Staff id to agency (the staff directory): places typists; None, the records do.
        self.agencies = agencies
        # Staff id to name (the staff directory): how a breach's detail names people.
        self.names: Mapping[str, str] = names or {}
        self._by_type: dict[str, list[EntryRecord]] = {}
        for r in self.records:
            self._by_type.setdefault(r.type, []).append(r)
        self._instants = {t: [r.occurred_instant for r in rs] for t, rs in self._by_type.items()}
        self.by_entry = {r.entry: r for r in self.records}
        ended = next(iter(self._by_type.get(REGISTRATION_ENDED, ())), None)
        # When the registration ended: every rule's breaches lapse then.
        self.registration_end: End | None = (
            None
            if ended is None
            else (
                ended.occurred_instant,
                f"registration ended ({ended.data.get('reason')}) #{ended.entry}",
            )
        )
        self._licences: list[Licence] | None = None
        self._custody: list[End] | None = None
        # A few people, each named in many details: a long history's owner in thousands.
        self._named: dict[tuple[str, str | None], str] = {}

    def who(self, staff: str, rank: str | None = None) -> str:
        """Someone as a breach's detail names them: `Lee Hart (4633, PC)`, or the bare id where
        the directory was not given (the rules alone, in tests)."""
        key = (staff, rank)
        named = self._named.get(key)
        if named is None:
            named = self._named[key] = person(staff, self.names, rank)
        return named

    @property
    def licences(self) -> list[Licence]:
        """Every release on licence, with when it stopped running (its end, a recall decision to
        recall, or a custody by recall), in order of release."""
        if self._licences is None:
            recalls = [
                (r.occurred_instant, f"recalled #{r.entry}")
                for r in self.of(RECALL_DECISION_RECORDED, TAKEN_INTO_CUSTODY)
                if r.data.get("decision") == "recall" or r.data.get("reason") == "recalled"
            ]
            found = []
            for r in self.of(RELEASED_ON_LICENCE):
                last = date.fromisoformat(str(r.data["licence_end"]))
                stops = [(start_of_day(last + timedelta(days=1)), f"licence ended on {last}")]
                stops += [(at, why) for at, why in recalls if at >= r.occurred_instant]
                stop, why = min(stops, key=lambda s: s[0])
                found.append(Licence(r.entry, r.occurred_instant, stop, why))
            self._licences = found
        return self._licences

    def licence_at(self, moment: datetime) -> Licence | None:
        """The licence running at `moment`, if any."""
        for licence in reversed(self.licences):
            if licence.start <= moment < licence.stop:
                return licence
        return None

    def custody_after(self, moment: datetime) -> End | None:
        """The first move into custody (a custody, or a recall decision to recall) after
        `moment`."""
        if self._custody is None:
            self._custody = [
                (r.occurred_instant, _custody_words(r))
                for r in self.of(RECALL_DECISION_RECORDED, TAKEN_INTO_CUSTODY)
                if r.type == TAKEN_INTO_CUSTODY or r.data.get("decision") == "recall"
            ]
        return next(((at, why) for at, why in self._custody if at > moment), None)

    def __iter__(self) -> Iterator[EntryRecord]:
        return iter(self.records)

    def of(self, *types: str) -> list[EntryRecord]:
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        return sorted(
            (r for t in types for r in self._by_type.get(t, [])),
            key=lambda r: (r.occurred_instant, r.entry),
        )

    def first(
        self,
        types: Iterable[str],
        start: datetime,
        wanted: Callable[[EntryRecord], bool] = lambda r: True,
    ) -> EntryRecord | None:
        """The earliest record of one of `types` occurring at or after `start` that is `wanted`."""
        best: EntryRecord | None = None
        for t in types:
            records = self._by_type.get(t, [])
            for r in records[bisect_left(self._instants[t], start) :] if records else ():
                if best is not None and (r.occurred_instant, r.entry) >= (
                    best.occurred_instant,
                    best.entry,
                ):
                    break
                if wanted(r):
                    best = r
                    break
        return best


Rule = Callable[[Case, Policy], list[Breach]]


def case_records(
    records: Sequence[EntryRecord],
    as_of: datetime | None = None,
    agencies: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> Case:
    """One offender's records as the rules read them: those recorded by `as_of`, corrected,
    without the corrections themselves, in the order they occurred."""
    corrected = [c.record for c in apply_corrections(records, as_of)]
    return Case(
        sorted(
            (r for r in corrected if r.type != ENTRY_CORRECTED),
            key=lambda r: (r.occurred_instant, r.entry),
        ),
        agencies,
        names,
    )


def evaluate(
    records: Sequence[EntryRecord],
    policy: Policy,
    as_of: datetime | None = None,
    agencies: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[Breach]:
    """Every breach of every rule for one offender, each lapsed where its remedy stopped being
    possible, in order of due time. `agencies` (staff id to agency, the staff directory) places
    typists; without it, this offender's records do. `names` (staff id to name) names people in
    the details; without it, they are named by id."""
    case = case_records(records, as_of, agencies, names)
    found = [
        lapsed
        for name, rule in RULES.items()
        for breach in rule(case, policy)
        if (lapsed := lapse(breach, LAPSES[name](case, breach))) is not None
    ]
    return sorted(found, key=lambda b: (b.due_at, b.rule, b.entry or 0))


def lapse(breach: Breach, ends: Iterable[End | None]) -> Breach | None:
    """`breach` as it stands given the moments its remedy stops being possible (`ends`): lapsed
    at the earliest if nothing met it by then, untouched if it was met first, and none at all if
    its remedy stopped being possible before it fell due."""
    end: End | None = None
    for candidate in ends:  # the earliest (a loop: this runs for every breach of every rule)
        if candidate is not None and (end is None or candidate[0] < end[0]):
            end = candidate
    if end is None or breach.lapsed_at is not None:
        return breach
    at, why = end
    if at <= breach.due_at:
        return None
    if breach.satisfied_at is not None and breach.satisfied_at <= at:
        return breach
    return breach._replace(satisfied_at=None, resolution=None, lapsed_at=at, lapse=why)


def _custody_words(r: EntryRecord) -> str:
    if r.type == RECALL_DECISION_RECORDED:
        return f"recalled to custody #{r.entry}"
    return f"taken into custody ({r.data.get('reason')}) #{r.entry}"


# ------------------------------------------------------------------------------------ helpers


def after_days(moment: datetime, days: int) -> datetime:
    """`days` London calendar days later, at the same London wall-clock time."""
    return (moment.astimezone(LONDON) + timedelta(days=days)).astimezone(UTC)


@lru_cache(maxsize=8192)
def day(moment: datetime) -> str:
    return london_date(moment).isoformat()


def closing(
    rule: str,
    entry: int | None,
    due: datetime,
    done: EntryRecord | None,
    detail: str,
    how: str,
) -> list[Breach]:
    """No breach when `done` came by the due time; else one, closed when `done` came."""
    if done is not None and done.occurred_instant <= due:
        return []
    if done is None:
        return [Breach(rule, entry, due, None, detail)]
    return [Breach(rule, entry, due, done.occurred_instant, detail, f"{how} #{done.entry}")]


def is_risk_item(r: EntryRecord) -> bool:
    """A disclosure or entry marked risk-relevant, or any concern."""
    return r.type == CONCERN_RECORDED or (
        r.type in (DISCLOSURE_RECORDED, ENTRY_RECORDED) and r.risk_relevant
    )


def is_shared_risk_item(r: EntryRecord) -> bool:
    """What must cross between agencies and prompt a recall decision: a risk-relevant
    disclosure, or a concern."""
    return r.type == CONCERN_RECORDED or (r.type == DISCLOSURE_RECORDED and r.risk_relevant)


def names(r: EntryRecord, entry: int) -> bool:
    return entry in (r.data.get("about") or [])


_KIND_WORDS = {RELEASED_ON_LICENCE: "release on licence", OWNERSHIP_TRANSFERRED: "transfer"}


@lru_cache(maxsize=64)
def _kind(event_type: str) -> str:
    return _KIND_WORDS.get(event_type) or event_type.removesuffix("Recorded").lower()


def _label(r: EntryRecord) -> str:
    """How a breach names its item: "concern #7 of 2016-10-17"."""
    return f"{_kind(r.type)} #{r.entry} of {day(r.occurred_instant)}"


# -------------------------------------------------------------------------------------- rules


def arms_overdue(case: Case, policy: Policy) -> list[Breach]:
    """No ARMS assessment within N days of release on licence, or of registration when the
    offender is in the community (taken as so unless a release is recorded by the deadline)."""
    days = policy.days("ARMS_OVERDUE")
    triggers = list(case.of(RELEASED_ON_LICENCE))
    registration = next(iter(case.of(REGISTERED)), None)
    if registration is not None:
        deadline = after_days(registration.occurred_instant, days)
        if not any(r.occurred_instant <= deadline for r in triggers):
            triggers.insert(0, registration)
    found: list[Breach] = []
    for trigger in triggers:
        start = trigger.occurred_instant
        what = "release on licence" if trigger.type == RELEASED_ON_LICENCE else "registration"
        done = case.first([ASSESSMENT_RECORDED], start, lambda r: r.data["tool"] == "ARMS")
        detail = f"no ARMS assessment within {days} days of {what} on {day(start)}"
        found += closing(
            "ARMS_OVERDUE", trigger.entry, after_days(start, days), done, detail, "ARMS"
        )
    return found


def escalation_not_acted_on(case: Case, policy: Policy) -> list[Breach]:
    """A risk-relevant item not followed within N days by both a review by an inspector or above
    (or a senior grade) and a MAPPA referral or a senior decision naming the item."""
    days = policy.days("ESCALATION_NOT_ACTED_ON")
    found: list[Breach] = []
    risk: RiskLevel | None = None
    for item in case:
        raised = False
        if item.type == ASSESSMENT_RECORDED:
            new = RiskLevel(item.data["risk"])
            raised = new.rank >= RiskLevel.HIGH.rank and (risk is None or new.rank > risk.rank)
            risk = new
        if not (raised or is_risk_item(item)):
            continue
        start, due = item.occurred_instant, after_days(item.occurred_instant, days)
        review = case.first([REVIEW_RECORDED], start, lambda r: r.senior)
        action = case.first(
            [MAPPA_REFERRAL_RECORDED, DECISION_RECORDED],
            start,
            lambda r, n=item.entry: r.type == MAPPA_REFERRAL_RECORDED or (r.senior and names(r, n)),
        )
        missing = []
        if review is None or review.occurred_instant > due:
            missing.append("no review by an inspector or above")
        if action is None or action.occurred_instant > due:
            missing.append("no MAPPA referral or senior decision naming it")
        if not missing:
            continue
        detail = f"{_label(item)}: {' and '.join(missing)} within {days} days"
        if review is None or action is None:
            found.append(Breach("ESCALATION_NOT_ACTED_ON", item.entry, due, None, detail))
            continue
        last = max((review, action), key=lambda r: (r.occurred_instant, r.entry))
        how = f"review #{review.entry} and {action.type.removesuffix('Recorded').lower()} #{action.entry}"
        found.append(
            Breach("ESCALATION_NOT_ACTED_ON", item.entry, due, last.occurred_instant, detail, how)
        )
    return found


def entry_unacknowledged(case: Case, policy: Policy) -> list[Breach]:
    """An entry by anyone but the police owner of the moment, not acknowledged by that owner
    within N days. On a transfer the new owner inherits what the previous one had not
    acknowledged and every risk-relevant entry of the look-back before it, due N days after it;
    the previous owner's duty ends with the transfer."""
    days = policy.days("ENTRY_UNACKNOWLEDGED")
    look_back = policy.days("ENTRY_UNACKNOWLEDGED", "inherit_risk_relevant_days")
    items = [r for r in case if r.type in INFORMATIONAL_TYPES and r.type != REGISTERED]
    # In the order they occurred (as `case` gives them): each period's are found by bisection.
    instants = [r.occurred_instant for r in items]
    by_entry = case.by_entry
    acknowledged: dict[tuple[str, int], datetime] = {}
    for r in case.of(ENTRIES_ACKNOWLEDGED):
        for n in r.data["entries"]:
            acknowledged.setdefault((r.by, n), r.occurred_instant)
    found: list[Breach] = []
    previous: tuple[Period, dict[int, datetime]] | None = None
    for period in (p for p in ownership_periods(case.records) if p.agency == "police"):
        start = instant(period.start)
        end = instant(period.end) if period.end is not None else None
        duties: dict[int, datetime] = {}  # entry -> when its acknowledgement falls due
        if by_entry[period.start_entry].type == OWNERSHIP_TRANSFERRED:
            inherited_due = after_days(start, days)
            if previous is not None:
                before, their_duties = previous
                for n in their_duties:
                    seen = acknowledged.get((before.staff, n))
                    if seen is None or seen > start:
                        duties[n] = inherited_due
            window = after_days(start, -look_back)
            for r in items[bisect_left(instants, window) : bisect_left(instants, start)]:
                if r.risk_relevant:
                    duties[r.entry] = inherited_due
        last = len(items) if end is None else bisect_left(instants, end)
        for r in items[bisect_left(instants, start) : last]:
            duties.setdefault(r.entry, after_days(r.occurred_instant, days))
        duties = {n: due for n, due in duties.items() if by_entry[n].by != period.staff}
        owner = case.who(period.staff)
        for n, due in sorted(duties.items()):
            seen = acknowledged.get((period.staff, n))
            if (seen is not None and seen <= due) or (end is not None and end <= due):
                continue  # acknowledged in time, or passed to the next owner before it fell due
            item = by_entry[n]
            inherited = item.occurred_instant < start
            detail = (
                f"{_label(item)} by {case.who(item.by, item.rank)} not acknowledged by "
                f"police owner {owner} "
                + (
                    f"within {days} days of the transfer on {day(start)}"
                    if inherited
                    else f"within {days} days"
                )
            )
            # Closed by the acknowledgement, or by the transfer if that came first.
            closed_at: datetime | None = seen
            how = None if seen is None else f"acknowledged by {owner}"
            if end is not None and (seen is None or end < seen):
                closed_at, how = end, f"case transferred from {owner} on {day(end)}"
            found.append(Breach("ENTRY_UNACKNOWLEDGED", n, due, closed_at, detail, how))
        previous = (period, duties)
    return found


# How an agency came to know an item, as a breach's resolution says it ("met ... by ...").
_KNOWING = {
    "recorded": "an entry by {agency}",
    "acknowledged": "an acknowledgement by {agency}",
    "shared": "a share with or by {agency}",
    "meeting": "a MAPPA meeting {agency} attended",
}


def _came_to_know(agency: str, knowing: Knowing) -> str:
    """`an acknowledgement by police (#8)`."""
    said = _KNOWING.get(knowing.how, "{agency} knowing it (" + knowing.how + ")")
    return f"{said.format(agency=agency)} (#{knowing.source})"


def disclosure_not_shared(case: Case, policy: Policy) -> list[Breach]:
    """A risk-relevant disclosure or a concern known to one owning agency that another owning
    agency did not come to know (share, acknowledgement, meeting) within N days."""
    days = policy.days("DISCLOSURE_NOT_SHARED")
    items = [r for r in case.of(DISCLOSURE_RECORDED, CONCERN_RECORDED) if is_shared_risk_item(r)]
    if not items:
        return []
    periods = ownership_periods(case.records)
    by_item: dict[int, list[Knowing]] = {}
    for k in knowings(case.records, only={item.entry for item in items}, agencies=case.agencies):
        by_item.setdefault(k.entry, []).append(k)
    found: list[Breach] = []
    for item in items:
        owning = set(owners_at(periods, item.occurred_instant))
        if len(owning) < 2:
            continue
        first = first_known_by_agency(by_item.get(item.entry, []), item.entry)
        known = {a: first[a] for a in owning if a in first}
        if not known:
            continue
        knower = min(known, key=lambda a: (known[a].since_instant, known[a].source))
        start = known[knower].since_instant
        due = after_days(start, days)
        for agency in sorted(owning - {knower}):
            k = known.get(agency)
            if k is not None and k.since_instant <= due:
                continue
            detail = (
                f"{_label(item)} known to {knower} since {day(start)}, "
                f"not to {agency} within {days} day{'s' if days != 1 else ''}"
            )
            if k is None:
                found.append(Breach("DISCLOSURE_NOT_SHARED", item.entry, due, None, detail))
            else:
                found.append(
                    Breach(
                        "DISCLOSURE_NOT_SHARED",
                        item.entry,
                        due,
                        k.since_instant,
                        detail,
                        _came_to_know(agency, k),
                    )
                )
    return found


def disagreement_not_escalated(case: Case, policy: Policy) -> list[Breach]:
    """A disagreement not followed within N days by an escalation to an inspector or above (or a
    senior grade), or a decision by such a person naming it."""
    days = policy.days("DISAGREEMENT_NOT_ESCALATED")
    found: list[Breach] = []
    for item in case.of(DISAGREEMENT_RECORDED):
        start = item.occurred_instant
        done = case.first(
            [ESCALATION_RECORDED, DECISION_RECORDED],
            start,
            lambda r, n=item.entry: (
                bool(r.data["to_person"].get("senior"))
                if r.type == ESCALATION_RECORDED
                else r.senior and names(r, n)
            ),
        )
        other = item.data["with_person"]
        between = (
            f"{case.who(item.by, item.rank)} and {case.who(other['staff'], other.get('rank'))}"
        )
        detail = (
            f"disagreement #{item.entry} of {day(start)} between {between} "
            f"not escalated to an inspector or above within {days} days"
        )
        how = "escalation" if done is not None and done.type == ESCALATION_RECORDED else "decision"
        found += closing(
            "DISAGREEMENT_NOT_ESCALATED", item.entry, after_days(start, days), done, detail, how
        )
    return found


def recall_not_considered(case: Case, policy: Policy) -> list[Breach]:
    """While on licence, a risk-relevant disclosure or a concern not followed within N days by a
    recall decision (recall or no recall, with its rationale)."""
    days = policy.days("RECALL_NOT_CONSIDERED")
    found: list[Breach] = []
    on_licence = False
    licence_end: str | None = None
    for item in case:
        if item.type == RELEASED_ON_LICENCE:
            on_licence, licence_end = True, str(item.data["licence_end"])
        elif item.type == RECALL_DECISION_RECORDED and item.data["decision"] == "recall":
            on_licence = False
        if not (on_licence and is_shared_risk_item(item)):
            continue
        if licence_end is not None and day(item.occurred_instant) > licence_end:
            continue
        start = item.occurred_instant
        done = case.first([RECALL_DECISION_RECORDED], start)
        detail = f"{_label(item)} while on licence: no recall decision within {days} day" + (
            "s" if days != 1 else ""
        )
        found += closing(
            "RECALL_NOT_CONSIDERED",
            item.entry,
            after_days(start, days),
            done,
            detail,
            "recall decision",
        )
    return found


def visit_overdue(case: Case, policy: Policy) -> list[Breach]:
    """No visit within the interval for the current risk level, counted from the last visit, or
    from the registration or the latest release when there was none since. Nothing is due before a risk level is
    assessed, nor while in custody (recalled, remanded, sentenced), nor after the registration
    ended: an overdue visit lapses then. When the risk rises so that a visit is already overdue,
    it falls due at once. Records are read in the order `show` and the offender judge custody by
    (`chronological_key`): a date alone after the timed records of its day, counted from the
    latest of them, so that a release that day, time unknown, follows a custody at 15:00."""
    found: list[Breach] = []
    anchor: datetime | None = None  # the last visit, or the start of community management
    risk: str | None = None
    in_custody = False
    due: datetime | None = None
    overdue_since: datetime | None = None
    opened = ""  # the detail as it stood when the visit fell overdue

    def schedule(now: datetime) -> datetime | None:
        if anchor is None or risk is None or in_custody:
            return None
        return max(after_days(anchor, policy.visit_interval(risk)), now)

    def detail() -> str:
        every = policy.visit_interval(risk) if risk else 0
        return f"no visit since {day(anchor)} (risk {risk}: every {every} days)" if anchor else ""

    latest: datetime | None = None
    # In the order `show` and the offender judge custody by (`chronological_key`): a date alone
    # after the timed records of its day, at no earlier a moment than theirs.
    for r in sorted(case, key=lambda r: chronological_key(r.occurred_at, r.entry)):
        t = r.occurred_instant if latest is None else max(r.occurred_instant, latest)
        latest = t
        if overdue_since is None and due is not None and due < t:
            overdue_since = due
            opened = detail()
        if r.type == VISIT_RECORDED:
            if overdue_since is not None:
                found.append(
                    Breach("VISIT_OVERDUE", None, overdue_since, t, opened, f"visit #{r.entry}")
                )
                overdue_since = None
            anchor = t
            due = schedule(t)
        elif r.type == ASSESSMENT_RECORDED:
            risk = str(r.data["risk"])
            if overdue_since is None:
                due = schedule(t)
        elif r.type == REGISTERED:
            anchor = t
            due = schedule(t)
        elif r.type in (RELEASED_ON_LICENCE, RELEASED_WITHOUT_LICENCE):
            # A release starts community management afresh: until then the offender was held.
            if overdue_since is not None:
                how = "on licence" if r.type == RELEASED_ON_LICENCE else "without a licence"
                found.append(
                    Breach(
                        "VISIT_OVERDUE",
                        None,
                        overdue_since,
                        t,
                        opened,
                        f"released {how} #{r.entry}: visits counted from then",
                    )
                )
                overdue_since = None
            anchor, in_custody = t, False
            due = schedule(t)
        elif (r.type == RECALL_DECISION_RECORDED and r.data["decision"] == "recall") or r.type in (
            TAKEN_INTO_CUSTODY,
            REGISTRATION_ENDED,
        ):
            # Visits pause in custody, and end with the registration: an overdue one lapses.
            if overdue_since is not None:
                why = (
                    case.registration_end[1]
                    if r.type == REGISTRATION_ENDED and case.registration_end
                    else _custody_words(r)
                )
                found.append(
                    Breach("VISIT_OVERDUE", None, overdue_since, None, opened, None, t, why)
                )
                overdue_since = None
            in_custody, due = True, None
    if overdue_since is not None:
        found.append(Breach("VISIT_OVERDUE", None, overdue_since, None, opened))
    elif due is not None:
        found.append(Breach("VISIT_OVERDUE", None, due, None, detail()))
    return found


# ------------------------------------------------------------------------------------- lapses
# When each rule's remedy is no longer possible, given one of its breaches: the moments it stops
# being possible (the earliest counts). Stated in words beside each rule's source in policy.toml.


def _item_licence(case: Case, breach: Breach) -> End | None:
    """When the licence that ran as the breach's item occurred stopped, if one ran then."""
    item = case.by_entry.get(breach.entry) if breach.entry is not None else None
    if item is None:
        return None
    licence = case.licence_at(item.occurred_instant)
    return None if licence is None else (licence.stop, licence.why)


def _arms_lapses(case: Case, breach: Breach) -> list[End | None]:
    trigger = case.by_entry.get(breach.entry) if breach.entry is not None else None
    if trigger is None:
        return [case.registration_end]
    ends = [case.custody_after(trigger.occurred_instant), case.registration_end]
    if trigger.type == RELEASED_ON_LICENCE:
        licence = next((lic for lic in case.licences if lic.entry == trigger.entry), None)
        if licence is not None:
            ends.append((licence.stop, licence.why))
    return ends


def _item_lapses(case: Case, breach: Breach) -> list[End | None]:
    return [_item_licence(case, breach), case.registration_end]


def _registration_lapses(case: Case, breach: Breach) -> list[End | None]:
    # The visit rule lapses its own breaches at custody (it knows when the schedule paused).
    return [case.registration_end]


LAPSES: dict[str, Callable[[Case, Breach], list[End | None]]] = {
    "ARMS_OVERDUE": _arms_lapses,
    "ESCALATION_NOT_ACTED_ON": _item_lapses,
    "ENTRY_UNACKNOWLEDGED": _item_lapses,
    "DISCLOSURE_NOT_SHARED": _item_lapses,
    "DISAGREEMENT_NOT_ESCALATED": _item_lapses,
    "RECALL_NOT_CONSIDERED": _item_lapses,
    "VISIT_OVERDUE": _registration_lapses,
}

RULES: dict[str, Rule] = {
    "ARMS_OVERDUE": arms_overdue,
    "ESCALATION_NOT_ACTED_ON": escalation_not_acted_on,
    "ENTRY_UNACKNOWLEDGED": entry_unacknowledged,
    "DISCLOSURE_NOT_SHARED": disclosure_not_shared,
    "DISAGREEMENT_NOT_ESCALATED": disagreement_not_escalated,
    "RECALL_NOT_CONSIDERED": recall_not_considered,
    "VISIT_OVERDUE": visit_overdue,
}
