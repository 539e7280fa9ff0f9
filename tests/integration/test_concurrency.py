"""Two people writing to the same offender at the same moment, on SQLite and on PostgreSQL.

Each writer is a thread with its own `OffenderLedger` (its own connections), as two users' commands
would be. A barrier inside the command makes both writers load the same version of the offender
before either saves, so every round really collides: one save wins, the other hits the store's
version conflict and runs its command again on the fresh state.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from domain.errors import (
    AlreadyAcknowledgedError,
    AlreadyOwnerError,
    DomainError,
    OffenderAlreadyRegisteredError,
)
from domain.offender import Offender
from ledger.app import OffenderLedger
from ledger.bootstrap import open_ledger
from ledger.commands import (
    Acknowledge,
    Command,
    EnrolStaff,
    RecordEntry,
    RegisterOffender,
    Transfer,
)
from ledger.handlers import HANDLERS, handle
from ledger.settings import Settings
from tests.helpers import LedgerCLI

REF = "WMP-000123"
ROUNDS = 15


@pytest.fixture
def ledgers(registered) -> Iterator[Callable[[], OffenderLedger]]:
    """Opens as many independent ledger applications as a test asks for, and closes them."""
    opened: list[OffenderLedger] = []

    def open_one() -> OffenderLedger:
        app = open_ledger(Settings.from_environment(registered.url))
        opened.append(app)
        return app

    yield open_one
    for app in opened:
        app.close()


class Collision:
    """Makes the first attempt of each writer wait, once it has loaded the offender, until every
    writer has: each handler of the table runs behind this while installed."""

    def __init__(self, writers: int) -> None:
        self.barrier = threading.Barrier(writers, timeout=20)
        self.attempts = 0
        self._lock = threading.Lock()
        self._seen = threading.local()

    def wrap(self, handler: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def run(command: Any, act: Any) -> None:
            with self._lock:
                self.attempts += 1
            if not getattr(self._seen, "waited", False):
                self._seen.waited = True
                self.barrier.wait()
            handler(command, act)

        return run

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        original = dict(HANDLERS)
        HANDLERS.update({kind: self.wrap(handler) for kind, handler in original.items()})
        try:
            yield
        finally:
            HANDLERS.update(original)


def race(apps: list[OffenderLedger], commands: list[Command], by: list[str]) -> list[Any]:
    """Has each app handle its command, by `by`, at the same moment; returns each entry number
    or the refusal."""
    collision = Collision(len(apps))

    def write(i: int) -> Any:
        try:
            return handle(apps[i], "1001", [replace(commands[i], by=by[i])])[0].entry
        except DomainError as refusal:
            return refusal

    with collision.installed(), ThreadPoolExecutor(len(apps)) as pool:
        outcomes = list(pool.map(write, range(len(apps))))
    assert collision.attempts > len(apps), "the writers did not collide"
    return outcomes


def _now() -> Any:
    from domain.clock import utc_now

    return utc_now()


def entry(summary: str) -> Command:
    return RecordEntry.build(ref=REF, summary=summary)


def test_two_writers_appending_at_the_same_moment_both_succeed_and_nothing_is_lost(ledgers):
    apps = [ledgers(), ledgers()]
    written: list[int] = []
    for n in range(ROUNDS):
        outcomes = race(apps, [entry(f"A{n}"), entry(f"B{n}")], by=["4521", "7702"])
        assert all(isinstance(o, int) for o in outcomes), outcomes
        written.extend(outcomes)

    events = apps[0].offender_events(REF)
    assert sorted(written) == list(range(2, 2 + 2 * ROUNDS))
    assert [e.originator_version for e in events] == list(range(1, 2 + 2 * ROUNDS))
    summaries = {e.summary for e in events if isinstance(e, Offender.EntryRecorded)}
    assert summaries == {f"{w}{n}" for n in range(ROUNDS) for w in "AB"}


def test_four_writers_at_once_all_succeed(ledgers):
    apps = [ledgers() for _ in range(4)]
    for n in range(5):
        outcomes = race(apps, [entry(f"{w}{n}") for w in "ABCD"], by=["4521", "7702"] * 2)
        assert all(isinstance(o, int) for o in outcomes), outcomes
    assert apps[0].get_offender(REF).version == 1 + 4 * 5


def test_two_acknowledgements_of_one_entry_by_one_person_record_exactly_one(ledgers):
    apps = [ledgers(), ledgers()]
    handle(apps[0], "1001", [RecordEntry.build(ref=REF, summary="Intel", by="7702")])
    acknowledge = Acknowledge.build(ref=REF, entries=[2])
    outcomes = race(apps, [acknowledge, acknowledge], by=["4521", "4521"])
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyAcknowledgedError", "int"]
    refusal = next(o for o in outcomes if isinstance(o, AlreadyAcknowledgedError))
    assert "4521 has already acknowledged" in str(refusal)
    acks = [e for e in apps[1].offender_events(REF) if isinstance(e, Offender.EntriesAcknowledged)]
    assert len(acks) == 1


def test_two_transfers_to_the_same_new_owner_record_exactly_one(ledgers):
    apps = [ledgers(), ledgers()]
    # Both at the same moment: whichever is second finds 7702 already the owner then.
    transfer = Transfer.build(ref=REF, to="7702", reason="Moved", occurred_at=_now().isoformat())
    outcomes = race(apps, [transfer, transfer], by=["1001", "8801"])
    assert sorted(type(o).__name__ for o in outcomes) == ["AlreadyOwnerError", "int"]
    assert any(isinstance(o, AlreadyOwnerError) for o in outcomes)
    assert apps[0].get_offender(REF).owners == {"police": "4521", "probation": "7702"}


def test_two_registrations_of_one_reference_at_once_record_exactly_one(ledgers):

    apps = [ledgers(), ledgers()]
    barrier = threading.Barrier(2, timeout=20)

    def register(app: OffenderLedger) -> Any:
        barrier.wait()
        command = RegisterOffender.build(
            ref="WMP-000999",
            name="Jo Roe",
            born="1980-01-01",
            category=1,
            by="4521",
            occurred_at=_now().isoformat(),
        )
        try:
            return handle(app, "1001", [command])[0].entry
        except DomainError as refusal:
            return refusal

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(register, apps))
    assert sorted(type(o).__name__ for o in outcomes) == ["OffenderAlreadyRegisteredError", "int"]
    assert any(isinstance(o, OffenderAlreadyRegisteredError) for o in outcomes)
    assert len(apps[0].offender_events("WMP-000999")) == 1


# A process appending entries one after another, through the command line's own entry point.
APPENDER = """
import sys
from cli.main import app
process, count = sys.argv[1], int(sys.argv[2])
for n in range(count):
    try:
        app(["record", "entry", sys.argv[3], "--summary", f"P{process}-{n}"], prog_name="ledger")
    except SystemExit as done:
        if done.code:
            raise
"""


def test_separate_ledger_processes_appending_at_once_lose_nothing(registered, tmp_path: Path):
    """Several processes appending to one offender at the same time. Each appends its entries
    back to back in one process: their appends meet more often than those of one `ledger`
    process per entry, whose start-ups spread them out (the installed command's appends are
    driven end to end in tests/e2e)."""
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": registered.url,
        "LEDGER_ACTOR": "4521",
        "LEDGER_REASON": "testing",
    }
    per_process, processes = 4, 4
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, str(p), str(per_process), REF],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for p in range(processes)
    ]  # fmt: skip
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
        assert err == "" and len(out.splitlines()) == per_process
    app = open_ledger(Settings.from_environment(registered.url))
    try:
        events = app.offender_events(REF)
    finally:
        app.close()
    summaries = {e.summary for e in events if isinstance(e, Offender.EntryRecorded)}
    assert summaries == {f"P{p}-{n}" for p in range(processes) for n in range(per_process)}
    assert [e.originator_version for e in events] == list(range(1, 2 + per_process * processes))


def test_several_inits_at_once_on_a_new_ledger_all_succeed(database_url: str) -> None:
    """On a new PostgreSQL schema, inits run at once raced to create the same tables and types
    (duplicate key in pg_type, "tuple concurrently updated"); init is idempotent, so each must
    succeed and leave one whole ledger."""
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_REASON": "testing",
        "LEDGER_ACTOR": "1001",
    }
    ledger = str(Path(sys.executable).with_name("ledger"))
    runs = [
        subprocess.Popen([ledger, "init"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(5)
    ]  # fmt: skip
    for run in runs:
        _, err = run.communicate(timeout=120)
        assert run.returncode == 0, err
    LedgerCLI(database_url).ok("verify", "--json", actor="1001")


# ------------------------------------------------------------------- the first administrator


def _administrators(url: str) -> list[str]:
    from domain.clock import london_date, utc_now

    app = open_ledger(Settings.from_environment(url))
    try:
        return app.administrators_in_post(london_date(utc_now()))
    finally:
        app.close()


def test_first_enrolments_at_once_make_exactly_one_administrator(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each of several enrolments into an empty ledger would be its first, and so make its first
    administrator. However slow the step between finding the ledger empty and saving, exactly one
    finds it empty: the others are refused, as not administrators, and write nothing. One of the
    first enrolments is an import, which may enrol a first administrator too."""

    from domain.errors import NotAuthorisedError
    from domain.staff import StaffMember
    from ledger.importing import import_records, parse_lines

    LedgerCLI(database_url).ok("init")
    enrol = StaffMember.enrol.__func__  # type: ignore[attr-defined]

    def slow(cls: type[StaffMember], **fields: Any) -> StaffMember:
        member = enrol(cls, **fields)
        time.sleep(0.2)  # widen the window between the emptiness check and the save
        return member

    monkeypatch.setattr(StaffMember, "enrol", classmethod(slow))
    writers = 6
    apps = [open_ledger(Settings.from_environment(database_url)) for _ in range(writers)]
    start = threading.Barrier(writers, timeout=20)

    def first_enrolment(i: int) -> Any:
        staff = f"S{i}"
        start.wait()
        try:
            if i == 0:
                line = (
                    f'{{"command": "staff", "staff_id": "{staff}", "name": "X", '
                    '"agency": "police", "rank": "Insp", "since": "2015-01-01"}'
                )
                import_records(apps[i], staff, parse_lines([line]), dry_run=False)
                return staff
            enrolment = EnrolStaff.build(
                staff_id=staff, name="X", agency="police", rank="Insp", since="2015-01-01"
            )
            handle(apps[i], staff, [enrolment])
            return staff
        except DomainError as refusal:
            return refusal

    try:
        with ThreadPoolExecutor(writers) as pool:
            outcomes = list(pool.map(first_enrolment, range(writers)))
    finally:
        for app in apps:
            app.close()
    enrolled = [o for o in outcomes if isinstance(o, str)]
    assert len(enrolled) == 1, outcomes
    refusals = [o for o in outcomes if not isinstance(o, str)]
    assert all(isinstance(r, NotAuthorisedError) for r in refusals), refusals
    assert all("is not an administrator" in str(r) for r in refusals), refusals
    assert _administrators(database_url) == enrolled


def test_first_enrolments_by_separate_processes_make_exactly_one_administrator(
    database_url: str,
) -> None:
    """The installed command, run as several processes at once on an empty ledger."""
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_url,
        "LEDGER_REASON": "testing",
        "LEDGER_ACTOR": "1001",
    }
    ledger = str(Path(sys.executable).with_name("ledger"))
    LedgerCLI(database_url).ok("init")
    runs = [
        subprocess.Popen(
            [ledger, "--as", f"S{i}", "staff", "add", f"S{i}", "--name", "X", "--agency",
             "police", "--rank", "Insp", "--since", "2015-01-01"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for i in range(8)
    ]  # fmt: skip
    outcomes = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert sorted(code for code, _, _ in outcomes) == [0] + [1] * 7, outcomes
    for code, _, err in outcomes:
        if code == 1:
            lines = err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), err
            assert "is not an administrator" in lines[0], err
    (winner,) = [out.split()[-1] for code, out, _ in outcomes if code == 0]
    assert _administrators(database_url) == [winner]
    staff = LedgerCLI(database_url).ok("staff", "list", "--json", actor=winner).json()["staff"]
    assert [(m["staff_id"], m["admin"]) for m in staff] == [(winner, True)]


def test_the_administrators_lock_returns_its_connection_to_the_pool_as_it_came(
    postgres_url: str,
) -> None:
    """The lock is a PostgreSQL advisory lock on a connection from the event store's pool, whose
    connections are in autocommit mode; one handed back otherwise broke the next write to use it
    (a snapshot's: "assert conn.autocommit")."""

    LedgerCLI(postgres_url).ok("init")
    app = open_ledger(Settings.from_environment(postgres_url))
    try:
        enrolment = EnrolStaff.build(
            staff_id="1001", name="Ann", agency="police", rank="Insp", since="2015-01-01"
        )
        handle(app, None, [enrolment])
        with app.administrators_lock():
            pass
        datastore = app.recorder.datastore  # type: ignore[attr-defined]
        idle = datastore.pool.get_stats().get("pool_available", 0)
        assert idle >= 1
        with contextlib.ExitStack() as held:
            connections = [held.enter_context(datastore.get_connection()) for _ in range(idle)]
            assert all(conn.autocommit for conn in connections)
    finally:
        app.close()
