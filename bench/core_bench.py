"""Benchmark of the ledger core: each figure beside a floor measured in the same run.

(a) CLI write latency, SQLite: the median wall time of the installed `ledger record entry` (a
    fresh process each time) against the median of
    `python -c "import typer, sqlalchemy, pydantic, eventsourcing.application"`. Target <= 0.5.
(b) Append cost against history, on each backend: one event appended through the application
    (`OffenderLedger.append`, what every record command calls) to an offender with 10,000 prior
    events, against one with 10. Target <= 1.5. Snapshots every 50 events keep the replay short;
    the time a full replay of the long history would take is printed beside it, as a check that
    they are used.
(c) Bulk append (API, batched: many events per `save`) in events per second, against a raw
    `executemany` insert of the same stored rows (same sizes) into a table of the same shape in
    the same backend, in transactions of the same size. No target: the ratio is reported.
(d) CLI read latency, SQLite: the median wall time of each installed read (`ledger show REF`,
    `timeline`, `ownership`, `who-knew`, `alerts --offender REF`), a fresh process each time, on
    a small ledger whose read models are up to date, against the median of the same floor as (a)
    run between them. Target <= 1.0 each. Two reference lines, without a target, say how much of
    that floor a read could not avoid: the floor's imports run as a read runs (the collector off,
    `gc.freeze()` at the end: `cli.main.main`), and the libraries a read imports, run the same way.

Beside each command's wall time: the same command run in this process once its modules are loaded
(its own work, without Python's start-up and imports), and the spread of the ratio run by run
(each run against the floor run next to it: the middle half of them), which says how far a ratio
near its target is from it.

Runs are interleaved with their floors, so that a busy machine slows both alike. The load average
is printed at the start and end; above 1.0 at the start, no verdict is given (`bench.common`).

Example: python -m bench.core_bench
         python -m bench.core_bench --backend postgres --postgres-url postgresql://postgres@127.0.0.1:5432/test
         python -m bench.core_bench --quick
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Verdicts, alternated, describe_load, in_process
from bench.common import load_average as _load

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
FLOOR_IMPORTS = "import typer, sqlalchemy, pydantic, eventsourcing.application"
# Run as a read runs them: the collector off from the start, every object frozen at the end.
AS_A_READ = "import gc; gc.disable(); {imports}; gc.freeze()"
READ_LIBRARIES = (
    "import typer, sqlalchemy, sqlalchemy.dialects.sqlite, rich.console, rich.table, "
    "eventsourcing.application, eventsourcing.sqlite"
)
LATENCY_TARGET = 0.5
READ_TARGET = 1.0
HISTORY_TARGET = 1.5
WHEN = datetime(2019, 6, 1, 10, 0, tzinfo=UTC)
ADMIN, OFFICER = "1001", "4521"


@dataclass(frozen=True)
class Sizes:
    cli_runs: int
    long_history: int
    short_history: int
    append_runs: int
    bulk_events: int
    batch_events: int


FULL = Sizes(
    cli_runs=21,
    long_history=10_000,
    short_history=10,
    append_runs=31,
    bulk_events=20_000,
    batch_events=1_000,
)
QUICK = Sizes(
    cli_runs=1, long_history=120, short_history=10, append_runs=5, bulk_events=400, batch_events=100
)


def median_ms(samples: Sequence[float]) -> float:
    return statistics.median(samples) * 1000


def middle_half(figures: Sequence[float], floors: Sequence[float]) -> str:
    """The run-by-run ratios of `figures` to the `floors` run next to them: their middle half
    (first to third quartile), or the one ratio of a single run."""
    ratios = [figure / floor for figure, floor in zip(figures, floors, strict=True)]
    if len(ratios) < 2:
        return f"{ratios[0]:.2f}"
    first, _, third = statistics.quantiles(ratios, n=4, method="inclusive")
    return f"{first:.2f}-{third:.2f}"


def in_process_ms(args: Sequence[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of `ledger ARGS` run in this process, once its modules are loaded:
    the command's own work (opening the ledger, checking, querying, logging, printing) without
    Python's start-up and imports. The first run, which loads them, is not counted."""
    samples = alternated({"own": lambda: in_process(args, env)}, max(runs, 1))
    return median_ms(samples["own"])


# Set by `main`: the load at the start decides whether verdicts are given (`bench.common`).
VERDICTS: Verdicts | None = None


def verdict(ratio: float, target: float) -> str:
    if VERDICTS is None:
        return "meets target" if ratio <= target else "MISSES target"
    return VERDICTS.verdict(ratio <= target)


# ------------------------------------------------------------------------ (a) CLI write latency


def ledger_command() -> str:
    beside = Path(sys.executable).with_name("ledger")
    found = str(beside) if beside.exists() else shutil.which("ledger")
    if not found:
        raise SystemExit("the 'ledger' command is not installed; run: pip install -e .")
    return found


def how_installed(env: Mapping[str, str], cwd: Path) -> str:
    """How the measured `ledger` is installed, and where it imports the project from with the
    environment the bench gives it: start-up differs between the ways. An editable install adds an
    import hook to every Python process (the floor's too), and its modules are compiled to bytecode
    only when Python may write it (not under PYTHONDONTWRITEBYTECODE); `pip install .` compiles
    them at install time, as it does every dependency. A PYTHONPATH that holds a checkout makes
    even an installed `ledger` import that checkout instead, and compile it on every run where no
    bytecode can be written there: said here, as its figures are then not those of the install."""
    import json
    import sysconfig
    from importlib import metadata
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    purelib = sysconfig.get_paths()["purelib"]
    # Looked up in site-packages only: run from a checkout, the current folder holds the
    # editable install's own metadata, without the record of how it was installed.
    found = metadata.distributions(name="offender-timeline-ledger", path=[purelib])
    dist = next(iter(found), None)
    if dist is None:
        return "not installed as a distribution"
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    editable = bool(direct.get("dir_info", {}).get("editable"))
    kind = "editable install (pip install -e .)" if editable else "regular install (pip install .)"
    # Where the install puts the project: site-packages, or the checkout it was installed from.
    home = url2pathname(urlparse(direct["url"]).path) if editable else purelib
    origin, compiled = _imported_from(env, cwd)
    if not Path(origin).resolve().is_relative_to(Path(home).resolve()):
        kind += f", but the project is imported from {Path(origin).parents[1]} (PYTHONPATH)"
    if not compiled:
        kind += "; no bytecode is written for it, so its modules compile on every run"
    return kind


def _imported_from(env: Mapping[str, str], cwd: Path) -> tuple[str, bool]:
    """Where a `ledger` process with `env` finds the project's command line, and whether bytecode
    of it is there to load. Asked of the same Python without the script's own folder on its path
    (`-P`), as the `ledger` script's folder holds no package."""
    probe = (
        "import importlib.util, os; s = importlib.util.find_spec('cli.main'); "
        "print(s.origin); print(bool(s.cached) and os.path.exists(s.cached))"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", probe], env=dict(env), cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"cannot find the project as `ledger` would: {done.stderr.strip()}")
    origin, compiled = done.stdout.split()
    return origin, compiled == "True"


def wall(argv: Sequence[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return elapsed


def cli_latency(folder: Path, runs: int) -> None:
    ledger = ledger_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_DATABASE_URL=f"sqlite:///{folder}/cli.db", LEDGER_REASON="benchmark")
    setup = [
        ["init"],
        ["staff", "add", ADMIN, "--name", "Ann Admin", "--agency", "police", "--rank", "Insp"],
        ["--as", ADMIN, "offender", "register", "WMP-000001", "--name", "J D", "--born",
         "1975-03-02", "--category", "1"],
    ]  # fmt: skip
    for args in setup:  # in this process: making the ledger is not what is measured
        in_process(args, env)
    env["LEDGER_ACTOR"] = ADMIN
    record = [ledger, "record", "entry", "WMP-000001", "--summary", "Seen near a school"]
    floor = [sys.executable, "-c", FLOOR_IMPORTS]
    bare = [sys.executable, "-c", "pass"]
    if runs > 1:  # warm the file cache (a quick run only checks the commands work)
        for argv in (record, floor, bare):
            wall(argv, env, folder)
    samples: dict[str, list[float]] = {"record": [], "floor": [], "bare": []}
    for _ in range(runs):
        samples["record"].append(wall(record, env, folder))
        samples["floor"].append(wall(floor, env, folder))
        samples["bare"].append(wall(bare, env, folder))
    own_ms = in_process_ms(record[1:], env, runs)
    record_ms, floor_ms = median_ms(samples["record"]), median_ms(samples["floor"])
    ratio = record_ms / floor_ms
    print("(a) CLI write latency, SQLite, median of", runs, "runs")
    print(f"    measured: {ledger}, {how_installed(env, folder)}")
    print(f"    ledger record entry:                        {record_ms:7.1f} ms")
    print(f"      of which its own work, run in this process once loaded: {own_ms:.1f} ms")
    print(f"    floor: python -c '{FLOOR_IMPORTS}': {floor_ms:7.1f} ms")
    print(f"    for reference, python -c pass:              {median_ms(samples['bare']):7.1f} ms")
    print(f"    ratio {ratio:.2f} (target <= {LATENCY_TARGET}): {verdict(ratio, LATENCY_TARGET)}")
    spread = middle_half(samples["record"], samples["floor"])
    print(f"      run by run against the floor beside it: {spread} (the middle half)")


# ------------------------------------------------------------------------- (d) CLI read latency

READ_REF = "WMP-000002"
READS = {
    "ledger show": ["show", READ_REF],
    "ledger timeline": ["timeline", READ_REF],
    "ledger ownership": ["ownership", READ_REF],
    "ledger who-knew": ["who-knew", READ_REF],
    "ledger alerts --offender": ["alerts", "--offender", READ_REF],
}


def load_average() -> str:
    return describe_load(_load())


def cli_reads(folder: Path, runs: int) -> None:
    """Each read as a fresh process, in turn with the floor, on a ledger of its own: the writes
    of (a) would leave the read models behind, and every read would then catch up."""
    ledger = ledger_command()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_DATABASE_URL=f"sqlite:///{folder}/reads.db", LEDGER_REASON="benchmark")
    setup = [
        ["init"],
        ["staff", "add", ADMIN, "--name", "Ann Admin", "--agency", "police", "--rank", "Insp",
         "--since", "2000-01-01"],
        ["--as", ADMIN, "staff", "add", OFFICER, "--name", "Sam Reid", "--agency", "probation",
         "--rank", "PO", "--since", "2000-01-01"],
        ["--as", ADMIN, "offender", "register", READ_REF, "--name", "J D", "--born",
         "1975-03-02", "--category", "1", "--occurred-at", "2016-07-04"],
        ["--as", OFFICER, "record", "disclosure", READ_REF, "--summary", "Says he feels isolated",
         "--occurred-at", "2016-10-17T14:30"],
        ["--as", ADMIN, "acknowledge", READ_REF, "2", "--occurred-at", "2016-10-18"],
        ["--as", ADMIN, "record", "entry", READ_REF, "--summary", "New address"],
        ["--as", ADMIN, "share", READ_REF, "4", "--with", "probation"],
    ]  # fmt: skip
    for args in setup:  # in this process: making the ledger is not what is measured
        in_process(args, env)
    env["LEDGER_ACTOR"] = ADMIN
    reads = {name: [ledger, *args] for name, args in READS.items()}
    floor = [sys.executable, "-c", FLOOR_IMPORTS]
    references = {
        "the floor's imports as a read runs them": [
            sys.executable, "-c", AS_A_READ.format(imports=FLOOR_IMPORTS)
        ],
        "the libraries a read imports, the same way": [
            sys.executable, "-c", AS_A_READ.format(imports=READ_LIBRARIES)
        ],
    }  # fmt: skip
    if runs > 1:  # bring the read models up to date; warm the cache (not in a quick run)
        for argv in (*reads.values(), floor, *references.values()):
            wall(argv, env, folder)
    started = load_average()
    # Each figure's runs, and the floor's run just before each of them.
    samples: dict[str, list[float]] = {name: [] for name in [*reads, *references]}
    floors: dict[str, list[float]] = {name: [] for name in samples}
    for _ in range(runs):
        for name, argv in [*reads.items(), *references.items()]:
            floors[name].append(wall(floor, env, folder))
            samples[name].append(wall(argv, env, folder))
    floor_ms = median_ms([run for runs_before in floors.values() for run in runs_before])
    print(f"(d) CLI read latency, SQLite, a small ledger, median of {runs} runs each")
    print(f"    measured: {ledger}, {how_installed(env, folder)}")
    print(f"    load average before these reads: {started}")
    print(f"    floor: python -c '{FLOOR_IMPORTS}': {floor_ms:7.1f} ms")
    for name, argv in reads.items():
        read_ms = median_ms(samples[name])
        ratio = read_ms / floor_ms
        own_ms = in_process_ms(argv[1:], env, runs)
        print(
            f"    {name + ' ' + READ_REF + ':':38} {read_ms:7.1f} ms, ratio {ratio:.2f} "
            f"(target <= {READ_TARGET}): {verdict(ratio, READ_TARGET)}"
        )
        print(
            f"      own work in this process once loaded {own_ms:.1f} ms; run by run against "
            f"the floor beside it {middle_half(samples[name], floors[name])}"
        )
    print("    for reference, no target:")
    for name in references:
        figure_ms = median_ms(samples[name])
        print(f"      {name + ':':44} {figure_ms:7.1f} ms, ratio {figure_ms / floor_ms:.2f}")
    print(f"    load average after them: {load_average()}")


# ----------------------------------------------------------------------- ledgers for (b) and (c)


@contextmanager
def fresh_ledger(backend: str, folder: Path, postgres_url: str) -> Iterator[Any]:
    """An initialised, empty ledger on `backend`, with an administrator and an officer."""
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    schema = ""
    if backend == "sqlite":
        url = f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}"
    else:
        schema = f"bench_core_{uuid.uuid4().hex[:10]}"
        url = f"{postgres_url}{'&' if '?' in postgres_url else '?'}schema={schema}"
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_ACTOR": "", "LEDGER_REASON": "benchmark"}
    in_process(["init"], env)
    ledger = open_ledger(Settings.from_environment(url))
    try:
        from ledger.commands import EnrolStaff
        from ledger.handlers import handle

        since = "2000-01-01"
        admin = EnrolStaff.build(
            staff_id=ADMIN, name="Ann Admin", agency="police", rank="Insp", since=since
        )
        officer = EnrolStaff.build(
            staff_id=OFFICER, name="Sam Reid", agency="police", rank="PC", since=since
        )
        handle(ledger, None, [admin])
        handle(ledger, ADMIN, [officer])
        yield ledger
    finally:
        ledger.close()
        if schema:
            _drop_schema(postgres_url, schema)


def _connect_postgres(url: str) -> Any:
    import psycopg

    from ledger.settings import parse_database_url

    db = parse_database_url(url)
    return psycopg.connect(
        host=db.host,
        port=db.port,
        dbname=db.dbname,
        user=db.user or None,
        password=db.password or None,
    )


def _drop_schema(postgres_url: str, schema: str) -> None:
    with _connect_postgres(postgres_url) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def register(ledger: Any, ref: str) -> None:
    from ledger.commands import RegisterOffender
    from ledger.handlers import handle

    command = RegisterOffender.build(
        ref=ref,
        name="John Doe",
        born="1975-03-02",
        category=1,
        area="Birmingham",
        occurred_at="2016-07-04",
        by=OFFICER,
    )
    handle(ledger, ADMIN, [command])


def grow(ledger: Any, refs: Sequence[str], events_each: int, batch_events: int) -> None:
    """Appends `events_each` entries to each offender, saving many events per `save`."""
    author = ledger.person(OFFICER, WHEN)
    per_save = max(1, batch_events // max(events_each, 1))
    pending: list[tuple[str, int]] = [(ref, events_each) for ref in refs]
    while pending:
        group, pending = pending[:per_save], pending[per_save:]
        aggregates = []
        for ref, count in group:
            offender = ledger.get_offender(ref)
            chunk = min(count, batch_events)
            for n in range(chunk):
                offender.record_entry(WHEN, author, ADMIN, f"Entry {offender.version + n}", False)
            aggregates.append(offender)
            if count > chunk:
                pending.insert(0, (ref, count - chunk))
        ledger.save(*aggregates)


# ------------------------------------------------------------------ (b) append against history


def append_one(ledger: Any, ref: str) -> float:
    from ledger.commands import RecordEntry
    from ledger.handlers import handle

    started = time.perf_counter()
    command = RecordEntry.build(
        ref=ref, summary="Appended", occurred_at=WHEN.isoformat(), by=OFFICER
    )
    handle(ledger, ADMIN, [command])
    return time.perf_counter() - started


def full_replay_seconds(ledger: Any, ref: str) -> float:
    """What loading the offender would cost without snapshots: every event, from the first."""
    from domain.identity import offender_id

    started = time.perf_counter()
    aggregate = None
    for event in ledger.events.get(offender_id(ref)):
        aggregate = event.mutate(aggregate)
    return time.perf_counter() - started


def append_against_history(backend: str, folder: Path, postgres_url: str, sizes: Sizes) -> None:
    from domain.identity import offender_id

    with fresh_ledger(backend, folder, postgres_url) as ledger:
        long_ref, short_ref = "WMP-LONG", "WMP-SHORT"
        register(ledger, long_ref)
        register(ledger, short_ref)
        grow(ledger, [long_ref], sizes.long_history - 1, sizes.batch_events)
        grow(ledger, [short_ref], sizes.short_history - 1, sizes.batch_events)
        snapshot = next(iter(ledger.snapshots.get(offender_id(long_ref), desc=True, limit=1)), None)
        append_one(ledger, long_ref)  # warm the connections and caches
        append_one(ledger, short_ref)
        long_times, short_times = [], []
        for _ in range(sizes.append_runs):
            long_times.append(append_one(ledger, long_ref))
            short_times.append(append_one(ledger, short_ref))
        replay_ms = full_replay_seconds(ledger, long_ref) * 1000
        load_started = time.perf_counter()
        ledger.get_offender(long_ref)
        load_ms = (time.perf_counter() - load_started) * 1000
    long_ms, short_ms = median_ms(long_times), median_ms(short_times)
    ratio = long_ms / short_ms
    print(f"(b) append one event against history, {backend}, median of {sizes.append_runs} runs")
    print(f"    offender with {sizes.long_history:,} prior events: {long_ms:7.2f} ms")
    print(f"    floor: offender with {sizes.short_history} prior events: {short_ms:7.2f} ms")
    print(f"    ratio {ratio:.2f} (target <= {HISTORY_TARGET}): {verdict(ratio, HISTORY_TARGET)}")
    at = snapshot.originator_version if snapshot is not None else None
    print(
        f"    snapshots: latest at version {at}; loading the long offender {load_ms:.2f} ms, "
        f"against {replay_ms:.1f} ms to replay all its events"
    )


# --------------------------------------------------------------------------------- (c) bulk


def bulk_append(backend: str, folder: Path, postgres_url: str, sizes: Sizes) -> None:
    from domain.identity import offender_id

    events_each = 100
    offenders = max(1, sizes.bulk_events // events_each)
    with fresh_ledger(backend, folder, postgres_url) as ledger:
        refs = [f"WMP-{n:06d}" for n in range(offenders)]
        for ref in refs:
            register(ledger, ref)
        started = time.perf_counter()
        grow(ledger, refs, events_each, sizes.batch_events)
        api_seconds = time.perf_counter() - started
        appended = offenders * events_each
        rows = [
            (s.originator_id, s.originator_version, s.topic, s.state)
            for ref in refs
            for s in ledger.recorder.select_events(offender_id(ref), gt=1)
        ]
    if len(rows) != appended:
        raise SystemExit(f"expected {appended} stored rows, read {len(rows)}")
    raw_seconds = raw_insert(backend, folder, postgres_url, rows, sizes.batch_events)
    api_rate, raw_rate = appended / api_seconds, appended / raw_seconds
    size = statistics.mean(len(r[3]) + len(r[2]) for r in rows)
    print(
        f"(c) bulk append, {backend}: {appended:,} events, {sizes.batch_events:,} per save, "
        f"~{size:.0f} bytes of topic and state each"
    )
    print(f"    API (domain commands + save):          {api_rate:10,.0f} events/s")
    print(f"    floor: raw executemany of the same rows: {raw_rate:10,.0f} rows/s")
    print(f"    ratio {api_rate / raw_rate:.2f} (no target yet)")


def raw_insert(
    backend: str, folder: Path, postgres_url: str, rows: list[tuple[Any, ...]], batch: int
) -> float:
    """Inserts `rows` into an events-shaped table of the same backend, `batch` per transaction."""
    fresh = [(uuid.uuid4(), version, topic, state) for (_, version, topic, state) in rows]
    if backend == "sqlite":
        return _raw_sqlite(folder / "raw.db", fresh, batch)
    return _raw_postgres(postgres_url, fresh, batch)


def _raw_sqlite(path: Path, rows: list[tuple[Any, ...]], batch: int) -> float:
    import sqlite3

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE raw_events (notification_id INTEGER PRIMARY KEY, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, "
            "topic TEXT NOT NULL, state BLOB, UNIQUE (originator_id, originator_version))"
        )
        text_rows = [(str(i), v, t, s) for (i, v, t, s) in rows]
        started = time.perf_counter()
        for chunk in _chunks(text_rows, batch):
            conn.execute("BEGIN")
            conn.executemany(
                "INSERT INTO raw_events (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                chunk,
            )
            conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


def _raw_postgres(postgres_url: str, rows: list[tuple[Any, ...]], batch: int) -> float:
    schema = f"bench_raw_{uuid.uuid4().hex[:10]}"
    try:
        with _connect_postgres(postgres_url) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
            conn.execute(
                f'CREATE TABLE "{schema}".raw_events (notification_id BIGSERIAL, '
                "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                "topic text NOT NULL, state bytea, "
                "PRIMARY KEY (originator_id, originator_version))"
            )
            conn.execute(f'CREATE UNIQUE INDEX ON "{schema}".raw_events (notification_id)')
            conn.commit()
            started = time.perf_counter()
            for chunk in _chunks(rows, batch):
                with conn.cursor() as cursor:
                    cursor.executemany(
                        f'INSERT INTO "{schema}".raw_events '
                        "(originator_id, originator_version, topic, state) "
                        "VALUES (%s, %s, %s, %s)",
                        chunk,
                    )
                conn.commit()
            return time.perf_counter() - started
    finally:
        _drop_schema(postgres_url, schema)


def _chunks(rows: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


# ----------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="Tiny sizes: proves it runs.")
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="A PostgreSQL database; the benchmark works in schemas of its own and drops them.",
    )
    options = parser.parse_args(argv)
    sizes = QUICK if options.quick else FULL
    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    print(f"core benchmark{' (quick: sizes too small to mean anything)' if options.quick else ''}")
    global VERDICTS
    VERDICTS = Verdicts()
    with tempfile.TemporaryDirectory(prefix="core-bench-") as scratch:
        folder = Path(scratch)
        steps: list[Callable[[], None]] = [lambda: cli_latency(folder, sizes.cli_runs)]
        for backend in backends:
            steps.append(
                lambda b=backend: append_against_history(b, folder, options.postgres_url, sizes)
            )
            steps.append(lambda b=backend: bulk_append(b, folder, options.postgres_url, sizes))
        steps.append(lambda: cli_reads(folder, sizes.cli_runs))
        for step in steps:
            step()
            sys.stdout.flush()
    VERDICTS.finish()


if __name__ == "__main__":
    main()
