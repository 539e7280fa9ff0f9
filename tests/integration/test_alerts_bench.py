"""The alerts benchmark still runs (tiny ledgers; the figures themselves are not asserted)."""

from __future__ import annotations

import pytest


def test_the_alerts_benchmark_runs_quick(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.alerts_bench import main

    main(["--quick"])
    printed = capsys.readouterr().out
    assert "ledger alerts --area" in printed and "x floor" in printed
    # Both shapes, each with the import's catch-up and first call beside the rebuild.
    assert "== few long histories:" in printed and "== many short histories:" in printed
    assert printed.count("floor, `ledger projections rebuild --json` of the same ledger") == 2
    assert printed.count("right after the import, as processes") == 2
    # Catch-ups and rebuilds taken in turn, compared by their medians.
    assert printed.count("taken in turn, 2 of each") == 2
    assert printed.count("against the rebuild's alerts step") == 2
    assert printed.count("their steps, medians: the catch-up's pages") == 2
    assert printed.count("catch-up and first call") == 2
    assert "load average at the start:" in printed and "load average at the end:" in printed
