"""Tamper evidence when an edit stores a value of the wrong type: `ledger verify` reports it (exit 3)
and never fails on it.

SQLite keeps whatever type it is given in any column: `replace()` on a BLOB stores TEXT, and a
NULL, a number or text can go where the ledger writes bytes, an id or an entry number. PostgreSQL's
column types refuse most of that, but the payload and the topic may still be NULL and an entry
number may be any integer. Each of these is an edit made around the ledger, so each is tampering.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.helpers import Attacker

# Values PostgreSQL's column types refuse: these edits can only be made to a SQLite ledger.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def verified(cli, *args: str) -> tuple[int, dict[str, Any], str]:
    outcome = cli("verify", "--json", *args)
    return outcome.exit_code, outcome.json(), outcome.stderr


def kinds(report: dict[str, Any]) -> list[tuple[str, int]]:
    return [(p["kind"], p["position"]) for p in report["problems"]]


def assert_one_clean_error(stderr: str) -> None:
    assert stderr.startswith("error: the ledger has been altered"), stderr
    assert len(stderr.strip().splitlines()) == 1 and "Traceback" not in stderr


@SQLITE_ONLY
def test_a_payload_turned_into_text_by_replace_is_tampering(
    ledger_with_history, attacker, tmp_path
):
    digest = tmp_path / "digest.json"
    ledger_with_history.ok("verify", "--digest-out", str(digest))
    position = attacker.positions()[5]  # WMP-000123#2, the disclosure
    attacker.sql(
        f"UPDATE {attacker.events} SET state = replace(state, 'J', 'K') WHERE rowid = ?", position
    )
    assert attacker.sql(f"SELECT typeof(state) FROM {attacker.events} WHERE rowid = ?", position)[
        0
    ] == ("text",)

    for args in ((), ("--against", str(digest))):
        code, report, stderr = verified(ledger_with_history, *args)

        assert code == 3
        assert_one_clean_error(stderr)
        assert set(report) >= {"ok", "events", "digest", "problems"}
        assert report["ok"] is False and report["events"] == 8
        assert kinds(report) == [("payload_not_bytes", position)]
        assert report["problems"][0]["ref"] == "WMP-000123#2"
        assert "text" in report["problems"][0]["detail"]
        assert report["chain_intact"] is True

    # Without --json too: the report, then one error line, exit 3.
    outcome = ledger_with_history("verify")
    assert outcome.exit_code == 3 and "payload_not_bytes" in outcome.stdout
    assert_one_clean_error(outcome.stderr)


def test_a_payload_set_to_null_is_tampering(ledger_with_history, attacker):
    position = attacker.positions()[6]  # WMP-000123#3
    attacker.sql(f"UPDATE {attacker.events} SET state = NULL WHERE {attacker.pos} = ?", position)

    code, report, stderr = verified(ledger_with_history)

    assert code == 3
    assert_one_clean_error(stderr)
    assert kinds(report) == [("payload_not_bytes", position)]
    assert report["problems"][0]["ref"] == "WMP-000123#3"
    assert "NULL" in report["problems"][0]["detail"]


@SQLITE_ONLY
@pytest.mark.parametrize("value", [42, 4.5, ""], ids=["integer", "real", "empty-text"])
def test_a_payload_of_another_type_is_tampering(ledger_with_history, attacker, value):
    position = attacker.positions()[-1]  # the newest event, WMP-000123#4
    attacker.sql(f"UPDATE {attacker.events} SET state = ? WHERE rowid = ?", value, position)

    code, report, stderr = verified(ledger_with_history)

    assert code == 3
    assert_one_clean_error(stderr)
    assert kinds(report) == [("payload_not_bytes", position)]
    assert report["first_broken"] == {"position": position, "ref": "WMP-000123#4"}


def test_a_topic_set_to_null_is_tampering(ledger_with_history, attacker):
    position = attacker.positions()[5]
    attacker.sql(f"UPDATE {attacker.events} SET topic = NULL WHERE {attacker.pos} = ?", position)

    code, report, stderr = verified(ledger_with_history)

    assert code == 3
    assert_one_clean_error(stderr)
    assert kinds(report) == [("event_changed", position)]


@SQLITE_ONLY
def test_a_topic_stored_as_bytes_is_tampering(ledger_with_history, attacker):
    position = attacker.positions()[5]
    attacker.sql(
        f"UPDATE {attacker.events} SET topic = CAST(topic AS BLOB) WHERE rowid = ?", position
    )

    code, report, _ = verified(ledger_with_history)

    assert code == 3
    assert kinds(report) == [("event_changed", position)]


@pytest.mark.parametrize("version", ["-1", "originator_version + 1000"])
def test_an_entry_number_out_of_range_is_tampering(ledger_with_history, attacker, version):
    _entry_number_changed(ledger_with_history, attacker, version)


@SQLITE_ONLY
@pytest.mark.parametrize("version", ["NULL", "'two'", "2.5"])
def test_an_entry_number_of_the_wrong_type_is_tampering(ledger_with_history, attacker, version):
    report = _entry_number_changed(ledger_with_history, attacker, version)
    # A value that is no entry number: the chain names what belongs at this position.
    assert report["problems"][0]["entry"] == 4


def _entry_number_changed(cli, attacker: Attacker, version: str) -> dict[str, Any]:
    position = attacker.positions()[-1]
    attacker.sql(
        f"UPDATE {attacker.events} SET originator_version = {version} WHERE {attacker.pos} = ?",
        position,
    )
    code, report, stderr = verified(cli)
    assert code == 3
    assert_one_clean_error(stderr)
    assert kinds(report) == [("event_changed", position)]
    return report


@SQLITE_ONLY
@pytest.mark.parametrize("oid", ["'not an id'", "NULL", "7", "x'00'", "'abcd'"])
def test_a_stream_id_that_is_no_id_is_tampering(ledger_with_history, attacker, oid):
    position = attacker.positions()[5]
    attacker.sql(f"UPDATE {attacker.events} SET originator_id = {oid} WHERE rowid = ?", position)

    code, report, stderr = verified(ledger_with_history)

    assert code == 3
    assert_one_clean_error(stderr)
    assert kinds(report) == [("event_changed", position)]
    assert report["problems"][0]["ref"] == "WMP-000123#2"


@SQLITE_ONLY
@pytest.mark.parametrize("value", ["'text'", "42", "x'00'"])
def test_a_link_of_the_wrong_type_is_tampering(ledger_with_history, attacker, value):
    position = attacker.positions()[5]
    attacker.sql(f"UPDATE {attacker.chain} SET link = {value} WHERE position = ?", position)

    code, report, stderr = verified(ledger_with_history)

    assert code == 3
    assert_one_clean_error(stderr)
    assert kinds(report)[0] in {("link_malformed", position), ("chain_broken", position)}
    assert report["chain_intact"] is False


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("state_hash", "'x'"),
        ("state_hash", "42"),
        ("topic", "x'00'"),
        ("originator_id", "'x'"),
        ("originator_version", "'x'"),
    ],
)
@SQLITE_ONLY
def test_a_chain_value_of_the_wrong_type_is_tampering(ledger_with_history, attacker, column, value):
    position = attacker.positions()[-1]
    attacker.sql(f"UPDATE {attacker.chain} SET {column} = {value} WHERE position = ?", position)

    code, report, stderr = verified(ledger_with_history)

    assert code == 3
    assert_one_clean_error(stderr)
    assert ("link_malformed", position) in kinds(report)
    assert report["chain_intact"] is False


def test_a_negative_entry_number_in_the_chain_is_tampering(ledger_with_history, attacker):
    position = attacker.positions()[-1]
    attacker.sql(
        f"UPDATE {attacker.chain} SET originator_version = -5 WHERE position = ?", position
    )

    code, report, stderr = verified(ledger_with_history)

    assert code == 3
    assert_one_clean_error(stderr)
    assert ("chain_broken", position) in kinds(report)


@SQLITE_ONLY
def test_the_newest_link_of_the_wrong_type_is_tampering_against_a_kept_digest(
    ledger_with_history, attacker, tmp_path
):
    digest = tmp_path / "digest.json"
    ledger_with_history.ok("verify", "--digest-out", str(digest))
    newest = attacker.positions()[-1]
    attacker.sql(f"UPDATE {attacker.chain} SET link = 'x' WHERE position = ?", newest)

    code, report, stderr = verified(ledger_with_history, "--against", str(digest))

    assert code == 3
    assert_one_clean_error(stderr)
    assert kinds(report) == [("digest_mismatch", newest), ("link_malformed", newest)] or kinds(
        report
    ) == [("link_malformed", newest), ("digest_mismatch", newest)]


def test_check_reports_values_of_any_type_and_never_raises():
    """The checker itself, fed rows as an edit could leave them, including ones no database
    driver returns today (bytearray, memoryview)."""
    import hashlib
    from uuid import uuid4

    from ledger.integrity import GENESIS, link_hash
    from ledger.verification import _event_row, _link_row, check

    oid = uuid4()
    state = b'{"a": 1}'
    state_hash = hashlib.sha256(state).digest()
    link = link_hash(GENESIS, 1, oid.bytes, 1, "t", state_hash)
    good_link = _link_row(1, oid.hex, 1, "t", state_hash, link)
    assert check(iter([_event_row(1, oid.hex, 1, "t", state)]), iter([good_link])).ok
    assert check(iter([_event_row(1, oid, 1, "t", memoryview(state))]), iter([good_link])).ok

    weird: list[Any] = [None, "text", 42, 4.5, b"", bytearray(b"x"), -1, 2**70, object()]
    for value in weird:
        for column in range(1, 5):
            event = [1, oid.hex, 1, "t", state]
            event[column] = value
            report = check(iter([_event_row(*event)]), iter([good_link]))
            assert not report.ok, (column, value)
        for column in range(1, 6):
            row = [1, oid.hex, 1, "t", state_hash, link]
            row[column] = value
            report = check(iter([_event_row(1, oid.hex, 1, "t", state)]), iter([_link_row(*row)]))
            assert not report.ok, (column, value)
            report.as_dict()


def test_the_first_event_made_unreadable_is_tampering_too(ledger_with_history, attacker):
    """Every other command refuses a ledger whose first event does not decode (it would take it
    for an encryption key problem); verify reports it."""
    position = attacker.positions()[0]  # the first enrolment
    attacker.sql(f"UPDATE {attacker.events} SET state = NULL WHERE {attacker.pos} = ?", position)

    code, report, stderr = verified(ledger_with_history)

    assert code == 3
    assert_one_clean_error(stderr)
    assert kinds(report) == [("payload_not_bytes", position)]
