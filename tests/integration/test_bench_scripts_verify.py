"""The verification benchmark runs end to end at a tiny size, so that it cannot rot unnoticed.

Its figures mean nothing at this size; the full-size run is made by hand (see bench/verify_bench.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.helpers import postgres_base_url

ROOT = Path(__file__).resolve().parents[2]


def test_the_verify_benchmark_runs_quickly_on_both_backends(postgres_available: None) -> None:
    outcome = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.verify_bench",
            "--quick",
            "--backend",
            "both",
            "--postgres-url",
            postgres_base_url(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert outcome.returncode == 0, outcome.stderr
    for backend in ("sqlite", "postgres"):
        assert f"== {backend}:" in outcome.stdout
    assert outcome.stdout.count("verify (events and chain, every hash):") == 2
    assert outcome.stdout.count("floor, a raw read of the same rows") == 2
    assert outcome.stdout.count("ratio ") == 2
    assert outcome.stdout.count("reading and decoding every event") == 2
    assert "FAILED" not in outcome.stdout
    # The load beside the figures; a verdict, or the reason there is none (never timings).
    assert "load average at the start:" in outcome.stdout
    assert "load average at the end:" in outcome.stdout
    assert (
        outcome.stdout.count("meets target")
        + outcome.stdout.count("MISSES target")
        + (outcome.stdout.count("no verdict (load"))
        == 2
    )
