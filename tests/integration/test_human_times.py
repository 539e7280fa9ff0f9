"""Every view people read shows a time the same way, on SQLite and on PostgreSQL.

Found by running the README walkthrough: the disclosure entered as `--occurred-at
2016-10-17T14:30` (London, BST) showed as 13:30 UTC in the timeline, 14:30 in who-knew, and alerts
fell due "2016-08-14T23:00" (midnight on 15 August in London). A reviewer comparing views saw an
hour's difference. Now every table shows London wall-clock time with its zone (`2016-10-17 14:30
BST`), a date alone stays a bare date, and JSON and CSV keep UTC ISO 8601.

Also: a read refused on the way (an unknown entry or offender) leaves one row in the access log,
`refused`, not `consulted` and then `refused`.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.helpers import block_containing, every_case_on_sqlite, templated
from tests.integration.helpers import log

REF = "WMP-000123"
# Wide enough that no table folds a cell over two lines.
WIDE = {"COLUMNS": "400"}

TOLD_AT = "2016-10-17 14:30 BST"  # disclosure #5, entered as 2016-10-17T14:30
TOLD_AT_UTC = "2016-10-17T13:30:00+00:00"
TAKEN_ON_AT = "2016-10-17 16:00 BST"  # transfer #6, entered as 2016-10-17T16:00
ASSESSED_AT = "2016-12-01 09:00 GMT"  # assessment #7, entered as 2016-12-01T09:00


def london(iso_text: str) -> str:
    """What a view should show for a stored instant, worked out apart from the code under test."""
    return (
        datetime.fromisoformat(iso_text)
        .astimezone(ZoneInfo("Europe/London"))
        .strftime("%Y-%m-%d %H:%M %Z")
    )


def bare_date(text: str, day: str) -> bool:
    """`day` appears, and never with a time of day after it."""
    return day in text and re.search(re.escape(day) + r"[ T]\d\d:\d\d", text) is None


def no_utc_forms(text: str) -> None:
    assert "+00:00" not in text and not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), text
    assert "13:30" not in text, text


def text(cli, *args: str) -> str:
    return cli.ok(*args, env=WIDE).stdout


@templated
def case(registered):
    """WMP-000123 registered on 2016-07-04 (a date); released that day; two probation disclosures,
    one on 2016-09-12 (a date) and one at 14:30 on 17 October 2016 (BST); the probation side
    handed to 8801 at 16:00 that day; an ARMS assessment at 09:00 on 1 December 2016 (GMT)."""
    cli = registered
    cli.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-04")  # 2
    cli.ok(
        "record", "release", REF, "--licence-end", "2031-07-04",
        "--occurred-at", "2016-07-04", "--by", "7702",
    )  # fmt: skip  # 3
    cli.ok(
        "record", "disclosure", REF, "--summary", "Feels isolated", "--risk-relevant",
        "--occurred-at", "2016-09-12", "--by", "7702",
    )  # fmt: skip  # 4
    cli.ok(
        "record", "disclosure", REF, "--summary", "Thoughts of rape", "--risk-relevant",
        "--occurred-at", "2016-10-17T14:30", "--by", "7702",
    )  # fmt: skip  # 5
    cli.ok(
        "transfer", REF, "--to", "8801", "--occurred-at", "2016-10-17T16:00", "--by", "8801",
        "--reason", "Senior to hold",
    )  # fmt: skip  # 6
    cli.ok(
        "record", "assessment", REF, "--tool", "ARMS", "--risk", "high",
        "--occurred-at", "2016-12-01T09:00", "--by", "4521",
    )  # fmt: skip  # 7
    return cli


def test_show_gives_london_times_and_dates_as_dates(case):
    doc = case.ok("show", REF, "--json").json()
    out = text(case, "show", REF)

    assert bare_date(out, "2016-07-04")  # registered: a date alone
    assert f"high (assessed {ASSESSED_AT})" in out
    assert london(doc["last_recorded_at"]) in out
    no_utc_forms(out)
    # A time given to --at is said back in London time too.
    at = text(case, "show", REF, "--at", "2016-10-17T15:00")
    assert "the world at 2016-10-17 15:00 BST" in at
    assert "the world at 2016-10-20" in text(case, "show", REF, "--at", "2016-10-20")


def test_a_caption_says_back_the_exact_moment_asked_never_rounded(case):
    """--at 2016-10-17T15:00:27 was said back as "15:00 BST", a moment the view did not show."""

    def text(*args: str) -> str:  # a caption folds to its table's width
        return " ".join(case.ok(*args, env=WIDE).stdout.split())

    shown = text("show", REF, "--at", "2016-10-17T15:00:27", "--as-of", "2099-01-02T03:04:05.5")
    assert "the world at 2016-10-17 15:00:27 BST" in shown
    assert "as the ledger stood at 2099-01-02 03:04:05.5 GMT" in shown
    timeline = text("timeline", REF, "--as-of", "2099-07-02T03:04:05.000250")
    assert "as the ledger stood at 2099-07-02 03:04:05.00025 BST" in timeline
    matrix = text("who-knew", REF, "--at", "2016-10-17T13:30:01Z")
    assert "the world at 2016-10-17 14:30:01 BST" in matrix
    alerts = text("alerts", "--offender", REF, "--at", "2016-12-01T09:00:59.9")
    assert "at 2016-12-01 09:00:59.9 GMT" in alerts
    # A period still running at --at ran "at" that moment, said back as asked.
    owned = text("ownership", REF, "--at", "2016-10-17T15:59:59")
    assert "to still at 2016-10-17 15:59:59 BST" in owned
    assert "the world at 2016-10-17 15:59:59 BST" in owned


def test_the_timeline_gives_both_clocks_in_london_time(case):
    entries = case.ok("timeline", REF, "--json").json()["entries"]
    out = text(case, "timeline", REF)

    (told,) = [e for e in entries if e["entry"] == 5]
    assert told["occurred_at"] == TOLD_AT_UTC  # JSON: UTC, as the contract says
    row = block_containing(out, "Thoughts of rape")
    assert TOLD_AT in row and f"recorded {london(told['recorded_at'])} LATE" in row
    assert bare_date(out, "2016-09-12") and bare_date(out, "2016-07-04")
    assert TAKEN_ON_AT in out and ASSESSED_AT in out
    no_utc_forms(out)


def test_timeline_csv_is_for_machines_and_keeps_utc_like_json(case):
    entries = case.ok("timeline", REF, "--json").json()["entries"]
    rows = list(csv.DictReader(io.StringIO(case.ok("timeline", REF, "--csv").stdout)))

    assert [r["occurred_at"] for r in rows] == [e["occurred_at"] for e in entries]
    assert [r["recorded_at"] for r in rows] == [e["recorded_at"] for e in entries]
    assert rows[4]["occurred_at"] == TOLD_AT_UTC and rows[3]["occurred_at"] == "2016-09-12"


def test_ownership_gives_london_times_and_dates_as_dates(case):
    periods = case.ok("ownership", REF, "--json").json()["periods"]
    out = text(case, "ownership", REF)

    assert [p["from"] for p in periods if p["staff"] == "8801"] == ["2016-10-17T15:00:00+00:00"]
    row = block_containing(out, "Kim Senior (8801)")
    assert TAKEN_ON_AT in row
    assert bare_date(out, "2016-07-04")
    no_utc_forms(out)


def test_who_knew_gives_london_times_and_dates_as_dates(case):
    matrix = text(case, "who-knew", REF, "--at", "2016-10-20")
    told = block_containing(matrix, "Thoughts of rape")
    assert told.startswith(f"#5 {TOLD_AT} Disclosure")  # when it occurred
    assert f"probation: knew from {TOLD_AT}" in told
    assert bare_date(matrix, "2016-09-12")
    assert "the world at 2016-10-20" in matrix
    no_utc_forms(matrix)

    item = case.ok("who-knew", REF, "--entry", "5", "--json").json()["items"][0]
    people = text(case, "who-knew", REF, "--entry", "5")
    (recorded,) = {s["recorded_at"] for s in item["staff"] if s["staff"] == "7702"}
    # The people table comes after the table of how each agency first knew.
    pat = block_containing(people.split("Everyone who knew")[1], "Pat Lowe")
    assert TOLD_AT in pat and london(recorded) in pat
    no_utc_forms(people)


def test_alerts_fall_due_in_london_time(case):
    doc = case.ok("alerts", "--offender", REF, "--at", "2016-10-20", "--json").json()
    out = text(case, "alerts", "--offender", REF, "--at", "2016-10-20")

    due = {(a["rule"], a["entry"]): a["due_at"] for a in doc["alerts"]}
    # Six weeks after a release on 4 July (a date): from the start of 15 August in London.
    assert due[("ARMS_OVERDUE", 3)] == "2016-08-14T23:00:00+00:00"
    assert due[("DISCLOSURE_NOT_SHARED", 5)] == "2016-10-18T13:30:00+00:00"
    arms = block_containing(out, "ARMS_OVERDUE")
    assert "2016-08-15 00:00 BST" in arms
    shared = block_containing(out, "#5 DISCLOSURE_NOT_SHARED")
    assert "2016-10-18 14:30 BST" in shared
    assert "2016-08-14" not in out and "at 2016-10-20" in out
    no_utc_forms(out)

    history = text(case, "alerts", "--history", "--offender", REF)
    arms = block_containing(history, "ARMS_OVERDUE")
    # Closed by the ARMS assessment at 09:00 on 1 December (GMT).
    assert "2016-08-15 00:00 BST" in arms and ASSESSED_AT in arms
    no_utc_forms(history)

    summary = text(case, "alerts", "--summary", "--at", "2016-10-17T15:00")
    assert "Alerts standing at 2016-10-17 15:00 BST" in summary


def test_audit_and_projections_status_give_london_times(case):
    case.ok("show", REF)
    out = text(case, "audit", "--offender", REF)
    entries = case.ok("audit", "--offender", REF, "--json").json()["entries"]

    assert "When (UTC)" not in out
    for entry in entries[:-1]:  # the last is this JSON read, logged after the table was printed
        assert london(entry["at"]) in out
    no_utc_forms(out)

    status = case.ok("projections", "status", "--json").json()
    shown = text(case, "projections", "status")
    assert "(UTC)" not in shown
    for projection in status["projections"]:
        assert london(projection["updated_at"]) in shown
    no_utc_forms(shown)


# -------------------------------------------------------------------- one row per refused read


@every_case_on_sqlite(
    ("args", "says"),
    [
        (("who-knew", REF, "--entry", "99"), "has no entry 99"),
        (("who-knew", REF, "--entry", "2"), "not information"),
        (("who-knew", REF, "--entry", "5", "--at", "2016-10-01"), "after --at"),
        (("who-knew", "WMP-404404"), "no offender"),
        (("show", "WMP-404404"), "no offender"),
        (("timeline", "WMP-404404"), "no offender"),
        (("ownership", "WMP-404404"), "no offender"),
        (("show", REF, "--at", "2016-01-01"), "not registered"),
        (("alerts", "--offender", "WMP-404404"), "no offender"),
    ],
    on_postgres=(0, 4),
)
def test_a_read_refused_on_the_way_is_logged_once_as_refused(case, args, says):
    before = len(log(case))

    out = case(*args)

    assert out.exit_code == 1 and out.stdout == "" and says in out.stderr
    rows = log(case)[before:]
    assert [(r["command"], r["outcome"]) for r in rows] == [(args[0], "refused")], rows
    assert says in rows[0]["error"] and rows[0]["actor"] == "1001"


def test_a_read_that_succeeds_is_logged_once_as_consulted(case):
    before = len(log(case))

    case.ok("who-knew", REF, "--entry", "5")

    rows = log(case)[before:]
    assert [(r["command"], r["outcome"], r["offender"]) for r in rows] == [
        ("who-knew", "consulted", REF)
    ]
    assert rows[0]["details"] == {"ref": REF, "entry": 5}


def test_the_register_gives_a_date_alone_as_a_date_and_a_time_as_an_instant(registered):
    """WMP-000123 was registered on 2016-07-04, no time given: the list says that date, as show
    does, not the midnight before it in UTC."""
    registered.ok(
        "offender", "register", "WMP-000124", "--name", "R R", "--born", "1980-01-01",
        "--category", "1", "--occurred-at", "2016-07-05T09:15",
    )  # fmt: skip
    listed = {o["ref"]: o for o in registered.ok("offender", "list", "--json").json()["offenders"]}
    assert listed["WMP-000123"]["registered_at"] == "2016-07-04"
    assert registered.ok("show", REF, "--json").json()["registered_at"] == "2016-07-04"
    assert listed["WMP-000124"]["registered_at"] == "2016-07-05T08:15:00+00:00"
