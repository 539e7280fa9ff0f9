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


def imported_modules(shell: Shell, *args: str) -> set[str]:
    """The top-level packages the installed command imports, read from `python -X importtime`."""
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
    return {name.split(".")[0] for name in names}


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
