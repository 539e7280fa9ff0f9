"""The benchmark scripts run end to end at tiny sizes, so that they cannot rot unnoticed.

Their figures mean nothing at these sizes; the full-size runs are made by hand (see bench/).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import postgres_base_url

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


@pytest.mark.slow
def test_the_projections_benchmark_runs_quickly_on_both_backends(postgres_available: None) -> None:
    outcome = run(
        "bench.projections_bench",
        "--quick",
        "--backend",
        "both",
        "--postgres-url",
        postgres_base_url(),
    )

    assert outcome.returncode == 0, outcome.stderr
    for backend in ("sqlite", "postgres"):
        assert f"== {backend}:" in outcome.stdout
    assert outcome.stdout.count("rebuild of all projections:") == 2
    assert outcome.stdout.count("floor, read and decode only:") == 2
    assert outcome.stdout.count("(warm: the median of 3 reads") == 2
    assert outcome.stdout.count("peak memory") == 2
    # PostgreSQL only: the library's own runner over the same events, as a second floor.
    assert outcome.stdout.count("second floor, the eventsourcing library's ProjectionRunner") == 1
    for query in ("show", "timeline", "who-knew", "ownership", "alerts --offender"):
        for kind in ("in process", "as a command"):
            assert outcome.stdout.count(f"{query} of one offender with 200 events, {kind}") == 2
    # The load beside the figures, and a verdict or the reason there is none (never timings).
    assert "load average at the start:" in outcome.stdout
    assert "load average at the end:" in outcome.stdout
    assert (
        "all targets met" in outcome.stdout
        or "no verdicts" in outcome.stdout
        or ("some targets missed" in outcome.stdout)
    )


def test_the_generator_runs_from_the_command_line(tmp_path: Path) -> None:
    outcome = run(
        "bench.synthetic",
        f"sqlite:///{tmp_path}/s.db",
        "--offenders",
        "3",
        "--events-per-offender",
        "20",
        "--areas",
        "2",
    )

    assert outcome.returncode == 0, outcome.stderr
    assert "3 offenders, 2 areas" in outcome.stdout
