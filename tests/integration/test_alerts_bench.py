"""The alerts benchmark still runs (a tiny ledger; the figures themselves are not asserted)."""

from __future__ import annotations


def test_the_alerts_benchmark_runs_quick(capsys):
    from bench.alerts_bench import main

    main(["--quick"])
    printed = capsys.readouterr().out
    assert "ledger alerts --area" in printed and "x floor" in printed
