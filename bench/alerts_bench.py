"""Benchmark: a supervisor's morning check of an area's alerts, against reading one offender.

In a synthetic ledger (by default 1,000 offenders x 1,000 events = 1,000,000 events in 10 areas),
runs in process, through the real CLI:

- the floor, measured in the same run: `ledger show REF --json` for one offender;
- `ledger alerts --area AREA --json`: target at most 3 times the floor;
- `ledger alerts --offender REF --at T --json` for one offender with 1,000 events: target under
  0.2 s;
- for information: the same with `--as-of T` (the rules re-run over the entry rows recorded by
  then) and the first `ledger alerts` after generation, which settles the offenders that the bulk
  catch-up left pending.

Each timing is the median of several runs after one warm-up. Prints one line per figure, beside
its floor or target, and exits non-zero when a target is missed.

Example: python -m bench.alerts_bench --url sqlite:///bench.db
         python -m bench.alerts_bench --quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ACTOR = "9000"  # the synthetic ledger's administrator
RATIO_TARGET = 3.0
ONE_OFFENDER_TARGET = 0.2


def invoke(url: str, *args: str) -> Any:
    """Runs `ledger ARGS` in process and returns its JSON."""
    import json

    from typer.testing import CliRunner

    from cli.main import app

    env = {
        "LEDGER_DATABASE_URL": url,
        "LEDGER_ACTOR": ACTOR,
        "LEDGER_REASON": "benchmark",
        "LEDGER_POLICY": "",
    }
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    if result.exit_code != 0:
        raise SystemExit(f"ledger {' '.join(args)} failed: {result.stderr.strip()}")
    return json.loads(result.stdout)


def timed(action: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median wall time of `runs` runs after one warm-up, and the last result."""
    result = action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def run(url: str, offenders: int, events: int, areas: int, runs: int, generate: bool) -> bool:
    from bench.synthetic import generate_ledger

    if generate:
        started = time.perf_counter()
        made = generate_ledger(
            url, offenders=offenders, events_per_offender=events, areas=areas, project=True
        )
        print(
            f"generated {made.events:,} events ({offenders:,} offenders x {events:,}, "
            f"{areas} areas) and projected them in {time.perf_counter() - started:.1f} s"
        )
    listing = invoke(url, "offender", "list", "--json")
    first = listing["offenders"][0] if isinstance(listing, dict) else listing[0]
    ref, area = first["ref"], first["area"]

    started = time.perf_counter()
    invoke(url, "alerts", "--offender", ref, "--json")
    print(f"first alerts read (settles what the bulk catch-up left pending): "
          f"{time.perf_counter() - started:.2f} s")  # fmt: skip

    show_s, shown = timed(lambda: invoke(url, "show", ref, "--json"), runs)
    area_s, found = timed(lambda: invoke(url, "alerts", "--area", area, "--json"), runs)
    at = "2020-01-01"
    one_s, mine = timed(
        lambda: invoke(url, "alerts", "--offender", ref, "--at", at, "--json"), runs
    )
    as_of = "2030-01-01"
    slow_s, _ = timed(
        lambda: invoke(url, "alerts", "--offender", ref, "--at", at, "--as-of", as_of, "--json"),
        max(1, runs // 2),
    )
    ratio = area_s / show_s
    print(f"floor   ledger show {ref} ({shown['entries']:,} entries): {show_s * 1000:8.1f} ms")
    print(
        f"        ledger alerts --area {area} ({len(found['alerts']):,} alerts): "
        f"{area_s * 1000:8.1f} ms  = {ratio:.2f} x floor (target <= {RATIO_TARGET:g})"
    )
    print(
        f"        ledger alerts --offender {ref} --at {at} ({len(mine['alerts'])} alerts): "
        f"{one_s * 1000:8.1f} ms  (target < {ONE_OFFENDER_TARGET * 1000:.0f} ms)"
    )
    print(
        f"        ... with --as-of {as_of} (rules re-run from entry rows): "
        f"{slow_s * 1000:8.1f} ms  (for information)"
    )
    return ratio <= RATIO_TARGET and one_s < ONE_OFFENDER_TARGET


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="ledger database (default: a fresh SQLite file)")
    parser.add_argument("--offenders", type=int, default=1000)
    parser.add_argument("--events-per-offender", type=int, default=1000)
    parser.add_argument("--areas", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the ledger at --url without generating"
    )
    parser.add_argument("--quick", action="store_true", help="a tiny run, to check the script")
    args = parser.parse_args(argv)
    if args.quick:
        args.offenders, args.events_per_offender, args.areas, args.runs = 20, 60, 2, 1
    with tempfile.TemporaryDirectory() as scratch:
        url = args.url or f"sqlite:///{Path(scratch) / 'alerts-bench.db'}"
        os.environ.pop("LEDGER_POLICY", None)
        met = run(
            url, args.offenders, args.events_per_offender, args.areas, args.runs, not args.reuse
        )
    if not met and not args.quick:
        sys.exit("a target was missed")


if __name__ == "__main__":
    main()
