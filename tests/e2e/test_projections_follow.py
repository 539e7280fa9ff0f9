"""`ledger projections run --follow` as an operator runs it: in its own process, following new
events (LISTEN/NOTIFY on PostgreSQL, polling on SQLite) until SIGINT or SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from tests.e2e.helpers import LEDGER, lag, wait_until
from tests.helpers import LedgerCLI


def start_follower(cli: LedgerCLI) -> subprocess.Popen[str]:
    env = dict(os.environ, LEDGER_DATABASE_URL=cli.url, LEDGER_ACTOR="1001", LEDGER_REASON="ops")
    follower = subprocess.Popen(
        [LEDGER, "projections", "run", "--follow", "--poll-interval", "0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert follower.stderr is not None
    first = follower.stderr.readline()
    assert first.startswith("following "), first
    return follower


@pytest.mark.parametrize("stop_with", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_follower_applies_new_events_as_they_come_and_stops_cleanly(
    registered: LedgerCLI, stop_with: signal.Signals
) -> None:
    follower = start_follower(registered)
    try:
        assert wait_until(lambda: lag(registered) == 0), "the follower never caught up"

        for n in range(3):
            registered.ok("record", "entry", "WMP-000123", "--summary", f"Seen {n}", "--by", "4521")
            # Nobody reads in between: only the follower brings the read models up to date.
            assert wait_until(lambda: lag(registered) == 0), "a new event was not followed"

        head = registered.ok("projections", "status", "--json").json()["head"]
        follower.send_signal(stop_with)
        _, stderr = follower.communicate(timeout=20)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()

    assert follower.returncode == 0, stderr
    assert f"stopped at position {head} (ledger head {head})" in stderr
    assert "Traceback" not in stderr


def test_run_once_catches_up_and_reports_where(registered: LedgerCLI) -> None:
    registered.ok("record", "entry", "WMP-000123", "--summary", "Seen", "--by", "4521")

    outcome = registered.ok("projections", "run")

    head = registered.ok("projections", "status", "--json").json()["head"]
    assert f"caught up to position {head}" in outcome.stdout
    assert lag(registered) == 0
