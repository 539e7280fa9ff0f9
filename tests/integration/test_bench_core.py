"""The core benchmark runs end to end at tiny sizes, so that it cannot rot unnoticed.

Its figures mean nothing at these sizes; the full run is made by hand: python -m bench.core_bench
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import postgres_base_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_core_benchmark_runs_quickly_on_both_backends(postgres_available: None) -> None:
    outcome = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.core_bench",
            "--quick",
            "--postgres-url",
            postgres_base_url(),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert outcome.returncode == 0, outcome.stderr
    out = outcome.stdout
    assert "(a) CLI write latency, SQLite" in out
    assert "ledger record entry:" in out and "floor: python -c" in out
    # Beside the wall time: the command's own work in process, and the ratio run by run.
    assert re.search(r"of which its own work, run in this process once loaded: [\d.]+ ms", out)
    assert re.search(r"run by run against the floor beside it: [\d.]+ \(the middle half\)", out)
    for backend in ("sqlite", "postgres"):
        assert f"(b) append one event against history, {backend}" in out
        assert f"(c) bulk append, {backend}" in out
    assert out.count("(target <= 1.5)") == 2
    # The long history was saved in batches: a snapshot was taken, and the append used it.
    assert len(re.findall(r"snapshots: latest at version [1-9]\d*;", out)) == 2
    assert out.count("floor: raw executemany of the same rows:") == 2
    assert out.count("(no target yet)") == 2
    # Each read, a fresh process beside the same floor, with the machine's load around them.
    assert "(d) CLI read latency, SQLite" in out
    for read in ("show", "timeline", "ownership", "who-knew", "alerts --offender"):
        assert re.search(rf"ledger {read} WMP-\d+: +[\d.]+ ms, ratio [\d.]+ \(target <= 1.0\)", out)
    own = r"own work in this process once loaded [\d.]+ ms; run by run against the floor beside it"
    assert len(re.findall(own, out)) == 5
    for reference in ("the floor's imports as a read runs them", "the libraries a read imports"):
        assert re.search(rf"{reference}[^:]*: +[\d.]+ ms, ratio [\d.]+", out)
    assert "load average at the start:" in out and "load average at the end:" in out


def test_the_bench_says_when_ledger_would_import_a_checkout_other_than_the_install(
    tmp_path: Path,
) -> None:
    from bench.core_bench import how_installed

    elsewhere = tmp_path / "checkout"
    (elsewhere / "cli").mkdir(parents=True)
    (elsewhere / "cli" / "__init__.py").write_text("")
    (elsewhere / "cli" / "main.py").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    installed = how_installed(env, tmp_path)
    shadowed = how_installed(
        {**env, "PYTHONPATH": str(elsewhere), "PYTHONDONTWRITEBYTECODE": "1"}, tmp_path
    )

    assert "(PYTHONPATH)" not in installed
    assert shadowed.startswith(installed.split(";")[0])
    assert f"but the project is imported from {elsewhere} (PYTHONPATH)" in shadowed
    assert shadowed.endswith("no bytecode is written for it, so its modules compile on every run")
