"""A new user's first session with the installed command: SQLite by default, then PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Shell

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

    # A remand: in custody (visits pause) until released without a licence.
    shell.ok("record", "custody", REF, "--reason", "remanded", "--summary",
             "Remanded on a new charge", "--occurred-at", "2016-11-20", "--by", "4633")  # fmt: skip
    assert shell.ok("show", REF, "--json").json()["in_custody"] is True
    held = shell.run(
        "record", "custody", REF, "--reason", "sentenced", "--occurred-at", "2016-12-01"
    )
    assert (
        held.returncode == 1 and held.stderr.startswith("error: ") and "already in" in held.stderr
    )
    shell.ok("record", "release", REF, "--no-licence", "--occurred-at", "2017-01-10", "--by",
             "4633")  # fmt: skip
    [period] = shell.ok("show", REF, "--json").json()["custody"]
    assert (period["from"], period["to"], period["released"]) == (
        "2016-11-20",
        "2017-01-10",
        "without a licence",
    )
    # The alerts standing are all open, and each still actionable.
    standing = shell.ok("alerts", "--offender", REF, "--json").json()["alerts"]
    assert all(a["state"] == "open" for a in standing)
    history = shell.ok("alerts", "--offender", REF, "--history", "--json").json()["alerts"]
    arms = next(a for a in history if a["rule"] == "ARMS_OVERDUE")
    assert arms["state"] == "closed late"  # the ARMS of 18 October came before the remand


def test_walkthrough_on_the_default_sqlite_file(tmp_path: Path):
    shell = Shell(tmp_path, "sqlite:///ledger.db")
    shell.env.pop("LEDGER_DATABASE_URL")  # the default: ledger.db in the current folder
    walkthrough(shell)
    assert (tmp_path / "ledger.db").is_file()


@pytest.mark.postgres
def test_walkthrough_on_postgresql(tmp_path: Path, postgres_url: str):
    walkthrough(Shell(tmp_path, postgres_url))
    assert list(tmp_path.iterdir()) == []


def readme_walkthrough() -> str:
    """The README's walkthrough, as a user pastes it."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A five-minute walkthrough", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def quoted_alerts() -> list[str]:
    """The `ledger alerts` table the README's closing note quotes, without its caption."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    note = readme.split("## A five-minute walkthrough", 1)[1].split("## Concepts", 1)[0]
    quoted = note.split("`ledger alerts` above printed", 1)[1].split("```\n", 1)[1]
    lines = quoted.split("```", 1)[0].rstrip("\n").split("\n")
    return [line.rstrip() for line in lines[:-1]]  # the caption is the moment asked about


def test_the_readme_walkthrough_ends_with_what_can_still_be_acted_on(tmp_path: Path):
    """The walkthrough pasted into a shell runs without a failure, and its morning check
    prints what the closing note quotes: only the alert that can still be acted on."""
    import subprocess

    shell = Shell(tmp_path, "sqlite:///walkthrough.db")
    env = {k: v for k, v in shell.env.items() if k != "LEDGER_REASON"} | {"COLUMNS": "80"}
    env["PATH"] = f"{Path(shell.command).parent}:{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-e", "-c", readme_walkthrough()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    printed = [line.rstrip() for line in done.stdout.split("\n")]
    quoted = quoted_alerts()
    start = printed.index(quoted[0])
    assert printed[start : start + len(quoted)] == quoted
