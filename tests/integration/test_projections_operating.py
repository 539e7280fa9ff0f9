"""Operating the read models: status, exact rebuilds, failures that stop at the failing event,
concurrent readers, and `init` upgrading an existing ledger in place. Every scenario runs on SQLite
and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, inspect, select, text

from bench.synthetic import generate_ledger
from domain.offender import Offender
from projections.builtin import OffenderRegister, StaffDirectory, TimelineProjection
from projections.catalogue import PROJECTIONS, all_projections
from projections.db import clear_tables, make_engine
from projections.runner import (
    ProjectionFailedError,
    catch_up,
    positions,
    rebuild,
)
from projections.schema import EntryRow
from tests.helpers import LedgerCLI
from tests.integration.helpers import Exploding, dump_read_models, generated, offender_positions

# ------------------------------------------------------------------------------------ helpers


# Runs a test on a plain ledger and on one whose events are encrypted and read models sealed.
with_and_without_a_key = pytest.mark.parametrize("cipher_key", ["plain", "sealed"], indirect=True)


@pytest.fixture
def opened(database_url: str, cipher_key: str | None) -> Iterator[tuple[Any, Engine]]:
    """A generated ledger (its read models not yet built), with its application and engine."""
    ledger, engine = generated(database_url, cipher_key, offenders=5)
    yield ledger, engine
    engine.dispose()
    ledger.close()


def _open(url: str, cipher_key: str | None = None) -> tuple[Any, Engine]:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings, parse_database_url

    settings = Settings(database=parse_database_url(url), cipher_key=cipher_key)
    db = settings.database
    return open_ledger(settings), make_engine(db.sqlalchemy_url(), db.schema, cipher_key)


def build_in_steps(engine: Engine, ledger: Any, every: int, page_size: int) -> None:
    """Brings every projection up to date as readers do while people write: many small
    catch-ups of odd page sizes, the last ending at the head."""
    head = ledger.head()
    for stop in [*range(0, head, every), head]:
        catch_up(engine, ledger, all_projections(), stop=stop, page_size=page_size)


# ------------------------------------------------------------------------------------- status


def test_status_shows_each_projection_behind_until_run_catches_up(registered: LedgerCLI) -> None:
    registered.ok("record", "entry", "WMP-000123", "--summary", "New car", "--by", "4521")

    before = registered.ok("projections", "status", "--json").json()
    ran = registered.ok("projections", "run")
    after = registered.ok("projections", "status", "--json").json()

    assert {p["name"] for p in before["projections"]} >= {"timeline", "offenders", "staff"}
    assert all(p["lag"] >= 1 for p in before["projections"])
    assert all(p["position"] == before["head"] - p["lag"] for p in before["projections"])
    assert "caught up to position" in ran.stdout
    assert all(p["lag"] == 0 and p["updated_at"] for p in after["projections"])


# ------------------------------------------------------------------------------------ rebuild


@with_and_without_a_key
def test_a_rebuild_gives_exactly_what_was_built_event_by_event(
    database_url: str, cipher_key: str | None
) -> None:
    generate_ledger(
        database_url,
        offenders=6,
        events_per_offender=70,
        areas=2,
        project=False,
        cipher_key=cipher_key,
    )
    ledger, engine = _open(database_url, cipher_key)
    key = {"env": {"LEDGER_CIPHER_KEY": cipher_key or ""}}
    try:
        # Incrementally, as readers do while people write: many small catch-ups, odd page sizes.
        build_in_steps(engine, ledger, every=37, page_size=11)
        cli = LedgerCLI(database_url)
        cli.actor = "9000"
        for n in range(3):
            summary = f"Concern {n}"
            cli.ok("record", "concern", "SYN-000002", "--summary", summary, "--by", "10101", **key)
            cli.ok("show", "SYN-000002", "--json", **key)  # every read catches up first
        cli.ok("transfer", "SYN-000002", "--to", "10102", "--by", "10104", **key)
        ran = cli.ok("projections", "run", "--json", **key).json()
        # The transfer's event, caught up page by page: no step of the rebuild's path to report.
        assert ran["applied"] > 0
        assert {k: v for k, v in ran.items() if k != "applied"} == {
            "position": ledger.head(),
            "head": ledger.head(),
            "stopped": False,
            "steps": {},
        }
        incremental = dump_read_models(engine)

        rebuilt = cli.ok("projections", "rebuild", "--json", **key).json()
        assert dump_read_models(engine) == incremental
        assert rebuilt["events"] == ledger.head()
        # Where its time went: the pages, each projection's finishing step, the indexes.
        assert set(rebuilt["steps"]) == {"pages", "indexes", *PROJECTIONS}
        assert sum(rebuilt["steps"].values()) <= rebuilt["seconds"]

        cli.ok("projections", "rebuild", "timeline", **key)
        assert dump_read_models(engine) == incremental
    finally:
        engine.dispose()
        ledger.close()
    assert len(incremental["entries"]) == 6 * 70 + 4


@with_and_without_a_key
@pytest.mark.filterwarnings("error::RuntimeWarning")  # a worker failing is not good enough
def test_a_rebuild_evaluating_alerts_in_worker_processes_gives_the_same_rows(
    opened: tuple[Any, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections.alerts import settling as alerts

    ledger, engine = opened
    build_in_steps(engine, ledger, every=29, page_size=13)
    incremental = dump_read_models(engine)
    # However small the ledger, the rebuild's alerts go to two workers, two offenders a chunk.
    monkeypatch.setattr(alerts, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(alerts, "WORKER_CHUNK", 2)
    started: list[int] = []
    real = alerts._settle_in_workers

    def counted(*args: Any) -> None:
        started.append(len(args[2]))
        real(*args)

    monkeypatch.setattr(alerts, "_settle_in_workers", counted)

    steps: dict[str, float] = {}
    rebuild(engine, ledger, all_projections(), steps=steps)

    assert started == [5]
    assert steps["alerts"] > 0 and list(steps) == ["pages", *PROJECTIONS, "indexes"]
    assert dump_read_models(engine) == incremental


@with_and_without_a_key
@pytest.mark.filterwarnings("error::RuntimeWarning")  # a child failing is not good enough
def test_a_rebuild_reading_its_pages_in_child_processes_gives_the_same_rows(
    opened: tuple[Any, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections import reading, runner

    ledger, engine = opened
    head = ledger.head()
    build_in_steps(engine, ledger, every=31, page_size=17)
    incremental = dump_read_models(engine)
    monkeypatch.setattr(runner, "PREPARE_IN_CHILD_EVENTS", 0)
    monkeypatch.setattr(reading, "PART", 10)  # each page decoded and prepared in parts
    pages: list[int] = []
    real = reading.PreparedPages.next_page

    def counted(self: Any, after: int) -> Any:
        got = real(self, after)
        pages.append(0 if got is None else len(got[0]))
        return got

    monkeypatch.setattr(reading.PreparedPages, "next_page", counted)

    # Pages of 23 positions, shared by the two children: the last page ends at the head.
    rebuild(engine, ledger, all_projections(), page_size=23)

    assert sum(pages) == head
    assert dump_read_models(engine) == incremental


@with_and_without_a_key
def test_a_rebuild_stopped_early_leaves_its_offenders_pending_for_the_next_reader(
    opened: tuple[Any, Engine],
) -> None:
    from projections.alerts.projection import AlertsProjection
    from projections.alerts.schema import AlertPendingRow
    from projections.alerts.settling import settle

    ledger, engine = opened
    catch_up(engine, ledger, all_projections())
    built = dump_read_models(engine)

    # Stopped after its first page, as Ctrl-C would stop it.
    rebuild(engine, ledger, all_projections(), page_size=40, should_stop=lambda: True)

    with engine.connect() as conn:
        assert conn.scalars(select(AlertPendingRow.offender_id)).all()
    catch_up(engine, ledger, all_projections())
    with engine.begin() as conn:
        settle(conn, AlertsProjection().policy)
    assert dump_read_models(engine) == built


@with_and_without_a_key
def test_histories_read_through_the_driver_are_the_records_the_views_read(
    opened: tuple[Any, Engine],
) -> None:
    from projections.alerts.evaluation import load_histories
    from projections.queries import offender_records
    from projections.schema import OffenderRow

    ledger, engine = opened
    catch_up(engine, ledger, all_projections())
    with engine.connect() as conn:
        offenders = sorted(conn.scalars(select(OffenderRow.offender_id)))
        loaded = load_histories(conn, offenders)
        assert [o for o, _ in loaded] == offenders
        for offender_id, records in loaded:
            expected = offender_records(conn, offender_id)
            assert records == expected
            # The loader sets each record's cached instant from the row; the views work it out.
            assert [r.occurred_instant for r in records] == [r.occurred_instant for r in expected]
            assert all(
                r.occurred_instant.tzinfo is UTC and r.recorded_at.tzinfo is UTC for r in records
            )
            assert [vars(r) for r in records] == [vars(r) for r in expected]


def test_clearing_tables_is_transactional_and_gives_postgresqls_space_back(
    opened: tuple[Any, Engine],
) -> None:
    """A rebuild empties the read models in the transaction that resets their positions: rolled
    back, the rows stay. On PostgreSQL the table is truncated, not left full of dead rows."""
    ledger, engine = opened
    catch_up(engine, ledger, all_projections())
    entries = EntryRow.__table__

    def count() -> int:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(entries)) or 0)

    before = count()
    assert before > 0
    with engine.connect() as conn:
        transaction = conn.begin()
        clear_tables(conn, entries)
        transaction.rollback()
    assert count() == before

    with engine.begin() as conn:
        clear_tables(conn, entries)
    assert count() == 0
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT pg_relation_size('entries')")) == 0


def test_rebuilding_an_unknown_projection_is_a_usage_error(cli: LedgerCLI) -> None:
    outcome = cli("projections", "rebuild", "no-such-thing")

    assert outcome.exit_code == 2
    assert "no projection called 'no-such-thing'" in outcome.stderr
    assert "timeline" in outcome.stderr


# ----------------------------------------------------------------------------------- failures


def secondary_indexes(engine: Engine) -> set[str]:
    found: set[str] = set()
    for table in ("entries", "alerts"):
        found.update(str(i["name"]) for i in inspect(engine).get_indexes(table))
    return found


def test_a_rebuild_creates_the_indexes_it_dropped_again_even_when_a_projection_fails(
    opened: tuple[Any, Engine],
) -> None:
    ledger, engine = opened
    wanted = {
        "ix_entries_offender_type",
        "ix_alerts_area_standing",
        "ix_alerts_standing",
        "ix_alerts_offender_standing",
    }
    assert wanted <= secondary_indexes(engine)
    bad = offender_positions(ledger)[150]

    with pytest.raises(ProjectionFailedError):
        rebuild(engine, ledger, [*all_projections(), Exploding(bad)], page_size=100)
    assert wanted <= secondary_indexes(engine)

    rebuild(engine, ledger, all_projections())
    assert wanted <= secondary_indexes(engine)


class Interrupted(Exploding):
    """Ctrl-C arriving while the event at `fail_at` is projected."""

    def process(self, event: Any, position: int, conn: Connection) -> None:
        if position == self.fail_at:
            raise KeyboardInterrupt


def test_an_interrupted_rebuild_leaves_its_indexes_to_the_next_catch_up(
    opened: tuple[Any, Engine],
) -> None:
    ledger, engine = opened
    bad = offender_positions(ledger)[150]

    with pytest.raises(KeyboardInterrupt):
        rebuild(engine, ledger, [*all_projections(), Interrupted(bad)], page_size=100)
    assert "ix_entries_offender_type" not in secondary_indexes(engine)

    catch_up(engine, ledger, all_projections())
    assert {"ix_entries_offender_type", "ix_alerts_standing"} <= secondary_indexes(engine)
    assert set(positions(engine).values()) >= {ledger.head()}


@pytest.mark.parametrize("in_bulk", [False, True], ids=["in-process", "in-end-page"])
def test_a_failing_projection_stops_just_before_the_event_it_fails_on(
    opened: tuple[Any, Engine], in_bulk: bool
) -> None:
    ledger, engine = opened
    bad = offender_positions(ledger)[150]
    projections = [TimelineProjection(), Exploding(bad, in_bulk)]

    with pytest.raises(ProjectionFailedError) as failure:
        catch_up(engine, ledger, projections, page_size=100)

    message = str(failure.value)
    assert "projection 'exploding'" in message and f"at position {bad}" in message
    assert "entry " in message and f"left at {bad - 1}" in message
    reached = positions(engine)
    assert reached["timeline"] == reached["exploding"] == bad - 1
    with engine.connect() as conn:
        kept = conn.scalars(select(EntryRow.position)).all()
    assert max(kept) < bad and len(kept) == len([p for p in offender_positions(ledger) if p < bad])

    # Once the projection is mended, it carries on from where it stopped.
    catch_up(engine, ledger, [TimelineProjection(), Exploding(None)])
    assert positions(engine)["exploding"] == ledger.head()
    with engine.connect() as conn:
        assert len(conn.scalars(select(EntryRow.position)).all()) == len(offender_positions(ledger))


class ExplodingWhenPrepared(Exploding):
    """`Exploding`, with its pages prepared in the rebuild's child processes."""

    def prepare(self, page: Any, dialect: Any) -> Any:
        return [position for position, event in page if isinstance(event, Offender.Event)]

    def process_prepared(self, prepared: Any, conn: Connection) -> int:
        if self.fail_at in prepared:
            raise ValueError("cannot read this page")
        return len(prepared)


def test_a_rebuild_with_prepared_pages_stops_just_before_the_failing_event(
    opened: tuple[Any, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections import runner

    monkeypatch.setattr(runner, "PREPARE_IN_CHILD_EVENTS", 0)
    ledger, engine = opened
    bad = offender_positions(ledger)[150]

    with pytest.raises(ProjectionFailedError) as failure:
        rebuild(engine, ledger, [TimelineProjection(), ExplodingWhenPrepared(bad)], page_size=100)

    assert f"at position {bad}" in str(failure.value)
    reached = positions(engine)
    assert reached["timeline"] == reached["exploding"] == bad - 1
    with engine.connect() as conn:
        kept = conn.scalars(select(EntryRow.position)).all()
    assert len(kept) == len([p for p in offender_positions(ledger) if p < bad])


def test_a_failure_at_the_first_event_of_a_page_keeps_the_pages_before(
    opened: tuple[Any, Engine],
) -> None:
    ledger, engine = opened
    catch_up(engine, ledger, [TimelineProjection(), Exploding(None)], stop=200)
    bad = next(p for p in offender_positions(ledger) if p > 200)

    with pytest.raises(ProjectionFailedError):
        catch_up(engine, ledger, [TimelineProjection(), Exploding(bad)], page_size=50)

    assert positions(engine)["exploding"] == bad - 1


# -------------------------------------------------------------------------------- concurrency


def test_two_readers_catching_up_at_once_apply_each_event_once(
    opened: tuple[Any, Engine], database_url: str
) -> None:
    ledger, _ = opened
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    applied: list[int] = []

    def reader() -> None:
        own_ledger, own_engine = _open(database_url)
        try:
            start.wait()
            applied.append(catch_up(own_engine, own_ledger, all_projections(), page_size=50))
        except BaseException as error:
            errors.append(error)
        finally:
            own_engine.dispose()
            own_ledger.close()

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    _, engine = opened
    with engine.connect() as conn:
        entries = conn.scalars(select(EntryRow.position)).all()
    assert sorted(entries) == offender_positions(ledger)
    assert set(positions(engine).values()) == {ledger.head()}
    # Between them they made each application exactly once.
    assert sum(applied) == applied_once(ledger)


def applied_once(ledger: Any) -> int:
    """How many (event, projection) applications one full catch-up makes."""
    count = 0
    for _, event in ledger.read_events(0, 10**9):
        count += sum(isinstance(event, p.handles) for p in all_projections())
    return count


def test_rebuild_leaves_other_projections_alone(opened: tuple[Any, Engine]) -> None:
    ledger, engine = opened
    catch_up(engine, ledger, all_projections())
    before = dump_read_models(engine)

    rebuild(engine, ledger, [TimelineProjection()])

    assert dump_read_models(engine) == before


# ---------------------------------------------------------------------------------- upgrading


def test_init_twice_keeps_the_ledger_as_it_was(registered: LedgerCLI) -> None:
    shown = registered.ok("show", "WMP-000123", "--json").json()

    registered.ok("init")
    registered.ok("init")

    assert registered.ok("show", "WMP-000123", "--json").json()["entries"] == shown["entries"]


def test_init_upgrades_a_ledger_created_at_the_first_revision(database_url: str) -> None:

    from alembic import command
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from ledger.bootstrap import create_event_store
    from ledger.settings import Settings, parse_database_url
    from projections.migrate import MIGRATIONS

    # A ledger as the first release left it: the core read models only, with data in them.
    settings = Settings(database=parse_database_url(database_url))
    db = settings.database
    ledger = create_event_store(settings)
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    from ledger.commands import EnrolStaff, RegisterOffender
    from ledger.handlers import handle

    admin = EnrolStaff.build(
        staff_id="1001", name="Ann Admin", agency="police", rank="Insp", since="2010-01-01"
    )
    case = RegisterOffender.build(
        ref="WMP-000777",
        name="Old Case",
        born="1970-01-01",
        category=1,
        area="Walsall",
        occurred_at="2015-05-05",
    )
    handle(ledger, None, [admin])
    handle(ledger, "1001", [case])
    # The projections of that release, whose tables revision 0001 made.
    catch_up(engine, ledger, [TimelineProjection(), OffenderRegister(), StaffDirectory()])
    ledger.close()

    cli = LedgerCLI(database_url)
    cli.actor = "1001"
    cli.ok("init")

    with engine.connect() as conn:
        current = set(conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars())
    engine.dispose()
    assert current == set(ScriptDirectory.from_config(config).get_heads())
    assert cli.ok("show", "WMP-000777", "--json").json()["name"] == "Old Case"
    cli.ok("record", "entry", "WMP-000777", "--summary", "After the upgrade")
    assert cli.ok("show", "WMP-000777", "--json").json()["entries"] == 2
