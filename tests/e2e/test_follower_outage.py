"""The follower survives PostgreSQL going away for a moment: a server of the test's own is stopped
under it and started again; the follower says so, retries, and follows the next event."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import LEDGER, lag, wait_until
from tests.helpers import LedgerCLI

BIN = Path("/usr/lib/postgresql/15/bin")


def as_postgres(*command: str) -> list[str]:
    """Server commands refuse to run as root; run them as the postgres user there."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port

    def ctl(self, *args: str) -> None:
        subprocess.run(
            as_postgres(str(BIN / "pg_ctl"), "-D", str(self.folder / "data"), "-w", *args),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.ctl("-o", options, "-l", str(self.folder / "log"), "start")

    def stop(self) -> None:
        self.ctl("-m", "fast", "stop")


@pytest.fixture
def server() -> Iterator[Server]:
    if not (BIN / "initdb").exists() or (os.geteuid() == 0 and not shutil.which("runuser")):
        pytest.skip("needs PostgreSQL 15's server programs to run a server of the test's own")
    # Not under pytest's own temporary folder: the postgres user cannot reach into that.
    folder = Path(tempfile.mkdtemp(prefix="ledger-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    subprocess.run(
        as_postgres(
            str(BIN / "initdb"),
            "-D",
            str(folder / "data"),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    running = Server(folder, free_port())
    running.start()
    yield running
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
        running.stop()
    shutil.rmtree(folder, ignore_errors=True)


def test_the_follower_waits_for_postgres_to_come_back(server: Server) -> None:
    cli = LedgerCLI(f"postgresql://postgres@127.0.0.1:{server.port}/postgres")
    cli.ok("init")
    cli.ok(
        "staff",
        "add",
        "1001",
        "--name",
        "A",
        "--agency",
        "police",
        "--rank",
        "Insp",
        "--admin",
        "--since",
        "2010-01-01",
    )
    cli.actor = "1001"
    cli.ok(
        "offender",
        "register",
        "WMP-1",
        "--name",
        "J",
        "--born",
        "1970-01-01",
        "--category",
        "1",
        "--occurred-at",
        "2016-01-01",
    )
    env = dict(os.environ, LEDGER_DATABASE_URL=cli.url, LEDGER_ACTOR="1001", LEDGER_REASON="ops")
    follower = subprocess.Popen(
        [LEDGER, "projections", "run", "--follow"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    said: list[str] = []
    assert follower.stderr is not None
    reader = threading.Thread(target=lambda: said.extend(follower.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        assert wait_until(lambda: lag(cli) == 0)

        server.stop()
        assert wait_until(lambda: any("database is unavailable" in s for s in said))
        time.sleep(1)
        server.start()
        cli.ok("record", "entry", "WMP-1", "--summary", "After the outage")

        assert wait_until(lambda: lag(cli) == 0, seconds=60), "".join(said)
        follower.send_signal(signal.SIGINT)
        follower.wait(timeout=30)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.wait()
    reader.join(timeout=5)

    text = "".join(said)
    assert follower.returncode == 0, text
    assert "retrying in" in text and "the database is back" in text
    assert "stopped at position" in text and "Traceback" not in text
