"""What checking an offender's stored events against their hash-chain links adds to each view,
and whether it stays flat as the ledger grows.

Every view of one offender (`show`, `timeline`, `ownership`, `who-knew`, `alerts --offender`,
`export`) first checks that offender's stored events against their links
(`OffenderLedger.check_stream`): one indexed read of the stream, one of the links at its
positions with the link before each, a SHA-256 of each payload and of each link. On each backend
a synthetic ledger of N events (default 1,000,000) and one of 10,000 are generated, 200 events
per offender, and for one offender of each the median time of the check, and of the check with
`show`'s query and fold, is printed with the ratio big/small. Target: ratio <= 1.2.

The check hashes the payloads as stored and never decrypts, so a key changes only the payloads'
size (AES-GCM adds 28 bytes to each).

Example: python -m bench.stream_check_bench --backend sqlite --events 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.synthetic import generate_ledger

PER_OFFENDER = 200
SMALL = 10_000


def _url(backend: str, postgres: str, workdir: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{os.path.join(workdir, f'check_{uuid.uuid4().hex[:8]}.db')}"
    joiner = "&" if "?" in postgres else "?"
    return f"{postgres}{joiner}schema=bench_check_{uuid.uuid4().hex[:8]}"


def _drop(url: str) -> None:
    from ledger.settings import parse_database_url
    from tests.helpers import drop_schema

    db = parse_database_url(url)
    if not db.is_sqlite:
        drop_schema(db.schema)


def _median(function: Callable[[], Any], repeats: int) -> float:
    function()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(url: str, repeats: int) -> tuple[float, float]:
    """Median seconds of the check alone, and of the check with `show`'s query and fold, for
    the ledger's middle offender."""
    from domain.identity import offender_id
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings, parse_database_url
    from projections import views
    from projections.db import make_engine
    from projections.queries import offender_records

    settings = Settings(database=parse_database_url(url))
    ledger = open_ledger(settings)
    engine = make_engine(settings.database.sqlalchemy_url(), settings.database.schema)
    try:
        with engine.connect() as conn:
            refs = [r[0] for r in conn.exec_driver_sql("SELECT ref FROM offenders ORDER BY ref")]
            ref = refs[len(refs) // 2]

            def shown() -> None:
                ledger.check_stream(ref)
                views.show(offender_records(conn, offender_id(ref)))

            check = _median(lambda: ledger.check_stream(ref), repeats)
            both = _median(shown, repeats)
    finally:
        engine.dispose()
        ledger.close()
    return check, both


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test"),
    )
    parser.add_argument("--workdir", help="folder for the SQLite files (default: a temporary one)")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        for backend in backends:
            urls = [_url(backend, args.postgres_url, workdir) for _ in range(2)]
            try:
                results = []
                for url, events in zip(urls, (args.events, SMALL), strict=True):
                    started = time.perf_counter()
                    generate_ledger(
                        url, offenders=max(1, events // PER_OFFENDER), events_per_offender=200
                    )
                    print(f"{backend}: generated {events:,} events in "
                          f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
                    results.append(measure(url, args.repeats))
                (big_check, big_both), (small_check, small_both) = results
                print(
                    f"{backend}: check {big_check * 1000:.2f} ms at {args.events:,} events, "
                    f"{small_check * 1000:.2f} ms at {SMALL:,} (ratio "
                    f"{big_check / small_check:.2f}); check + show {big_both * 1000:.2f} ms "
                    f"against {small_both * 1000:.2f} ms (ratio {big_both / small_both:.2f})",
                    flush=True,
                )
            finally:
                for url in urls:
                    _drop(url)


if __name__ == "__main__":
    main()
