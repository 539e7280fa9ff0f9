"""The whole life of a case, on both backends: custody and release, the end of the registration,
alerts that lapse, and the same through an import, a rebuild and an upgrade of an old ledger.

Each new command is driven once through the command line; the other scenarios go through the
service (`ledger.handlers.handle`) as the command line and the import both do.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from domain.errors import DomainError
from ledger import commands as c
from ledger.handlers import handle
from tests.conftest import LedgerCLI

REF = "WMP-000123"


def entries(cli: LedgerCLI) -> int:
    return len(cli.ok("timeline", REF, "--json").json()["entries"])


def refused(cli: LedgerCLI, *args: str, code: int = 1, says: str = "") -> str:
    """Runs a command that must be refused with `code`, one `error:` line, nothing written."""
    before = entries(cli)
    out = cli(*args)
    assert out.exit_code == code, out.stdout + out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert says in " ".join(lines[0].split()), lines[0]
    assert entries(cli) == before
    return lines[0]


def on_licence(cli: LedgerCLI) -> LedgerCLI:
    """WMP-000123 released on licence (#2) on 2016-07-04 until 2017-07-04; probation (7702)
    owns its side from then (#3)."""
    cli.ok("record", "release", REF, "--licence-end", "2017-07-04", "--occurred-at",
           "2016-07-04", "--by", "7702")  # fmt: skip
    cli.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-04")
    return cli


def service(cli: LedgerCLI, *commands: c.Command, actor: str = "1001") -> list[Any]:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    ledger = open_ledger(Settings.from_environment(cli.url))
    try:
        return handle(ledger, actor, list(commands))
    finally:
        ledger.close()


# ------------------------------------------------------------------------ custody and release


def test_custody_and_release_through_the_command_line(registered: LedgerCLI) -> None:
    cli = on_licence(registered)
    out = cli.ok("record", "custody", REF, "--reason", "remanded", "--summary", "New charge",
                 "--occurred-at", "2016-11-20", "--by", "4521", "--json")  # fmt: skip
    assert out.json() == {"ref": REF, "entry": 4}
    shown = cli.ok("show", REF, "--json").json()
    assert shown["in_custody"] is True
    assert shown["custody"] == [
        {"from": "2016-11-20", "from_entry": 4, "reason": "remanded", "to": None,
         "to_entry": None, "released": None},
    ]  # fmt: skip
    assert "yes, since 2016-11-20 (remanded, #4)" in cli.ok("show", REF).stdout

    refused(cli, "record", "custody", REF, "--reason", "sentenced", "--occurred-at",
            "2016-12-01", says="already in custody on 2016-12-01, since 2016-11-20")  # fmt: skip
    refused(cli, "record", "release", REF, "--no-licence", "--occurred-at", "2016-11-01",
            says="not in custody on 2016-11-01")  # fmt: skip
    refused(cli, "record", "release", REF, "--no-licence", "--licence-end", "2020-01-01",
            code=2, says="not both")  # fmt: skip
    refused(cli, "record", "release", REF, code=2, says="--licence-end")
    refused(cli, "record", "custody", REF, "--reason", "arrested", code=2,
            says="--reason 'arrested' is not one of: recalled, remanded, sentenced, other")  # fmt: skip

    assert cli.ok("record", "release", REF, "--no-licence", "--occurred-at", "2017-01-10",
                  "--by", "4521").stdout == f"{REF}#5\n"  # fmt: skip
    shown = cli.ok("show", REF, "--json").json()
    assert shown["in_custody"] is False
    assert (shown["custody"][0]["to"], shown["custody"][0]["released"]) == (
        "2017-01-10",
        "without a licence",
    )
    # The licence ran on through the remand: only a recall stops it.
    assert cli.ok("show", REF, "--at", "2017-02-01", "--json").json()["on_licence"] is True


def test_a_recall_takes_the_offender_into_custody_and_a_release_ends_it(
    registered: LedgerCLI,
) -> None:
    cli = on_licence(registered)
    service(
        cli,
        c.DecideRecall.build(
            ref=REF, decision="recall", rationale="Breach", occurred_at="2016-12-01", by="8801"
        ),
    )
    with pytest.raises(Exception, match="already in custody"):
        service(cli, c.RecordCustody.build(ref=REF, reason="recalled", occurred_at="2016-12-02"))
    service(
        cli,
        c.RecordRelease.build(ref=REF, licence_end="2019-01-01", occurred_at="2017-06-01"),
    )
    [period] = cli.ok("show", REF, "--json").json()["custody"]
    assert (period["reason"], period["to"], period["released"]) == (
        "recalled",
        "2017-06-01",
        "on licence",
    )


def test_visits_are_not_due_in_custody_and_restart_at_release(registered: LedgerCLI) -> None:
    cli = on_licence(registered)
    service(
        cli,
        c.RecordAssessment.build(
            ref=REF, tool="OASys", risk="high", occurred_at="2016-07-20", by="7702"
        ),
        c.RecordCustody.build(ref=REF, reason="sentenced", occurred_at="2016-09-20", by="4521"),
        c.RecordRelease.build(ref=REF, no_licence=True, occurred_at="2017-01-10", by="4521"),
    )
    history = cli.ok("alerts", "--offender", REF, "--history", "--json").json()["alerts"]
    visits = [a for a in history if a["rule"] == "VISIT_OVERDUE"]
    lapsed, scheduled = visits
    assert (lapsed["due_at"], lapsed["state"], lapsed["lapsed_at"]) == (
        "2016-08-28T23:00:00+00:00",  # 56 days after the release, midnight in London
        "lapsed",
        "2016-09-19T23:00:00+00:00",  # the custody's day, from its start in London
    )
    assert lapsed["lapse"] == "taken into custody (sentenced) #5"
    assert scheduled["due_at"] == "2017-03-07T00:00:00+00:00"  # 56 days after the release
    standing = cli.ok("alerts", "--offender", REF, "--at", "2016-10-01", "--json").json()
    assert not [a for a in standing["alerts"] if a["rule"] == "VISIT_OVERDUE"]
    before = cli.ok("alerts", "--offender", REF, "--at", "2016-09-10", "--json").json()
    assert [a["state"] for a in before["alerts"] if a["rule"] == "VISIT_OVERDUE"] == ["open"]


# --------------------------------------------------------- the order of custody and release


def remanded_and_released(cli: LedgerCLI) -> LedgerCLI:
    """On licence (#2, 2016-07-04), remanded (#4, 2016-11-20), released without a licence (#5,
    2017-01-10)."""
    on_licence(cli)
    service(
        cli,
        c.RecordCustody.build(ref=REF, reason="remanded", occurred_at="2016-11-20", by="4521"),
        c.RecordRelease.build(ref=REF, no_licence=True, occurred_at="2017-01-10", by="4521"),
    )
    return cli


def refused_by_service(cli: LedgerCLI, command: c.Command, says: str) -> DomainError:
    """A command the service refuses, with nothing written."""
    before = entries(cli)
    with pytest.raises(DomainError) as refusal:
        service(cli, command)
    assert says in str(refusal.value), str(refusal.value)
    assert entries(cli) == before
    return refusal.value


def test_a_correction_that_moves_a_release_before_its_custody_is_refused(
    registered: LedgerCLI,
) -> None:
    cli = remanded_and_released(registered)
    error = refused_by_service(
        cli,
        c.Correct.build(ref=REF, entry=5, reason="Wrong date", entry_occurred_at="2016-11-01"),
        says=f"entry_occurred_at 2016-11-01 for {REF}#5 would put {REF}#5, a release on 2016-11-01, right "
        f"after {REF}#2, a release on 2016-07-04, with no custody between",
    )
    assert error.fields == ("entry_occurred_at",)
    # Moving the custody after its release is refused the same way, and on the command line.
    refused(cli, "correct", REF, "4", "--reason", "Wrong date", "--entry-occurred-at",
            "2017-02-01", says=f"--entry-occurred-at 2017-02-01 for {REF}#4 would put {REF}#5, "
            f"a release on 2017-01-10, right after {REF}#2, a release on 2016-07-04")  # fmt: skip
    shown = cli.ok("show", REF, "--json").json()
    assert [(p["from"], p["to"]) for p in shown["custody"]] == [("2016-11-20", "2017-01-10")]


def test_a_correction_that_keeps_the_order_is_accepted(registered: LedgerCLI) -> None:
    cli = remanded_and_released(registered)
    service(
        cli,
        c.Correct.build(ref=REF, entry=5, reason="Wrong date", entry_occurred_at="2016-12-01"),
        c.Correct.build(
            ref=REF, entry=4, reason="Wrong date", entry_occurred_at="2016-11-20T15:00"
        ),
    )
    shown = cli.ok("show", REF, "--json").json()
    assert shown["in_custody"] is False
    assert [(p["from_entry"], p["to"]) for p in shown["custody"]] == [(4, "2016-12-01")]
    # A recall decision to recall takes the offender into custody: moved before the remand it
    # would begin a custody that the remand runs into, with no release between.
    service(
        cli,
        c.DecideRecall.build(
            ref=REF, decision="recall", rationale="Breach", occurred_at="2017-02-01", by="8801"
        ),
    )
    refused_by_service(
        cli,
        c.Correct.build(ref=REF, entry=8, reason="Wrong date", entry_occurred_at="2016-11-10"),
        says=f"{REF}#4, a custody on 2016-11-20 15:00 GMT, right after {REF}#8, a recall to "
        "custody on 2016-11-10",
    )


def test_a_recall_dated_before_a_recorded_custody_is_refused_as_that_custody_would_be(
    registered: LedgerCLI, tmp_path: Any
) -> None:
    """Recording judges a recall to custody by the same order as a correction does: dated
    before a remand already recorded, with no release between, the remand would follow a
    custody. Refused by the service, and by an import naming its line, nothing written."""
    cli = remanded_and_released(registered)
    recall = {"ref": REF, "decision": "recall", "rationale": "Breach", "by": "8801"}
    refused_by_service(
        cli,
        c.DecideRecall.build(**recall, occurred_at="2016-11-10"),
        says=f"would recall {REF} to custody before {REF}#4, the custody on 2016-11-20",
    )
    path = tmp_path / "recall.jsonl"
    line = {"command": "recall-decision", **recall, "occurred_at": "2016-11-10"}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    before = entries(cli)
    out = cli("import", str(path))
    assert out.exit_code == 1 and "line 1" in out.stderr and f"{REF}#4" in out.stderr
    assert entries(cli) == before
    # After the release the same recall is taken.
    service(cli, c.DecideRecall.build(**recall, occurred_at="2017-02-01"))
    assert cli.ok("show", REF, "--json").json()["in_custody"] is True


def test_moves_on_one_day_are_judged_by_their_times_not_the_order_typed(
    registered: LedgerCLI,
) -> None:
    cli = on_licence(registered)
    # Taken into custody at 15:00; a release at 09:00 the same day, typed after it, would be a
    # release while free (the last move before 09:00 is the release on licence, #2).
    service(cli, c.RecordCustody.build(ref=REF, reason="remanded", occurred_at="2016-11-20T15:00"))
    refused_by_service(
        cli,
        c.RecordRelease.build(ref=REF, no_licence=True, occurred_at="2016-11-20T09:00"),
        says=f"{REF} was not in custody on 2016-11-20 09:00 GMT: released 2016-07-04",
    )
    # Released on 2016-11-25; on 2016-12-01 recalled at 15:00 and remanded at 09:00, typed after
    # the recall: the remand came first, and the recall kept the offender in custody.
    service(cli, c.RecordRelease.build(ref=REF, no_licence=True, occurred_at="2016-11-25"))
    service(
        cli,
        c.DecideRecall.build(
            ref=REF,
            decision="recall",
            rationale="Breach",
            occurred_at="2016-12-01T15:00",
            by="8801",
        ),
        c.RecordCustody.build(ref=REF, reason="remanded", occurred_at="2016-12-01T09:00"),
    )
    shown = cli.ok("show", REF, "--json").json()
    assert shown["in_custody"] is True
    assert [(p["from_entry"], p["reason"], p["to"]) for p in shown["custody"]] == [
        (4, "remanded", "2016-11-25"),
        (7, "remanded", None),
    ]


def assert_rebuild_equals_incremental_build(cli: LedgerCLI) -> None:
    """Brings the read models up to date, then rebuilds them from the first event: every table,
    alerts among them (there are some), is what the incremental build made."""
    from ledger.settings import parse_database_url
    from projections.db import make_engine
    from tests.integration.helpers import dump_read_models

    cli.ok("projections", "run")
    db = parse_database_url(cli.url)
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    try:
        incremental = dump_read_models(engine)
        assert any(row for row in incremental["alerts"])
        cli.ok("projections", "rebuild")
        assert dump_read_models(engine) == incremental
    finally:
        engine.dispose()


def held_at_three_and_released(cli: LedgerCLI, released_at: str) -> None:
    """A high-risk offender (OASys, 2016-07-20) remanded at 15:00 on 2016-08-01, and released on
    licence at `released_at` (typed after the custody)."""
    service(
        cli,
        c.RecordAssessment.build(
            ref=REF, tool="OASys", risk="high", occurred_at="2016-07-20", by="7702"
        ),
        c.RecordCustody.build(ref=REF, reason="remanded", occurred_at="2016-08-01T15:00"),
        c.RecordRelease.build(ref=REF, licence_end="2018-08-01", occurred_at=released_at),
    )


def test_a_first_release_typed_after_a_later_custody_that_day(registered: LedgerCLI) -> None:
    """Released at 09:00 and taken into custody at 15:00, typed the other way round: the
    offender is held from 15:00, so a later release is taken and the visit clock stops."""
    cli = registered
    held_at_three_and_released(cli, "2016-08-01T09:00")
    shown = cli.ok("show", REF, "--json").json()
    assert shown["in_custody"] is True
    standing = cli.ok("alerts", "--offender", REF, "--at", "2016-11-01", "--json").json()
    assert not [a for a in standing["alerts"] if a["rule"] == "VISIT_OVERDUE"]
    service(cli, c.RecordRelease.build(ref=REF, no_licence=True, occurred_at="2016-12-01"))
    assert cli.ok("show", REF, "--json").json()["in_custody"] is False


def test_a_date_alone_comes_after_the_timed_moves_of_its_day_for_the_visit_alert_too(
    registered: LedgerCLI,
) -> None:
    """Taken into custody at 15:00 and released that day, time unknown: a date alone comes after
    the timed events of its day, so the offender was released, as `show` says, and visits are
    due from then."""
    cli = registered
    held_at_three_and_released(cli, "2016-08-01")
    shown = cli.ok("show", REF, "--json").json()
    assert shown["in_custody"] is False
    assert [(p["from"], p["to"]) for p in shown["custody"]] == [
        ("2016-08-01T14:00:00+00:00", "2016-08-01")
    ]
    standing = cli.ok("alerts", "--offender", REF, "--at", "2016-10-01", "--json").json()
    [visit] = [a for a in standing["alerts"] if a["rule"] == "VISIT_OVERDUE"]
    # 56 days from the release, which came no earlier than the custody at 15:00 BST.
    assert (visit["due_at"], visit["state"]) == ("2016-09-26T14:00:00+00:00", "open")
    # A release on licence is held after the custody: one more would be a release while free.
    refused_by_service(
        cli,
        c.RecordRelease.build(ref=REF, no_licence=True, occurred_at="2016-09-01"),
        says=f"{REF} was not in custody on 2016-09-01: released 2016-08-01",
    )


# ----------------------------------------------------------------- the end of a registration


def test_the_end_of_a_registration(registered: LedgerCLI) -> None:
    cli = on_licence(registered)
    cli.ok("record", "disclosure", REF, "--summary", "Thoughts of rape", "--risk-relevant",
           "--occurred-at", "2016-10-17T14:30", "--by", "7702")  # fmt: skip
    assert cli.ok("alerts", "--offender", REF, "--at", "2016-12-01", "--json").json()["alerts"]

    out = cli.ok("record", "registration-end", REF, "--reason", "deceased", "--summary",
                 "Died in hospital", "--occurred-at", "2017-03-01T10:00", "--by", "4521")  # fmt: skip
    assert out.stdout == f"{REF}#5\n"

    shown = cli.ok("show", REF, "--json").json()
    assert shown["registration_ended"] is True
    assert shown["registration_end"] == {
        "at": "2017-03-01T10:00:00+00:00",
        "entry": 5,
        "reason": "deceased",
        "summary": "Died in hospital",
    }
    table = " ".join(cli.ok("show", REF).stdout.split())
    assert "Registration ended │ 2017-03-01 10:00 GMT (deceased, #5): Died in hospital" in table

    # The register leaves it out unless asked for every case.
    assert cli.ok("offender", "list", "--json").json()["offenders"] == []
    [listed] = cli.ok("offender", "list", "--all", "--json").json()["offenders"]
    assert listed["registration_ended_at"] == "2017-03-01T10:00:00+00:00"

    # Nothing stands after it; what stood before is in the history, lapsed or met.
    assert cli.ok("alerts", "--offender", REF, "--json").json()["alerts"] == []
    history = cli.ok("alerts", "--offender", REF, "--history", "--json").json()["alerts"]
    assert history and {a["state"] for a in history} <= {"lapsed", "closed late"}
    assert cli.ok("alerts", "--offender", REF, "--at", "2016-12-01", "--json").json()["alerts"]

    # Acts of management are refused with a clear line; a review's work is not.
    for command in (
        ["record", "visit", REF, "--kind", "home", "--outcome", "Seen"],
        ["record", "assessment", REF, "--tool", "ARMS", "--risk", "high"],
        ["transfer", REF, "--to", "4521"],
        ["record", "custody", REF, "--reason", "remanded"],
        ["record", "release", REF, "--no-licence"],
    ):
        refused(cli, *command, says="the registration of WMP-000123 ended 2017-03-01 10:00 GMT")
    refused(cli, "record", "registration-end", REF, "--reason", "other", "--summary", "Again",
            says="already ended")  # fmt: skip
    cli.ok("record", "entry", REF, "--summary", "Review: recall was never considered")
    cli.ok("acknowledge", REF, "4", "--by", "4521")
    cli.ok("share", REF, "4", "--with", "police")
    cli.ok("record", "mappa-meeting", REF, "--level", "2", "--attendees", "4521,7702",
           "--summary", "Serious case review", "--discussed", "4")  # fmt: skip
    cli.ok("correct", REF, "5", "--reason", "Wording", "--summary", "Died in hospital, Dudley")
    assert cli.ok("alerts", "--offender", REF, "--json").json()["alerts"] == []


# -------------------------------------------------------------------------------- the import


def test_the_import_takes_custody_release_without_licence_and_registration_end(
    registered: LedgerCLI, tmp_path: Any
) -> None:
    lines = [
        {"command": "release", "ref": REF, "licence_end": "2017-07-04",
         "occurred_at": "2016-07-04", "by": "7702"},
        {"command": "custody", "ref": REF, "reason": "remanded", "summary": "New charge",
         "occurred_at": "2016-11-20", "by": "4521"},
        {"command": "release", "ref": REF, "no_licence": True, "occurred_at": "2017-01-10",
         "by": "4521"},
        {"command": "registration-end", "ref": REF, "reason": "removed",
         "summary": "Order quashed on appeal", "occurred_at": "2018-01-10", "by": "4521"},
    ]  # fmt: skip
    path = tmp_path / "life.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    done = registered.ok("import", str(path), "--json").json()
    assert [d["entry"] for d in done["entries"]] == [2, 3, 4, 5]
    shown = registered.ok("show", REF, "--json").json()
    assert shown["custody"][0]["to_entry"] == 4
    assert shown["registration_end"]["reason"] == "removed"

    # A refused line is named by its number, and nothing of the file is saved.
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"command": "entry", "ref": REF, "summary": "Fine"}) + "\n"
        + json.dumps({"command": "custody", "ref": REF, "reason": "remanded"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    before = entries(registered)
    out = registered("import", str(bad))
    assert out.exit_code == 1 and "line 2" in out.stderr
    assert entries(registered) == before
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(
        json.dumps({"command": "release", "ref": REF, "no_licence": True,
                    "licence_end": "2020-01-01"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    out = registered("import", str(mixed))
    assert out.exit_code == 2 and "licence_end" in out.stderr and "no_licence" in out.stderr


# --------------------------------------------------------------------- rebuild and upgrade


def test_a_rebuild_equals_the_incremental_build_with_the_new_events(
    registered: LedgerCLI,
) -> None:

    cli = on_licence(registered)
    for args in (
        ["record", "disclosure", REF, "--summary", "Isolated", "--risk-relevant",
         "--occurred-at", "2016-09-12", "--by", "7702"],
        ["record", "custody", REF, "--reason", "remanded", "--occurred-at", "2016-11-20"],
        ["show", REF],
        ["record", "release", REF, "--no-licence", "--occurred-at", "2017-01-10"],
        ["alerts"],
        ["record", "registration-end", REF, "--reason", "expired", "--summary", "Ended",
         "--occurred-at", "2018-01-10"],
    ):  # fmt: skip
        cli.ok(*args)
    assert_rebuild_equals_incremental_build(cli)


def test_a_rebuild_equals_the_incremental_build_after_moves_typed_out_of_order(
    registered: LedgerCLI,
) -> None:
    """Moves on one day typed in the reverse of their times, a date alone beside a timed move,
    and corrections of a custody's and a release's times: read between the commands (each read
    brings the read models up to date), then rebuilt from the start, the read models agree."""
    cli = registered
    steps: list[c.Command | tuple[str, ...]] = [
        c.RecordAssessment.build(
            ref=REF, tool="OASys", risk="high", occurred_at="2016-07-20", by="7702"
        ),
        c.RecordCustody.build(ref=REF, reason="remanded", occurred_at="2016-08-01T15:00"),
        ("alerts",),
        c.RecordRelease.build(ref=REF, licence_end="2018-08-01", occurred_at="2016-08-01T09:00"),
        ("show", REF),
        c.RecordRelease.build(ref=REF, no_licence=True, occurred_at="2016-12-01"),
        ("alerts",),
        c.RecordCustody.build(ref=REF, reason="sentenced", occurred_at="2017-02-01T15:00"),
        c.RecordRelease.build(ref=REF, no_licence=True, occurred_at="2017-02-01"),
        ("alerts",),
        c.Correct.build(ref=REF, entry=5, reason="Wrong date", entry_occurred_at="2016-11-20"),
        c.Correct.build(
            ref=REF, entry=6, reason="Wrong date", entry_occurred_at="2017-01-20T10:00"
        ),
        ("show", REF),
    ]
    for step in steps:
        if isinstance(step, tuple):
            cli.ok(*step)
        else:
            service(cli, step)
    shown = cli.ok("show", REF, "--json").json()
    assert [(p["from_entry"], p["to_entry"]) for p in shown["custody"]] == [(3, 5), (6, 7)]
    assert_rebuild_equals_incremental_build(cli)


def test_init_upgrades_alerts_made_before_breaches_could_lapse(registered: LedgerCLI) -> None:
    """A ledger whose read models stand at revision 0300, with alerts evaluated by the rules of
    then (version 4): `init` adds the lapse columns, and the next read evaluates them again."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from ledger.settings import parse_database_url
    from projections.db import make_engine
    from projections.migrate import MIGRATIONS

    cli = on_licence(registered)
    cli.ok("record", "disclosure", REF, "--summary", "Isolated", "--risk-relevant",
           "--occurred-at", "2016-09-12", "--by", "7702")  # fmt: skip
    cli.ok("alerts")
    db = parse_database_url(cli.url)
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0300")
            conn.execute(text("UPDATE alerts_policy SET digest = '4:old'"))
        cli.ok("init")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0600"
    finally:
        engine.dispose()
    history = cli.ok("alerts", "--offender", REF, "--history", "--json").json()["alerts"]
    recall = next(a for a in history if a["rule"] == "RECALL_NOT_CONSIDERED")
    assert (recall["state"], recall["lapsed_at"]) == ("lapsed", "2017-07-04T23:00:00+00:00")
    assert recall["lapse"] == "licence ended on 2017-07-04"
