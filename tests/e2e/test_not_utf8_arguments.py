"""Bytes that are not UTF-8 on the real command line are refused before the command runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.helpers import Shell, in_process, registered_in_process

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
    shell = registered_in_process(tmp_path)  # only the command given bad bytes is a process
    made = in_process(shell)
    before = made.ok("timeline", REF, "--json").json()["entries"]

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
