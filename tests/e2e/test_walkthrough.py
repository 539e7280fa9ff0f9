"""A new user's first session with the installed command: SQLite by default, then PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import Shell

REF = "WMP-000123"


def walkthrough(shell: Shell) -> None:
    assert "ledger ready at" in shell.ok("init").stdout
    shell.ok(
        "staff",
        "add",
        "1001",
        "--name",
        "Ann Admin",
        "--agency",
        "police",
        "--rank",
        "Insp",
        "--admin",
        "--since",
        "2015-01-01",
    )
    shell.env["LEDGER_ACTOR"] = "1001"
    shell.ok(
        "staff",
        "add",
        "4521",
        "--name",
        "Sam Reid",
        "--agency",
        "police",
        "--rank",
        "PC",
        "--since",
        "2015-01-01",
    )
    shell.ok(
        "staff",
        "add",
        "4633",
        "--name",
        "Lee Hart",
        "--agency",
        "police",
        "--rank",
        "PC",
        "--since",
        "2015-01-01",
    )
    shell.ok(
        "staff",
        "add",
        "7702",
        "--name",
        "Pat Lowe",
        "--agency",
        "probation",
        "--rank",
        "Probation Officer",
        "--since",
        "2015-01-01",
    )

    registered = shell.ok(
        "offender",
        "register",
        REF,
        "--name",
        "John Doe",
        "--born",
        "1975-03-02",
        "--category",
        "1",
        "--area",
        "Birmingham",
        "--occurred-at",
        "2016-07-04",
        "--by",
        "4521",
    )
    assert registered.stdout == f"{REF}#1\n"
    assert (
        shell.ok(
            "record",
            "release",
            REF,
            "--licence-end",
            "2036-07-04",
            "--occurred-at",
            "2016-07-04",
            "--by",
            "7702",
        ).stdout
        == f"{REF}#2\n"
    )
    shell.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-04")  # 3
    assert (
        shell.ok(
            "record",
            "disclosure",
            REF,
            "--summary",
            "Says he feels isolated",
            "--risk-relevant",
            "--occurred-at",
            "2016-09-12",
            "--by",
            "7702",
        ).stdout
        == f"{REF}#4\n"
    )
    entry = shell.ok(
        "record",
        "entry",
        REF,
        "--summary",
        "Seen near a school at night",
        "--occurred-at",
        "2016-10-17T14:30",
        "--by",
        "4521",
        "--json",
    )
    assert entry.json() == {"ref": REF, "entry": 5}
    shell.ok(
        "record",
        "assessment",
        REF,
        "--tool",
        "ARMS",
        "--risk",
        "high",
        "--occurred-at",
        "2016-10-18",
        "--by",
        "4521",
    )
    shell.ok(
        "transfer", REF, "--to", "4633", "--occurred-at", "2016-11-01", "--reason", "Moved area"
    )
    shell.ok("acknowledge", REF, "4", "5", "--occurred-at", "2016-11-03", "--by", "4633")

    # Refused: acknowledging again says so in one line and changes nothing.
    again = shell.run("acknowledge", REF, "5", "--by", "4633")
    assert again.returncode == 1 and again.stderr.startswith("error: ") and again.stdout == ""
    assert len(again.stderr.strip().splitlines()) == 1

    show = shell.ok("show", REF, "--json").json()
    assert show["risk"] == "high" and show["on_licence"] is True
    assert show["owners"] == {"police": "4633", "probation": "7702"}
    assert show["entries"] == 8

    timeline = shell.ok("timeline", REF, "--json").json()
    assert [e["entry"] for e in timeline["entries"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert timeline["entries"][3]["occurred_at"] == "2016-09-12"
    assert timeline["entries"][4]["occurred_at"] == "2016-10-17T13:30:00+00:00"
    assert [e["type"] for e in timeline["entries"]][-2:] == [
        "OwnershipTransferred",
        "EntriesAcknowledged",
    ]

    # People read tables; they are printed too.
    assert "Seen near a school" in shell.ok("timeline", REF).stdout
    assert "John Doe" in shell.ok("show", REF).stdout


def test_walkthrough_on_the_default_sqlite_file(tmp_path: Path):
    shell = Shell(tmp_path, "sqlite:///ledger.db")
    shell.env.pop("LEDGER_DATABASE_URL")  # the default: ledger.db in the current folder
    walkthrough(shell)
    assert (tmp_path / "ledger.db").is_file()


@pytest.mark.postgres
def test_walkthrough_on_postgresql(tmp_path: Path, postgres_url: str):
    walkthrough(Shell(tmp_path, postgres_url))
    assert list(tmp_path.iterdir()) == []
