"""The synthetic ledger generator writes a real, readable ledger, the same one for the same seed."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from bench.synthetic import generate_ledger
from tests.helpers import LedgerCLI


def test_generates_the_requested_histories_into_a_readable_ledger(database_url: str) -> None:
    generated = generate_ledger(database_url, offenders=6, events_per_offender=40, areas=3)

    assert generated.refs == [f"SYN-{i:06d}" for i in range(1, 7)]
    assert generated.areas == ["Birmingham", "Coventry", "Wolverhampton"]
    cli = LedgerCLI(database_url)
    cli.actor = "9000"  # the generated administrator
    status = cli.ok("projections", "status", "--json").json()
    # Offender events plus the staff directory's own; the read models are caught up.
    assert status["head"] == generated.events > 6 * 40
    assert all(p["lag"] == 0 for p in status["projections"])
    timeline = cli.ok("timeline", "SYN-000004", "--json").json()
    assert [e["entry"] for e in sorted(timeline["entries"], key=lambda e: e["entry"])] == list(
        range(1, 41)
    )
    kinds = Counter(e["type"] for e in timeline["entries"])
    assert kinds["Registered"] == 1 and kinds["ReleasedOnLicence"] >= 1
    show = cli.ok("show", "SYN-000004", "--json").json()
    assert set(show["owners"]) == {"police", "probation"}


def test_a_generated_ledger_takes_new_entries_through_the_cli(sqlite_url: str) -> None:
    generate_ledger(sqlite_url, offenders=2, events_per_offender=120, areas=1)
    cli = LedgerCLI(sqlite_url)
    cli.actor = "9000"

    recorded = cli.ok("record", "entry", "SYN-000002", "--summary", "Seen in town", "--json")

    assert recorded.json() == {"ref": "SYN-000002", "entry": 121}


def test_the_same_seed_gives_the_same_ledger(tmp_path: object) -> None:
    def stored(seed: int, name: str) -> list[tuple[object, ...]]:
        path = f"{tmp_path}/{name}.db"
        generate_ledger(
            f"sqlite:///{path}", offenders=4, events_per_offender=30, areas=2, seed=seed
        )
        with sqlite3.connect(path) as conn:
            return conn.execute(
                "SELECT originator_id, originator_version, topic, state FROM stored_events "
                "ORDER BY rowid"
            ).fetchall()

    first = stored(7, "a")
    assert stored(7, "b") == first
    assert stored(8, "c") != first


def test_refuses_a_ledger_that_already_holds_events(sqlite_url: str) -> None:
    generate_ledger(sqlite_url, offenders=1, events_per_offender=4, areas=1, project=False)

    with pytest.raises(ValueError, match="already holds events"):
        generate_ledger(sqlite_url, offenders=1, events_per_offender=4, areas=1)


def test_late_transfers_go_to_someone_other_than_the_owner_at_their_time(sqlite_url: str) -> None:
    """A ledger big enough to hold transfers recorded late (occurring before one recorded
    earlier): the generator picks each new owner against the owner at the transfer's own time, as
    the domain judges it, so generating does not stop with AlreadyOwnerError."""
    from domain.clock import chronological_key
    from domain.offender import Offender
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    generated = generate_ledger(
        sqlite_url, offenders=60, events_per_offender=200, areas=2, project=False
    )

    ledger = open_ledger(Settings.from_environment(sqlite_url))
    try:
        events = [e for _, e in ledger.read_events(0, generated.events + 1)]
    finally:
        ledger.close()
    assert len(events) == generated.events
    latest: dict[tuple[object, str], tuple[object, ...]] = {}
    late = 0
    for event in events:
        if isinstance(event, Offender.OwnershipTransferred):
            key = (event.originator_id, event.to_person["agency"].value)
            at = chronological_key(event.occurred_at, event.originator_version)
            if key in latest and at < latest[key]:
                late += 1
            latest[key] = max(latest.get(key, at), at)
    assert late > 0
