"""Recording through the CLI, on SQLite and on PostgreSQL."""

from __future__ import annotations


def count_events(cli) -> int:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    ledger = open_ledger(Settings.from_environment(cli.url))
    try:
        return ledger.head()
    finally:
        ledger.close()


def test_a_disclosure_is_recorded_as_the_next_entry(registered):
    out = registered.ok(
        "record",
        "disclosure",
        "WMP-000123",
        "--summary",
        "Feels isolated",
        "--risk-relevant",
        "--occurred-at",
        "2016-10-17T14:30",
        "--by",
        "7702",
    )
    assert out.stdout.strip() == "WMP-000123#2"


def test_acknowledging_twice_is_refused_and_writes_nothing(registered):
    registered.ok("record", "entry", "WMP-000123", "--summary", "Intel", "--by", "7702")
    registered.ok("acknowledge", "WMP-000123", "2", "--by", "4521")
    before = count_events(registered)
    out = registered("acknowledge", "WMP-000123", "2", "--by", "4521")
    assert out.exit_code == 1
    assert out.stderr.startswith("error:") and len(out.stderr.strip().splitlines()) == 1
    assert count_events(registered) == before


def test_show_reads_its_own_writes(registered):
    registered.ok(
        "record",
        "assessment",
        "WMP-000123",
        "--tool",
        "ARMS",
        "--risk",
        "high",
        "--occurred-at",
        "2016-08-01",
    )
    doc = registered.ok("show", "WMP-000123", "--json").json()
    assert doc["risk"] == "high"
    assert doc["owners"] == {"police": "4521"}
