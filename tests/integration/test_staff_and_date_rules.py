"""Rules about dates and administrators through the CLI, on SQLite and on PostgreSQL.

Each refusal exits 1 with one `error:` line that says what was wrong and how to put it right, and
leaves the ledger exactly as it was.
"""

from __future__ import annotations

import threading
import time

from tests.helpers import every_case_on_sqlite
from tests.integration.helpers import count_events

REF = "WMP-000999"


def refused(cli, *args: str, match: str, actor: str | None = None) -> str:
    """Runs a command that a domain rule must refuse; returns its one error line."""
    before = count_events(cli)
    outcome = cli(*args, actor=actor)
    assert outcome.exit_code == 1, (outcome.exit_code, outcome.stdout, outcome.stderr)
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), outcome.stderr
    assert match in lines[0], lines[0]
    assert count_events(cli) == before, "a refused command wrote something"
    return lines[0]


def enrol_admin(cli, staff_id: str = "2002", since: str = "2010-01-01") -> None:
    cli.ok(
        "staff",
        "add",
        staff_id,
        "--name",
        "Second Admin",
        "--agency",
        "probation",
        "--rank",
        "Senior Probation Officer",
        "--senior",
        "--admin",
        "--since",
        since,
    )


def register(cli, ref: str = REF, born: str = "1980-01-01", at: str = "2016-01-01"):
    return cli(
        "offender",
        "register",
        ref,
        "--name",
        "John Doe",
        "--born",
        born,
        "--category",
        "1",
        "--occurred-at",
        at,
        actor="4521",
    )


# ------------------------------------------------------------------------ the last administrator


def test_the_only_administrator_cannot_leave(cli):
    refused(cli, "staff", "leave", "1001", match="1001 is the only administrator in post")
    # Still able to enrol staff.
    cli.ok("staff", "add", "4600", "--name", "New One", "--agency", "police", "--rank", "PC")


def test_an_administrator_may_leave_while_another_is_in_post_but_not_the_last(cli):
    enrol_admin(cli)
    cli.ok("staff", "leave", "1001")
    refused(cli, "staff", "leave", "2002", actor="2002", match="enrol another administrator first")
    cli.ok(
        "staff",
        "add",
        "4600",
        "--name",
        "New One",
        "--agency",
        "police",
        "--rank",
        "PC",
        "--since",
        "2016-01-01",
        actor="2002",
    )


def test_an_administrator_who_has_left_does_not_count(cli):
    enrol_admin(cli)
    enrol_admin(cli, "2003")
    cli.ok("staff", "leave", "2002", "--since", "2015-01-01")
    cli.ok("staff", "leave", "2003", "--since", "2015-01-01")
    refused(cli, "staff", "leave", "1001", match="only administrator in post")


def test_staff_who_are_not_administrators_leave_as_before(cli):
    cli.ok("staff", "leave", "4521", "--since", "2018-01-01")


def test_two_administrators_leaving_at_once_leave_one_in_post(database_url, monkeypatch):
    """Each leaving reads who the administrators are and saves under one lock, so of two
    administrators leaving at the same moment one is refused, however slow the check."""
    from domain.errors import LastAdministratorError
    from ledger.app import OffenderLedger
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings
    from tests.helpers import LedgerCLI, enrol

    cli = enrol(LedgerCLI(database_url), "1001")
    enrol_admin(cli)
    original = OffenderLedger.administrators_in_post

    def slow(self, day):
        found = original(self, day)
        time.sleep(0.3)  # widen the window between the check and the save
        return found

    monkeypatch.setattr(OffenderLedger, "administrators_in_post", slow)
    ledgers = [open_ledger(Settings.from_environment(database_url)) for _ in range(2)]
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def leave(ledger, staff: str) -> None:
        start.wait()
        try:
            ledger.staff_leaves(staff, staff, _today())
            outcomes[staff] = "left"
        except Exception as error:
            outcomes[staff] = error

    try:
        threads = [
            threading.Thread(target=leave, args=(ledger, staff))
            for ledger, staff in zip(ledgers, ("1001", "2002"), strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(map(type, outcomes.values()), key=str) == sorted(
            [str, LastAdministratorError], key=str
        ), outcomes
        in_post = ledgers[0].administrators_in_post(_today())
        assert len(in_post) == 1
    finally:
        for ledger in ledgers:
            ledger.close()


def _today():
    from domain.clock import london_date, utc_now

    return london_date(utc_now())


# --------------------------------------------------------------------------- staff dates


@every_case_on_sqlite(
    "args",
    [
        ["staff", "leave", "4600", "--since", "2010-01-01"],
        ["staff", "rank", "4600", "--rank", "DI", "--since", "2010-01-01"],
        ["staff", "area", "4600", "--area", "Coventry", "--since", "2010-01-01"],
    ],
    ids=["leave", "rank", "area"],
)
def test_a_staff_change_dated_before_the_enrolment_is_refused(cli, args):
    cli.ok(
        "staff",
        "add",
        "4600",
        "--name",
        "Late Joiner",
        "--agency",
        "police",
        "--rank",
        "DC",
        "--since",
        "2015-01-01",
    )
    refused(cli, *args, match="4600 was enrolled on 2015-01-01")
    # Still in post, and still able to act.
    assert register(cli, "WMP-000777", at="2016-01-01").exit_code == 0


def test_a_leaving_before_the_latest_change_of_rank_is_refused(cli):
    cli.ok("staff", "rank", "4521", "--rank", "PS", "--since", "2018-01-01")
    refused(
        cli,
        "staff",
        "leave",
        "4521",
        "--since",
        "2017-06-01",
        match="change of rank or area dated 2018-01-01",
    )


def test_a_leaving_before_what_they_recorded_is_refused(cli):
    """A leaving is the first day no longer in post: it cannot come on or before an entry they
    made, which was accepted because they were in post then."""
    assert register(cli).exit_code == 0  # #1, by 4521 on 2016-01-01
    cli.ok(
        "record", "entry", REF, "--summary", "Seen", "--by", "4521",
        "--occurred-at", "2017-03-01T10:00",
    )  # fmt: skip
    for day in ("2016-06-01", "2017-03-01"):
        says = refused(
            cli, "staff", "leave", "4521", "--since", day,
            match=f"4521 is in post in {REF}#2, which occurred on 2017-03-01, so they cannot "
            f"have left on {day}",
        )  # fmt: skip
        assert says.endswith(f"give --since after 2017-03-01, or first correct the time of {REF}#2")
    cli.ok("staff", "leave", "4521", "--since", "2017-03-02")


@every_case_on_sqlite(
    ("staff", "command"),
    [
        ("8801", ["record", "mappa-meeting", REF, "--level", "2", "--attendees", "7702,8801",
                  "--summary", "m", "--by", "7702"]),
        ("7702", ["transfer", REF, "--to", "7702"]),
        ("1001", ["record", "escalation", REF, "--to", "1001", "--reason", "r", "--by", "4521"]),
        ("7702", ["share", REF, "1", "--with", "7702", "--by", "4521"]),
        ("7702", ["record", "disagreement", REF, "--with", "7702", "--summary", "s",
                  "--by", "4521"]),
    ],
    ids=["attendee", "new owner", "escalated to", "shared with", "disagreed with"],
)  # fmt: skip
def test_a_leaving_before_an_entry_naming_them_in_post_is_refused(cli, staff, command):
    enrol_admin(cli)  # so that 1001 is not the last administrator
    assert register(cli).exit_code == 0
    cli.ok(*command, "--occurred-at", "2017-05-01")
    refused(
        cli, "staff", "leave", staff, "--since", "2017-04-01",
        match=f"{staff} is in post in {REF}#2, which occurred on 2017-05-01",
    )  # fmt: skip
    cli.ok("staff", "leave", staff, "--since", "2017-05-02")


def test_a_leaving_is_judged_against_corrected_times(cli):
    assert register(cli).exit_code == 0
    cli.ok("record", "entry", REF, "--summary", "S", "--by", "7702", "--occurred-at", "2017-09-10")
    cli.ok("record", "entry", REF, "--summary", "T", "--by", "7702", "--occurred-at", "2017-01-01")
    # #2 happened in August, and #3 in October: the leaving is judged against those days.
    cli.ok("correct", REF, "2", "--reason", "r", "--entry-occurred-at", "2017-08-01")
    cli.ok("correct", REF, "3", "--reason", "r", "--entry-occurred-at", "2017-10-01")
    refused(
        cli, "staff", "leave", "7702", "--since", "2017-09-01",
        match=f"in post in {REF}#3, which occurred on 2017-10-01",
    )  # fmt: skip
    cli.ok("staff", "leave", "7702", "--since", "2017-10-02")


@every_case_on_sqlite(
    "args",
    [
        ["staff", "add", "4600", "--name", "N", "--agency", "police", "--rank", "PC"],
        ["staff", "leave", "4521"],
        ["staff", "rank", "4521", "--rank", "PS"],
        ["staff", "area", "4521", "--area", "Coventry"],
    ],
    ids=["add", "leave", "rank", "area"],
)
def test_a_staff_since_in_the_future_is_refused(cli, args):
    refused(cli, *args, "--since", "9999-01-01", match="--since 9999-01-01 is in the future")


# ------------------------------------------------------------------------------ offender dates


def test_a_birth_date_in_the_future_is_refused(cli):
    before = count_events(cli)
    outcome = register(cli, "X", born="9999-01-01", at="2016-01-01")
    assert outcome.exit_code == 1 and "--born 9999-01-01 is in the future" in outcome.stderr
    assert count_events(cli) == before


def test_a_birth_after_the_registration_is_refused(cli):
    refused(
        cli,
        "offender",
        "register",
        "Y1",
        "--name",
        "Y",
        "--born",
        "2020-01-01",
        "--category",
        "1",
        "--occurred-at",
        "2016-01-01",
        match="--born 2020-01-01 is after the registration (2016-01-01)",
    )


def test_a_licence_ending_before_the_release_is_refused(cli):
    assert register(cli).exit_code == 0
    refused(
        cli,
        "record",
        "release",
        REF,
        "--licence-end",
        "2010-01-01",
        "--occurred-at",
        "2016-11-01",
        match="--licence-end 2010-01-01 is not after the release (2016-11-01)",
    )


def test_a_new_release_after_the_licence_ended_follows_a_custody_and_show_agrees(cli):
    assert register(cli).exit_code == 0
    cli.ok("record", "release", REF, "--licence-end", "2018-11-01", "--occurred-at", "2016-11-01")
    refused(
        cli,
        "record",
        "release",
        REF,
        "--licence-end",
        "2030-01-01",
        "--occurred-at",
        "2018-06-01",
        match="already on licence on 2018-06-01 (until 2018-11-01)",
    )
    # Between the licences: not on licence, so no recall decision.
    refused(
        cli,
        "record",
        "recall-decision",
        REF,
        "--decision",
        "recall",
        "--rationale",
        "Breach",
        "--occurred-at",
        "2019-01-01",
        match="was not on licence on 2019-01-01",
    )
    assert cli.ok("show", REF, "--json").json()["on_licence"] is False
    # Free since the last release: a new one ends a custody, which is recorded first.
    refused(
        cli,
        "record",
        "release",
        REF,
        "--licence-end",
        "2099-01-01",
        "--occurred-at",
        "2019-02-01",
        match="not in custody on 2019-02-01",
    )
    cli.ok("record", "custody", REF, "--reason", "sentenced", "--occurred-at", "2019-01-15")
    cli.ok("record", "release", REF, "--licence-end", "2099-01-01", "--occurred-at", "2019-02-01")
    shown = cli.ok("show", REF, "--json").json()
    assert shown["on_licence"] is True and shown["licence_end"] == "2099-01-01"
    cli.ok(
        "record",
        "recall-decision",
        REF,
        "--decision",
        "recall",
        "--rationale",
        "Breach",
        "--occurred-at",
        "2020-01-01",
    )
    assert cli.ok("show", REF, "--json").json()["on_licence"] is False
    cli.ok("record", "release", REF, "--licence-end", "2099-01-01", "--occurred-at", "2021-01-01")
    assert cli.ok("show", REF, "--json").json()["on_licence"] is True
