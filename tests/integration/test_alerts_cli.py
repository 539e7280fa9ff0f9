"""`ledger alerts` through the CLI, on SQLite and on PostgreSQL.

The main scenario retells the board paper's case in invented form: a man released on licence in
July 2016 who is never given an ARMS assessment, tells probation he feels isolated and later that
he thinks of rape, while nobody shares, escalates, reviews, considers recall or acknowledges the
entries after the case changes hands, and two managers disagree without escalating. Each failure
must be raised on the day it should have been, and clear when the missing action is recorded.
"""

from __future__ import annotations

import time

import pytest

from domain.clock import iso, utc_now
from tests.helpers import templated

REF = "WMP-000123"


def standing(cli, at: str, *extra: str) -> set[tuple[str, int | None]]:
    doc = cli.ok("alerts", "--offender", REF, "--at", at, "--json", *extra).json()
    return {(a["rule"], a["entry"]) for a in doc["alerts"]}


def record(cli, *args: str) -> int:
    out = cli.ok(*args, "--json").json()
    return out["entry"]


@templated
def lost_case(registered):
    """WMP-000123 (registered 2016-07-04 by PC 4521) as the case went wrong, up to 26 Oct 2016."""
    cli = registered
    cli.ok(
        "staff", "add", "4600", "--name", "Dee Marsh", "--agency", "police", "--rank", "PC",
        "--since", "2010-01-01",
    )  # fmt: skip
    # Probation takes the case on the same day: two owning agencies from now on.
    assert record(cli, "transfer", REF, "--to", "7702", "--occurred-at", "2016-07-04") == 2
    release = record(
        cli, "record", "release", REF, "--licence-end", "2031-07-11",
        "--occurred-at", "2016-07-11", "--by", "7702",
    )  # fmt: skip
    assert release == 3
    cli.ok("acknowledge", REF, "3", "--by", "4521", "--occurred-at", "2016-07-12")
    isolated = record(
        cli, "record", "disclosure", REF, "--summary", "Feels isolated, as before his offences",
        "--risk-relevant", "--occurred-at", "2016-09-05", "--by", "7702",
    )  # fmt: skip
    assert isolated == 5
    # The police side of the case changes hands; nothing is acknowledged either side of it.
    assert record(cli, "transfer", REF, "--to", "4600", "--occurred-at", "2016-10-03") == 6
    thoughts = record(
        cli, "record", "disclosure", REF, "--summary", "Thinks about rape; notices open windows",
        "--risk-relevant", "--occurred-at", "2016-10-17T11:00", "--by", "7702",
    )  # fmt: skip
    assert thoughts == 7
    concern = record(
        cli, "record", "concern", REF, "--summary", "Seen walking residential streets at night",
        "--occurred-at", "2016-10-24", "--by", "4600",
    )  # fmt: skip
    assert concern == 8
    disagreement = record(
        cli, "record", "disagreement", REF, "--with", "7702",
        "--summary", "Probation do not see the risk as escalating",
        "--occurred-at", "2016-10-26", "--by", "4600",
    )  # fmt: skip
    assert disagreement == 9
    return cli


# What stands on each day, as the case went: (day, alerts added, alerts gone since the row above).
CHRONOLOGY = [
    ("2016-08-21", set(), set()),
    ("2016-08-22", {("ARMS_OVERDUE", 3)}, set()),  # six weeks after release
    ("2016-09-06", {("DISCLOSURE_NOT_SHARED", 5), ("RECALL_NOT_CONSIDERED", 5)}, set()),
    ("2016-09-07", {("ESCALATION_NOT_ACTED_ON", 5)}, set()),
    ("2016-09-12", {("ENTRY_UNACKNOWLEDGED", 5)}, set()),
    # The transfer ends the old owner's duty; the new owner has a week from the transfer.
    ("2016-10-04", set(), {("ENTRY_UNACKNOWLEDGED", 5)}),
    ("2016-10-10", {("ENTRY_UNACKNOWLEDGED", 5)}, set()),
    ("2016-10-18", {("DISCLOSURE_NOT_SHARED", 7), ("RECALL_NOT_CONSIDERED", 7)}, set()),
    ("2016-10-19", {("ESCALATION_NOT_ACTED_ON", 7)}, set()),
    ("2016-10-24", {("ENTRY_UNACKNOWLEDGED", 7)}, set()),
    ("2016-10-25", {("DISCLOSURE_NOT_SHARED", 8), ("RECALL_NOT_CONSIDERED", 8)}, set()),
    ("2016-10-26", {("ESCALATION_NOT_ACTED_ON", 8)}, set()),
    ("2016-10-28", {("DISAGREEMENT_NOT_ESCALATED", 9)}, set()),
]


ALL_FAILURES = {alert for _, added, _ in CHRONOLOGY for alert in added}


def test_each_failure_of_the_case_is_raised_on_the_day_it_should_have_been(lost_case):
    expected: set[tuple[str, int | None]] = set()
    for day, added, gone in CHRONOLOGY:
        expected = (expected | added) - gone
        assert standing(lost_case, day) == expected, day


def test_the_arms_alert_falls_due_at_the_start_of_the_day_six_weeks_after_release(lost_case):
    doc = lost_case.ok("alerts", "--offender", REF, "--at", "2016-08-22T00:00", "--json").json()
    [arms] = doc["alerts"]
    assert arms == {
        "rule": "ARMS_OVERDUE",
        "ref": REF,
        "entry": 3,
        "due_at": "2016-08-21T23:00:00+00:00",  # midnight in London (BST)
        "detail": "no ARMS assessment within 42 days of release on licence on 2016-07-11",
        "state": "open",
        "area": "Birmingham",
    }


def remedy(cli) -> None:
    """Everything that should have been done, done at last on 1 November 2016."""
    on = ("--occurred-at", "2016-11-01")
    cli.ok("record", "assessment", REF, "--tool", "ARMS", "--risk", "medium", "--by", "4600", *on)
    cli.ok("share", REF, "5", "7", "--with", "police", "--means", "phone", "--by", "7702", *on)
    cli.ok("share", REF, "8", "--with", "probation", "--means", "email", "--by", "4600", *on)
    cli.ok("acknowledge", REF, "5", "7", "--by", "4600", *on)
    cli.ok("record", "review", REF, "--summary", "Risk re-evaluated", "--by", "1001", *on)
    cli.ok(
        "record", "mappa-referral", REF, "--level", "2", "--emergency",
        "--reason", "Escalating risk", "--by", "4600", *on,
    )  # fmt: skip
    cli.ok(
        "record", "recall-decision", REF, "--decision", "recall",
        "--rationale", "Thoughts of rape; licence breached", "--by", "7702", *on,
    )  # fmt: skip
    cli.ok(
        "record", "escalation", REF, "--to", "8801", "--reason", "We disagree", *on, "--by", "4600"
    )


def test_each_alert_clears_when_the_missing_action_is_recorded(lost_case):
    remedy(lost_case)
    assert standing(lost_case, "2016-10-31") == ALL_FAILURES
    assert standing(lost_case, "2016-11-01") == set()
    history = lost_case.ok("alerts", "--history", "--offender", REF, "--json").json()["alerts"]
    # The breaches stay in the history after they clear: the chronology of missed deadlines.
    missed = [a for a in history if a["due_at"] < "2016-11-01"]
    assert {(a["rule"], a["entry"]) for a in missed} == ALL_FAILURES
    assert all(a["state"] == "closed late" for a in missed)
    # The first owner's breach was closed by the transfer; every other on 1 November.
    closed = {(a["rule"], a["entry"], a["satisfied_at"]) for a in missed}
    assert ("ENTRY_UNACKNOWLEDGED", 5, "2016-10-02T23:00:00+00:00") in closed  # midnight BST
    (passed_on,) = [a for a in missed if a["satisfied_at"] == "2016-10-02T23:00:00+00:00"]
    assert passed_on["resolution"].startswith("case transferred from")
    assert {a["satisfied_at"] for a in missed} == {
        "2016-10-02T23:00:00+00:00",
        "2016-11-01T00:00:00+00:00",  # midnight GMT
    }


def test_as_of_shows_what_the_ledger_showed_before_the_remedies_were_recorded(lost_case):
    time.sleep(0.01)
    before = iso(utc_now())
    time.sleep(0.01)
    remedy(lost_case)
    then = standing(lost_case, "2016-11-01", "--as-of", before)
    assert then == ALL_FAILURES
    assert standing(lost_case, "2016-11-01") == set()


def test_the_summary_counts_standing_alerts_per_area_and_rule(lost_case):
    doc = lost_case.ok("alerts", "--summary", "--at", "2016-10-28", "--json").json()
    counts = {(c["area"], c["rule"]): c["count"] for c in doc["summary"]}
    assert counts[("Birmingham", "ESCALATION_NOT_ACTED_ON")] == 3
    assert counts[("Birmingham", "ARMS_OVERDUE")] == 1
    assert doc["total"] == len(ALL_FAILURES)


def test_the_area_filter_keeps_other_areas_out(lost_case):
    lost_case.ok(
        "offender", "register", "WMP-000999", "--name", "Other Person", "--born", "1980-01-01",
        "--category", "1", "--area", "Coventry", "--occurred-at", "2016-07-04", "--by", "4521",
    )  # fmt: skip
    lost_case.ok("record", "release", "WMP-000999", "--licence-end", "2030-01-01",
                 "--occurred-at", "2016-07-04", "--by", "7702")  # fmt: skip
    coventry = lost_case.ok("alerts", "--area", "Coventry", "--at", "2016-10-01", "--json").json()
    assert {a["ref"] for a in coventry["alerts"]} == {"WMP-000999"}
    birmingham = lost_case.ok("alerts", "--area", "Birmingham", "--at", "2016-10-01", "--json")
    assert {a["ref"] for a in birmingham.json()["alerts"]} == {REF}


def test_a_force_policy_changes_the_deadline_of_alerts_already_stored(lost_case, tmp_path):
    assert ("ARMS_OVERDUE", 3) not in standing(lost_case, "2016-07-25")
    policy = tmp_path / "force.toml"
    policy.write_text(
        '[rules.ARMS_OVERDUE]\ndays = 14\nsource = "Force protocol, 2016"\n', encoding="utf-8"
    )
    doc = lost_case.ok(
        "alerts", "--offender", REF, "--at", "2016-07-25", "--json",
        env={"LEDGER_POLICY": str(policy)},
    ).json()  # fmt: skip
    assert {(a["rule"], a["entry"]) for a in doc["alerts"]} == {("ARMS_OVERDUE", 3)}
    assert doc["policy"] == str(policy)
    # Back on the shipped figures, the stored alerts follow again.
    assert ("ARMS_OVERDUE", 3) not in standing(lost_case, "2016-07-25")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[rules.ARMS_OVERDUE\ndays = 1", "is not valid TOML"),
        ('[rules.ARMS_OVERDEW]\ndays = 1\nsource = "x"\n', "unknown rule 'ARMS_OVERDEW'"),
        ('[rules.ARMS_OVERDUE]\ndays = -3\nsource = "x"\n', "whole number of days"),
        ("[rules.ARMS_OVERDUE]\ndays = 10\n", "must say where its figures come from"),
        ('[rules.ARMS_OVERDUE]\ndays = 3000000\nsource = "x"\n', "from 1 to 36500 (a century)"),
        ('[rules.VISIT_OVERDUE]\nlow = 99999999999999999\nsource = "x"\n', "from 1 to 36500"),
    ],
)
def test_a_malformed_policy_is_refused_with_one_error_line(registered, tmp_path, text, says):
    policy = tmp_path / "bad.toml"
    policy.write_text(text, encoding="utf-8")
    out = registered("alerts", "--json", env={"LEDGER_POLICY": str(policy)})
    assert out.exit_code == 2
    assert out.stdout == ""
    [line] = out.stderr.strip().splitlines()
    assert line.startswith("error: policy file") and says in line


def alert_rows(cli) -> list[tuple]:
    from sqlalchemy import text

    from ledger.settings import parse_database_url
    from projections.db import make_engine

    db = parse_database_url(cli.url)
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    try:
        with engine.connect() as conn:
            return sorted(conn.execute(text("SELECT * FROM alerts")).all(), key=repr)
    finally:
        engine.dispose()


@pytest.mark.parametrize("days", ["3000000", "99999999999999999"])
def test_a_policy_beyond_a_century_is_refused_before_a_rebuild_touches_the_alerts(
    lost_case, tmp_path, days
):
    """Such a figure once passed the checks, then overflowed the dates: `alerts` failed, and a
    rebuild emptied the alerts table before failing with "nothing was recorded"."""
    policy = tmp_path / "far.toml"
    policy.write_text(f'[rules.ARMS_OVERDUE]\ndays = {days}\nsource = "x"\n', encoding="utf-8")
    lost_case.ok("alerts")
    before = alert_rows(lost_case)
    assert before

    for command in (("projections", "rebuild"), ("alerts",), ("show", REF)):
        out = lost_case(*command, env={"LEDGER_POLICY": str(policy)})

        assert out.exit_code == 2, (command, out.stderr)
        [line] = out.stderr.strip().splitlines()
        assert line == (
            f"error: policy file {policy}: rules.ARMS_OVERDUE.days must be a whole number of "
            f"days from 1 to 36500 (a century), not {days}"
        )
    assert alert_rows(lost_case) == before


def test_history_needs_an_offender(registered):
    out = registered("alerts", "--history")
    assert out.exit_code == 2 and out.stderr.startswith("error: --history needs --offender")


def test_an_unknown_offender_is_refused(registered):
    out = registered("alerts", "--offender", "WMP-404404", "--json")
    assert out.exit_code == 1 and out.stdout == ""
    assert out.stderr.startswith("error: no offender with reference 'WMP-404404'")


def test_a_malformed_policy_stops_other_reads_with_the_same_error(registered, tmp_path):
    policy = tmp_path / "bad.toml"
    policy.write_text("[rules.ARMS_OVERDUE\n", encoding="utf-8")
    out = registered("show", REF, "--json", env={"LEDGER_POLICY": str(policy)})
    assert out.exit_code == 2
    assert out.stderr.startswith("error: policy file") and len(out.stderr.splitlines()) == 1


def test_people_read_tables_of_alerts_history_and_summary(lost_case):
    # Tables fold long cells over lines, so look for the titles and short cells.
    now = lost_case.ok("alerts", "--area", "Birmingham", "--at", "2016-09-06").stdout
    assert "Alerts standing: 3" in now and REF in now
    past = lost_case.ok("alerts", "--history", "--offender", REF).stdout
    assert f"Breaches of {REF}" in past and "open" in past
    counts = lost_case.ok("alerts", "--summary", "--at", "2016-10-28").stdout
    assert f": {len(ALL_FAILURES)}" in counts and "Birmingham" in counts
    quiet = lost_case.ok("alerts", "--area", "Coventry").stdout
    assert "no alerts standing" in quiet
