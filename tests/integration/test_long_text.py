"""The read models hold whatever the event store holds: long refs, names, ranks, areas and staff
ids project and read back whole, the access log records reads of long refs, and a ledger whose
read models were made with capped columns is upgraded in place by `ledger init`. On SQLite and
on PostgreSQL (where the caps were enforced)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, String, inspect, text
from sqlalchemy.exc import DBAPIError

from projections.access_log import REFUSED
from tests.helpers import LedgerCLI
from tests.integration.helpers import log


def long(what: str, n: int) -> str:
    """`what`, made `n` characters long with text that is not all ASCII."""
    return (f"{what} · Öffentliche Schutzeinheit, Birmingham North; " * n)[:n]


def ident(what: str, n: int) -> str:
    """A reference or staff id `n` characters long: letters and digits with dashes between."""
    return (f"{what}-" * n)[: n - 1] + "9"


# As long as the ledger lets anyone type them today ...
TODAY = {
    "rank": long("Senior Probation Officer, Public Protection Unit", 200),
    "area": long("Birmingham North and Sutton Coldfield", 200),
    "name": long("Patricia Anne Lowe-Montgomery", 200),
    "staff": ident("PROB-7702", 64),
    "ref": ident("WMP-000123", 64),
    "offender": long("John Doe", 200),
}
# ... and longer, as earlier releases let them be typed: events stored then are kept forever.
EARLIER = {
    "rank": long("Senior Probation Officer, Public Protection Unit", 300),
    "area": long("Birmingham North and Sutton Coldfield", 300),
    "name": long("Patricia Anne Lowe-Montgomery", 300),
    "staff": ident("PROB-7702", 300),
    "ref": ident("WMP-000123", 300),
    "offender": long("John Doe", 300),
}
# The names of the checks on new events' text (domain.text), where the modules have them.
_CHECKS = ("check_fields", "check_new_reference")


@pytest.fixture
def unchecked(monkeypatch: pytest.MonkeyPatch) -> None:
    """New events' text goes unchecked, as before the ledger limited it: what such a release
    stored must still be read."""
    import domain.offender
    import domain.staff

    for module in (domain.offender, domain.staff):
        for name in _CHECKS:
            if hasattr(module, name):
                monkeypatch.setattr(module, name, lambda value, *_: value)


# Every read-model column that holds text a user typed: (table, column).
USER_TEXT = {
    ("entries", "by"),
    ("entries", "rank"),
    ("entries", "entered_by"),
    ("offenders", "ref"),
    ("offenders", "name"),
    ("offenders", "area"),
    ("staff", "staff_id"),
    ("staff", "name"),
    ("staff", "rank"),
    ("staff", "area"),
    ("alerts", "ref"),
    ("alerts", "area"),
    ("access_log", "actor"),
    ("access_log", "command"),
    ("access_log", "offender"),
}


def record_long_values(cli: LedgerCLI, v: dict[str, str]) -> None:
    """An administrator, then a probation officer and an offender described by the values `v`;
    the offender released on a licence that still runs, with no ARMS assessment, so that an alert
    stands (one owed on a licence that ended would have lapsed)."""
    cli.ok("init")
    cli.ok(
        "staff", "add", "1001", "--name", "Ann Admin", "--agency", "police", "--rank", "Insp",
        "--admin", "--since", "2010-01-01",
    )  # fmt: skip
    cli.actor = "1001"
    cli.ok(
        "staff", "add", v["staff"], "--name", v["name"], "--agency", "probation",
        "--rank", v["rank"], "--area", v["area"], "--since", "2015-01-01",
    )  # fmt: skip
    cli.ok(
        "offender", "register", v["ref"], "--name", v["offender"], "--born", "1975-03-02",
        "--category", "1", "--area", v["area"], "--occurred-at", "2016-07-04", "--by", v["staff"],
    )  # fmt: skip
    cli.ok(
        "record", "release", v["ref"], "--licence-end", "2036-07-04", "--occurred-at", "2016-07-04"
    )
    cli.ok(
        "record", "disclosure", v["ref"], "--summary", "Feels isolated", "--risk-relevant",
        "--occurred-at", "2016-09-12", "--by", v["staff"],
    )  # fmt: skip


def assert_reads_show_the_whole_values(cli: LedgerCLI, v: dict[str, str]) -> None:
    staff = {s["staff_id"]: s for s in cli.ok("staff", "list", "--json").json()["staff"]}
    member = staff[v["staff"]]
    assert (member["name"], member["rank"], member["area"]) == (v["name"], v["rank"], v["area"])

    (offender,) = cli.ok("offender", "list", "--area", v["area"], "--json").json()["offenders"]
    assert (offender["ref"], offender["name"], offender["area"]) == (
        v["ref"],
        v["offender"],
        v["area"],
    )

    shown = cli.ok("show", v["ref"], "--json").json()
    assert (shown["ref"], shown["name"]) == (v["ref"], v["offender"])
    assert shown["owners"]["probation"] == v["staff"]  # who registered it

    timeline = cli.ok("timeline", v["ref"], "--json").json()
    assert timeline["ref"] == v["ref"]
    assert [e["by"] for e in timeline["entries"]] == [v["staff"], "1001", v["staff"]]
    rows = list(csv.DictReader(io.StringIO(cli.ok("timeline", v["ref"], "--csv").stdout)))
    assert [(r["by"], r["rank"]) for r in rows if r["by"] != "1001"] == [
        (v["staff"], v["rank"])
    ] * 2

    knew = cli.ok("who-knew", v["ref"], "--json").json()
    assert v["staff"] in {s["staff"] for item in knew["items"] for s in item["staff"]}

    alerts = cli.ok("alerts", "--area", v["area"], "--json").json()["alerts"]
    assert {a["ref"] for a in alerts} == {v["ref"]}
    assert "ARMS_OVERDUE" in {a["rule"] for a in alerts}
    assert cli.ok("alerts", "--offender", v["ref"], "--json").json()["alerts"] == alerts

    # The one with the long staff id reads too, and the access log holds whom and what, whole.
    assert cli.ok("show", v["ref"], "--json", actor=v["staff"]).json()["ref"] == v["ref"]
    last = log(cli)[-1]
    assert (last["actor"], last["offender"]) == (v["staff"], v["ref"])
    audit = cli.ok("audit", "--actor", v["staff"], "--offender", v["ref"], "--json").json()
    assert audit["entries"]


def test_the_longest_values_the_ledger_takes_read_back_whole(database_url: str) -> None:
    cli = LedgerCLI(database_url)
    record_long_values(cli, TODAY)

    assert_reads_show_the_whole_values(cli, TODAY)


def test_longer_values_stored_by_earlier_releases_read_back_whole(
    database_url: str, unchecked: None
) -> None:
    cli = LedgerCLI(database_url)
    record_long_values(cli, EARLIER)

    assert_reads_show_the_whole_values(cli, EARLIER)
    rebuilt = cli.ok("projections", "rebuild", "--json").json()
    assert rebuilt["events"] >= 5
    assert_reads_show_the_whole_values(cli, EARLIER)


def test_a_read_refused_for_an_unknown_long_ref_is_logged(registered: LedgerCLI) -> None:
    unknown = "WMP-" + "9" * 96

    refused = registered("show", unknown)

    assert refused.exit_code == 1 and refused.stdout == ""
    assert "no offender" in refused.stderr and len(refused.stderr.splitlines()) == 1
    last = log(registered)[-1]
    assert (last["command"], last["offender"], last["outcome"]) == ("show", unknown, REFUSED)


def test_a_refusal_by_someone_claiming_a_long_unknown_staff_id_is_logged(
    registered: LedgerCLI,
) -> None:
    stranger = "X" * 100

    refused = registered("show", "WMP-000123", actor=stranger)

    assert refused.exit_code == 1 and refused.stdout == ""
    last = log(registered)[-1]
    assert (last["actor"], last["outcome"]) == (stranger, REFUSED)


# ---------------------------------------------------------------------------------- migration


def _config(conn: Any) -> Any:
    from alembic.config import Config

    from projections.migrate import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def _migrate_to(engine: Engine, *revisions: str) -> None:
    from alembic import command

    for revision in revisions:
        with engine.begin() as conn:
            command.upgrade(_config(conn), revision)


def _user_text_types(engine: Engine) -> dict[tuple[str, str], Any]:
    found = inspect(engine)
    return {
        (table, column["name"]): column["type"]
        for table in {t for t, _ in USER_TEXT}
        for column in found.get_columns(table)
        if (table, column["name"]) in USER_TEXT
    }


def _heads(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())


def test_init_upgrades_read_models_made_with_capped_columns(
    database_url: str, unchecked: None
) -> None:
    from alembic.script import ScriptDirectory

    from domain.offender import Offender
    from domain.staff import StaffMember
    from domain.values import Agency
    from ledger.bootstrap import create_event_store
    from ledger.commands import EnrolStaff
    from ledger.handlers import handle
    from ledger.settings import Settings, parse_database_url
    from projections.catalogue import all_projections
    from projections.db import make_engine
    from projections.runner import ProjectionFailedError, catch_up

    # A ledger as the release before this one left it: read models at revisions 0100 and 0200,
    # with a read in the access log, and long values in the event store.
    v = EARLIER
    settings = Settings(database=parse_database_url(database_url))
    db = settings.database
    postgres = not db.is_sqlite
    ledger = create_event_store(settings)
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    try:
        _migrate_to(engine, "0100", "0200")
        assert _heads(engine) == {"0100", "0200"}
        admin = EnrolStaff.build(
            staff_id="1001", name="Ann Admin", agency="police", rank="Insp", since="2010-01-01"
        )
        handle(ledger, None, [admin])
        catch_up(engine, ledger, all_projections(settings))
        cli = LedgerCLI(database_url)
        cli.actor = "1001"
        cli.ok("staff", "list")
        before = log(cli)
        assert [row["command"] for row in before] == ["staff list"]
        # Enrolled and registered as an earlier release of the ledger took them: without the
        # checks of length that the commands make now.
        officer = StaffMember.enrol(
            staff_id=v["staff"],
            name=v["name"],
            agency=Agency.PROBATION,
            rank=v["rank"],
            senior_grade=False,
            admin=False,
            area=v["area"],
            since=date(2015, 1, 1),
            by="1001",
        )
        ledger.save(officer)
        author = officer.as_of(date(2016, 7, 4))
        case = Offender.register(
            v["ref"],
            v["offender"],
            date(1975, 3, 2),
            1,
            1,
            v["area"],
            date(2016, 7, 4),
            author,
            "1001",
        )
        ledger.save(case)
        if postgres:
            # The defect: on PostgreSQL the capped columns refused the long values, for good.
            with pytest.raises(ProjectionFailedError, match="too long"):
                catch_up(engine, ledger, all_projections(settings))
            assert cli("staff", "list").exit_code == 1
            assert all(
                isinstance(t, String) and t.length for t in _user_text_types(engine).values()
            )
    finally:
        ledger.close()

    try:
        cli.ok("init")

        config = _config(None)
        assert _heads(engine) == set(ScriptDirectory.from_config(config).get_heads()) == {"0600"}
        if postgres:
            # TEXT now, as the models say; SQLite never enforced a length, and keeps its types.
            assert all(
                isinstance(t, String) and t.length is None
                for t in _user_text_types(engine).values()
            )
        assert log(cli)[: len(before)] == before  # the log came through the upgrade unchanged

        cli.ok("projections", "run")
        staff = {s["staff_id"]: s for s in cli.ok("staff", "list", "--json").json()["staff"]}
        member = staff[v["staff"]]
        assert (member["name"], member["rank"], member["area"]) == (v["name"], v["rank"], v["area"])
        shown = cli.ok("show", v["ref"], "--json").json()
        assert (shown["ref"], shown["name"]) == (v["ref"], v["offender"])
        (offender,) = cli.ok("offender", "list", "--area", v["area"], "--json").json()["offenders"]
        assert offender["ref"] == v["ref"]
        cli.ok("alerts", "--area", v["area"], "--json")
        assert cli.ok("timeline", v["ref"], "--json").json()["entries"][0]["by"] == v["staff"]
        cli.ok("who-knew", v["ref"], "--json")
        assert log(cli)[-1]["offender"] == v["ref"]

        # Still append-only: the upgrade changed the log's columns, not its protection.
        after = log(cli)
        statements = ["UPDATE access_log SET actor = 'x'", "DELETE FROM access_log"]
        for statement in statements + (["TRUNCATE access_log"] if postgres else []):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
        assert log(cli) == after
    finally:
        engine.dispose()


def test_new_and_upgraded_ledgers_end_with_the_same_schema(
    sqlite_url: str, database_url: str
) -> None:
    """`ledger init` on an empty database, and on one at the previous revisions, agree; on
    PostgreSQL they also agree with the models (on SQLite a declared length changes nothing)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from ledger.settings import parse_database_url
    from projections.db import make_engine
    from projections.schema import metadata

    def schema(engine: Engine) -> dict[str, Any]:
        found = inspect(engine)
        return {
            table: (
                [(c["name"], repr(c["type"]), c["nullable"]) for c in found.get_columns(table)],
                sorted(repr(i) for i in found.get_indexes(table)),
                found.get_pk_constraint(table),
                found.get_unique_constraints(table),
            )
            for table in sorted(found.get_table_names())
            if table in metadata.tables
        }

    upgraded_url = database_url
    if database_url.startswith("sqlite"):
        fresh_url = sqlite_url.replace("ledger.db", "fresh.db")
    else:
        # The fresh ledger in a schema of its own beside the upgraded one.
        fresh_url = database_url.replace("schema=", "schema=fresh_")
    fresh = LedgerCLI(fresh_url)
    upgraded = LedgerCLI(upgraded_url)
    engines = {}
    for url in (fresh_url, upgraded_url):
        db = parse_database_url(url)
        engines[url] = make_engine(db.sqlalchemy_url(), db.schema)
    try:
        fresh.ok("init")
        upgraded_engine = engines[upgraded_url]
        # The event store first, as `ledger init` made it, then the read models' old revisions.
        from ledger.bootstrap import create_event_store
        from ledger.settings import Settings

        create_event_store(Settings(database=parse_database_url(upgraded_url))).close()
        _migrate_to(upgraded_engine, "0100", "0200")
        upgraded.ok("init")

        assert schema(engines[upgraded_url]) == schema(engines[fresh_url])
        if not database_url.startswith("sqlite"):
            with engines[fresh_url].connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True})
                differences = compare_metadata(context, metadata)
            assert [d for d in differences if "type" in repr(d)] == []
    finally:
        for engine in engines.values():
            engine.dispose()
        if not database_url.startswith("sqlite"):
            from tests.helpers import drop_schema

            drop_schema(parse_database_url(fresh_url).schema)
