"""Helpers the end-to-end tests share: the installed `ledger` command, run in a subprocess in a
folder of its own, as a user would; and the in-process CLI's follower checks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import LedgerCLI


def ledger_executable() -> str:
    """The console script installed beside this Python, else the one on PATH."""
    beside = Path(sys.executable).with_name("ledger")
    if beside.exists():
        return str(beside)
    found = shutil.which("ledger")
    if found is None:
        pytest.fail("the 'ledger' command is not installed; run: pip install -e '.[test]'")
    return found


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Shell:
    """A user's shell: one folder, one environment, the installed command."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")
        }
        self.env.update(
            LEDGER_DATABASE_URL=database_url, LEDGER_REASON="e2e walkthrough", COLUMNS="200"
        )
        self.command = ledger_executable()

    def run(self, *args: str) -> Run:
        done = subprocess.run(
            [self.command, *args],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Run(args, done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Run:
        done = self.run(*args)
        assert done.returncode == 0, (
            f"ledger {' '.join(args)} exited {done.returncode}: {done.stderr}"
        )
        assert "Traceback" not in done.stderr
        return done


class InProcessShell(Shell):
    """A Shell whose commands run in this process (tests.helpers.LedgerCLI) rather than as the
    installed command: for building a ledger that a test then reads with the installed command,
    when what it checks is not the building. Its database URL must not depend on the folder."""

    def __init__(self, folder: Path, database_url: str) -> None:
        self.folder = folder
        self.env = {
            "LEDGER_DATABASE_URL": database_url,
            "LEDGER_REASON": "e2e walkthrough",
            "COLUMNS": "200",
        }

    def run(self, *args: str) -> Run:
        out = LedgerCLI(self.env["LEDGER_DATABASE_URL"])(*args, env=dict(self.env))
        return Run(args, out.exit_code, out.stdout, out.stderr)


def registered_in_process(folder: Path, name: str = "J") -> Shell:
    """The installed command, acting as the administrator 1001, on a SQLite ledger in `folder`
    where 1001 is enrolled and WMP-000123 registered under `name`. The ledger is made in this
    process: the tests that use it look at one later command, not at how it was made."""
    shell = Shell(folder, f"sqlite:///{folder}/ledger.db")
    made = in_process(shell)
    made.ok("init")
    made.ok("staff", "add", "1001", "--name", "Ann", "--agency", "police", "--rank", "Insp")
    made.env["LEDGER_ACTOR"] = shell.env["LEDGER_ACTOR"] = "1001"
    made.ok("offender", "register", REF, "--name", name, "--born", "1975-03-02",
            "--category", "1")  # fmt: skip
    return shell


def in_process(shell: Shell) -> InProcessShell:
    """`shell`'s ledger, as its actor, with each command run in this process: for the steps
    around the one command a test runs as the installed `ledger`."""
    made = InProcessShell(shell.folder, shell.env["LEDGER_DATABASE_URL"])
    if "LEDGER_ACTOR" in shell.env:
        made.env["LEDGER_ACTOR"] = shell.env["LEDGER_ACTOR"]
    return made


def imported_module_names(shell: Shell, *args: str) -> set[str]:
    """Every module the installed command imports, by its full name (`python -X importtime`)."""
    script = Path(shell.command)
    python = script.read_text().splitlines()[0].removeprefix("#!")
    done = subprocess.run(
        [python, "-X", "importtime", str(script), *args],
        cwd=shell.folder,
        env=shell.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s*([\w.]+)$", done.stderr, re.MULTILINE)
    assert names, "python -X importtime printed nothing"
    return set(names)


def imported_modules(shell: Shell, *args: str) -> set[str]:
    """The top-level packages the installed command imports."""
    return {name.split(".")[0] for name in imported_module_names(shell, *args)}


LEDGER = str(Path(sys.executable).with_name("ledger"))


def lag(cli: LedgerCLI) -> int:
    status = cli.ok("projections", "status", "--json").json()
    return max(p["lag"] for p in status["projections"])


def wait_until(condition: object, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


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
