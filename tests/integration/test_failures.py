"""When the database cannot be used, every command exits 4 with one `error:` line naming the
database and what to check, within 10 seconds, and leaves nothing half-written.

PostgreSQL is stopped only in a cluster these tests create for themselves (`pg_createcluster`, a
free port, dropped afterwards), never the shared one, nor one another run of the suite is using. The 10-second bound is the contract's
promise to a user waiting at a prompt, asserted as such; it is not a benchmark.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import LedgerCLI
from tests.integration.helpers import command_paths

REF = "WMP-000123"
DEADLINE = 10.0
LEDGER = Path(sys.executable).with_name("ledger")
PG_VERSION = os.environ.get("LEDGER_TEST_PG_VERSION", "15")

# One invocation of every command that uses the database (keygen does not).
COMMANDS: dict[str, list[str]] = {
    "init": ["init"],
    "verify": ["verify", "--json"],
    "acknowledge": ["acknowledge", REF, "1"],
    "transfer": ["transfer", REF, "--to", "7702"],
    "share": ["share", REF, "1", "--with", "probation"],
    "correct": ["correct", REF, "1", "--reason", "Typo", "--summary", "Fixed"],
    "show": ["show", REF, "--json"],
    "timeline": ["timeline", REF, "--json"],
    "ownership": ["ownership", REF, "--json"],
    "who-knew": ["who-knew", REF, "--json"],
    "alerts": ["alerts", "--json"],
    "import": ["import", "{import_file}"],
    "audit": ["audit", "--json"],
    "export": ["export", REF, "--format", "json", "--out", "{tmp}/export.json"],
    "staff add": ["staff", "add", "5555", "--name", "New", "--agency", "police", "--rank", "PC"],
    "staff rank": ["staff", "rank", "4521", "--rank", "PS", "--since", "2020-01-01"],
    "staff area": ["staff", "area", "4521", "--area", "Coventry"],
    "staff leave": ["staff", "leave", "4521"],
    "staff list": ["staff", "list", "--json"],
    "offender register": [
        "offender",
        "register",
        "WMP-000999",
        "--name",
        "Al Smith",
        "--born",
        "1980-01-01",
        "--category",
        "1",
    ],
    "offender list": ["offender", "list", "--json"],
    "record release": ["record", "release", REF, "--licence-end", "2030-01-01"],
    "record custody": ["record", "custody", REF, "--reason", "remanded"],
    "record registration-end": [
        "record",
        "registration-end",
        REF,
        "--reason",
        "expired",
        "--summary",
        "Ended",
    ],
    "record disclosure": ["record", "disclosure", REF, "--summary", "Feels isolated"],
    "record visit": ["record", "visit", REF, "--kind", "home", "--outcome", "Seen"],
    "record entry": ["record", "entry", REF, "--summary", "Intel"],
    "record concern": ["record", "concern", REF, "--summary", "Loitering"],
    "record assessment": ["record", "assessment", REF, "--tool", "ARMS", "--risk", "high"],
    "record review": ["record", "review", REF, "--summary", "Risk up"],
    "record decision": ["record", "decision", REF, "--decision", "Visit", "--rationale", "Risk"],
    "record disagreement": ["record", "disagreement", REF, "--with", "7702", "--summary", "No"],
    "record escalation": ["record", "escalation", REF, "--to", "8801", "--reason", "Risk"],
    "record mappa-referral": ["record", "mappa-referral", REF, "--level", "2", "--reason", "R"],
    "record mappa-meeting": [
        "record",
        "mappa-meeting",
        REF,
        "--level",
        "2",
        "--attendees",
        "4521,7702",
        "--summary",
        "Met",
    ],
    "record recall-decision": [
        "record",
        "recall-decision",
        REF,
        "--decision",
        "no-recall",
        "--rationale",
        "Stable",
    ],
    "projections status": ["projections", "status", "--json"],
    "projections rebuild": ["projections", "rebuild"],
    "projections run": ["projections", "run"],
}
WITHOUT_DATABASE = {"keygen"}
# Under a held lock each command waits out the busy timeout; these cover every place that waits
# (the event store, the read models, the access log, the first look at the file).
LOCK_SAMPLE = ["init", "verify", "record entry", "staff add", "show", "staff list", "audit"]


@dataclass
class Ran:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    elapsed: float


def invocation(name: str, tmp: Path) -> list[str]:
    import_file = tmp / "import.jsonl"
    if not import_file.exists():
        import_file.write_text(json.dumps({"command": "entry", "ref": REF, "summary": "x"}) + "\n")
    return [a.format(tmp=tmp, import_file=import_file) for a in COMMANDS[name]]


# The tests of a held lock or a silent server run at the default lock wait (LEDGER_LOCK_WAIT, 5 s):
# each command waits once, not once per write, so it ends within ONE_LOCK_WAIT, which two waits
# could not, and within the contract's DEADLINE.
LOCK_WAIT = 5.0
ONE_LOCK_WAIT = 2 * LOCK_WAIT - 0.2


def run_ledger(url: str, args: list[str], timeout: float = 60) -> Ran:
    env = dict(
        os.environ,
        LEDGER_DATABASE_URL=url,
        LEDGER_ACTOR="1001",
        LEDGER_REASON="testing failures",
        LEDGER_CIPHER_KEY="",
        LEDGER_LOCK_WAIT=str(LOCK_WAIT),
    )
    start = time.monotonic()
    done = subprocess.run(
        [str(LEDGER), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    return Ran(args, done.returncode, done.stdout, done.stderr, time.monotonic() - start)


def run_in_process(url: str, args: list[str]) -> Ran:
    """`run_ledger`'s command and environment, run in this process (`LedgerCLI`)."""
    cli = LedgerCLI(url)
    cli.actor, cli.reason = "1001", "testing failures"
    start = time.monotonic()
    out = cli(*args, env={"LEDGER_LOCK_WAIT": str(LOCK_WAIT)})
    return Ran(args, out.exit_code, out.stdout, out.stderr, time.monotonic() - start)


def run_all(url: str, invocations: list[list[str]], workers: int) -> list[Ran]:
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda args: run_ledger(url, args), invocations))


def run_waiting(url: str, invocations: list[list[str]], workers: int) -> list[Ran]:
    """Runs commands that each wait out the lock wait once, `workers` at a time, beside the rest
    of the suite. A command that took longer than ONE_LOCK_WAIT is run once more, by itself, and
    its second run stands: the other tests' load can stretch one start-up by seconds, but a
    command that waits twice takes two lock waits every time."""
    results = run_all(url, invocations, workers)
    return [ran if ran.elapsed < ONE_LOCK_WAIT else run_ledger(url, ran.args) for ran in results]


# The tests that hold a lock or a silent server and time the commands waiting on it: slow (sorted
# first), and one after another on one pytest-xdist worker, so that their waits, which need no
# CPU, overlap the other workers' tests rather than one another's start-ups.
def waits(test: Callable[..., None]) -> Callable[..., None]:
    return pytest.mark.slow(pytest.mark.xdist_group("waits")(test))


def assert_unavailable(ran: Ran, where: str, hint: str) -> None:
    lines = ran.stderr.strip().splitlines()
    assert ran.code == 4, f"{ran.args}: exit {ran.code}: {ran.stderr}"
    assert len(lines) == 1 and lines[0].startswith("error: "), f"{ran.args}: {ran.stderr}"
    assert where in lines[0], f"{ran.args} does not name the database: {lines[0]}"
    assert hint in lines[0], f"{ran.args} does not say what to check: {lines[0]}"
    assert ran.stdout == "", f"{ran.args} printed {ran.stdout!r}"
    assert ran.elapsed < DEADLINE, f"{ran.args} took {ran.elapsed:.1f}s"


def populate(cli: LedgerCLI) -> None:
    cli.ok("init")
    staff = [
        ("1001", "Ann Admin", "police", "Insp", "--admin"),
        ("4521", "Sam Reid", "police", "PC", None),
        ("7702", "Pat Lowe", "probation", "Probation Officer", None),
        ("8801", "Kim Senior", "probation", "Senior Probation Officer", "--senior"),
    ]
    for staff_id, name, agency, rank, flag in staff:
        args = ["staff", "add", staff_id, "--name", name, "--agency", agency, "--rank", rank]
        cli.ok(*args, "--since", "2010-01-01", *([flag] if flag else []))
        cli.actor = "1001"
    cli.ok(
        "offender",
        "register",
        REF,
        "--name",
        "John Doe",
        "--born",
        "1975-03-02",
        "--category",
        "1",
        "--occurred-at",
        "2016-07-04",
        "--by",
        "4521",
    )


def event_count(url: str) -> int:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    ledger = open_ledger(Settings.from_environment(url))
    try:
        return ledger.head()
    finally:
        ledger.close()


def access_log_size(url: str) -> int:
    from sqlalchemy import func, select

    from ledger.settings import parse_database_url
    from projections.access_log import AccessRow
    from projections.db import make_engine

    db = parse_database_url(url)
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(AccessRow)) or 0
    finally:
        engine.dispose()


@pytest.fixture(autouse=True)
def installed_command() -> None:
    if not LEDGER.exists():
        pytest.skip(f"the ledger command is not installed at {LEDGER}")


def test_every_command_that_uses_the_database_is_exercised_here():
    missing = command_paths() - set(COMMANDS) - WITHOUT_DATABASE
    assert not missing, f"add a sample invocation for: {missing}"


# ------------------------------------------------------------------------ unreachable server


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("postgresql://postgres@127.0.0.1:1/test", "127.0.0.1:1/test"),
        ("postgresql://postgres@no-such-host.invalid:5432/test", "no-such-host.invalid"),
    ],
    ids=["wrong-port", "unknown-host"],
)
def test_every_command_exits_4_when_the_server_cannot_be_reached(url, where, tmp_path):
    for name in sorted(set(COMMANDS) & command_paths()):
        ran = run_in_process(url, invocation(name, tmp_path))
        assert_unavailable(ran, where, "check the server is running")


@contextmanager
def hung_server() -> Iterator[int]:
    """A port where connections are accepted and never answered, like a server that hangs."""
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in accepted:
            conn.close()
        listener.close()


@waits
def test_commands_against_a_server_that_never_answers_exit_4_within_the_deadline(tmp_path):
    names = [n for n in LOCK_SAMPLE if n in command_paths()]
    with hung_server() as port:
        url = f"postgresql://postgres@127.0.0.1:{port}/test"
        results = run_waiting(url, [invocation(n, tmp_path) for n in names], workers=4)

    for ran in results:
        assert_unavailable(ran, f"127.0.0.1:{port}/test", "check the server is running")
        assert "timeout" in ran.stderr
        # The connect timeout (the lock wait in whole seconds), once.
        assert ran.elapsed < ONE_LOCK_WAIT, f"{ran.args} took {ran.elapsed:.1f}s"


# --------------------------------------------------------------- a PostgreSQL of our own, stopped


@dataclass
class Cluster:
    """A PostgreSQL cluster made for one test run: concurrent runs each stop only their own."""

    name: str
    port: int

    def ctl(self, action: str, *extra: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, self.name, action, *extra],
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        if self.ctl("status").returncode != 0:
            self.ctl("start").check_returncode()

    def stop(self, mode: str = "fast") -> None:
        self.ctl("stop", "-m", mode).check_returncode()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[Cluster]:
    """A PostgreSQL cluster that only this module's tests use and may stop; dropped at the end."""
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_createcluster") is None:
        pytest.skip("no pg_createcluster here to run a PostgreSQL cluster of the tests' own")
    cluster = Cluster(f"ledgertest_{uuid.uuid4().hex[:8]}", free_port())
    trust = ("--", "--auth=trust")  # initdb's option, passed through
    made = subprocess.run(
        ["pg_createcluster", PG_VERSION, cluster.name, "-p", str(cluster.port), *trust],
        capture_output=True,
        text=True,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot create a PostgreSQL cluster of our own: {made.stderr.strip()}")
    try:
        cluster.start()
        yield cluster
    finally:
        subprocess.run(
            ["pg_dropcluster", PG_VERSION, cluster.name, "--stop"], capture_output=True, timeout=60
        )


@pytest.fixture
def own_ledger(own_postgres: Cluster) -> LedgerCLI:
    """A populated ledger in a fresh schema of our own cluster (dropped with the cluster)."""
    own_postgres.start()
    cli = LedgerCLI(f"{own_postgres.url}?schema=f_{uuid.uuid4().hex[:12]}")
    populate(cli)
    return cli


@pytest.mark.slow
@pytest.mark.xdist_group("own_postgres")  # one worker makes the cluster, not each
def test_every_command_exits_4_when_postgresql_is_stopped(own_postgres, own_ledger, tmp_path):
    """Every command in this process, and a sample (a write, a read, `init`) as the installed
    command: a process's start-up is the same for every command, and costs a test run more
    than the command itself."""
    names = sorted(set(COMMANDS) & command_paths())
    before = event_count(own_ledger.url)
    logged = access_log_size(own_ledger.url)
    own_postgres.stop()
    try:
        installed = ["init", "record entry", "show"]
        results = run_all(own_ledger.url, [invocation(n, tmp_path) for n in installed], workers=3)
        results += [run_in_process(own_ledger.url, invocation(n, tmp_path)) for n in names]
    finally:
        own_postgres.start()
    for ran in results:
        assert_unavailable(ran, f"127.0.0.1:{own_postgres.port}/postgres", "server is running")
    assert event_count(own_ledger.url) == before
    assert access_log_size(own_ledger.url) == logged


WRITER = """
import sys, time
from cli.main import app
ref, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    start = time.monotonic()
    try:
        app(["record", "entry", ref, "--summary", f"entry {i}"], prog_name="ledger")
    except SystemExit as done:
        print(i, done.code, round(time.monotonic() - start, 2), flush=True)
"""

READER = """
from cli.main import app
while True:
    try:
        app(["timeline", sys.argv[1], "--json"], prog_name="ledger")
    except SystemExit:
        pass
""".replace("from cli", "import sys\nfrom cli")


@contextmanager
def running(script: str, url: str, *args: str, out: Path) -> Iterator[subprocess.Popen[str]]:
    env = dict(os.environ, LEDGER_DATABASE_URL=url, LEDGER_ACTOR="1001", LEDGER_REASON="load")
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            env=env,
            stdout=sink,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


def outcomes(out: Path) -> list[tuple[int, int, float]]:
    """(attempt, exit status, seconds) for each write the writer attempted."""
    rows = []
    for line in out.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            rows.append((int(parts[0]), int(parts[1]), float(parts[2])))
    return rows


def wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the background run did not get that far in time")
        time.sleep(0.1)


def assert_ledger_consistent(cli: LedgerCLI, succeeded: set[int]) -> None:
    """After recovery: every event has its read-model row, no entry is missing or doubled, every
    write that reported success is there, and the hash chain is whole."""
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    timeline = cli.ok("timeline", REF, "--json").json()["entries"]
    ledger = open_ledger(Settings.from_environment(cli.url))
    try:
        events = ledger.offender_events(REF)
    finally:
        ledger.close()
    assert [e["entry"] for e in timeline] == sorted(e["entry"] for e in timeline)
    assert sorted(e["entry"] for e in timeline) == list(range(1, len(events) + 1))
    summaries = [e["summary"] for e in timeline if e["summary"].startswith("entry ")]
    assert len(summaries) == len(set(summaries)), "a write was applied twice"
    assert {f"entry {i}" for i in succeeded} <= set(summaries), "a reported write is missing"
    status = cli.ok("projections", "status", "--json").json()
    assert all(p["lag"] == 0 for p in status["projections"]), status
    if "verify" in command_paths():
        assert cli.ok("verify", "--json").json()["ok"] is True


@pytest.mark.slow
@pytest.mark.xdist_group("own_postgres")  # one worker makes the cluster, not each
def test_a_server_stopped_in_the_middle_of_writes_leaves_every_write_whole_or_absent(
    own_postgres, own_ledger, tmp_path
):
    writes, reads = tmp_path / "writes.txt", tmp_path / "reads.txt"
    with (
        running(WRITER, own_ledger.url, REF, "100000", out=writes),
        running(READER, own_ledger.url, REF, out=reads),
    ):
        wait_for(lambda: sum(1 for o in outcomes(writes) if o[1] == 0) >= 20, 60)
        own_postgres.stop("immediate")  # as a crash would: no checkpoint, connections cut
        try:
            wait_for(lambda: sum(1 for o in outcomes(writes) if o[1] != 0) >= 3, 60)
        finally:
            own_postgres.start()

    attempts = outcomes(writes)
    failed = [o for o in attempts if o[1] != 0]
    assert {o[1] for o in failed} == {4}, failed
    assert max(o[2] for o in failed) < DEADLINE, failed
    assert_ledger_consistent(own_ledger, {o[0] for o in attempts if o[1] == 0})
    # And the ledger takes writes again.
    own_ledger.ok("record", "entry", REF, "--summary", "after the restart")


@pytest.mark.slow
def test_a_sqlite_writer_killed_in_the_middle_leaves_every_write_whole_or_absent(
    sqlite_url, tmp_path
):
    cli = LedgerCLI(sqlite_url)
    populate(cli)
    writes, reads = tmp_path / "writes.txt", tmp_path / "reads.txt"
    with (
        running(WRITER, sqlite_url, REF, "100000", out=writes) as writer,
        running(READER, sqlite_url, REF, out=reads) as reader,
    ):
        wait_for(lambda: len(outcomes(writes)) >= 30, 60)
        writer.send_signal(signal.SIGKILL)
        reader.send_signal(signal.SIGKILL)

    attempts = outcomes(writes)
    assert {o[1] for o in attempts} == {0}, attempts
    assert_ledger_consistent(cli, {o[0] for o in attempts})
    cli.ok("record", "entry", REF, "--summary", "after the crash")


# ---------------------------------------------------------------------- SQLite: locked, read-only


# Every read command too: a read writes to the access log before it reads, and a write that
# fails must not be followed by another wait (a read under a held write lock once took 10.5 s).
LOCKED_SQLITE_SAMPLE = [
    *LOCK_SAMPLE,
    "timeline",
    "ownership",
    "who-knew",
    "alerts",
    "offender list",
    "export",
    "projections status",
]


@contextmanager
def exclusively_locked(path: str, *, readers_too: bool = True) -> Iterator[None]:
    """Another connection holding SQLite's exclusive lock. With `readers_too` (exclusive locking
    mode) no one else may read or write; without, as a plain `BEGIN EXCLUSIVE` in WAL mode,
    others may still read but not write."""
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        if readers_too:
            holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@waits
@pytest.mark.parametrize("readers_too", [True, False], ids=["no-reads", "reads-allowed"])
def test_commands_on_a_locked_sqlite_file_exit_4_within_the_deadline(
    sqlite_url, tmp_path, readers_too
):
    cli = LedgerCLI(sqlite_url)
    populate(cli)
    path = sqlite_url[len("sqlite:///") :]
    before, logged = event_count(sqlite_url), access_log_size(sqlite_url)
    names = [n for n in LOCKED_SQLITE_SAMPLE if n in command_paths()]

    with exclusively_locked(path, readers_too=readers_too):
        results = run_waiting(sqlite_url, [invocation(n, tmp_path) for n in names], workers=4)

    for ran in results:
        assert_unavailable(ran, path, "not locked")
        assert "locked" in ran.stderr
        assert ran.elapsed < ONE_LOCK_WAIT, f"{ran.args} took {ran.elapsed:.1f}s"
    assert event_count(sqlite_url) == before
    assert access_log_size(sqlite_url) == logged


# ------------------------------------------------------------ PostgreSQL: the event table locked


# The commands that append events, one per way into the event store.
PG_LOCKED_WRITES = ["record entry", "staff add", "offender register", "import", "acknowledge"]


@contextmanager
def event_table_locked(url: str) -> Iterator[str]:
    """Another session holding the event table's EXCLUSIVE lock, as a writer or an import does
    while it inserts; yields the schema's name."""
    import psycopg

    from ledger.settings import parse_database_url

    db = parse_database_url(url)
    with psycopg.connect(
        host=db.host, port=db.port, user=db.user, dbname=db.dbname, password=db.password
    ) as holder:
        holder.execute(f'LOCK TABLE "{db.schema}".ledger_events IN EXCLUSIVE MODE')
        yield db.schema
        holder.rollback()


@waits
def test_writes_wait_once_for_a_locked_postgresql_event_table_then_exit_4(postgres_url, tmp_path):
    """Waited for without limit, a lock held by a hung import once queued every writer for good;
    each now waits its lock wait (LEDGER_LOCK_WAIT, 5 seconds unless set) once, and says the
    table is locked, writing nothing."""
    cli = LedgerCLI(postgres_url)
    populate(cli)
    before = event_count(postgres_url)

    with event_table_locked(postgres_url) as schema:
        results = run_waiting(
            postgres_url, [invocation(n, tmp_path) for n in PG_LOCKED_WRITES], workers=5
        )

    for ran in results:
        assert_unavailable(ran, schema, "locked by another connection")
        assert ran.elapsed < ONE_LOCK_WAIT, f"{ran.args} took {ran.elapsed:.1f}s"
    assert event_count(postgres_url) == before


def test_commands_on_a_damaged_sqlite_file_exit_4_and_say_so(sqlite_url, tmp_path):
    """Pages in the middle overwritten (a failing disk): every command said 'unexpected failure'
    (exit 1), and init cut its message off mid-parenthesis."""
    cli = LedgerCLI(sqlite_url)
    populate(cli)
    path = sqlite_url[len("sqlite:///") :]
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert os.path.getsize(path) > 8192 + 40000
    with open(path, "r+b") as damaged:
        damaged.seek(8192)
        damaged.write(b"\xde\xad" * 20000)

    for name in ["show", "verify", "record entry", "init"]:
        ran = run_ledger(sqlite_url, invocation(name, tmp_path))
        assert_unavailable(ran, path, "the file is damaged: restore it from a backup")
        assert "malformed" in ran.stderr


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """`path` cannot be written, even by root (who ignores permission bits)."""
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.skip(f"cannot make {path} immutable here: {made.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.mark.slow
@pytest.mark.parametrize("what", ["file", "folder"])
def test_commands_on_a_read_only_sqlite_ledger_exit_4(what, tmp_path):
    folder = tmp_path / "ledger"
    folder.mkdir()
    url = f"sqlite:///{folder}/ledger.db"
    cli = LedgerCLI(url)
    populate(cli)
    before = event_count(url)
    target = folder / "ledger.db" if what == "file" else folder

    with read_only(target):
        results = run_all(
            url, [invocation(n, tmp_path) for n in ("record entry", "show", "init")], workers=3
        )

    for ran in results:
        assert_unavailable(ran, str(folder / "ledger.db"), "writable")
    assert event_count(url) == before


def test_a_sqlite_file_name_with_url_characters_is_one_file(tmp_path):
    """`?`, `#` and `%` mean something in a URL: the read models must still open the file the
    event store does, and no other."""
    from tests.helpers import LedgerCLI, enrol

    name = "a?b#c%41 d.db"
    cli = enrol(LedgerCLI(f"sqlite:///{tmp_path / name}"), "1001")
    assert cli.ok("staff", "list", "--json").json()
    made = {p.name for p in tmp_path.iterdir()}
    assert made <= {name, f"{name}-wal", f"{name}-shm", f"{name}.administrators.lock"}, made
