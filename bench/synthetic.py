"""A seeded, repeatable synthetic ledger: many offenders with long, realistic histories.

Each offender is registered by a police officer in one of several areas, taken on by probation,
released on licence, visited, assessed, discussed at MAPPA meetings, transferred between officers,
and has entries shared, acknowledged and corrected; a few entries are written up weeks late.
Everything is built with the real domain commands (`Offender`, `StaffMember`), so every event is
one the CLI could have recorded, and saved many aggregates per `save` so that a million events
take minutes rather than hours.

Recording times are simulated, not taken from the wall clock: the ledger looks as if it had been
written over the years the histories cover, and the same seed gives the same ledger, event for
event. Events are saved in batches in the order they were recorded, so positions follow recording
time except within one batch (a few hours of simulated time).

Example: python -m bench.synthetic sqlite:///big.db --offenders 5000 --events-per-offender 200
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import os
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

from domain.clock import ValidTime, london_date
from domain.offender import Offender
from domain.staff import Person, StaffMember
from domain.values import Agency, AssessmentTool, RecallChoice, RiskLevel, ShareMeans, VisitKind

AREA_NAMES = (
    "Birmingham",
    "Coventry",
    "Wolverhampton",
    "Dudley",
    "Walsall",
    "Sandwell",
    "Solihull",
    "Warwickshire",
    "Staffordshire",
    "Worcestershire",
)
# Every history ends before this moment, so the ledger does not depend on when it is generated.
HISTORY_END = datetime(2025, 6, 30, tzinfo=UTC)
STAFF_SINCE = date(2000, 1, 1)
ADMIN = "9000"
# Events per `save`: large enough to amortise a transaction, small enough to keep memory flat.
BATCH_EVENTS = 2000
SNAPSHOT_EVERY = 50


@dataclass(frozen=True)
class GeneratedLedger:
    """What was generated: the offenders' references, the areas, and how many events in all."""

    url: str
    refs: list[str]
    areas: list[str]
    events: int
    staff: list[str] = field(default_factory=list)
    seconds: float = 0.0


# What a case does next: (weight, name). The choice is made again when a kind does not apply.
KINDS: tuple[tuple[int, str], ...] = (
    (20, "entry"),
    (18, "visit"),
    (8, "disclosure"),
    (14, "acknowledge"),
    (7, "share"),
    (5, "assessment"),
    (3, "concern"),
    (3, "review"),
    (3, "decision"),
    (3, "transfer"),
    (1, "referral"),
    (2, "meeting"),
    (2, "correct"),
    (1, "disagreement"),
    (1, "escalation"),
    (1, "recall"),
)
_KIND_NAMES = [name for _, name in KINDS]
_KIND_WEIGHTS = [weight for weight, _ in KINDS]

ENTRY_TEXTS = (
    "ViSOR record updated: new vehicle registered",
    "Lives alone; reports little contact with family",
    "Attended appointment on time, engaged well",
    "New mobile phone declared",
    "Intelligence: seen near a primary school at home time",
    "Started work with a delivery firm",
    "Declared a new relationship with a woman who has children",
    "Missed a curfew check; explained a late bus",
)
DISCLOSURES = (
    "Says he feels isolated and lonely",
    "Admits thoughts of harming women",
    "Says he has been drinking again",
    "Reports being threatened by neighbours",
    "Says he has stopped taking his medication",
)
OUTCOMES = (
    "Seen at home, nothing of concern",
    "No reply; card left",
    "Address checked; lives as declared",
    "Devices checked; nothing found",
    "Appeared low in mood; referred to GP",
)


class _Clock:
    """The simulated recording clock: what `timestamp` (recorded_at) each new event gets."""

    def __init__(self) -> None:
        self.now = datetime(2000, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@contextlib.contextmanager
def _recording_clock(clock: _Clock) -> Iterator[None]:
    """Events made inside take their recording time from `clock` (restored on the way out)."""
    classes = (
        Offender.Registered,
        Offender.Recorded,
        StaffMember.Enrolled,
        StaffMember.RankChanged,
    )
    saved = [(cls, cls.__dict__.get("create_timestamp")) for cls in classes]
    for cls in classes:
        cls.create_timestamp = staticmethod(clock)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        for cls, original in saved:
            if original is None:
                delattr(cls, "create_timestamp")
            else:
                cls.create_timestamp = original  # type: ignore[method-assign]


@dataclass
class _Area:
    name: str
    police: list[str]
    probation: list[str]
    others: list[str]
    supervisors: list[str]


@dataclass
class _Case:
    """One offender being written: the aggregate and what the generator needs to know of it."""

    offender: Offender
    area: _Area
    opened: datetime
    step: timedelta
    remaining: int
    informational: list[int] = field(default_factory=list)
    started: bool = False
    unsaved: int = 0
    snapshot_due: bool = False


class _Writer:
    def __init__(self, app: Any, rng: random.Random, clock: _Clock) -> None:
        self.app = app
        self.rng = rng
        self.clock = clock
        self.members: dict[str, StaffMember] = {}
        self.dirty: dict[int, _Case] = {}
        self.pending = 0
        self.saved = 0

    # ---------------------------------------------------------------------------------- staff

    def enrol(
        self, staff: str, name: str, agency: Agency, rank: str, senior: bool, area: str | None
    ) -> StaffMember:
        bootstrap = not self.members
        member = StaffMember(
            staff_id=staff,
            name=name,
            agency=agency,
            rank=rank,
            senior_grade=senior,
            admin=bootstrap,
            area=area,
            since=STAFF_SINCE,
            by=None if bootstrap else ADMIN,
        )
        self.members[staff] = member
        return member

    def person(self, staff: str, when: ValidTime) -> Person:
        return self.members[staff].as_of(london_date(when))

    # ---------------------------------------------------------------------------------- saving

    def touched(self, index: int, case: _Case) -> None:
        self.dirty[index] = case
        case.unsaved += 1
        self.pending += 1
        if case.offender.version % SNAPSHOT_EVERY == 0:
            case.snapshot_due = True
        if self.pending >= BATCH_EVENTS:
            self.flush()

    def flush(self) -> None:
        if not self.dirty:
            return
        cases = list(self.dirty.values())
        self.app.save(*(case.offender for case in cases))
        # Snapshots as the ledger would take them (every 50 events), from the state in hand
        # rather than by replaying each stream again.
        due = [case for case in cases if case.snapshot_due]
        if due:
            self.app.snapshots.put([Offender.Snapshot.take(c.offender) for c in due])
        for case in cases:
            case.unsaved = 0
            case.snapshot_due = False
        self.saved += self.pending
        self.dirty, self.pending = {}, 0


def _make_areas(writer: _Writer, count: int) -> list[_Area]:
    writer.enrol(ADMIN, "Alex Admin", Agency.POLICE, "Insp", False, None)
    areas: list[_Area] = []
    for a in range(count):
        name = AREA_NAMES[a] if a < len(AREA_NAMES) else f"Area {a + 1}"
        code = f"{a + 1:02d}"
        police = [f"1{code}{n:02d}" for n in range(1, 6)]
        probation = [f"2{code}{n:02d}" for n in range(1, 5)]
        others = [f"3{code}01", f"4{code}01", f"5{code}01"]
        for staff, rank in zip(police, ("PC", "PC", "DC", "PS", "Insp"), strict=True):
            writer.enrol(staff, f"Officer {staff}", Agency.POLICE, rank, False, name)
        titles = ("Probation Officer", "Probation Officer", "Probation Officer", "SPO")
        for staff, title in zip(probation, titles, strict=True):
            writer.enrol(staff, f"Officer {staff}", Agency.PROBATION, title, title == "SPO", name)
        writer.enrol(others[0], f"Officer {others[0]}", Agency.PRISON, "OMU Officer", False, name)
        writer.enrol(others[1], f"Nurse {others[1]}", Agency.HEALTH, "Nurse", False, name)
        writer.enrol(
            others[2], f"Worker {others[2]}", Agency.SOCIAL_CARE, "Social Worker", False, name
        )
        # A promotion part-way through the histories: events carry the rank held on their day.
        promoted = writer.members[police[0]]
        promoted.change_rank("PS", False, date(2015, 4, 1), ADMIN)
        supervisors = [police[3], police[4], probation[3]]
        areas.append(_Area(name, police, probation, others, supervisors))
    return areas


def _valid_time(rng: random.Random, recorded: datetime, opened: datetime, late: bool) -> ValidTime:
    """When it happened, given when it was written up: usually the same day, sometimes weeks
    earlier (a late entry), never before the case was opened; a third of the time only the date
    is known."""
    if late:
        delay = timedelta(days=rng.randint(8, 120), minutes=rng.randint(0, 600))
    else:
        delay = timedelta(minutes=rng.randint(5, 36 * 60))
    occurred = max(recorded - delay, opened)
    if rng.random() < 0.33:
        return london_date(occurred)
    return occurred.replace(second=0, microsecond=0)


def _owner(offender: Offender, agency: Agency) -> str | None:
    return offender.owners.get(agency.value)


def _recent(case: _Case, rng: random.Random, most: int) -> list[int]:
    window = case.informational[-8:]
    return sorted(rng.sample(window, min(len(window), rng.randint(1, most))))


def _next_event(writer: _Writer, case: _Case) -> None:
    """Records the case's next event, as of the clock's current time."""
    rng = writer.rng
    offender = case.offender
    when = _valid_time(rng, writer.clock.now, case.opened, late=rng.random() < 0.03)
    area = case.area
    police = _owner(offender, Agency.POLICE) or area.police[0]
    probation = _owner(offender, Agency.PROBATION)
    if probation is None:
        # Probation takes the case on first.
        to = writer.person(rng.choice(area.probation[:3]), when)
        manager = writer.person(area.supervisors[2], when)
        offender.transfer(when, manager, manager.staff, to, "Allocated to probation")
        return
    if offender.version == 3:
        end = london_date(when) + timedelta(days=rng.randint(365, 5 * 365))
        offender.release_on_licence(when, writer.person(probation, when), probation, end)
        case.informational.append(offender.version)
        return
    while True:
        kind = rng.choices(_KIND_NAMES, _KIND_WEIGHTS)[0]
        if _apply(kind, writer, case, when, police, probation):
            return


def _apply(
    kind: str,
    writer: _Writer,
    case: _Case,
    when: ValidTime,
    police: str,
    probation: str,
) -> bool:
    """Runs one kind of command on the case; False when it does not apply now."""
    rng = writer.rng
    offender = case.offender
    area = case.area
    author_id = rng.choice((police, probation))
    author = writer.person(author_id, when)
    # Now and then someone else types it in for the officer who made the contact.
    typist = ADMIN if rng.random() < 0.05 else author_id
    informational = True
    if kind == "entry":
        summary = rng.choice(ENTRY_TEXTS)
        offender.record_entry(when, author, typist, summary, rng.random() < 0.2)
    elif kind == "visit":
        visit = rng.choice(list(VisitKind))
        offender.record_visit(when, author, typist, visit, rng.choice(OUTCOMES))
    elif kind == "disclosure":
        text = rng.choice(DISCLOSURES)
        offender.record_disclosure(when, author, typist, text, None, rng.random() < 0.6)
    elif kind == "concern":
        offender.record_concern(when, author, typist, "Behaviour suggests rising risk")
    elif kind == "assessment":
        tool = rng.choice((AssessmentTool.ARMS, AssessmentTool.OASYS))
        risk = rng.choice(list(RiskLevel))
        offender.record_assessment(when, author, typist, tool, risk, None)
    elif kind == "review":
        reviewer = writer.person(rng.choice(area.supervisors), when)
        offender.record_review(when, reviewer, reviewer.staff, "Risk reviewed with the officer")
    elif kind in ("decision", "meeting", "share", "acknowledge", "correct"):
        if not case.informational:
            return False
        return _about_entries(kind, writer, case, when, author, typist, police, probation)
    elif kind == "transfer":
        agency = rng.choice((Agency.POLICE, Agency.PROBATION))
        pool = area.police[:4] if agency is Agency.POLICE else area.probation[:3]
        # The owner when it happens: a late entry's transfer is judged against that one.
        current = offender.owner_for(agency, when)
        to = writer.person(rng.choice([s for s in pool if s != current]), when)
        boss = writer.person(area.supervisors[0 if agency is Agency.POLICE else 2], when)
        offender.transfer(when, boss, boss.staff, to, "Caseload rebalanced")
        informational = False
    elif kind == "referral":
        offender.refer_to_mappa(when, author, typist, 2, rng.random() < 0.2, "Escalating risk")
    elif kind == "disagreement":
        other = writer.person(probation if author_id == police else police, when)
        if other.staff == author.staff:
            return False
        offender.record_disagreement(when, author, typist, other, "Disagrees on the risk level")
    elif kind == "escalation":
        to = writer.person(rng.choice(area.supervisors), when)
        if to.staff == author.staff:
            return False
        offender.record_escalation(when, author, typist, to, "Needs a manager's decision")
    elif kind == "recall":
        if not offender.on_licence_on(when):
            return False
        choice = RecallChoice.RECALL if rng.random() < 0.2 else RecallChoice.NO_RECALL
        offender.decide_recall(when, author, typist, choice, "Considered after a breach")
    else:
        raise ValueError(f"unknown kind of event {kind!r}")
    if informational:
        case.informational.append(offender.version)
    return True


def _about_entries(
    kind: str,
    writer: _Writer,
    case: _Case,
    when: ValidTime,
    author: Person,
    typist: str,
    police: str,
    probation: str,
) -> bool:
    rng = writer.rng
    offender = case.offender
    if kind == "decision":
        entries = _recent(case, rng, 2)
        offender.record_decision(when, author, typist, "Increase visits", "Risk rising", entries)
        case.informational.append(offender.version)
    elif kind == "meeting":
        attendees = [writer.person(s, when) for s in (police, probation, case.area.others[1])]
        level = rng.choice((2, 2, 3))
        discussed = _recent(case, rng, 4)
        offender.record_mappa_meeting(
            when, author, typist, level, attendees, "Risk management plan agreed", discussed
        )
        case.informational.append(offender.version)
    elif kind == "share":
        entries = _recent(case, rng, 3)
        if rng.random() < 0.5:
            other = Agency.PROBATION if author.agency is Agency.POLICE else Agency.POLICE
            offender.share(when, author, typist, entries, other, None, rng.choice(list(ShareMeans)))
        else:
            person = writer.person(rng.choice(case.area.others), when)
            offender.share(when, author, typist, entries, person.agency, person, ShareMeans.EMAIL)
    elif kind == "acknowledge":
        reader = rng.choice((police, probation))
        done = set(offender.acknowledged.get(reader, ()))
        waiting = [e for e in case.informational[-6:] if e not in done]
        if not waiting:
            return False
        offender.acknowledge(when, writer.person(reader, when), reader, waiting)
    elif kind == "correct":
        entry = rng.choice(case.informational[-5:])
        # A correction says what was wrong: here the wording, so the chronology keeps its times.
        offender.correct(when, author, typist, entry, "Typing error", "Corrected wording", None)
    return True


def environment_key() -> str | None:
    """LEDGER_CIPHER_KEY, as the ledger reads it: a generated ledger, and a benchmark's, is
    encrypted and its read models sealed when it is set."""
    return (os.environ.get("LEDGER_CIPHER_KEY") or "").strip() or None


def _open(url: str, cipher_key: str | None) -> Any:
    """Creates (or upgrades) the ledger at `url` and returns an application that snapshots only
    when told to (the generator takes snapshots from the aggregates in hand)."""
    from ledger.app import OffenderLedger
    from ledger.bootstrap import create_event_store
    from ledger.settings import Settings, event_store_environment, parse_database_url
    from projections.db import make_engine
    from projections.migrate import upgrade
    from projections.seal_check import check_seal

    settings = Settings(database=parse_database_url(url), cipher_key=cipher_key)
    create_event_store(settings).close()
    engine = make_engine(settings.database.sqlalchemy_url(), settings.database.schema, cipher_key)
    try:
        upgrade(engine)
        check_seal(engine)
    finally:
        engine.dispose()

    class GeneratingLedger(OffenderLedger):
        name = OffenderLedger.name
        is_snapshotting_enabled = True
        snapshot_intervals: ClassVar[dict[str, int]] = {}

    return GeneratingLedger(env=event_store_environment(settings, create_tables=False))


def generate_ledger(
    url: str,
    *,
    offenders: int,
    events_per_offender: int,
    seed: int = 7,
    areas: int = 10,
    project: bool = True,
    progress: Callable[[int, int], None] | None = None,
    cipher_key: str | None = None,
) -> GeneratedLedger:
    """Writes a synthetic ledger into the empty ledger at `url` (initialising it if need be).

    Each offender gets exactly `events_per_offender` events (at least 4: registration, allocation
    to probation, release, then the rest); the staff directory adds a few events per area. With
    `project`, the read models are brought up to date afterwards. `progress(done, total)` is called
    after each batch. The same arguments always give the same ledger. With `cipher_key` (default:
    LEDGER_CIPHER_KEY, if set), its events are encrypted and its read models sealed.
    """
    cipher_key = cipher_key or environment_key()
    if offenders < 1 or events_per_offender < 4 or areas < 1:
        raise ValueError("need offenders >= 1, events_per_offender >= 4 and areas >= 1")
    started = time.perf_counter()
    rng = random.Random(seed)
    clock = _Clock()
    app = _open(url, cipher_key)
    try:
        if app.head():
            raise ValueError(f"{url} already holds events; generate into an empty ledger")
        writer = _Writer(app, rng, clock)
        with _recording_clock(clock):
            refs, area_list, staff_events = _generate(
                writer, offenders, events_per_offender, areas, progress
            )
        total = writer.saved + staff_events
    finally:
        app.close()
    if project:
        _project(url, cipher_key)
    return GeneratedLedger(
        url=url,
        refs=refs,
        areas=[a.name for a in area_list],
        events=total,
        staff=sorted(writer.members),
        seconds=time.perf_counter() - started,
    )


def _generate(
    writer: _Writer,
    offenders: int,
    per_offender: int,
    area_count: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[str], list[_Area], int]:
    rng = writer.rng
    area_list = _make_areas(writer, area_count)
    members = list(writer.members.values())
    writer.app.save(*members)
    staff_events = sum(m.version for m in members)
    total = offenders * per_offender
    refs = [f"SYN-{i + 1:06d}" for i in range(offenders)]
    cases: list[_Case] = []
    queue: list[tuple[datetime, int]] = []
    for index, ref in enumerate(refs):
        # Histories of 2 to 12 years, all ending before HISTORY_END.
        span = timedelta(days=rng.randint(2 * 365, 12 * 365))
        latest_start = HISTORY_END - span
        start = latest_start - timedelta(days=rng.randint(0, 5 * 365), minutes=rng.randint(0, 1440))
        area = area_list[index % area_count]
        registrar = rng.choice(area.police[:3])
        writer.clock.now = start
        when = _valid_time(rng, start, start - timedelta(days=2), late=False)
        offender = Offender.register(
            ref,
            f"Synthetic Person {index + 1}",
            date(1950, 1, 1) + timedelta(days=rng.randint(0, 40 * 365)),
            rng.choice((1, 1, 1, 2, 3)),
            1,
            area.name,
            when,
            writer.person(registrar, when),
            registrar,
        )
        case = _Case(offender, area, start, span / per_offender, per_offender - 1, [1])
        cases.append(case)
        queue.append((start, index))
    heapq.heapify(queue)
    # Write every case's events in the order they were recorded, across all cases.
    while queue:
        at, index = heapq.heappop(queue)
        case = cases[index]
        writer.clock.now = at
        if case.started:
            _next_event(writer, case)
            case.remaining -= 1
        case.started = True
        writer.touched(index, case)
        if case.remaining > 0:
            jitter = case.step * (0.5 + rng.random())
            heapq.heappush(queue, (at + jitter, index))
        if progress is not None and writer.pending == 0:
            progress(writer.saved, total)
    writer.flush()
    if progress is not None:
        progress(writer.saved, total)
    return refs, area_list, staff_events


def _project(url: str, cipher_key: str | None) -> None:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings, parse_database_url
    from projections.catalogue import all_projections
    from projections.db import make_engine
    from projections.runner import catch_up

    settings = Settings(database=parse_database_url(url), cipher_key=cipher_key)
    app = open_ledger(settings)
    engine = make_engine(settings.database.sqlalchemy_url(), settings.database.schema, cipher_key)
    try:
        catch_up(engine, app, all_projections(settings))
    finally:
        engine.dispose()
        app.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a synthetic ledger (seeded, repeatable).")
    parser.add_argument("url", help="sqlite:///PATH or postgresql://USER@HOST/DB[?schema=NAME]")
    parser.add_argument("--offenders", type=int, default=1000)
    parser.add_argument("--events-per-offender", type=int, default=200)
    parser.add_argument("--areas", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-project", action="store_true", help="leave the read models empty")
    args = parser.parse_args(argv)

    def report(done: int, total: int) -> None:
        print(f"\r{done:,}/{total:,} events", end="", file=sys.stderr, flush=True)

    result = generate_ledger(
        args.url,
        offenders=args.offenders,
        events_per_offender=args.events_per_offender,
        seed=args.seed,
        areas=args.areas,
        project=not args.no_project,
        progress=report,
    )
    print(file=sys.stderr)
    rate = result.events / result.seconds if result.seconds else 0.0
    print(
        f"{result.events:,} events, {len(result.refs):,} offenders, {len(result.areas)} areas "
        f"in {result.seconds:.1f} s ({rate:,.0f} events/s)"
    )


if __name__ == "__main__":
    main()
