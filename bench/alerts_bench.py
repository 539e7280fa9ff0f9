"""Benchmark: an import's first morning check of alerts, and a supervisor's check of an area
against reading one offender, over two shapes of ledger.

For each of two synthetic ledgers of N events (default 200,000 in 10 areas) - few long histories
(N / 1,000 offenders of 1,000 events) and many short ones (N / 200 offenders of 200 events) -
written as an import leaves them, without their read models:

1. After the import, as fresh processes (what a person waits for): `ledger projections run`, then
   the first `ledger alerts --area AREA --json`. Targets: the first call takes at most the time a
   `projections rebuild` of the same ledger spends on its alerts step; the catch-up and the first
   call together take at most the whole rebuild. The rebuild, `ledger projections rebuild --json`
   as a person runs it (a process timed from outside; its alerts step as the command reports it)
   gives both floors. They are taken in turn, `--repeats` of each, and compared by their medians: the
   catch-up right after the import, a rebuild, the read models emptied again (`unproject`) and
   caught up again, a rebuild, and so on.
2. In process, through the real CLI, warm, alternated, medians of several runs: the floor
   `ledger show REF --json` for one offender; `ledger alerts --area AREA --json` (target at most
   3 times the floor); `ledger alerts --offender REF --at T --json` (target under 0.2 s); and, for
   information, the same with `--as-of T` (the rules re-run over the entry rows recorded by then).

Prints the load average at the start and end, each figure beside its floor or target, and a
verdict only when the one-minute load at the start was at most 1.0 (`bench.common`); exits
non-zero when a target is missed.

Example: python -m bench.alerts_bench --url sqlite:///bench.db
         python -m bench.alerts_bench --backend postgres
         python -m bench.alerts_bench --quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Verdicts, alternated, in_process, median

ACTOR = "9000"  # the synthetic ledger's administrator
RATIO_TARGET = 3.0
ONE_OFFENDER_TARGET = 0.2
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parents[1]


def _env(url: str) -> dict[str, str]:
    return {
        "LEDGER_DATABASE_URL": url,
        "LEDGER_ACTOR": ACTOR,
        "LEDGER_REASON": "benchmark",
        "LEDGER_POLICY": "",
    }


def invoke(url: str, *args: str) -> Any:
    """Runs `ledger ARGS` in process and returns its JSON."""
    return json.loads(in_process(args, _env(url)))


def process(url: str, *argv: str) -> float:
    """Runs `argv` as a fresh process against the ledger at `url`; returns its wall seconds."""
    return timed_process(url, *argv)[0]


def timed_process(url: str, *argv: str) -> tuple[float, str]:
    """Runs `argv` as a fresh process against the ledger at `url`; returns its wall seconds and
    what it printed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(_env(url))
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[-2000:]}")
    return seconds, done.stdout


def unproject(url: str) -> None:
    """Leaves the ledger at `url` as an import leaves it: every read model empty, every position
    0, the indexes in place. (On PostgreSQL the tables are truncated, new files as after an
    import; a SQLite file keeps the freed pages for the next rows.)"""
    from sqlalchemy import update

    from ledger.settings import Settings, parse_database_url
    from projections.catalogue import all_projections
    from projections.db import make_engine
    from projections.runner import ensure_positions
    from projections.schema import ProjectionPosition

    settings = Settings(database=parse_database_url(url))
    db = settings.database
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    try:
        projections = all_projections(settings)
        ensure_positions(engine, [p.name for p in projections])
        with engine.begin() as conn:
            for projection in projections:
                projection.clear(conn)
            conn.execute(update(ProjectionPosition).values(position=0))
    finally:
        engine.dispose()


def stepped_process(url: str, *argv: str) -> tuple[float, dict[str, float]]:
    """A command that reports its steps (`ledger projections rebuild --json` or `run --json`),
    as a person runs it: a process timed from outside, and the seconds of its steps as the command
    reports them (the rebuild's alerts step: the settling of every offender's alerts)."""
    seconds, printed = timed_process(url, *argv, "--json")
    return seconds, json.loads(printed)["steps"]


def _steps(samples: list[dict[str, float]]) -> str:
    """Each step's median over the samples: `pages 9.3 s, alerts 12.5 s, indexes 1.5 s`."""
    return ", ".join(
        f"{step} {median([s.get(step, 0.0) for s in samples]):.2f} s"
        for step in ("pages", "alerts", "indexes")
    )


def first_call_figures(url: str, area: str, repeats: int, verdict: Callable[[bool], str]) -> bool:
    """The import's catch-up and first alerts call against the rebuild of the same ledger that is
    their floor, taken in turn: the catch-up right after the import, a rebuild, the ledger left
    unprojected again (`unproject`) and caught up again, and so on, `repeats` of each; medians."""
    ledger = str(Path(sys.executable).with_name("ledger"))
    if not Path(ledger).exists():
        ledger = "ledger"
    runs: list[float] = []
    firsts: list[float] = []
    rebuilds: list[float] = []
    run_steps: list[dict[str, float]] = []
    rebuild_steps: list[dict[str, float]] = []
    second_s = 0.0
    for turn in range(repeats):
        if turn:
            unproject(url)
        run_s, run_step = stepped_process(url, ledger, "projections", "run")
        runs.append(run_s)
        run_steps.append(run_step)
        firsts.append(process(url, ledger, "alerts", "--area", area, "--json"))
        if not turn:
            second_s = process(url, ledger, "alerts", "--area", area, "--json")
        rebuild_s, rebuild_step = stepped_process(url, ledger, "projections", "rebuild")
        rebuilds.append(rebuild_s)
        rebuild_steps.append(rebuild_step)
    steps = [taken["alerts"] for taken in rebuild_steps]
    run_s, first_s, rebuild_s, alerts_step = (median(x) for x in (runs, firsts, rebuilds, steps))
    first_ok = first_s <= alerts_step
    both_ok = run_s + first_s <= rebuild_s

    def listed(samples: list[float]) -> str:
        return ", ".join(f"{x:.2f}" for x in samples)

    print(
        f"  right after the import, as processes: `ledger projections run` {runs[0]:.2f} s, then "
        f"the first `ledger alerts --area {area}` {firsts[0]:.2f} s (the next one "
        f"{second_s:.2f} s)\n"
        f"  taken in turn, {repeats} of each (the catch-up again after `unproject`), medians:\n"
        f"  `ledger projections run` {run_s:.2f} s ({listed(runs)}), first alerts call "
        f"{first_s:.2f} s ({listed(firsts)})\n"
        f"  floor, `ledger projections rebuild --json` of the same ledger (a process, timed from "
        f"outside): "
        f"{rebuild_s:.2f} s ({listed(rebuilds)}), of which its alerts step {alerts_step:.2f} s "
        f"({listed(steps)})\n"
        f"  their steps, medians: the catch-up's {_steps(run_steps)}; the rebuild's "
        f"{_steps(rebuild_steps)}\n"
        f"  first alerts call {first_s:.2f} s against the rebuild's alerts step "
        f"{alerts_step:.2f} s (target: at most): {verdict(first_ok)}\n"
        f"  catch-up and first call {run_s + first_s:.2f} s against the rebuild "
        f"{rebuild_s:.2f} s = {(run_s + first_s) / rebuild_s:.2f} x (target <= 1): "
        f"{verdict(both_ok)}",
        flush=True,
    )
    return first_ok and both_ok


def read_figures(url: str, runs: int, verdict: Callable[[bool], str]) -> bool:
    listing = invoke(url, "offender", "list", "--json")
    first = listing["offenders"][0] if isinstance(listing, dict) else listing[0]
    ref, area = first["ref"], first["area"]
    at, as_of = "2020-01-01", "2030-01-01"
    got: dict[str, Any] = {}

    def keep(name: str, *args: str) -> Callable[[], None]:
        return lambda: got.__setitem__(name, invoke(url, *args))

    samples = alternated(
        {
            "show": keep("show", "show", ref, "--json"),
            "area": keep("area", "alerts", "--area", area, "--json"),
            "one": keep("one", "alerts", "--offender", ref, "--at", at, "--json"),
        },
        runs,
    )
    slow = alternated(
        {
            "as_of": keep(
                "as_of", "alerts", "--offender", ref, "--at", at, "--as-of", as_of, "--json"
            )
        },
        max(1, runs // 2),
    )
    show_s, area_s, one_s = (median(samples[k]) for k in ("show", "area", "one"))
    slow_s = median(slow["as_of"])
    ratio = area_s / show_s
    print(
        f"  floor   ledger show {ref} ({got['show']['entries']:,} entries), in process, warm, "
        f"median of {runs} alternated with the figures: {show_s * 1000:8.1f} ms\n"
        f"          ledger alerts --area {area} ({len(got['area']['alerts']):,} alerts): "
        f"{area_s * 1000:8.1f} ms  = {ratio:.2f} x floor (target <= {RATIO_TARGET:g}): "
        f"{verdict(ratio <= RATIO_TARGET)}\n"
        f"          ledger alerts --offender {ref} --at {at} ({len(got['one']['alerts'])} "
        f"alerts): {one_s * 1000:8.1f} ms  (target < {ONE_OFFENDER_TARGET * 1000:.0f} ms): "
        f"{verdict(one_s < ONE_OFFENDER_TARGET)}\n"
        f"          ... with --as-of {as_of} (rules re-run from entry rows): "
        f"{slow_s * 1000:8.1f} ms  (for information)",
        flush=True,
    )
    return ratio <= RATIO_TARGET and one_s < ONE_OFFENDER_TARGET


@contextmanager
def ledger_at(backend: str, url: str | None, workdir: str, name: str) -> Iterator[str]:
    """The given URL, or a new empty ledger on the backend (a PostgreSQL schema is dropped
    afterwards)."""
    if url:
        yield url
        return
    from bench.projections_bench import ledger_url

    with ledger_url(backend, os.environ.get("LEDGER_TEST_POSTGRES_URL", DEFAULT_POSTGRES),
                    workdir, name) as made:  # fmt: skip
        yield made


def run_shape(
    url: str,
    shape: str,
    offenders: int,
    events: int,
    areas: int,
    runs: int,
    repeats: int,
    verdicts: Verdicts,
) -> bool:
    from bench.synthetic import generate_ledger

    started = time.perf_counter()
    made = generate_ledger(
        url, offenders=offenders, events_per_offender=events, areas=areas, project=False
    )
    print(
        f"\n== {shape}: {made.events:,} events ({offenders:,} offenders x {events:,}, {areas} "
        f"areas), {url.split(':', 1)[0]} ==\n  written without read models, as an import leaves "
        f"them, in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    ok = first_call_figures(url, made.areas[0], repeats, verdicts.verdict)
    return read_figures(url, runs, verdicts.verdict) and ok


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    parser.add_argument("--events", type=int, default=200_000, help="events in each ledger")
    parser.add_argument("--areas", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--repeats", type=int, default=3, help="catch-ups and rebuilds of each ledger, in turn"
    )
    parser.add_argument("--workdir", help="folder for the SQLite files (default: a temporary one)")
    parser.add_argument("--quick", action="store_true", help="a tiny run, to check the script")
    args = parser.parse_args(argv)
    if args.quick:
        shapes = {"few long histories": (3, 80), "many short histories": (12, 20)}
        args.areas, args.runs, args.repeats = 2, 2, 2
    else:
        shapes = {
            "few long histories": (max(1, args.events // 1000), 1000),
            "many short histories": (max(1, args.events // 200), 200),
        }
    os.environ.pop("LEDGER_POLICY", None)
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    verdicts = Verdicts()
    with tempfile.TemporaryDirectory(dir=args.workdir) as workdir:
        for backend in backends:
            for index, (shape, (offenders, events)) in enumerate(shapes.items()):
                with ledger_at(backend, None, workdir, f"alerts{index}") as url:
                    run_shape(
                        url,
                        shape,
                        offenders,
                        events,
                        args.areas,
                        args.runs,
                        args.repeats,
                        verdicts,
                    )
    if verdicts.finish() is False and not args.quick:
        sys.exit("a target was missed")


if __name__ == "__main__":
    main()
