"""How fast `ledger verify` re-reads the whole ledger, against merely reading it.

On each backend a synthetic ledger of N events (default 200,000) is generated; then, in turn and
several times each (the median is kept):

- the floor: reading and decoding every event in pages (`OffenderLedger.read_events`, pages of
  5,000), as the projections do;
- verification: `ledger.verification.verify` re-reading both the events and the hash chain from one
  snapshot, hashing every payload and every link.

Target: verification rate / floor rate >= 0.5. The ledger is unencrypted (the generator writes
plain payloads); with a key the floor would also decrypt, while verification never needs to.

Example: python -m bench.verify_bench --backend both --events 200000
         python -m bench.verify_bench --quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.synthetic import generate_ledger

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PER_OFFENDER = 200
READ_PAGE = 5000
RATE_TARGET = 0.5


@contextmanager
def ledger_url(backend: str, postgres: str, workdir: str) -> Iterator[str]:
    """A URL for a new, empty ledger; a PostgreSQL schema is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{os.path.join(workdir, f'verify_{uuid.uuid4().hex[:8]}.db')}"
        return
    import psycopg

    from ledger.settings import parse_database_url

    schema = f"bench_verify_{uuid.uuid4().hex[:8]}"
    joiner = "&" if "?" in postgres else "?"
    try:
        yield f"{postgres}{joiner}schema={schema}"
    finally:
        db = parse_database_url(postgres)
        with psycopg.connect(
            host=db.host, port=db.port, dbname=db.dbname, user=db.user or None, autocommit=True
        ) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def median_seconds(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def read_all(ledger: Any) -> int:
    """The floor: every event read and decoded, page by page, as the projections read them."""
    position, count, head = 0, 0, ledger.head()
    while position < head:
        page = ledger.read_events(position, READ_PAGE, stop=head)
        if not page:
            break
        count += len(page)
        position = page[-1][0]
    return count


def bench_backend(backend: str, events: int, runs: int, postgres: str, workdir: str) -> bool:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings, parse_database_url
    from ledger.verification import verify

    print(f"\n== {backend}: {events:,} events ==", flush=True)
    with ledger_url(backend, postgres, workdir) as url:
        offenders = max(1, events // PER_OFFENDER)
        started = time.perf_counter()
        generated = generate_ledger(
            url, offenders=offenders, events_per_offender=PER_OFFENDER, project=False
        )
        print(
            f"  generated {generated.events:,} events in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        settings = Settings(database=parse_database_url(url))
        ledger = open_ledger(settings)
        try:
            read_seconds, read_count = median_seconds(lambda: read_all(ledger), runs)
        finally:
            ledger.close()
        verify_seconds, report = median_seconds(lambda: verify(settings.database), runs)
        if not report.ok or report.events != read_count:
            print(f"  verification FAILED: {report.as_dict()['problems'][:3]}", flush=True)
            return False
        read_rate = read_count / read_seconds
        verify_rate = report.events / verify_seconds
        ratio = verify_rate / read_rate
        ok = ratio >= RATE_TARGET
        print(
            f"  verify (events and chain, every hash): {verify_rate:,.0f} events/s "
            f"({report.events:,} events in {verify_seconds:.2f} s, median of {runs})\n"
            f"  floor, read and decode only (read_events, pages of {READ_PAGE:,}): "
            f"{read_rate:,.0f} events/s ({read_seconds:.2f} s)\n"
            f"  ratio {ratio:.2f} (target >= {RATE_TARGET}): "
            f"{'meets target' if ok else 'MISSES target'}",
            flush=True,
        )
        return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the script runs")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
        help="server for the PostgreSQL runs (a schema of its own is made and dropped)",
    )
    parser.add_argument("--workdir", help="folder for the SQLite files (default: a temporary one)")
    args = parser.parse_args(argv)

    events, runs = (PER_OFFENDER * 4, 1) if args.quick else (args.events, args.runs)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    all_ok = True
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        for backend in backends:
            all_ok = bench_backend(backend, events, runs, args.postgres_url, workdir) and all_ok
    print("\nall targets met" if all_ok else "\nsome targets missed (see above)")
    return 0 if all_ok or args.quick else 1


if __name__ == "__main__":
    sys.exit(main())
