"""How fast the read models rebuild, and whether reading one offender stays flat as the ledger grows.

Every figure is printed beside a floor measured in the same run, on the same backend:

1. Rebuild: a full rebuild of every projection over N events (default 1,000,000), in events/s,
   from the first event to stored alerts (the alerts' end step, evaluating every offender once,
   is inside the time), against merely reading and decoding the same events in pages, in one
   process, through the ledger's own `read_events` (the floor: warm - one untimed read first -
   and the median of three reads in the measuring process, one before the rebuild and two after
   it). Target: ratio >= 0.5. On PostgreSQL, a second floor: the eventsourcing library's own
   `ProjectionRunner` running a trivial projection (it counts) over the same stored events.
   The rebuild is not one process: two helper processes read and decode the pages (with the
   same `read_events`) and prepare rows while the rebuilding process writes, then two evaluate
   the alerts; the floor uses one. The CPU time of both is printed. Peak memory: of the
   rebuilding process (ru_maxrss), of its largest helper, and of all of them together (sampled
   from /proc); it runs in a child process of its own, so generating the ledger does not count.
   Target: < 300 MB, all processes together.
2. Reading one offender with 200 events (`show`, `timeline`, `who-knew`, `ownership`,
   `alerts --offender`: the read model query and the view built from it, as the CLI runs them) in
   a ledger of N events against one of 10,000, in process (warm, alternated, medians); and the
   same as the whole command, a fresh `ledger ... --json` process each time (start-up, session,
   catch-up, the reader's check and the access-log row included: what a person waits for),
   alternated between the two ledgers. Target for both: ratio <= 1.2.

The load average is printed at the start and end; above 1.0 at the start, no verdict is given
(`bench.common`).

Example: python -m bench.projections_bench --backend both --events 1000000
         python -m bench.projections_bench --quick
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.common import Verdicts, alternated, median
from bench.synthetic import environment_key, generate_ledger

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PER_OFFENDER = 200
SMALL_EVENTS = 10_000
READ_PAGE = 5000
RATE_TARGET = 0.5
MEMORY_TARGET_MB = 300
QUERY_TARGET = 1.2


@dataclass
class Sizes:
    events: int
    small: int
    repeats: int
    command_runs: int  # fresh `ledger` processes per read and ledger (after a warm-up if > 1)


# ------------------------------------------------------------------------------ ledgers to hand


@contextmanager
def ledger_url(backend: str, postgres: str, workdir: str, name: str) -> Iterator[str]:
    """A URL for a new, empty ledger; a PostgreSQL schema is dropped afterwards."""
    if backend == "sqlite":
        path = os.path.join(workdir, f"{name}.db")
        if os.path.exists(path):
            os.remove(path)
        yield f"sqlite:///{path}"
        return
    schema = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    joiner = "&" if "?" in postgres else "?"
    try:
        yield f"{postgres}{joiner}schema={schema}"
    finally:
        _drop_schema(postgres, schema)


def _drop_schema(postgres: str, schema: str) -> None:
    import psycopg

    from ledger.settings import parse_database_url

    db = parse_database_url(postgres)
    with psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=db.user or None, autocommit=True
    ) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _open(url: str) -> tuple[Any, Any, Any]:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings, parse_database_url
    from projections.db import make_engine

    # LEDGER_CIPHER_KEY, if set: the ledger generated with it, and its read models sealed.
    settings = Settings(database=parse_database_url(url), cipher_key=environment_key())
    db = settings.database
    engine = make_engine(db.sqlalchemy_url(), db.schema, settings.cipher_key)
    return settings, open_ledger(settings), engine


def generate(url: str, events: int) -> Any:
    offenders = max(1, events // PER_OFFENDER)
    started = time.perf_counter()
    generated = generate_ledger(
        url, offenders=offenders, events_per_offender=PER_OFFENDER, project=False
    )
    seconds = time.perf_counter() - started
    print(
        f"  generated {generated.events:,} events ({offenders:,} offenders) in {seconds:.1f} s "
        f"({generated.events / seconds:,.0f} events/s)",
        flush=True,
    )
    return generated


# ---------------------------------------------------------------------------------- the rebuild


def read_all(ledger: Any, head: int) -> int:
    """The floor: read and decode every event, page by page, and do nothing with them."""
    after, count = 0, 0
    while after < head:
        page = ledger.read_events(after, READ_PAGE, stop=head)
        if not page:
            break
        after, count = page[-1][0], count + len(page)
    return count


class TreeMemory:
    """The peak resident memory of this process and all its descendants together, sampled every
    20 ms from /proc (Linux): a rebuild works in helper processes too (two that read and decode
    the pages, then two that evaluate alerts), and their memory counts as much as its own."""

    def __init__(self) -> None:
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak_kb = max(self.peak_kb, _tree_rss_kb(os.getpid()))

    @staticmethod
    def available() -> bool:
        return os.path.exists(f"/proc/{os.getpid()}/task")


def _tree_rss_kb(pid: int) -> int:
    total = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    total += _tree_rss_kb(int(child))
    except (OSError, ValueError):
        pass  # a process that ended between two reads
    return total


def measure_rebuild(url: str) -> dict[str, float]:
    """In this process: the read floor, then a full rebuild; peak memory of the two. Wall time
    is what counts; CPU time is given too, this process's and its helper processes', as other
    load on the machine inflates wall time but hardly CPU time (the PostgreSQL server's own work
    is in neither)."""
    import resource

    from projections.catalogue import all_projections
    from projections.runner import rebuild

    def cpu(who: int) -> float:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    settings, ledger, engine = _open(url)
    reads: list[tuple[float, float]] = []

    def timed_read() -> int:
        wall, own = time.perf_counter(), cpu(resource.RUSAGE_SELF)
        count = read_all(ledger, head)
        reads.append((time.perf_counter() - wall, cpu(resource.RUSAGE_SELF) - own))
        return count

    try:
        head = ledger.head()
        read_all(ledger, head)  # warms this process: imports, compiled statements, file cache
        count = timed_read()
        wall, own = time.perf_counter(), cpu(resource.RUSAGE_SELF)
        helpers = cpu(resource.RUSAGE_CHILDREN)
        pages_done: list[float] = []

        def progress(reached: int, target: int) -> None:
            if reached >= target and not pages_done:
                pages_done.append(time.perf_counter() - wall)

        with TreeMemory() as tree:
            rebuild(engine, ledger, all_projections(settings), progress=progress)
        rebuild_seconds = time.perf_counter() - wall
        rebuild_cpu = cpu(resource.RUSAGE_SELF) - own
        helpers_cpu = cpu(resource.RUSAGE_CHILDREN) - helpers
        timed_read()
        timed_read()
        read_seconds = median([r[0] for r in reads])
        read_cpu = median([r[1] for r in reads])
        peer_rate = library_runner_rate(ledger) if engine.dialect.name == "postgresql" else 0.0
    finally:
        engine.dispose()
        ledger.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    helper_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "events": head,
        "read": count,
        "read_rate": count / read_seconds,
        "read_cpu_us": read_cpu / max(count, 1) * 1e6,
        "read_runs": len(reads),
        "peer_rate": peer_rate,
        "rebuild_rate": head / rebuild_seconds,
        "rebuild_seconds": rebuild_seconds,
        # Writing the pages, then what follows the last one: the projections' end steps (the
        # alerts evaluated) and the deferred indexes.
        "pages_seconds": pages_done[0] if pages_done else rebuild_seconds,
        "rebuild_cpu_us": rebuild_cpu / max(head, 1) * 1e6,
        "helpers_cpu_us": helpers_cpu / max(head, 1) * 1e6,
        "peak_mb": peak_kb / 1024,
        "helper_peak_mb": helper_kb / 1024,
        "tree_peak_mb": tree.peak_kb / 1024 if TreeMemory.available() else 0.0,
    }


def library_runner_rate(ledger: Any, timeout: float = 3600.0) -> float:
    """The second floor (PostgreSQL): events per second that the eventsourcing library's own
    `ProjectionRunner` delivers to a trivial projection - one that only counts, recording its
    tracking row once, at the last event - over the same stored events, decoded by the same
    application class and settings. Its subscription reads in batches of 500 and decodes in a
    thread of its own."""
    import threading

    from eventsourcing.persistence import Tracking
    from eventsourcing.postgres import PostgresTrackingRecorder
    from eventsourcing.projection import Projection, ProjectionRunner

    head = ledger.head()
    done = threading.Event()

    class Counting(Projection[PostgresTrackingRecorder]):
        name = "benchpeer"
        count = 0

        def process_event(self, domain_event: Any, tracking: Tracking) -> None:
            Counting.count += 1
            if tracking.notification_id >= head:
                self.view.insert_tracking(tracking)
                done.set()

    env = {**dict(ledger.env), "BENCHPEER_CREATE_TABLE": "y"}
    started = time.perf_counter()
    with ProjectionRunner(
        application_class=type(ledger),
        projection_class=Counting,
        view_class=PostgresTrackingRecorder,
        env=env,
    ):
        if not done.wait(timeout):
            raise TimeoutError("the library's runner did not reach the head")
    seconds = time.perf_counter() - started
    return Counting.count / seconds


def per_projection(url: str) -> dict[str, float]:
    """Where a rebuild's time goes: each projection rebuilt alone, in wall microseconds per event
    beyond the read floor (measured on the small ledger; a profile, not a target). Runs this
    short vary with the machine by more than some projections cost, so each projection's rebuild
    is timed three times, each beside a read of its own, and the median difference is given."""
    from projections.catalogue import all_projections
    from projections.runner import rebuild

    def timed(work: Callable[[], object]) -> float:
        started = time.perf_counter()
        work()
        return time.perf_counter() - started

    settings, ledger, engine = _open(url)
    costs: dict[str, float] = {}
    floors: list[float] = []
    try:
        head = ledger.head()
        read_all(ledger, head)  # warms this process: imports, compiled statements, file cache
        for projection in all_projections(settings):
            differences = []
            for _ in range(3):
                floors.append(timed(lambda: read_all(ledger, head)))
                seconds = timed(lambda p=projection: rebuild(engine, ledger, [p]))
                differences.append(seconds - floors[-1])
            costs[projection.name] = statistics.median(differences) / head * 1e6
        floor = statistics.median(floors)
        costs["(read and decode)"] = floor / head * 1e6
    finally:
        engine.dispose()
        ledger.close()
    return costs


def rebuild_in_child(url: str) -> dict[str, float]:
    """Runs `measure_rebuild` in a fresh interpreter, so its peak memory is its own."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    output = subprocess.run(
        [sys.executable, "-m", "bench.projections_bench", "--measure-rebuild", url],
        check=True,
        capture_output=True,
        text=True,
        cwd=root,
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------------- the queries


def query_functions() -> dict[str, Callable[[Any, Any], Any]]:
    """What `show`, `timeline`, `who-knew`, `ownership` and `alerts --offender` do in process:
    read the offender's rows, fold them into the view."""
    from domain.clock import utc_now
    from projections import views
    from projections.alerts import queries as alert_queries
    from projections.ownership import ownership_periods, period_json
    from projections.queries import offender_records
    from projections.who_knew import who_knew, who_knew_json

    return {
        "show": lambda conn, oid: views.show(offender_records(conn, oid)),
        "timeline": lambda conn, oid: views.timeline(offender_records(conn, oid)),
        "who-knew": lambda conn, oid: who_knew_json(who_knew(offender_records(conn, oid))),
        "ownership": lambda conn, oid: [
            period_json(period)
            for period in ownership_periods(
                c.record for c in views.corrected_view(offender_records(conn, oid))
            )
        ],
        "alerts --offender": lambda conn, oid: alert_queries.standing(
            conn, utc_now(), offender_id=oid
        ),
    }


# The same reads as whole commands: `ledger ARGS REF --json`, REF appended.
COMMANDS: dict[str, list[str]] = {
    "show": ["show"],
    "timeline": ["timeline"],
    "who-knew": ["who-knew"],
    "ownership": ["ownership"],
    "alerts --offender": ["alerts", "--offender"],
}


def time_queries(
    big: tuple[str, str], small: tuple[str, str], repeats: int
) -> dict[str, tuple[float, float]]:
    """Median seconds of each query for one offender in each ledger, `(big, small)`.

    The two ledgers are timed in alternation, query by query, after a warm-up of each, so that
    other load on the machine falls on both alike rather than on whichever happened to run
    during it."""
    from domain.identity import offender_id

    opened = [_open(url) for url, _ in (big, small)]
    ids = [offender_id(ref) for _, ref in (big, small)]
    timings: dict[str, tuple[float, float]] = {}
    try:
        conns = [engine.connect() for _, _, engine in opened]
        for name, function in query_functions().items():
            samples = alternated(
                {
                    side: (lambda c=conn, o=oid, f=function: f(c, o))
                    for side, conn, oid in zip(("big", "small"), conns, ids, strict=True)
                },
                repeats,
            )
            timings[name] = (median(samples["big"]), median(samples["small"]))
        for conn in conns:
            conn.close()
    finally:
        for _, ledger, engine in opened:
            engine.dispose()
            ledger.close()
    return timings


def time_commands(
    big: tuple[str, str], small: tuple[str, str], runs: int
) -> dict[str, tuple[float, float]]:
    """Median wall seconds of each read as a fresh `ledger` process, in each ledger: what a
    person waits for. Alternated between the ledgers, after a warm-up of each."""
    from bench.core_bench import ledger_command

    ledger = ledger_command()
    base = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    base.update(LEDGER_ACTOR="9000", LEDGER_REASON="benchmark", LEDGER_POLICY="")
    base.update(LEDGER_CIPHER_KEY=environment_key() or "")  # the key the ledger was made with

    def command(url: str, ref: str, args: list[str]) -> Callable[[], None]:
        env = {**base, "LEDGER_DATABASE_URL": url}
        argv = [ledger, *args, ref, "--json"]

        def run() -> None:
            done = subprocess.run(argv, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")

        return run

    timings: dict[str, tuple[float, float]] = {}
    for name, args in COMMANDS.items():
        samples = alternated(
            {"big": command(*big, args), "small": command(*small, args)},
            runs,
            # A single run only checks the command works (--quick): no warm-up to keep it apart.
            warm_up=1 if runs > 1 else 0,
        )
        timings[name] = (median(samples["big"]), median(samples["small"]))
    return timings


def catch_up_all(url: str) -> None:
    from projections.catalogue import all_projections
    from projections.runner import catch_up

    settings, ledger, engine = _open(url)
    try:
        catch_up(engine, ledger, all_projections(settings), page_size=5000)
    finally:
        engine.dispose()
        ledger.close()


# ------------------------------------------------------------------------------------ reporting


def bench_backend(
    backend: str, sizes: Sizes, postgres: str, workdir: str, verdict: Callable[[bool], str]
) -> bool:
    print(f"\n== {backend}: {sizes.events:,} events against {sizes.small:,} ==", flush=True)
    ok = True
    with (
        ledger_url(backend, postgres, workdir, "big") as big,
        ledger_url(backend, postgres, workdir, "small") as small,
    ):
        big_ledger = generate(big, sizes.events)
        small_ledger = generate(small, sizes.small)

        figures = rebuild_in_child(big)
        ratio = figures["rebuild_rate"] / figures["read_rate"]
        # Every process of the rebuild together, sampled (never less than the rebuilding
        # process's own peak, which sampling can miss); else the largest single one.
        largest = max(figures["peak_mb"], figures["helper_peak_mb"])
        together = (
            max(figures["tree_peak_mb"], figures["peak_mb"]) if figures["tree_peak_mb"] else 0
        )
        memory_ok = (together or largest) < MEMORY_TARGET_MB
        print(
            f"  rebuild of all projections: {figures['rebuild_rate']:,.0f} events/s "
            f"({figures['events']:,.0f} events in {figures['rebuild_seconds']:.1f} s: pages written "
            f"in {figures['pages_seconds']:.1f} s, then alerts evaluated and indexes built in "
            f"{figures['rebuild_seconds'] - figures['pages_seconds']:.1f} s)\n"
            f"  floor, read and decode only: {figures['read_rate']:,.0f} events/s (warm: the "
            f"median of {figures['read_runs']:.0f} reads in the measuring process, one before the "
            "rebuild and the others after it)\n"
            f"  (CPU per event: rebuild {figures['rebuild_cpu_us']:.0f} us in the rebuilding "
            f"process + {figures['helpers_cpu_us']:.0f} us in its helper processes; "
            f"floor {figures['read_cpu_us']:.0f} us)\n"
            f"  ratio {ratio:.2f} (target >= {RATE_TARGET}): {verdict(ratio >= RATE_TARGET)}\n"
            f"  peak memory {figures['peak_mb']:.0f} MB in the rebuilding process, "
            f"{figures['helper_peak_mb']:.0f} MB in the largest helper, "
            f"{together:.0f} MB all processes together (target < {MEMORY_TARGET_MB} MB): "
            f"{verdict(memory_ok)}",
            flush=True,
        )
        ok = ok and ratio >= RATE_TARGET and memory_ok
        if figures["peer_rate"]:
            print(
                f"  second floor, the eventsourcing library's ProjectionRunner with a trivial "
                f"projection (it counts) over the same events: {figures['peer_rate']:,.0f} "
                f"events/s; the rebuild against it: "
                f"{figures['rebuild_rate'] / figures['peer_rate']:.2f} (no target)",
                flush=True,
            )

        try:
            costs = per_projection(small)
        except Exception as error:
            # A profile, not a target: say why it is missing and measure the rest.
            print(f"  per projection: not measured ({type(error).__name__}: {error})"[:300])
        else:
            print(
                "  per projection, us/event beyond the floor (small ledger): "
                + ", ".join(f"{name} {us:.1f}" for name, us in costs.items()),
                flush=True,
            )
        catch_up_all(small)
        ref = big_ledger.refs[0]
        times = time_queries((big, ref), (small, small_ledger.refs[0]), sizes.repeats)
        commands = time_commands((big, ref), (small, small_ledger.refs[0]), sizes.command_runs)
        print(
            f"  reading one offender with {PER_OFFENDER} events, {sizes.events:,} events against "
            f"{sizes.small:,} (the floor); in process: the query and its view, warm, median of "
            f"{sizes.repeats} alternated; as a command: a fresh `ledger ... REF --json` process, "
            f"median of {sizes.command_runs} alternated",
            flush=True,
        )
        for name, (seconds, floor) in times.items():
            for kind, (big_s, small_s) in (
                ("in process", (seconds, floor)),
                ("as a command", commands[name]),
            ):
                ratio = big_s / small_s
                print(
                    f"  {name} of one offender with {PER_OFFENDER} events, {kind}: "
                    f"{big_s * 1000:.2f} ms in {sizes.events:,} events, "
                    f"{small_s * 1000:.2f} ms in {sizes.small:,}: ratio {ratio:.2f} "
                    f"(target <= {QUERY_TARGET}): {verdict(ratio <= QUERY_TARGET)}",
                    flush=True,
                )
                ok = ok and ratio <= QUERY_TARGET
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="server for the PostgreSQL runs (a schema of its own is made and dropped)",
    )
    parser.add_argument("--workdir", help="folder for the SQLite files (default: a temporary one)")
    parser.add_argument("--measure-rebuild", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.measure_rebuild:
        print(json.dumps(measure_rebuild(args.measure_rebuild)))
        return 0
    if args.quick:
        # Each read once per ledger as a command: this checks the script runs, and the figures
        # of a quick run mean nothing at any size.
        sizes = Sizes(events=PER_OFFENDER * 2, small=PER_OFFENDER, repeats=3, command_runs=1)
    else:
        sizes = Sizes(events=args.events, small=SMALL_EVENTS, repeats=30, command_runs=10)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    verdicts = Verdicts()
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        for backend in backends:
            bench_backend(backend, sizes, args.postgres_url, workdir, verdicts.verdict)
    verdicts.finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
