"""What the s.62 access log costs: reads pay for one row each, writes pay nothing unless refused.

On each backend, a small ledger is created; then each command below is run in-process through the
real CLI (`cli.main.app`) several times and the median kept:

- the floor: `record entry` that succeeds (the write path; the access log is not touched);
- `record entry` that is refused (unknown offender): the same path plus the refusal's row;
- `show --json`: a whole read, with its consultation row;
- `Session.consult` alone, on a session already open (what a read pays for the log).

Printed: each median in milliseconds, refused write / successful write, and consult / show.

Example: python -m bench.access_bench --backend both --repeat 30
         python -m bench.access_bench --quick
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

from bench.common import in_process

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
REF = "BENCH-1"


@contextmanager
def ledger_url(backend: str, postgres: str, workdir: str) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{os.path.join(workdir, 'access.db')}"
        return
    import psycopg

    from ledger.settings import parse_database_url

    schema = f"bench_access_{uuid.uuid4().hex[:8]}"
    try:
        yield f"{postgres}{'&' if '?' in postgres else '?'}schema={schema}"
    finally:
        db = parse_database_url(postgres)
        with psycopg.connect(
            host=db.host, port=db.port, dbname=db.dbname, user=db.user or None, autocommit=True
        ) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def invoke(url: str, *args: str, expect: int = 0) -> None:
    env = {"LEDGER_DATABASE_URL": url, "LEDGER_ACTOR": "1001", "LEDGER_REASON": "benchmark"}
    in_process(args, env, expect)


def median_ms(action: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def bench(url: str, repeat: int) -> dict[str, float]:
    from cli.session import Session
    from ledger.settings import Settings

    invoke(url, "init")
    invoke(url, "staff", "add", "1001", "--name", "A", "--agency", "police", "--rank", "Insp")
    invoke(
        url, "offender", "register", REF, "--name", "B", "--born", "1970-01-01", "--category", "1"
    )
    invoke(url, "--help")  # imports done before timing
    results = {
        "write": median_ms(lambda: invoke(url, "record", "entry", REF, "--summary", "x"), repeat),
        "refused write": median_ms(
            lambda: invoke(url, "record", "entry", "NO-SUCH", "--summary", "x", expect=1), repeat
        ),
        "show": median_ms(lambda: invoke(url, "show", REF, "--json"), repeat),
    }
    session = Session(Settings.from_environment(url, "1001", "benchmark"))
    try:
        session.consult("show", offender=REF)  # opens the ledger and the engine
        results["consult"] = median_ms(lambda: session.consult("show", offender=REF), repeat)
    finally:
        session.close()
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--quick", action="store_true", help="3 repetitions: a smoke test")
    options = parser.parse_args(argv)
    repeat = 3 if options.quick else options.repeat
    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            with ledger_url(backend, options.postgres_url, workdir) as url:
                r = bench(url, repeat)
            print(
                f"{backend}: write {r['write']:.1f} ms, refused write {r['refused write']:.1f} ms "
                f"(x{r['refused write'] / r['write']:.2f}), show {r['show']:.1f} ms, "
                f"consult {r['consult']:.2f} ms ({r['consult'] / r['show']:.0%} of show); "
                f"median of {repeat}"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
