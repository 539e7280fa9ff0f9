"""Bytes that are not UTF-8 on the real command line are refused before the command runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.helpers import InProcessShell, Shell

REF = "WMP-000123"


def run_bytes(shell: Shell, *args: str | bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [shell.command, *args],
        cwd=shell.folder,
        env=shell.env,
        capture_output=True,
        timeout=120,
    )


def test_an_argument_of_invalid_utf8_is_a_usage_error_and_writes_nothing(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/ledger.db"
    made = InProcessShell(tmp_path, url)  # only the command given bad bytes need be a process
    made.ok("init")
    made.ok("staff", "add", "1001", "--name", "Ann", "--agency", "police", "--rank", "Insp")
    made.env["LEDGER_ACTOR"] = "1001"
    made.ok("offender", "register", REF, "--name", "J", "--born", "1975-03-02", "--category", "1")
    before = made.ok("timeline", REF, "--json").json()["entries"]
    shell = Shell(tmp_path, url)
    shell.env["LEDGER_ACTOR"] = "1001"

    # A lone UTF-16 surrogate, as CESU-8 writes it: not valid UTF-8.
    done = run_bytes(shell, "record", "entry", REF, "--summary", b"\xed\xa0\x80")

    assert done.returncode == 2
    assert done.stdout == b""
    stderr = done.stderr.decode()
    assert stderr.splitlines() == [
        "error: --summary is not valid text (UTF-8): check that the terminal or script "
        "uses UTF-8, and type it again"
    ]
    assert made.ok("timeline", REF, "--json").json()["entries"] == before
