"""Recording through the CLI, on SQLite and on PostgreSQL.

Every record command of the contract prints the new entry as REF#N (or {"ref", "entry"} with
--json); every refusal exits with the contract's status, prints one `error:` line, and leaves the
ledger exactly as it was.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.helpers import every_case_on_sqlite
from tests.integration.helpers import refused, refused_before_storage, timeline

REF = "WMP-000123"


# Each record command of the contract, in an order in which each is allowed, with the event
# type it records. Entry 1 is the registration.
EVERY_RECORD_COMMAND = [
    (["record", "release", REF, "--licence-end", "2099-07-04"], "ReleasedOnLicence"),
    (
        ["record", "disclosure", REF, "--summary", "Feels isolated", "--detail", "Lives alone"],
        "DisclosureRecorded",
    ),
    (["record", "visit", REF, "--kind", "home", "--outcome", "Seen at home"], "VisitRecorded"),
    (
        ["record", "entry", REF, "--summary", "Seen near a school", "--risk-relevant"],
        "EntryRecorded",
    ),
    (["record", "concern", REF, "--summary", "Open windows on walks"], "ConcernRecorded"),
    (["record", "assessment", REF, "--tool", "ARMS", "--risk", "high"], "AssessmentRecorded"),
    (["record", "review", REF, "--summary", "Risk rising"], "ReviewRecorded"),
    (
        [
            "record",
            "decision",
            REF,
            "--decision",
            "Refer",
            "--rationale",
            "Rising",
            "--about",
            "3,5",
        ],
        "DecisionRecorded",
    ),
    (
        ["record", "disagreement", REF, "--with", "7702", "--summary", "No need to recall"],
        "DisagreementRecorded",
    ),
    (["record", "escalation", REF, "--to", "1001", "--reason", "Disagree"], "EscalationRecorded"),
    (
        [
            "record",
            "mappa-referral",
            REF,
            "--level",
            "2",
            "--emergency",
            "--reason",
            "Rape thoughts",
        ],
        "MappaReferralRecorded",
    ),
    (
        [
            *("record", "mappa-meeting", REF, "--level", "2", "--attendees", "4521,7702,8801"),
            *("--summary", "Plan agreed", "--discussed", "3"),
        ],
        "MappaMeetingRecorded",
    ),
    (
        ["record", "recall-decision", REF, "--decision", "no-recall", "--rationale", "Manageable"],
        "RecallDecisionRecorded",
    ),
    (["acknowledge", REF, "3", "5"], "EntriesAcknowledged"),
    (["transfer", REF, "--to", "7702", "--reason", "Probation owner"], "OwnershipTransferred"),
    (["share", REF, "3", "--with", "probation", "--means", "phone"], "EntriesShared"),
    (
        ["correct", REF, "3", "--reason", "Typo", "--summary", "Feels very isolated"],
        "EntryCorrected",
    ),
]


def test_every_record_command_prints_the_new_entry_as_ref_hash_n(registered):
    for number, (args, _) in enumerate(EVERY_RECORD_COMMAND, start=2):
        out = registered.ok(*args, "--by", "4521", "--occurred-at", "2016-10-17T14:30")
        assert out.stdout == f"{REF}#{number}\n", args
    types = {e["entry"]: e["type"] for e in timeline(registered)}
    expected = {n: t for n, (_, t) in enumerate(EVERY_RECORD_COMMAND, start=2)}
    assert types == {1: "Registered", **expected}


def test_every_record_command_prints_ref_and_entry_as_json(registered):
    for number, (args, _) in enumerate(EVERY_RECORD_COMMAND, start=2):
        out = registered.ok(*args, "--by", "4521", "--json")
        assert out.json() == {"ref": REF, "entry": number}, args


def test_registration_also_prints_its_entry(cli):
    out = cli.ok(
        "offender", "register", "WMP-000777", "--name", "A B", "--born", "1980-01-01",
        "--category", "2", "--json",
    )  # fmt: skip
    assert out.json() == {"ref": "WMP-000777", "entry": 1}


def test_each_event_carries_its_author_rank_then_and_who_typed_it(registered):
    registered.ok("staff", "rank", "4521", "--rank", "PS", "--since", "2018-01-01")
    registered.ok(
        "record", "entry", REF, "--summary", "Old", "--by", "4521", "--occurred-at", "2016-10-17"
    )
    registered.ok(
        "record", "entry", REF, "--summary", "New", "--by", "4521", "--occurred-at", "2019-01-01"
    )
    old, new = (e for e in timeline(registered) if e["type"] == "EntryRecorded")
    assert (old["by"], old["agency"], old["rank"], old["entered_by"]) == (
        "4521",
        "police",
        "PC",
        "1001",
    )
    assert new["rank"] == "PS"


def test_a_disclosure_is_recorded_as_the_next_entry(registered):
    out = registered.ok(
        "record", "disclosure", REF, "--summary", "Feels isolated", "--risk-relevant",
        "--occurred-at", "2016-10-17T14:30", "--by", "7702",
    )  # fmt: skip
    assert out.stdout.strip() == f"{REF}#2"


# ----------------------------------------------------------------------------------- refusals


REFUSED_BY_A_RULE = [
    ("unknown offender", ["record", "entry", "WMP-999999", "--summary", "x"], "no offender"),
    ("unknown staff as --by", ["record", "entry", REF, "--summary", "x", "--by", "9999"], "no staff"),
    ("unknown staff as --to", ["record", "escalation", REF, "--to", "9999", "--reason", "x"], "no staff"),
    ("unknown attendee", ["record", "mappa-meeting", REF, "--level", "2", "--attendees", "4521,9999", "--summary", "x"], "no staff"),
    ("second registration", ["offender", "register", REF, "--name", "J", "--born", "1975-03-02", "--category", "1"], "already registered"),
    ("acknowledging a missing entry", ["acknowledge", REF, "2", "7"], "has no entry 7"),
    ("acknowledging twice", ["acknowledge", REF, "2", "--by", "7702"], "already acknowledged"),
    ("transfer to the current owner", ["transfer", REF, "--to", "4521"], "already owns"),
    ("correcting a missing entry", ["correct", REF, "9", "--reason", "x", "--summary", "y"], "has no entry 9"),
    ("a decision about a missing entry", ["record", "decision", REF, "--decision", "d", "--rationale", "r", "--about", "9"], "has no entry 9"),
    ("sharing a missing entry", ["share", REF, "9", "--with", "probation"], "has no entry 9"),
    ("occurred in the future", ["record", "entry", REF, "--summary", "x", "--occurred-at", "2999-01-01"], "in the future"),
    ("future timed", ["record", "entry", REF, "--summary", "x", "--occurred-at", "2999-01-01T10:00"], "in the future"),
    ("recall decision, never released", ["record", "recall-decision", REF, "--decision", "recall", "--rationale", "r"], "not on licence"),
    ("escalation to oneself", ["record", "escalation", REF, "--to", "1001", "--reason", "x"], "themselves"),
    ("disagreement with oneself", ["record", "disagreement", REF, "--with", "7702", "--summary", "x", "--by", "7702"], "themselves"),
    ("author not yet enrolled then", ["record", "entry", REF, "--summary", "x", "--by", "7702", "--occurred-at", "2009-12-31"], "not enrolled until"),
    ("staff enrolment by a non-administrator", ["staff", "add", "5555", "--name", "N", "--agency", "police", "--rank", "PC"], "not an administrator"),
]  # fmt: skip


@every_case_on_sqlite(
    ("args", "says"),
    [c[1:] for c in REFUSED_BY_A_RULE],
    ids=[c[0] for c in REFUSED_BY_A_RULE],
    # Also on PostgreSQL: one rule of one offender's entries, and the two that look across
    # aggregates (one registration per reference, the administrators' enrolments).
    on_postgres=(0, 4, 17),
)
def test_a_command_refused_by_a_rule_exits_1_and_writes_nothing(registered, args, says):
    registered.ok("record", "entry", REF, "--summary", "Intel", "--by", "4521")
    registered.ok("acknowledge", REF, "2", "--by", "7702")
    actor = "4521" if args[0] == "staff" else None
    assert says in refused(registered, 1, *args, actor=actor)


def test_only_information_can_be_acknowledged_or_shared(registered):
    """A transfer, an acknowledgement, a share and a correction record acts, not information:
    who-knew lists none of them, so nobody can be said to know one."""
    registered.ok("record", "entry", REF, "--summary", "Intel", "--by", "7702")  # 2
    registered.ok("transfer", REF, "--to", "7702")  # 3
    registered.ok("acknowledge", REF, "2", "--by", "4521")  # 4
    registered.ok("share", REF, "2", "--with", "prison", "--by", "7702")  # 5
    registered.ok("correct", REF, "2", "--reason", "Typo", "--summary", "Intel.")  # 6
    acts = [
        ("3", "OwnershipTransferred", "such as those a new owner takes on"),
        ("4", "EntriesAcknowledged", "name the entries it concerns (WMP-000123#2)"),
        ("5", "EntriesShared", "name the entries it concerns (WMP-000123#2)"),
        ("6", "EntryCorrected", "name WMP-000123#2, the entry it corrects"),
    ]
    for entry, kind, instead in acts:
        for command, verb in (
            (["acknowledge", REF, "2", entry, "--by", "1001"], "acknowledged"),
            (["share", REF, entry, "--with", "health", "--by", "7702"], "shared"),
        ):
            says = refused(registered, 1, *command)
            assert says.startswith(
                f"error: WMP-000123#{entry} records an act ({kind}), not information anyone can "
                f"know, so it cannot be {verb}; "
            ), says
            assert instead in says
    # The registration and the entry itself are information.
    registered.ok("acknowledge", REF, "1", "2", "--by", "1001")
    registered.ok("share", REF, "1", "2", "--with", "health", "--by", "7702")


def test_a_second_release_while_on_licence_is_refused(registered):
    registered.ok(
        "record", "release", REF, "--licence-end", "2099-07-04", "--occurred-at", "2016-07-04"
    )
    assert "already on licence" in refused(
        registered, 1, "record", "release", REF, "--licence-end", "2100-01-01"
    )


def test_a_recall_decision_after_a_recall_is_refused(registered):
    registered.ok(
        "record", "release", REF, "--licence-end", "2099-07-04", "--occurred-at", "2016-07-04"
    )
    registered.ok("record", "recall-decision", REF, "--decision", "recall", "--rationale", "Breach")
    assert "not on licence" in refused(
        registered, 1, "record", "recall-decision", REF, "--decision", "recall", "--rationale", "r"
    )


def test_a_staff_member_who_has_left_cannot_be_named_after_leaving(registered):
    registered.ok("staff", "leave", "7702", "--since", "2018-01-01")
    says = refused(registered, 1, "record", "entry", REF, "--summary", "x", "--by", "7702")
    assert "7702 left on 2018-01-01, so was not in post on " in says
    assert "give a time before 2018-01-01 (--occurred-at), or name someone in post" in says
    registered.ok(
        "record", "entry", REF, "--summary", "Before", "--by", "7702", "--occurred-at", "2017-12-31"
    )


def test_a_staff_member_who_has_left_cannot_act(registered):
    registered.ok("staff", "leave", "7702", "--since", "2018-01-01")
    assert "left on" in refused(
        registered, 1, "record", "entry", REF, "--summary", "x", actor="7702"
    )


MALFORMED = [
    ("bad date", ["record", "entry", REF, "--summary", "x", "--occurred-at", "2016-02-30"], "not a real date"),
    ("not a time", ["record", "entry", REF, "--summary", "x", "--occurred-at", "last tuesday"], "ISO 8601"),
    ("bad licence end", ["record", "release", REF, "--licence-end", "July"], "YYYY-MM-DD"),
    ("year 1", ["record", "entry", REF, "--summary", "x", "--occurred-at", "0001-01-03"], "is before 1900"),
    ("enrolled in year 1", ["staff", "add", "9100", "--name", "N", "--agency", "police", "--rank", "PC", "--since", "0001-01-01"], "is before 1900"),
    ("unknown visit kind", ["record", "visit", REF, "--kind", "castle", "--outcome", "x"], "home, office"),
    ("unknown risk", ["record", "assessment", REF, "--tool", "ARMS", "--risk", "none"], "very-high"),
    ("unknown tool", ["record", "assessment", REF, "--tool", "Tarot", "--risk", "low"], "ARMS"),
    ("unknown recall choice", ["record", "recall-decision", REF, "--decision", "maybe", "--rationale", "r"], "no-recall"),
    ("unknown means", ["share", REF, "1", "--with", "probation", "--means", "pigeon"], "visor"),
    ("level not a number", ["record", "mappa-referral", REF, "--level", "two", "--reason", "x"], "--level"),
    ("referral to level 1", ["record", "mappa-referral", REF, "--level", "1", "--reason", "x"], "2, 3"),
    ("entry not a number", ["acknowledge", REF, "two"], "not an entry number"),
    ("empty summary", ["record", "entry", REF, "--summary", "  "], "--summary is empty: give a value"),
    ("missing option", ["record", "entry", REF], "--summary"),
    ("unknown command", ["record", "gossip", REF], "gossip"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "says"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_input_exits_2_and_writes_nothing(no_database, args, says):
    """Refused by the command's own model, before the ledger is opened: on either backend alike,
    and nothing can have been written (`refused_before_storage`)."""
    assert says in refused_before_storage(no_database, 2, *args)


def test_a_write_with_no_actor_is_refused_and_says_how_to_name_one(registered):
    message = refused(registered, 2, "record", "entry", REF, "--summary", "x", actor="")
    assert "--as STAFF_ID" in message and "LEDGER_ACTOR" in message


def test_an_actor_who_is_not_enrolled_is_refused(registered):
    assert "no staff member with id '4444'" in refused(
        registered, 1, "record", "entry", REF, "--summary", "x", actor="4444"
    )


def test_acknowledging_twice_is_refused_and_writes_nothing(registered):
    registered.ok("record", "entry", REF, "--summary", "Intel", "--by", "7702")
    registered.ok("acknowledge", REF, "2", "--by", "4521")
    assert "4521 has already acknowledged" in refused(
        registered, 1, "acknowledge", REF, "2", "--by", "4521"
    )


# ------------------------------------------------------------------------------------- reading


def test_show_reads_its_own_writes(registered):
    registered.ok(
        "record",
        "assessment",
        REF,
        "--tool",
        "ARMS",
        "--risk",
        "high",
        "--occurred-at",
        "2016-08-01",
    )
    doc = registered.ok("show", REF, "--json").json()
    assert doc["risk"] == "high"
    assert doc["owners"] == {"police": "4521"}


def test_show_has_the_contract_keys(registered):
    registered.ok(
        "record", "release", REF, "--licence-end", "2099-07-04", "--occurred-at", "2016-07-04"
    )
    registered.ok("transfer", REF, "--to", "7702")
    doc = registered.ok("show", REF, "--json").json()
    assert {"ref", "name", "category", "level", "risk", "owners", "on_licence", "entries"} <= set(
        doc
    )
    assert (doc["ref"], doc["name"], doc["category"], doc["level"]) == (REF, "John Doe", 1, 1)
    assert doc["owners"] == {"police": "4521", "probation": "7702"}
    assert doc["on_licence"] is True and doc["risk"] is None and doc["entries"] == 3


def test_a_date_alone_is_shown_as_a_date_after_the_timed_events_of_that_day(registered):
    registered.ok(
        "record", "entry", REF, "--summary", "Untimed A", "--occurred-at", "2016-10-17"
    )  # 2
    registered.ok(
        "record", "entry", REF, "--summary", "Afternoon", "--occurred-at", "2016-10-17T14:30"
    )  # 3
    registered.ok(
        "record", "entry", REF, "--summary", "Morning", "--occurred-at", "2016-10-17T09:00"
    )  # 4
    registered.ok(
        "record", "entry", REF, "--summary", "Untimed B", "--occurred-at", "2016-10-17"
    )  # 5
    registered.ok(
        "record", "entry", REF, "--summary", "Next day", "--occurred-at", "2016-10-18T00:30"
    )  # 6
    entries = timeline(registered, "--from", "2016-10-17")
    assert [e["entry"] for e in entries] == [4, 3, 2, 5, 6]
    by_entry = {e["entry"]: e for e in entries}
    assert by_entry[2]["occurred_at"] == "2016-10-17"
    assert by_entry[3]["occurred_at"] == "2016-10-17T13:30:00+00:00"
    assert by_entry[6]["occurred_at"] == "2016-10-17T23:30:00+00:00"
    assert "2016-10-17T00:00" not in registered.ok("timeline", REF, "--csv").stdout


def test_timeline_json_has_the_contract_keys_in_valid_time_order(registered):
    registered.ok(
        "record", "entry", REF, "--summary", "Later", "--occurred-at", "2016-11-01", "--by", "7702"
    )
    registered.ok("record", "entry", REF, "--summary", "Earlier", "--occurred-at", "2016-09-01")
    doc = registered.ok("timeline", REF, "--json").json()
    assert doc["ref"] == REF
    keys = {"entry", "type", "occurred_at", "recorded_at", "by", "agency", "summary", "corrected"}
    assert all(keys <= set(e) for e in doc["entries"])
    assert [e["summary"] for e in doc["entries"]][1:] == ["Earlier", "Later"]
    later = doc["entries"][2]
    assert (later["by"], later["agency"], later["corrected"]) == ("7702", "probation", False)
    assert later["recorded_at"].endswith("+00:00")


def test_timeline_filters_by_day_and_agency(registered):
    registered.ok(
        "record", "entry", REF, "--summary", "Sept police", "--occurred-at", "2016-09-30T23:30"
    )
    registered.ok(
        "record",
        "entry",
        REF,
        "--summary",
        "Oct probation",
        "--occurred-at",
        "2016-10-01",
        "--by",
        "7702",
    )
    registered.ok(
        "record", "entry", REF, "--summary", "Oct police", "--occurred-at", "2016-10-31T10:00"
    )
    registered.ok(
        "record", "entry", REF, "--summary", "Nov police", "--occurred-at", "2016-11-01T00:30"
    )
    october = [
        e["summary"] for e in timeline(registered, "--from", "2016-10-01", "--to", "2016-10-31")
    ]
    assert october == ["Oct probation", "Oct police"]
    police = [
        e["summary"] for e in timeline(registered, "--agency", "police", "--from", "2016-09-01")
    ]
    assert police == ["Sept police", "Oct police", "Nov police"]
    assert [e["summary"] for e in timeline(registered, "--agency", "probation")] == [
        "Oct probation"
    ]
    assert timeline(registered, "--to", "2016-07-03") == []


def test_timeline_csv_has_a_header_and_a_row_per_entry(registered):
    registered.ok(
        "record", "entry", REF, "--summary", "Seen, at night", "--occurred-at", "2016-10-17"
    )
    rows = list(csv.DictReader(io.StringIO(registered.ok("timeline", REF, "--csv").stdout)))
    assert [r["entry"] for r in rows] == ["1", "2"]
    assert {
        "entry",
        "type",
        "occurred_at",
        "recorded_at",
        "by",
        "agency",
        "summary",
        "corrected",
    } <= set(rows[0])
    assert rows[1]["summary"] == "Seen, at night" and rows[1]["occurred_at"] == "2016-10-17"


def test_a_corrected_entry_shows_the_corrected_value_and_is_marked(registered):
    registered.ok(
        "record", "disclosure", REF, "--summary", "Feels isloated", "--occurred-at", "2016-10-17"
    )
    registered.ok("correct", REF, "2", "--reason", "Typo", "--summary", "Feels isolated")
    registered.ok("correct", REF, "2", "--reason", "Wrong day", "--entry-occurred-at", "2016-10-16")
    entries = {e["entry"]: e for e in timeline(registered)}
    assert entries[2]["summary"] == "Feels isolated"
    assert entries[2]["occurred_at"] == "2016-10-16"
    assert entries[2]["corrected"] is True
    assert entries[2]["original_summary"] == "Feels isloated"
    assert entries[1]["corrected"] is False and entries[3]["corrected"] is False
    # People see the original beside the corrected value, and which entries corrected it.
    table = registered.ok("timeline", REF, env={"COLUMNS": "300"}).stdout
    assert (
        "Feels isolated (corrected by #3, #4; originally said: Feels isloated; originally dated: "
        "2016-10-17)" in table
    )


def test_timeline_of_an_unknown_offender_is_refused(registered):
    out = registered("timeline", "WMP-999999", "--json")
    assert out.exit_code == 1 and out.stderr.startswith("error: no offender")
    assert out.stdout == ""
