"""LEDGER_LOCK_WAIT: how long a command waits for a lock or a PostgreSQL connection before it ends
(exit 4). Unset, every wait is 5 seconds, as before the setting existed."""

from __future__ import annotations

import pytest

from ledger.errors import ConfigurationError
from ledger.settings import (
    DEFAULT_LOCK_WAIT,
    Settings,
    event_store_environment,
    lock_wait_from_environment,
    seconds_text,
)

SQLITE = "sqlite:///ledger.db"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def no_lock_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGER_LOCK_WAIT", raising=False)


def test_with_nothing_set_every_wait_is_five_seconds():
    assert DEFAULT_LOCK_WAIT == 5
    assert lock_wait_from_environment() == 5
    sqlite = Settings.from_environment(SQLITE)
    postgres = Settings.from_environment(POSTGRES)
    assert sqlite.lock_wait == postgres.lock_wait == 5
    assert event_store_environment(sqlite, create_tables=False)["SQLITE_LOCK_TIMEOUT"] == "5"
    env = event_store_environment(postgres, create_tables=False)
    assert env["POSTGRES_LOCK_TIMEOUT"] == "5"
    assert env["POSTGRES_CONNECT_TIMEOUT"] == "5"


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_lock_wait_is_the_default(monkeypatch, empty):
    monkeypatch.setenv("LEDGER_LOCK_WAIT", empty)
    assert Settings.from_environment(SQLITE).lock_wait == 5


@pytest.mark.parametrize(
    ("given", "seconds"),
    [("1", 1.0), (" 2.5 ", 2.5), ("0.1", 0.1), (".5", 0.5), ("600", 600.0), ("30.", 30.0)],
)
def test_a_lock_wait_from_0_1_to_600_seconds_is_taken(monkeypatch, given, seconds):
    monkeypatch.setenv("LEDGER_LOCK_WAIT", given)
    assert Settings.from_environment(SQLITE).lock_wait == seconds


def test_the_event_store_is_given_the_wait_in_whole_seconds(monkeypatch):
    monkeypatch.setenv("LEDGER_LOCK_WAIT", "1.5")
    sqlite = event_store_environment(Settings.from_environment(SQLITE), create_tables=False)
    assert sqlite["SQLITE_LOCK_TIMEOUT"] == "2"
    monkeypatch.setenv("LEDGER_LOCK_WAIT", "0.1")
    env = event_store_environment(Settings.from_environment(POSTGRES), create_tables=False)
    assert env["POSTGRES_LOCK_TIMEOUT"] == env["POSTGRES_CONNECT_TIMEOUT"] == "1"


@pytest.mark.parametrize(
    "given",
    ["0", "0.09", "600.5", "-1", "5s", "five", "nan", "inf", "1e1", "1_0", "\u0665", "0x10", "5 5"],
)
def test_any_other_lock_wait_is_refused_naming_the_variable(monkeypatch, given):
    monkeypatch.setenv("LEDGER_LOCK_WAIT", given)
    with pytest.raises(ConfigurationError) as refused:
        Settings.from_environment(SQLITE)
    assert "LEDGER_LOCK_WAIT" in str(refused.value)
    assert "from 0.1 to 600" in str(refused.value)


def test_a_bad_lock_wait_is_a_usage_error_before_the_database_is_touched(monkeypatch, tmp_path):
    from tests.helpers import LedgerCLI

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ran = LedgerCLI(url)("init", env={"LEDGER_LOCK_WAIT": "soon"})
    assert ran.exit_code == 2, ran.stderr
    assert "LEDGER_LOCK_WAIT" in ran.stderr and "'soon'" in ran.stderr
    assert not (tmp_path / "ledger.db").exists()


def test_messages_say_the_figure():
    assert seconds_text(5) == "5 seconds"
    assert seconds_text(1) == "1 second"
    assert seconds_text(2.5) == "2.5 seconds"
