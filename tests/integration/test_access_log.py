"""The s.62 access log: every read is logged with who, when, what and why; refusals too; the log
cannot be changed. On SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.helpers import every_case_on_sqlite
from tests.integration.helpers import command_paths, engine_for, log, postgres_only

REF = "WMP-000123"

# Every command that shows data, with arguments that make it succeed on the `registered` ledger.
READS: dict[str, tuple[str, ...]] = {
    "show": ("show", REF),
    "timeline": ("timeline", REF),
    "ownership": ("ownership", REF),
    "who-knew": ("who-knew", REF),
    "alerts": ("alerts",),
    "staff list": ("staff", "list"),
    "offender list": ("offender", "list"),
    "audit": ("audit",),
    "export": ("export", REF, "--format", "json", "--out", "{tmp}/export.json"),
    "verify": ("verify",),
    "projections status": ("projections", "status"),
}
# Commands that show no one's record: writes (each already an event), set-up and operations.
NOT_READS = {
    "init",
    "keygen",
    "staff add",
    "staff rank",
    "staff area",
    "staff leave",
    "offender register",
    "acknowledge",
    "transfer",
    "share",
    "correct",
    "import",  # but a dry run is a read (tests/integration/test_attribution.py)
    "projections rebuild",
    "projections run",
}
NOT_READ_GROUPS = ("record ",)


def test_every_command_is_known_to_be_a_read_or_not():
    # A new command must be placed here; if it shows data, it must call Session.consult.
    unclassified = {
        path
        for path in command_paths()
        if path not in NOT_READS and not path.startswith(NOT_READ_GROUPS)
    }
    assert unclassified <= set(READS), f"classify these commands: {unclassified - set(READS)}"


@pytest.mark.parametrize("command", sorted(READS))
def test_every_read_command_logs_who_when_what_and_why(registered, command, tmp_path):
    if command not in command_paths():
        pytest.skip(f"'ledger {command}' is not part of this build")
    args = [arg.format(tmp=tmp_path) for arg in READS[command]]
    registered.reason = "MAPPA serious case review 2020/01"
    before = len(log(registered))

    registered.ok(*args, actor="7702")

    rows = log(registered)[before:]
    consulted = [r for r in rows if r["outcome"] in ("consulted", "disclosed")]
    assert len(consulted) == 1, rows
    row = consulted[0]
    assert row["command"] == command
    assert row["actor"] == "7702"
    assert row["reason"] == "MAPPA serious case review 2020/01"
    assert row["at"] is not None
    if REF in args:
        assert row["offender"] == REF


def test_a_read_without_a_justification_is_refused_and_shows_nothing(registered):
    registered.reason = None

    out = registered("show", REF, "--json")

    assert out.exit_code == 2
    assert out.stdout == ""
    assert out.stderr.startswith("error: no justification")
    assert "--reason" in out.stderr and "LEDGER_REASON" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    refused = log(registered)[-1]
    assert (refused["outcome"], refused["command"], refused["actor"], refused["offender"]) == (
        "refused",
        "show",
        "1001",
        REF,
    )
    assert "justification" in refused["error"]


def test_a_justification_can_be_given_on_the_command_line(registered):
    registered.reason = None

    registered.ok("--reason", "home visit planning", "timeline", REF)

    assert log(registered)[-1]["reason"] == "home visit planning"


JUSTIFICATIONS_REFUSED = [
    ("x\x1b[2J\x1b[31mRED", "contains the character U+001B"),
    ("\x7f", "has only invisible or control characters (U+007F)"),
    ("\ufeff", "has only invisible or control characters (U+FEFF)"),
    ("\u2028", "has only invisible or control characters (U+2028)"),
    ("x" * 100_000, "is 100,000 characters long; at most 20,000 are kept"),
]


@every_case_on_sqlite(
    ("reason", "says"),
    JUSTIFICATIONS_REFUSED,
    ids=["escape codes", "DEL", "BOM", "line separator", "100,000 characters"],
    on_postgres=(0, 4),
)
@pytest.mark.parametrize("given", ["--reason", "LEDGER_REASON"])
def test_a_justification_is_text_as_any_other_and_is_refused_before_anything_is_logged(
    registered, reason, says, given
):
    """The justification is kept in the access log and printed by `audit`: text that could not
    be stored and shown as typed, or that says nothing, is refused (exit 2) before the ledger is
    read, and the log is left as it was."""
    from tests.integration.helpers import count_events

    before, events = log(registered), count_events(registered)
    if given == "--reason":
        out = registered("--reason", reason, "show", REF)
    else:
        out = registered("show", REF, env={"LEDGER_REASON": reason})

    assert out.exit_code == 2, out.stderr
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == f"error: {given} {says}" + lines[0].partition(says)[2]
    assert "\x1b" not in out.stderr
    assert log(registered) == before
    assert count_events(registered) == events


def test_a_justification_keeps_its_line_breaks_and_loses_surrounding_space(registered):
    registered.ok("--reason", "  Coroner's request 2020/117\nsecond line ", "show", REF)

    assert log(registered)[-1]["reason"] == "Coroner's request 2020/117\nsecond line"


def test_an_actor_with_control_characters_is_refused_before_anything_is_logged(registered):
    before = log(registered)

    out = registered("show", REF, actor="1001\x1b[2J")

    assert out.exit_code == 2
    assert out.stderr.startswith("error: LEDGER_ACTOR contains the character U+001B")
    assert log(registered) == before


def test_a_read_by_no_one_is_refused_and_shows_nothing(registered):
    registered.actor = None

    out = registered("timeline", REF, "--json")

    assert out.exit_code == 2
    assert out.stdout == ""
    assert "--as STAFF_ID" in out.stderr


def test_a_read_by_someone_not_in_the_staff_directory_is_refused(registered):
    out = registered("show", REF, "--json", actor="9999")

    assert out.exit_code == 1
    assert out.stdout == ""
    assert log(registered)[-1]["outcome"] == "refused"
    assert log(registered)[-1]["actor"] == "9999"


def test_the_query_and_its_options_are_logged(registered):
    registered.ok("timeline", REF, "--from", "2016-07-01", "--agency", "police", "--json")

    details = log(registered)[-1]["details"]
    assert details["date_from"] == "2016-07-01"
    assert details["agency"] == "police"
    assert details["as_json"] is True


def test_a_refused_write_is_logged_without_its_free_text(registered):
    out = registered("record", "disclosure", "WMP-999999", "--summary", "Thoughts of rape")
    assert out.exit_code == 1

    refused = log(registered)[-1]
    assert refused["outcome"] == "refused"
    assert refused["command"] == "record disclosure"
    assert refused["offender"] == "WMP-999999"
    assert refused["actor"] == "1001"
    assert refused["details"]["exit_code"] == 1
    assert "summary" in refused["details"]["options"]
    assert "WMP-999999" in refused["error"]
    assert "rape" not in str(refused)


def test_a_usage_error_is_logged_as_refused(registered):
    out = registered("record", "entry", REF, "--no-such-option")
    assert out.exit_code == 2

    refused = log(registered)[-1]
    assert (refused["outcome"], refused["command"]) == ("refused", "record entry")
    assert refused["details"]["exit_code"] == 2


def test_a_successful_write_adds_nothing_to_the_log(registered):
    before = len(log(registered))

    registered.ok("record", "entry", REF, "--summary", "Intel")

    assert len(log(registered)) == before


def test_audit_answers_who_looked_at_this_offender_when_and_why(registered):
    registered.reason = "risk review"
    registered.ok("show", REF, actor="4521")
    registered.ok("staff", "list", actor="7702")
    registered.reason = "subject access request"

    doc = registered.ok("audit", "--offender", REF, "--json", actor="8801").json()

    seen = [(e["command"], e["actor"], e["reason"]) for e in doc["entries"]]
    assert ("show", "4521", "risk review") in seen
    assert ("staff list", "7702", "risk review") not in seen
    # Reading the log is itself logged, before the log is read.
    assert seen[-1] == ("audit", "8801", "subject access request")


def test_audit_filters_by_actor_and_time(registered):
    registered.ok("show", REF, actor="4521")
    registered.ok("offender", "list", actor="7702")

    by_7702 = registered.ok("audit", "--actor", "7702", "--json").json()["entries"]
    future = registered.ok("audit", "--since", "2999-01-01", "--json").json()["entries"]

    assert {e["actor"] for e in by_7702} == {"7702"}
    assert [e["command"] for e in by_7702] == ["offender list"]
    assert future == []


def test_audit_without_json_prints_a_table(registered):
    registered.ok("show", REF)

    out = registered.ok("audit")

    assert "Access log" in out.stdout and "the record of WMP-000123" in out.stdout


def test_audit_prints_stored_control_characters_as_escapes_not_to_the_terminal(registered):
    """A row stored before the justification was checked (or written around the ledger) may
    hold escape codes or rich markup: `audit` shows them as text, in the table and the JSON."""
    from projections.access_log import CONSULTED, record_access

    engine = engine_for(registered)
    try:
        with engine.begin() as conn:
            record_access(
                conn, actor="1001\x1b[31m", command="show", outcome=CONSULTED, offender=REF,
                reason="x\x1b[2J\x1b[31mRED [/x] [bold]b\x9b\x7f\r", details={"o": "\x1b[5m"},
            )  # fmt: skip
    finally:
        engine.dispose()

    table = registered.ok("audit", env={"COLUMNS": "400"}).stdout
    document = registered.ok("audit", "--json").stdout

    for shown in (table, document):
        assert not any(c in shown for c in "\x1b\x9b\x7f\r"), repr(shown)
    assert "x\\x1b[2J\\x1b[31mRED [/x] [bold]b\\x9b\\x7f\\x0d" in table
    assert "1001\\x1b[31m" in table and "o \\x1b[5m" in table
    (row,) = [e for e in json.loads(document)["entries"] if e["reason"].startswith("x")]
    assert row["reason"] == "x\x1b[2J\x1b[31mRED [/x] [bold]b\x9b\x7f\r"  # exactly as stored


@pytest.mark.parametrize(
    "statement", ["UPDATE access_log SET actor = 'x'", "DELETE FROM access_log"]
)
def test_the_database_refuses_to_change_the_log(registered, statement):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    registered.ok("show", REF)
    before = log(registered)
    engine = engine_for(registered)
    try:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()
    assert log(registered) == before


def test_the_log_survives_a_rebuild_of_the_read_models(registered):
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings
    from projections.catalogue import all_projections
    from projections.runner import rebuild

    registered.ok("show", REF)
    before = log(registered)
    settings = Settings.from_environment(registered.url)
    ledger, engine = open_ledger(settings), engine_for(registered)
    try:
        rebuild(engine, ledger, all_projections(settings))
    finally:
        ledger.close()
        engine.dispose()

    assert log(registered) == before


# ------------------------------------------- PostgreSQL logins bound to staff (ledger.access)


@postgres_only
def test_a_bound_login_s_reads_are_logged_with_the_login(registered, logins):
    from ledger.settings import parse_database_url

    schema = parse_database_url(registered.url).schema

    logins["4521"].ok("show", REF)

    row = log(registered)[-1]
    assert (row["actor"], row["login"], row["outcome"]) == ("4521", f"alice_{schema}", "consulted")


@postgres_only
def test_a_login_claiming_to_be_someone_else_is_logged_as_refused(registered, logins):
    from ledger.settings import parse_database_url

    schema = parse_database_url(registered.url).schema

    out = logins["4521"]("show", REF, actor="7702")

    assert out.exit_code == 1 and out.stdout == ""
    # Logged against who really tried: the login and the staff member bound to it; the claim is
    # in the error.
    row = log(registered)[-1]
    assert (row["actor"], row["login"], row["outcome"]) == ("4521", f"alice_{schema}", "refused")
    assert "7702" in row["error"]


@postgres_only
def test_the_writer_role_may_add_to_the_log_but_not_change_it(registered, logins):
    import psycopg

    from ledger.settings import parse_database_url

    db = parse_database_url(registered.url)
    logins["4521"].ok("show", REF)
    with (
        psycopg.connect(
            host=db.host, port=db.port, dbname=db.dbname, user=f"alice_{db.schema}"
        ) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(f'DELETE FROM "{db.schema}".access_log')


def test_the_access_log_benchmark_runs(postgres_available):
    import subprocess
    import sys
    from pathlib import Path

    from tests.helpers import postgres_base_url

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.access_bench",
            "--quick",
            "--postgres-url",
            postgres_base_url(),
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == ["sqlite", "postgres"]


def test_a_ledger_from_before_the_access_log_must_be_upgraded_before_it_is_read(registered):
    from sqlalchemy import text

    engine = engine_for(registered)
    try:
        with engine.begin() as conn:  # as a ledger initialised before revision 0200 would be
            conn.execute(text("DROP TABLE access_log"))
            # Its read models at 0100 alone: revision 0300 has since merged 0100 and 0200.
            conn.execute(text("DELETE FROM alembic_version"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('0100')"))
    finally:
        engine.dispose()

    refused = registered("show", REF)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "ledger init" in refused.stderr and len(refused.stderr.splitlines()) == 1

    registered.ok("init")
    registered.ok("show", REF)
    assert log(registered)[-1]["command"] == "show"
