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
    from tests.helpers import LedgerCLI

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


def many_entries(offenders: int, entries: int) -> list[dict]:
    records: list[dict] = []
    for i in range(offenders):
        ref = f"IMQ-{i:05d}"
        records.append(
            {"command": "register", "ref": ref, "name": "I", "born": "1970-01-01",
             "category": 1, "occurred_at": "2016-01-01", "by": "4521"}
        )  # fmt: skip
        records.extend(
            {"command": "entry", "ref": ref, "summary": f"e{j}", "occurred_at": "2016-02-01",
             "by": "4521"}
            for j in range(entries)
        )  # fmt: skip
    return records


def test_a_large_import_is_saved_in_chunks_in_one_transaction(cli, tmp_path, monkeypatch):
    """On PostgreSQL an import of more than INSERT_CHUNK events is inserted a chunk at a time
    (the library's single pipelined insert hung once it was tens of megabytes): in order, each
    with its hash-chain link, all committed together. On SQLite the same import is one insert."""
    from ledger import postgres_recorder

    monkeypatch.setattr(postgres_recorder, "INSERT_CHUNK", 7)
    before = count_events(cli)
    records = many_entries(3, 10)

    cli.ok("import", write_lines(tmp_path / "many.jsonl", *records))

    assert count_events(cli) == before + len(records)
    assert cli.ok("verify", "--json").json()["ok"] is True
    entries = cli.ok("timeline", "IMQ-00002", "--json").json()["entries"]
    assert sorted(e["entry"] for e in entries) == list(range(1, 12))


def test_an_import_failing_in_a_later_chunk_saves_nothing(postgres_url, tmp_path, monkeypatch):
    from ledger import postgres_recorder
    from tests.helpers import LedgerCLI, enrol

    cli = enrol(LedgerCLI(postgres_url))
    monkeypatch.setattr(postgres_recorder, "INSERT_CHUNK", 7)
    fetch = postgres_recorder.ChainedPostgresRecorder._fetch_ids_after_insert_events
    calls: list[int] = []

    def fail_third(self, curs, stored_events, **kwargs):
        calls.append(len(stored_events))
        if len(calls) == 3:
            raise RuntimeError("the connection broke in the third chunk")
        return fetch(self, curs, stored_events, **kwargs)

    monkeypatch.setattr(
        postgres_recorder.ChainedPostgresRecorder, "_fetch_ids_after_insert_events", fail_third
    )
    before = count_events(cli)

    out = cli("import", write_lines(tmp_path / "many.jsonl", *many_entries(3, 10)))

    assert out.exit_code != 0 and "third chunk" in out.stderr
    assert calls == [7, 7, 7]
    monkeypatch.undo()
    assert count_events(cli) == before
    assert cli.ok("verify", "--json").json()["ok"] is True


def test_an_import_interrupted_while_it_reports_says_it_was_saved(cli, tmp_path, monkeypatch):
    """Ctrl-C after the save (while the lines are printed) used to end with exit 130 and no
    word, though every record was in the ledger: running the import again then failed."""
    from cli import importing

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(importing, "say", interrupted)
    before = count_events(cli)

    out = cli("import", write_lines(tmp_path / "c.jsonl", *CHRONOLOGY))

    assert out.exit_code == 130
    assert out.stderr == (
        f"error: interrupted after all {len(CHRONOLOGY)} records of the import was saved; "
        "nothing more was recorded (the read models catch up at the next command)\n"
    )
    assert count_events(cli) == before + len(CHRONOLOGY)


def test_an_import_interrupted_before_the_save_says_nothing_was_recorded(
    cli, tmp_path, monkeypatch
):
    import ledger.importing

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(ledger.importing, "import_records", interrupted)
    before = count_events(cli)

    out = cli("import", write_lines(tmp_path / "c.jsonl", *CHRONOLOGY))

    assert (out.exit_code, out.stderr) == (130, "error: interrupted; nothing was recorded\n")
    assert count_events(cli) == before
