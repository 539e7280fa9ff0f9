"""Who is acting: staff in post only, administrators for the directory, and on PostgreSQL the
database login itself when logins are bound to staff."""

from __future__ import annotations

import pytest

from ledger.settings import parse_database_url
from tests.helpers import LedgerCLI
from tests.integration.helpers import postgres_only


def head(cli: LedgerCLI) -> int:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    ledger = open_ledger(Settings.from_environment(cli.url))
    try:
        return ledger.head()
    finally:
        ledger.close()


def one_error_line(outcome) -> bool:
    return outcome.stderr.startswith("error:") and len(outcome.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------- every backend


def test_an_actor_not_in_the_staff_directory_is_refused(registered):
    before = head(registered)

    outcome = registered("record", "entry", "WMP-000123", "--summary", "Intel", actor="9999")

    assert outcome.exit_code == 1 and one_error_line(outcome)
    assert "9999" in outcome.stderr
    assert head(registered) == before


def test_an_actor_who_has_left_is_refused(registered):
    registered.ok("staff", "leave", "4521", "--since", "2020-01-01")
    before = head(registered)

    outcome = registered("record", "entry", "WMP-000123", "--summary", "Intel", actor="4521")

    assert outcome.exit_code == 1 and one_error_line(outcome)
    assert head(registered) == before


def test_enrolling_staff_needs_an_administrator(cli):
    before = head(cli)

    outcome = cli(
        "staff",
        "add",
        "5000",
        "--name",
        "New Person",
        "--agency",
        "police",
        "--rank",
        "PC",
        actor="4521",
    )

    assert outcome.exit_code == 1 and one_error_line(outcome)
    assert "administrator" in outcome.stderr
    assert head(cli) == before


def test_changing_a_rank_needs_an_administrator(cli):
    outcome = cli(
        "staff", "rank", "7702", "--rank", "Manager", "--since", "2020-01-01", actor="4521"
    )

    assert outcome.exit_code == 1 and "administrator" in outcome.stderr


def test_only_the_first_enrolment_of_an_empty_ledger_needs_no_administrator(database_url):
    cli = LedgerCLI(database_url)
    cli.ok("init")

    first = cli.ok(
        "staff",
        "add",
        "1001",
        "--name",
        "Ann Admin",
        "--agency",
        "police",
        "--rank",
        "Insp",
        actor="",
    )
    second = cli(
        "staff",
        "add",
        "1002",
        "--name",
        "Bob Other",
        "--agency",
        "police",
        "--rank",
        "PC",
        actor="",
    )

    assert "first administrator" in first.stderr
    assert second.exit_code != 0 and one_error_line(second)
    listed = cli.ok("staff", "list", "--json", actor="1001").json()
    assert [s["staff_id"] for s in listed["staff"]] == ["1001"]


# ------------------------------------------------------------------ PostgreSQL login binding


def _owner():
    import psycopg

    from tests.helpers import postgres_base_url

    db = parse_database_url(postgres_base_url())
    return psycopg.connect(
        host=db.host, port=db.port, dbname=db.dbname, user=db.user or None, autocommit=True
    )


@postgres_only
def test_the_actor_is_the_staff_member_bound_to_the_login(registered, logins):
    logins["4521"].ok("record", "entry", "WMP-000123", "--summary", "Typed by Sam")
    logins["7702"].ok("record", "disclosure", "WMP-000123", "--summary", "Told Pat")

    entries = logins["7702"].ok("timeline", "WMP-000123", "--json").json()["entries"]

    assert [(e["summary"], e["by"]) for e in entries[-2:]] == [
        ("Typed by Sam", "4521"),
        ("Told Pat", "7702"),
    ]


@postgres_only
def test_a_bound_login_cannot_claim_to_be_someone_else(registered, logins):
    before = head(registered)

    outcome = logins["4521"]("record", "entry", "WMP-000123", "--summary", "As Pat", actor="7702")

    assert outcome.exit_code == 1 and one_error_line(outcome)
    assert "bound to staff 4521" in outcome.stderr and "7702" in outcome.stderr
    assert head(registered) == before


@postgres_only
def test_an_attempt_to_act_as_someone_else_is_logged_against_who_really_tried(registered, logins):
    logins["4521"]("record", "entry", "WMP-000123", "--summary", "As Pat", actor="7702")

    db = parse_database_url(registered.url)
    with _owner() as conn:
        rows = conn.execute(
            f"SELECT actor, error FROM \"{db.schema}\".access_log WHERE outcome = 'refused'"
        ).fetchall()

    assert [actor for actor, _ in rows] == ["4521"]
    assert "cannot act as 7702" in rows[0][1]


@postgres_only
def test_a_bound_login_may_name_itself(registered, logins):
    out = logins["4521"].ok("record", "entry", "WMP-000123", "--summary", "Me", actor="4521")

    assert out.stdout.strip() == "WMP-000123#2"


@postgres_only
def test_once_logins_are_bound_an_unbound_login_cannot_act(registered, logins):
    before = head(registered)

    outcome = logins["owner"]("record", "entry", "WMP-000123", "--summary", "Owner", actor="1001")

    assert outcome.exit_code == 1 and one_error_line(outcome)
    assert "not bound" in outcome.stderr
    assert head(registered) == before


@postgres_only
def test_a_login_cannot_rebind_itself(registered, logins):
    import psycopg

    db = parse_database_url(registered.url)
    alice = parse_database_url(logins["4521"].url)
    with (
        psycopg.connect(
            host=alice.host, port=alice.port, dbname=alice.dbname, user=alice.user, autocommit=True
        ) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(
            f'UPDATE "{db.schema}".staff_logins SET staff_id = %s WHERE login = %s',
            ("1001", alice.user),
        )


@postgres_only
def test_a_reader_login_using_the_command_is_told_what_its_role_is_for(registered, logins):
    """It got 'unexpected failure (ProgrammingError: permission denied for table ...)'."""
    db = parse_database_url(registered.url)
    login = f"carol_{db.schema}"
    with _owner() as conn:
        conn.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "ledger_reader_{db.schema}"')
    try:
        base = registered.url.split("://", 1)[1].split("@", 1)[1]
        reader = LedgerCLI(f"postgresql://{login}@{base}")
        out = reader("show", "WMP-000123", actor="1001")
        assert out.exit_code == 4, out.stderr
        assert one_error_line(out) and "permission denied" in out.stderr
        assert "needs a login granted the writer role" in out.stderr
    finally:
        with _owner() as conn:
            conn.execute(f'DROP ROLE "{login}"')
