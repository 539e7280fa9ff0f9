"""What every bench shares: the machine's load beside each figure, verdicts only on a quiet
machine, and floors that are warm and robust (medians of reads alternated with the figure).

A figure measured while other work runs says more about that work than about the ledger: each
bench prints the load average at its start and end, and gives a verdict (met or missed) only when
the one-minute load at its start is at most `QUIET_LOAD`; otherwise it prints the figures and says
why it gives none. A floor is never the first read in a process (cold caches, imports, compiled
statements): it is the median of several reads in the process that measures, each taken just
before the figure's own run, so that load falls on both alike.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

QUIET_LOAD = 1.0


def load_average() -> tuple[float, float, float]:
    """The one-, five- and fifteen-minute load averages (zeros where the system has none)."""
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)


def describe_load(load: tuple[float, float, float]) -> str:
    return " ".join(f"{x:.2f}" for x in load)


class Verdicts:
    """Prints the load at the start (now) and at the end (`finish`), and words each verdict:
    withheld when the one-minute load at the start was above `QUIET_LOAD`."""

    def __init__(self, quiet_load: float = QUIET_LOAD) -> None:
        self.quiet_load = quiet_load
        self.start = load_average()
        self.results: list[bool] = []
        print(f"load average at the start: {describe_load(self.start)}", flush=True)
        if not self.quiet:
            print(f"  {self.why_none()}", flush=True)

    @property
    def quiet(self) -> bool:
        return self.start[0] <= self.quiet_load

    def why_none(self) -> str:
        return (
            f"no verdicts: the one-minute load at the start was {self.start[0]:.2f}, above "
            f"{self.quiet_load:g}; the figures are printed, but other work on the machine was "
            "in them"
        )

    def verdict(self, ok: bool) -> str:
        """'meets target' / 'MISSES target', or 'no verdict (load ...)' on a busy machine."""
        self.results.append(ok)
        if not self.quiet:
            return f"no verdict (load {self.start[0]:.2f} at the start > {self.quiet_load:g})"
        return "meets target" if ok else "MISSES target"

    def finish(self) -> bool | None:
        """Prints the end load and the summary; True/False when verdicts were given, else None."""
        end = load_average()
        if not self.quiet:
            print(f"\n{self.why_none()}")
            outcome: bool | None = None
        else:
            outcome = all(self.results)
            print("\nall targets met" if outcome else "\nsome targets missed (see above)")
        print(f"load average at the end: {describe_load(end)}", flush=True)
        return outcome


def alternated(
    actions: Mapping[str, Callable[[], Any]], runs: int, warm_up: int = 1
) -> dict[str, list[float]]:
    """Wall seconds of each action, `runs` times each after `warm_up` untimed runs, taken in
    turn (a, b, a, b, ...) so that other load falls on all of them alike."""
    for _ in range(warm_up):
        for action in actions.values():
            action()
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(runs):
        for name, action in actions.items():
            started = time.perf_counter()
            action()
            samples[name].append(time.perf_counter() - started)
    return samples


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def in_process(args: Sequence[str], env: Mapping[str, str], expect: int = 0) -> str:
    """Runs `ledger ARGS` in this process with `env` and returns what it printed; a command
    that exits otherwise than `expect` ends the bench with its error."""
    from typer.testing import CliRunner

    from cli.main import app

    done = CliRunner().invoke(app, list(args), env=dict(env), catch_exceptions=False)
    if done.exit_code != expect:
        raise SystemExit(
            f"ledger {' '.join(args)} exited {done.exit_code}: {done.stderr.strip()[-2000:]}"
        )
    return done.stdout
