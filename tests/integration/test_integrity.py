"""Tamper evidence: `ledger verify` catches every edit made directly in the database.

The attacker here has the database owner's rights: before editing rows they switch off the
append-only triggers (dropping them on SQLite, `session_replication_role = replica` on
PostgreSQL), so these tests exercise the hash chain itself.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ledger.settings import parse_database_url


def verify(cli, *args: str) -> tuple[int, dict[str, Any]]:
    outcome = cli("verify", "--json", *args)
    return outcome.exit_code, outcome.json()


def test_an_untouched_ledger_verifies_and_gives_its_digest(ledger_with_history):
    code, report = verify(ledger_with_history)
    assert code == 0
    assert report["ok"] is True and report["problems"] == []
    assert report["events"] == 8
    assert report["digest"]["position"] == 8 and len(report["digest"]["hash"]) == 64


def test_a_changed_byte_of_a_payload_is_caught_and_named(ledger_with_history, attacker):
    position = attacker.positions()[5]  # WMP-000123#2, the disclosure
    state = bytearray(attacker.state(position))
    state[len(state) // 2] ^= 0x01
    attacker.set_state(position, bytes(state))

    outcome = ledger_with_history("verify", "--json")

    assert outcome.exit_code == 3
    assert outcome.stderr.startswith("error:") and "WMP-000123#2" in outcome.stderr
    report = outcome.json()
    assert report["ok"] is False
    assert report["problems"][0]["kind"] == "payload_changed"
    assert report["problems"][0]["position"] == position
    assert report["problems"][0]["ref"] == "WMP-000123#2"
    # Only the payload differs from what was chained: the chain itself still holds.
    assert report["chain_intact"] is True


def test_a_deleted_event_is_caught(ledger_with_history, attacker):
    position = attacker.positions()[6]  # WMP-000123#3
    attacker.sql(f"DELETE FROM {attacker.events} WHERE {attacker.pos} = ?", position)

    code, report = verify(ledger_with_history)

    assert code == 3
    assert report["first_broken"] == {"position": position, "ref": "WMP-000123#3"}
    assert report["problems"][0]["kind"] == "event_missing"


def test_a_deleted_event_and_its_link_break_the_chain(ledger_with_history, attacker):
    position = attacker.positions()[6]
    attacker.sql(f"DELETE FROM {attacker.events} WHERE {attacker.pos} = ?", position)
    attacker.sql(f"DELETE FROM {attacker.chain} WHERE position = ?", position)

    code, report = verify(ledger_with_history)

    assert code == 3
    assert report["problems"][0]["kind"] == "chain_broken"
    assert report["problems"][0]["position"] == attacker.positions()[6]
    assert report["chain_intact"] is False


def test_a_forged_event_is_caught(ledger_with_history, attacker):
    position, *_ = attacker.forge_after_newest()

    code, report = verify(ledger_with_history)

    assert code == 3
    assert report["problems"][0]["kind"] == "event_unchained"
    assert report["problems"][0]["position"] == position
    assert report["problems"][0]["ref"] == "WMP-000123#5"
    assert report["problems"][0]["ref"] == "WMP-000123#5"


def test_a_forged_event_with_a_forged_link_is_caught(ledger_with_history, attacker):
    position, oid, version, topic, state = attacker.forge_after_newest()
    attacker.sql(
        f"INSERT INTO {attacker.chain} VALUES (?, ?, ?, ?, ?, ?)",
        position,
        oid,
        version,
        topic,
        hashlib.sha256(state).digest(),
        bytes(32),
    )

    code, report = verify(ledger_with_history)

    assert code == 3
    assert [p["kind"] for p in report["problems"]] == ["chain_broken"]
    assert report["problems"][0]["position"] == position


def test_two_swapped_events_are_caught(ledger_with_history, attacker):
    first, second = attacker.positions()[5:7]
    attacker.move(first, 10_000)
    attacker.move(second, first)
    attacker.move(10_000, second)

    code, report = verify(ledger_with_history)

    assert code == 3
    assert [(p["kind"], p["position"]) for p in report["problems"]] == [
        ("event_changed", first),
        ("event_changed", second),
    ]
    assert report["problems"][0]["ref"] == "WMP-000123#3"  # the event now found at `first`


def test_a_changed_link_is_caught(ledger_with_history, attacker):
    position = attacker.positions()[2]
    attacker.sql(f"UPDATE {attacker.chain} SET link = ? WHERE position = ?", bytes(32), position)

    code, report = verify(ledger_with_history)

    assert code == 3
    assert report["problems"][0] == {
        **report["problems"][0],
        "kind": "chain_broken",
        "position": position,
        "ref": "staff 7702#1",
    }


def test_removing_the_newest_event_is_caught(ledger_with_history, attacker):
    newest = attacker.positions()[-1]
    attacker.sql(f"DELETE FROM {attacker.events} WHERE {attacker.pos} = ?", newest)

    code, report = verify(ledger_with_history)

    assert code == 3
    assert report["first_broken"] == {"position": newest, "ref": "WMP-000123#4"}


def test_removing_the_newest_event_with_its_link_is_caught_against_a_kept_digest(
    ledger_with_history, attacker, tmp_path
):
    digest = tmp_path / "digest.json"
    ledger_with_history.ok("verify", "--digest-out", str(digest))
    newest = attacker.positions()[-1]
    attacker.sql(f"DELETE FROM {attacker.events} WHERE {attacker.pos} = ?", newest)
    attacker.sql(f"DELETE FROM {attacker.chain} WHERE position = ?", newest)

    # The rest of the chain is consistent: only the digest kept elsewhere shows the loss.
    assert verify(ledger_with_history)[0] == 0
    code, report = verify(ledger_with_history, "--against", str(digest))

    assert code == 3
    assert report["problems"][0]["kind"] == "digest_truncated"
    assert report["problems"][0]["position"] == newest


def test_removing_events_the_read_models_had_seen_is_caught_without_a_digest(
    ledger_with_history, attacker
):
    ledger_with_history.ok("show", "WMP-000123")  # the read models catch up to the newest event
    newest = attacker.positions()[-1]
    attacker.sql(f"DELETE FROM {attacker.events} WHERE {attacker.pos} = ?", newest)
    attacker.sql(f"DELETE FROM {attacker.chain} WHERE position = ?", newest)

    code, report = verify(ledger_with_history)

    assert code == 3
    assert [(p["kind"], p["position"]) for p in report["problems"]] == [
        ("read_models_ahead", newest)
    ]


def test_a_consistently_rewritten_chain_is_caught_only_against_a_kept_digest(
    ledger_with_history, attacker, tmp_path
):
    digest = tmp_path / "digest.json"
    ledger_with_history.ok("verify", "--digest-out", str(digest))
    position = attacker.positions()[5]
    attacker.set_state(position, attacker.state(position).replace(b"isolated", b"fine....."))
    attacker.rechain()

    assert verify(ledger_with_history)[0] == 0
    code, report = verify(ledger_with_history, "--against", str(digest))

    assert code == 3
    assert report["problems"][0]["kind"] == "digest_mismatch"


def test_a_digest_at_position_0_other_than_the_genesis_is_a_mismatch(ledger_with_history):
    """Position 0 is the empty ledger, whose hash is the genesis, all zeros: any other hash there
    is not a digest this ledger extends (exit 3, as any mismatch)."""
    code, report = verify(ledger_with_history, "--against", "0:" + "1" * 64)

    assert code == 3
    assert [(p["kind"], p["position"]) for p in report["problems"]] == [("digest_mismatch", 0)]
    out = ledger_with_history("verify", "--against", "0:" + "1" * 64)
    assert out.exit_code == 3
    assert "does NOT extend the digest at position 0" in out.stdout
    assert out.stderr.startswith("error: the ledger has been altered") and "digest_mismatch" in (
        out.stderr
    )

    code, report = verify(ledger_with_history, "--against", "0:" + "0" * 64)
    assert code == 0 and report["ok"]


def test_the_digest_of_an_empty_ledger_is_extended_by_what_follows(database_url, tmp_path):
    from tests.helpers import LedgerCLI, enrol

    empty = LedgerCLI(database_url)
    empty.ok("init")
    digest = tmp_path / "empty-digest.json"
    empty.ok("verify", "--digest-out", str(digest), actor="1001")
    assert json.loads(digest.read_text()) == {"position": 0, "hash": "0" * 64}

    cli = enrol(empty)
    assert verify(cli, "--against", str(digest))[0] == 0


def test_a_ledger_that_grew_still_extends_an_older_digest(ledger_with_history, tmp_path):
    digest = tmp_path / "digest.json"
    ledger_with_history.ok("verify", "--digest-out", str(digest))
    kept = json.loads(digest.read_text())
    ledger_with_history.ok("record", "entry", "WMP-000123", "--summary", "Later intelligence")

    code, report = verify(ledger_with_history, "--against", str(digest))

    assert code == 0
    assert report["against"] == kept
    assert report["digest"]["position"] > kept["position"]


def test_no_digest_is_written_for_an_altered_ledger(ledger_with_history, attacker, tmp_path):
    position = attacker.positions()[-1]
    attacker.sql(f"DELETE FROM {attacker.events} WHERE {attacker.pos} = ?", position)
    digest = tmp_path / "digest.json"

    outcome = ledger_with_history("verify", "--digest-out", str(digest))

    assert outcome.exit_code == 3
    assert not digest.exists()


def test_a_malformed_digest_file_is_a_usage_error(ledger_with_history, tmp_path):
    digest = tmp_path / "digest.json"
    digest.write_text("not a digest")

    outcome = ledger_with_history("verify", "--against", str(digest))

    assert outcome.exit_code == 2
    assert outcome.stderr.startswith("error:") and len(outcome.stderr.strip().splitlines()) == 1


def test_verify_pages_through_a_ledger_longer_than_one_page(ledger_with_history):
    from ledger.verification import verify as verify_ledger

    db = parse_database_url(ledger_with_history.url)
    whole = verify_ledger(db)
    paged = verify_ledger(db, page=3)

    assert paged.ok and paged.events == whole.events == 8
    assert paged.head == whole.head


def test_writers_appending_at_once_leave_one_unbroken_chain(ledger_with_history):
    from concurrent.futures import ThreadPoolExecutor

    from ledger.bootstrap import open_ledger
    from ledger.commands import RecordEntry
    from ledger.handlers import handle
    from ledger.settings import Settings

    refs = [f"WMP-90000{i}" for i in range(4)]
    for ref in refs:
        ledger_with_history.ok(
            "offender", "register", ref, "--name", "N", "--born", "1980-01-01", "--category", "1"
        )
    apps = [open_ledger(Settings.from_environment(ledger_with_history.url)) for _ in refs]

    def write(i: int) -> None:
        for n in range(10):
            handle(apps[i], "1001", [RecordEntry.build(ref=refs[i], summary=f"entry {n}")])

    try:
        with ThreadPoolExecutor(len(refs)) as pool:
            list(pool.map(write, range(len(refs))))
    finally:
        for app in apps:
            app.close()

    code, report = verify(ledger_with_history)
    assert code == 0, report["problems"]
    assert report["events"] == 8 + 4 + 40
