"""Fixtures the tamper-evidence tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LedgerCLI
from tests.integration.test_integrity import Attacker


@pytest.fixture
def ledger_with_history(registered: LedgerCLI) -> LedgerCLI:
    """WMP-000123 with entries 2..4 after the four staff enrolments and its registration."""
    registered.ok(
        "record", "disclosure", "WMP-000123", "--summary", "Feels isolated", "--by", "7702"
    )
    registered.ok("record", "entry", "WMP-000123", "--summary", "New address", "--by", "4521")
    registered.ok("record", "concern", "WMP-000123", "--summary", "Seen near a school")
    return registered


@pytest.fixture
def attacker(ledger_with_history: LedgerCLI) -> Iterator[Attacker]:
    """Edits the database around the ledger, with the append-only triggers out of the way."""
    attacker = Attacker(ledger_with_history.url)
    yield attacker
    attacker.close()
