"""The installed `ledger` command, run in a subprocess in a folder of its own, as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


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
