"""Importing a chronology: validated first, then saved all together or not at all."""

from __future__ import annotations

import json


def count_events(cli) -> int:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    ledger = open_ledger(Settings.from_environment(cli.url))
    try:
        return ledger.head()
    finally:
        ledger.close()


def write_lines(path, *records) -> str:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return str(path)


CHRONOLOGY = (
    {
        "command": "register",
        "ref": "WMP-000777",
        "name": "Carl Moss",
        "born": "1970-01-02",
        "category": 1,
        "area": "Coventry",
        "occurred_at": "2016-07-01",
        "by": "4521",
    },
    {
        "command": "release",
        "ref": "WMP-000777",
        "licence_end": "2030-07-01",
        "occurred_at": "2016-07-01",
        "by": "7702",
    },
    {
        "command": "disclosure",
        "ref": "WMP-000777",
        "summary": "Feels isolated",
        "risk_relevant": True,
        "occurred_at": "2016-10-17T14:30",
        "by": "7702",
    },
    {
        "command": "share",
        "ref": "WMP-000777",
        "entries": [3],
        "with": "police",
        "means": "phone",
        "occurred_at": "2016-10-18",
        "by": "7702",
    },
    {
        "command": "acknowledge",
        "ref": "WMP-000777",
        "entries": [3],
        "occurred_at": "2016-10-19",
        "by": "4521",
    },
)


def test_an_import_records_every_line_in_order(cli, tmp_path):
    path = write_lines(tmp_path / "c.jsonl", *CHRONOLOGY)
    out = cli.ok("import", path, "--json").json()
    assert out["records"] == 5
    assert [e["entry"] for e in out["entries"]] == [1, 2, 3, 4, 5]
    timeline = cli.ok("timeline", "WMP-000777", "--json").json()
    assert [e["type"] for e in timeline["entries"]] == [
        "Registered",
        "ReleasedOnLicence",
        "DisclosureRecorded",
        "EntriesShared",
        "EntriesAcknowledged",
    ]
    # A naive time in the file is Europe/London (BST in October), stored in UTC.
    assert timeline["entries"][2]["occurred_at"] == "2016-10-17T13:30:00+00:00"


def test_a_dry_run_checks_everything_and_saves_nothing(cli, tmp_path):
    path = write_lines(tmp_path / "c.jsonl", *CHRONOLOGY)
    before = count_events(cli)
    out = cli.ok("import", path, "--dry-run", "--json").json()
    assert out["dry_run"] is True and out["records"] == 5
    assert count_events(cli) == before


def test_a_malformed_line_refuses_the_whole_import(cli, tmp_path):
    bad = dict(CHRONOLOGY[2], occurred_at="17/10/2016")
    path = write_lines(tmp_path / "c.jsonl", CHRONOLOGY[0], CHRONOLOGY[1], bad)
    before = count_events(cli)
    out = cli("import", path)
    assert out.exit_code == 2
    assert out.stderr.startswith("error: line 3:") and len(out.stderr.splitlines()) == 1
    assert count_events(cli) == before


def test_a_rule_broken_late_in_the_file_refuses_the_whole_import(cli, tmp_path):
    twice = CHRONOLOGY[4]
    path = write_lines(tmp_path / "c.jsonl", *CHRONOLOGY, twice)
    before = count_events(cli)
    out = cli("import", path)
    assert out.exit_code == 1
    assert "line 6:" in out.stderr and "already acknowledged" in out.stderr
    assert count_events(cli) == before


def test_an_unknown_command_names_the_choices(cli, tmp_path):
    path = write_lines(tmp_path / "c.jsonl", {"command": "gossip", "ref": "WMP-000777"})
    out = cli("import", path)
    assert out.exit_code == 2
    assert "'command' must be one of" in out.stderr


def test_an_empty_ledger_can_be_bootstrapped_by_an_import(sqlite_url, tmp_path):
    from tests.conftest import LedgerCLI

    runner = LedgerCLI(sqlite_url)
    runner.ok("init")
    path = write_lines(
        tmp_path / "c.jsonl",
        {
            "command": "staff",
            "staff_id": "9000",
            "name": "First Admin",
            "agency": "police",
            "rank": "Insp",
            "since": "2015-01-01",
        },
        {
            "command": "staff",
            "staff_id": "4521",
            "name": "Sam Reid",
            "agency": "police",
            "rank": "PC",
            "since": "2015-01-01",
        },
        *CHRONOLOGY[:1],
    )
    out = runner.ok("import", path, "--json", actor="9000").json()
    assert out["records"] == 3
    staff = runner.ok("staff", "list", "--json", actor="9000").json()["staff"]
    assert {m["staff_id"]: m["admin"] for m in staff} == {"4521": False, "9000": True}


def test_a_future_time_is_a_rule_as_on_the_command_line_and_an_empty_one_is_malformed(
    cli, tmp_path
):
    before = count_events(cli)
    future = {**CHRONOLOGY[0], "occurred_at": "2999-01-01"}
    out = cli("import", write_lines(tmp_path / "f.jsonl", future))
    assert out.exit_code == 1
    assert out.stderr.startswith("error: line 1: occurred_at 2999-01-01 is in the future")
    empty = {**CHRONOLOGY[0], "occurred_at": " "}
    out = cli("import", write_lines(tmp_path / "e.jsonl", empty))
    assert out.exit_code == 2 and out.stderr.startswith("error: line 1: ")
    assert count_events(cli) == before


def test_a_correction_that_corrects_nothing_is_refused_as_on_the_command_line(cli, tmp_path):
    path = write_lines(tmp_path / "c.jsonl", *CHRONOLOGY)
    cli.ok("import", path)
    before = count_events(cli)
    for record in (
        {"command": "correct", "ref": "WMP-000777", "entry": 1, "reason": "nothing said"},
        {"command": "correct", "ref": "WMP-000777", "entry": 1, "reason": "r", "summary": "   "},
    ):
        out = cli("import", write_lines(tmp_path / "n.jsonl", record))
        assert out.exit_code == 2 and out.stderr.startswith("error: line 1: "), out.stderr
    assert count_events(cli) == before
