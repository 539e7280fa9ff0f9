"""How fast `ledger verify` re-reads the whole ledger, against merely reading the same rows.

On each backend a synthetic ledger of N events (default 200,000) is generated; then, in this one
process, after a warm-up of each, alternately and several times each (medians are kept):

- the floor: a raw read of the very rows verification reads (the events and the hash chain, with
  the same queries from one snapshot, `ledger.verification._streams(..., raw=True)`), the rows as
  the driver gives them, converting, hashing and decoding nothing: verification never decodes an
  event, so reading and decoding is no floor for it;
- verification: `ledger.verification.verify`, hashing every payload and every link;
- for information: reading and decoding every event in pages (`OffenderLedger.read_events`, pages
  of 5,000), as the projections do.

Target: verification rate / floor rate >= 0.5. The ledger is unencrypted (the generator writes
plain payloads). The load average is printed at the start and end; above 1.0 at the start, no
verdict is given (`bench.common`).

Example: python -m bench.verify_bench --backend both --events 200000
         python -m bench.verify_bench --quick
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import Verdicts, alternated, median
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


def raw_read(db: Any) -> int:
    """The floor: the rows verification reads, read and nothing more; returns how many events."""
    from ledger.verification import PAGE, _streams

    count = 0
    with _streams(db, PAGE, raw=True) as (events, links, _bindings):
        for _ in events:
            count += 1
        for _ in links:
            pass
    return count


def bench_backend(
    backend: str, events: int, runs: int, postgres: str, workdir: str, verdicts: Verdicts
) -> bool:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings, parse_database_url
    from ledger.verification import payload_author, verify

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
        db = settings.database
        ledger = open_ledger(settings)
        got: dict[str, Any] = {}
        try:
            samples = alternated(
                {
                    "raw": lambda: got.__setitem__("raw", raw_read(db)),
                    # As `ledger verify` runs it: on PostgreSQL each payload's author is
                    # decoded and held to its link's.
                    "verify": lambda: got.__setitem__(
                        "verify", verify(db, author_of=payload_author(ledger))
                    ),
                    "decoded": lambda: got.__setitem__("decoded", read_all(ledger)),
                },
                runs,
            )
        finally:
            ledger.close()
        report = got["verify"]
        if not report.ok or report.events != got["raw"] or report.events != got["decoded"]:
            print(f"  verification FAILED: {report.as_dict()['problems'][:3]}", flush=True)
            return False
        raw_s, verify_s, decoded_s = (median(samples[k]) for k in ("raw", "verify", "decoded"))
        raw_rate = report.events / raw_s
        verify_rate = report.events / verify_s
        decoded_rate = report.events / decoded_s
        ratio = verify_rate / raw_rate
        ok = ratio >= RATE_TARGET
        print(
            f"  verify (events and chain, every hash): {verify_rate:,.0f} events/s "
            f"({report.events:,} events in {verify_s:.2f} s)\n"
            f"  floor, a raw read of the same rows (events and chain, same queries, no hashing, "
            f"no conversion, no decoding), warm, median of {runs} alternated with verify: "
            f"{raw_rate:,.0f} events/s ({raw_s:.2f} s)\n"
            f"  ratio {ratio:.2f} (target >= {RATE_TARGET}): {verdicts.verdict(ok)}\n"
            f"  for information, reading and decoding every event (read_events, pages of "
            f"{READ_PAGE:,}): {decoded_rate:,.0f} events/s ({decoded_s:.2f} s); verify against "
            f"it {verify_rate / decoded_rate:.2f}",
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

    events, runs = (PER_OFFENDER * 4, 2) if args.quick else (args.events, args.runs)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    verdicts = Verdicts()
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        for backend in backends:
            bench_backend(backend, events, runs, args.postgres_url, workdir, verdicts)
    outcome = verdicts.finish()
    return 1 if outcome is False and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
