"""Every view checks what it shows: an offender's stored events are checked against their
hash-chain links before any view of that offender prints anything, and a projection checks each
event's link as it applies it. On SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.integration.helpers import REF, engine_for, log

VIEWS = {
    "show": ["show", REF, "--json"],
    "timeline": ["timeline", REF, "--json"],
    "ownership": ["ownership", REF, "--json"],
    "who-knew": ["who-knew", REF, "--json"],
    "alerts --offender": ["alerts", "--offender", REF, "--json"],
    "export": ["export", REF, "--format", "json", "--out", "{tmp}/out.json"],
}


def _edit_summary(attacker, text: bytes, instead: bytes) -> int:
    """Rewrites a plaintext payload's summary in place; returns the event's position."""
    for position in attacker.positions():
        state = attacker.state(position)
        if text in state:
            attacker.set_state(position, state.replace(text, instead))
            return position
    raise AssertionError(f"no stored event holds {text!r}")


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_a_view_refuses_an_event_edited_after_it_was_projected(
    attacker, ledger_with_history, view, tmp_path
):
    ledger_with_history.ok("timeline", REF)  # projected before the edit
    _edit_summary(attacker, b"Feels isolated", b"Feels GRANDIOSE")

    args = [a.format(tmp=tmp_path) for a in VIEWS[view]]
    outcome = ledger_with_history(*args)

    assert outcome.exit_code == 3, outcome.stderr
    assert outcome.stderr.startswith("error:") and len(outcome.stderr.splitlines()) == 1
    assert f"{REF}#2" in outcome.stderr
    assert "GRANDIOSE" not in outcome.stdout and "isolated" not in outcome.stdout
    assert not (tmp_path / "out.json").exists()
    last = log(ledger_with_history)[-1]
    assert last["outcome"] == "refused" and last["offender"] == REF


def test_a_projection_refuses_an_event_edited_before_it_was_projected(
    attacker, ledger_with_history
):
    ledger_with_history.ok("projections", "rebuild")
    edited = _edit_summary(attacker, b"New address", b"Old ADDRESS")

    rebuilt = ledger_with_history("projections", "rebuild")

    assert rebuilt.exit_code == 3 and f"{REF}#3" in rebuilt.stderr
    status = ledger_with_history.ok("projections", "status", "--json").json()
    # Stopped before the altered event, as a failing projection does.
    assert {p["position"] for p in status["projections"]} == {edited - 1}
    engine = engine_for(ledger_with_history)
    try:
        with engine.connect() as conn:
            summaries = [r[0] for r in conn.exec_driver_sql("SELECT summary FROM entries")]
    finally:
        engine.dispose()
    assert "Old ADDRESS" not in summaries and "Feels isolated" in summaries
    outcome = ledger_with_history("timeline", REF)
    assert outcome.exit_code == 3 and "ADDRESS" not in outcome.stdout


def test_views_of_an_unaltered_ledger_still_show(ledger_with_history, tmp_path):
    for args in VIEWS.values():
        ledger_with_history.ok(*[a.format(tmp=tmp_path) for a in args])
