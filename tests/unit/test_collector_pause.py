"""A command starts without the cyclic garbage collector, which comes back on by itself for a
command that runs longer, and is on again once the command is done (`cli.main.main`)."""

from __future__ import annotations

import gc
import time

import pytest

from cli import main as cli_main


@pytest.fixture(autouse=True)
def collector_as_it_was():
    yield
    gc.unfreeze()
    gc.enable()


def test_a_short_command_runs_without_the_collector(monkeypatch):
    seen: list[bool] = []
    monkeypatch.setattr(cli_main, "app", lambda: seen.append(gc.isenabled()))

    cli_main.main()

    assert seen == [False]
    assert gc.isenabled()


def test_a_long_command_gets_the_collector_back(monkeypatch):
    seen: list[bool] = []

    def long_command() -> None:
        seen.append(gc.isenabled())
        deadline = time.monotonic() + 5
        while not gc.isenabled() and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(gc.isenabled())

    monkeypatch.setattr(cli_main, "COLLECTOR_PAUSE_SECONDS", 0.05)
    monkeypatch.setattr(cli_main, "app", long_command)

    cli_main.main()

    assert seen == [False, True]
