"""Attribution the database enforces (PostgreSQL): each link and each access-log row carries the
login that inserted it, stamped by the database; `verify` checks each event's login against the
staff binding then in force; every projection and view checks that the link names the event's
own author. Each attack below worked before: `verify` passed and the timeline showed the forgery
as the other person's, or the access-log row named another login."""

from __future__ import annotations

import hashlib

import psycopg
import pytest

from ledger.integrity import GENESIS, PG_CHAIN, link_hash
from ledger.settings import Settings, parse_database_url
from tests.helpers import owner_connection
from tests.integration.helpers import REF, Attacker, postgres_only


def _connect(cli) -> psycopg.Connection:
    db = parse_database_url(cli.url)
    return psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=db.user or None, autocommit=True
    )


def _forge_entry(cli, in_the_name_of: str, summary: str) -> None:
    """What a writer login can do with the ledger's own code and its own credentials, bypassing
    the command line's binding check: record an event, correctly linked, as someone else."""
    from ledger.bootstrap import open_ledger
    from ledger.handlers import handle
    from ledger.importing import parse_record

    ledger = open_ledger(Settings(database=parse_database_url(cli.url)))
    try:
        command = parse_record({"command": "entry", "ref": REF, "summary": summary})
        handle(ledger, in_the_name_of, [command])
    finally:
        ledger.close()


def _chain_logins(cli) -> list[tuple[str | None, str | None]]:
    db = parse_database_url(cli.url)
    with owner_connection() as conn:
        return conn.execute(
            f'SELECT login, staff_id FROM "{db.schema}".{PG_CHAIN} ORDER BY position'
        ).fetchall()


@postgres_only
def test_an_event_forged_in_another_name_by_a_writer_login_fails_verify(registered, logins):
    alice = logins["4521"]
    _forge_entry(alice, "7702", "Forged by Sam as Pat")
    alice_login = parse_database_url(alice.url).user

    assert _chain_logins(alice)[-1] == (alice_login, "7702")
    outcome = logins["7702"]("verify", "--json")
    assert outcome.exit_code == 3, outcome.stdout
    problems = outcome.json()["problems"]
    assert [(p["kind"], p["ref"]) for p in problems] == [("login_not_bound", f"{REF}#2")]
    assert alice_login in problems[0]["detail"] and "7702" in problems[0]["detail"]
    assert "bound to staff 4521" in problems[0]["detail"]
    # The login's own events, and the owner's from before the binding, verify.
    logins["4521"].ok("record", "entry", REF, "--summary", "Typed by Sam")
    assert [p["kind"] for p in logins["7702"]("verify", "--json").json()["problems"]] == [
        "login_not_bound"
    ]


@postgres_only
def test_a_link_naming_the_forger_over_a_payload_naming_another_is_caught_by_views_and_verify(
    registered, logins, monkeypatch
):
    import ledger.app

    # The forger's link names the forger (so the login check passes); the payload names Pat.
    monkeypatch.setattr(ledger.app, "author", lambda event: "4521")
    _forge_entry(logins["4521"], "7702", "Forged by Sam as Pat")
    monkeypatch.undo()

    outcome = logins["7702"]("timeline", REF, "--json")

    assert outcome.exit_code == 3 and outcome.stdout == ""
    assert f"{REF}#2" in outcome.stderr and len(outcome.stderr.splitlines()) == 1
    # verify holds the payload's author to the link's, as the views do.
    checked = logins["7702"]("verify", "--json")
    assert checked.exit_code == 3, checked.stdout
    [problem] = checked.json()["problems"]
    assert (problem["kind"], problem["ref"]) == ("author_mismatch", f"{REF}#2")
    assert "link names staff 4521, the payload staff 7702" in problem["detail"]


@postgres_only
def test_a_writer_login_cannot_set_another_login_on_an_access_log_row(registered, logins):
    db = parse_database_url(registered.url)
    alice, bob = parse_database_url(logins["4521"].url), parse_database_url(logins["7702"].url)
    with _connect(logins["4521"]) as conn:
        conn.execute(
            f'INSERT INTO "{db.schema}".access_log (at, actor, login, command, outcome, details) '
            "VALUES (now(), '7702', %s, 'show', 'consulted', '{}')",
            (bob.user,),
        )
    with owner_connection() as conn:
        row = conn.execute(
            f'SELECT actor, login FROM "{db.schema}".access_log ORDER BY id DESC LIMIT 1'
        ).fetchone()
    assert row == ("7702", alice.user)


@postgres_only
def test_a_writer_login_cannot_bind_a_login_and_every_binding_is_in_its_history(registered, logins):
    db = parse_database_url(registered.url)
    with (
        _connect(logins["4521"]) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(
            f'INSERT INTO "{db.schema}".staff_logins (login, staff_id) VALUES (%s, %s)',
            ("mallory", "1001"),
        )
    owner = parse_database_url(registered.url).user or "postgres"
    with owner_connection() as conn:
        history = conn.execute(
            f'SELECT login, staff_id, change, by_login FROM "{db.schema}".staff_logins_history '
            "ORDER BY id"
        ).fetchall()
        assert {(staff, change, by) for _, staff, change, by in history} == {
            ("4521", "bound", owner),
            ("7702", "bound", owner),
        }
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'DELETE FROM "{db.schema}".staff_logins_history')


@postgres_only
def test_a_binding_changed_later_does_not_unbind_what_was_recorded_before(registered, logins):
    logins["4521"].ok("record", "entry", REF, "--summary", "Typed by Sam")
    db = parse_database_url(registered.url)
    with owner_connection() as conn:
        conn.execute(f'DELETE FROM "{db.schema}".staff_logins WHERE staff_id = %s', ("4521",))

    assert logins["7702"].ok("verify", "--json").json()["ok"] is True


@postgres_only
def test_links_of_the_first_form_still_verify_beside_the_second(ledger_with_history):
    """A ledger recorded before links named their login: its v1 links verify, and the v2
    links appended after the upgrade follow them in the same chain."""
    attacker = Attacker(ledger_with_history.url)
    try:
        previous = GENESIS
        rows = attacker.sql(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {attacker.events} ORDER BY notification_id"
        )
        for position, oid, version, topic, state in rows:
            state_hash = hashlib.sha256(bytes(state)).digest()
            previous = link_hash(previous, position, oid.bytes, version, topic, state_hash)
            attacker.sql(
                f"UPDATE {attacker.chain} SET link = ?, login = NULL, staff_id = NULL, "
                "recorded_at = NULL WHERE position = ?",
                previous,
                position,
            )
    finally:
        attacker.close()
    assert {login for login, _ in _chain_logins(ledger_with_history)} == {None}
    assert ledger_with_history.ok("verify", "--json").json()["ok"] is True

    ledger_with_history.ok("record", "entry", REF, "--summary", "After the upgrade")

    assert _chain_logins(ledger_with_history)[-1][0] is not None
    assert ledger_with_history.ok("verify", "--json").json()["ok"] is True
    entries = ledger_with_history.ok("timeline", REF, "--json").json()["entries"]
    assert entries[-1]["summary"] == "After the upgrade"


@postgres_only
def test_an_upgrade_starts_the_binding_history_from_the_bindings_already_made(registered, logins):
    """A ledger upgraded by `ledger init` whose logins were bound before the history existed."""
    db = parse_database_url(registered.url)
    with owner_connection() as conn:
        conn.execute(f'DROP TABLE "{db.schema}".staff_logins_history')
    registered.ok("init", "--roles")
    logins["4521"].ok("record", "entry", REF, "--summary", "Typed by Sam")
    _forge_entry(logins["4521"], "7702", "Forged by Sam as Pat")

    problems = logins["7702"]("verify", "--json").json()["problems"]

    assert [(p["kind"], p["ref"]) for p in problems] == [("login_not_bound", f"{REF}#3")]
