"""A catch-up over a long backlog (an import written without its read models, a follower that was
down) takes the rebuild's path - pages prepared in child processes, alerts evaluated once per
offender at the end, indexes deferred - and leaves exactly the read models a rebuild makes, with
nothing left pending for the first reader. Every scenario runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select

from projections.catalogue import PROJECTIONS, all_projections
from projections.db import make_engine
from projections.following import Follower, Link, PollingWaiter
from projections.runner import catch_up, positions, rebuild, up_to_date
from tests.helpers import LedgerCLI
from tests.integration.helpers import dump_read_models, generated


@pytest.fixture
def opened(database_url: str, cipher_key: str | None) -> Iterator[tuple[Any, Engine]]:
    """A generated ledger whose read models were never built, with its application and engine."""
    ledger, engine = generated(database_url, cipher_key, offenders=6)
    yield ledger, engine
    engine.dispose()
    ledger.close()


@pytest.fixture
def bulk_calls(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Makes this small ledger's backlog count as long and its pages go to child processes;
    records, per catch-up that took the rebuild's path, the projections whose indexes it
    deferred. The alerts settle in this process unless the test also asks for `alert_workers`."""
    from projections import reading, runner

    monkeypatch.setattr(runner, "BULK_CATCH_UP_EVENTS", 50)
    monkeypatch.setattr(runner, "PREPARE_IN_CHILD_EVENTS", 0)
    monkeypatch.setattr(reading, "PART", 10)
    calls: list[list[str]] = []
    real = runner._bulk

    def spied(*args: Any, **kwargs: Any) -> int:
        calls.append([p.name for p in kwargs["defer_indexes_of"]])
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "_bulk", spied)
    return calls


@pytest.fixture
def alert_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sends this small ledger's alerts to worker processes, two offenders at a time. Shown once,
    after an import: the other scenarios differ before the alerts' step, not in it, and each
    worker is a process started (test_projections_operating shows a rebuild's workers too)."""
    from projections.alerts import settling as alerts

    monkeypatch.setattr(alerts, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(alerts, "WORKER_CHUNK", 2)


def rebuilt(engine: Engine, ledger: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The read models a rebuild of the same ledger makes, as the reference. Its pages are
    prepared and its alerts evaluated in this process: a rebuild makes the same rows there as in
    child and worker processes (test_projections_operating shows it), and each comparison here
    would otherwise start four more processes."""
    from projections import runner
    from projections.alerts import settling

    monkeypatch.setattr(runner, "PREPARE_IN_CHILD_EVENTS", 10**12)
    monkeypatch.setattr(settling, "PARALLEL_ROWS", 10**12)
    rebuild(engine, ledger, all_projections())
    return dump_read_models(engine)


def _pending(engine: Engine) -> list[Any]:
    from projections.alerts.schema import AlertPendingRow

    with engine.connect() as conn:
        return list(conn.scalars(select(AlertPendingRow.offender_id)))


@pytest.mark.parametrize("cipher_key", ["plain", "sealed"], indirect=True)
@pytest.mark.filterwarnings("error::RuntimeWarning")  # a child or worker failing is not enough
def test_a_catch_up_after_an_import_gives_what_a_rebuild_gives_with_nothing_pending(
    opened: tuple[Any, Engine],
    bulk_calls: list[list[str]],
    alert_workers: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, engine = opened

    steps: dict[str, float] = {}
    catch_up(engine, ledger, all_projections(), page_size=23, steps=steps)

    assert bulk_calls == [list(PROJECTIONS)]
    # Where its time went, as a rebuild says it: the pages, each projection's finishing step,
    # the indexes made again.
    assert list(steps) == ["pages", *PROJECTIONS, "indexes"]
    assert _pending(engine) == []  # the first reader has nothing left to evaluate
    assert up_to_date(engine, ledger.head(), PROJECTIONS)  # indexes made again
    caught_up = dump_read_models(engine)
    assert caught_up["alerts"]

    assert rebuilt(engine, ledger, monkeypatch) == caught_up


@pytest.mark.parametrize("built_first", [1 / 3, 3 / 4])
@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_follower_catching_up_a_long_backlog_gives_what_a_rebuild_gives(
    opened: tuple[Any, Engine],
    bulk_calls: list[list[str]],
    built_first: float,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, engine = opened
    head = ledger.head()
    # Kept up to date in small steps until it went down, a third or three quarters of the way.
    for stop in range(40, int(head * built_first), 40):
        catch_up(engine, ledger, all_projections(), stop=stop, page_size=40)
    assert bulk_calls == []

    # Back up, it catches up once (`ledger projections run`), and keeps the steps it took.
    from projections import runner

    monkeypatch.setattr(runner, "REBUILD_PAGE_SIZE", 31)  # several pages of this small ledger
    waiter = PollingWaiter(ledger)
    follower = Follower(
        lambda: Link(engine=engine, source=ledger, waiter=waiter, close=lambda: None),
        all_projections(),
        lambda _: None,
    )
    assert follower.run(follow=False) == head

    # Its indexes are dropped only when the backlog at least doubles the rows already made.
    assert bulk_calls == [list(PROJECTIONS) if built_first < 0.5 else []]
    assert "alerts" in follower.steps and ("indexes" in follower.steps) == (built_first < 0.5)
    assert set(positions(engine).values()) == {head}
    assert _pending(engine) == []
    assert up_to_date(engine, ledger.head(), PROJECTIONS)
    caught_up = dump_read_models(engine)

    assert rebuilt(engine, ledger, monkeypatch) == caught_up


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_long_catch_up_stopped_early_is_finished_by_the_next_reader(
    opened: tuple[Any, Engine],
    bulk_calls: list[list[str]],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledger, engine = opened

    catch_up(engine, ledger, all_projections(), page_size=40, should_stop=lambda: True)

    assert min(positions(engine).values()) == 40
    assert _pending(engine)  # what it touched is marked, for the next reader
    cli = LedgerCLI(database_url)
    cli.actor = "9000"
    cli.ok("alerts", "--summary", "--json")  # catches up and settles, as any reader does
    assert _pending(engine) == []
    assert up_to_date(engine, ledger.head(), PROJECTIONS)
    read = dump_read_models(engine)
    # The reader's own visit is in the access log, which a rebuild leaves alone.
    assert read == rebuilt(engine, ledger, monkeypatch)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_a_read_finding_long_histories_pending_settles_them_as_a_rebuild_does(
    opened: tuple[Any, Engine], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projections.alerts import settling as alerts
    from projections.alerts.settling import mark_pending
    from projections.schema import OffenderRow

    ledger, engine = opened
    catch_up(engine, ledger, all_projections())
    built = dump_read_models(engine)
    # As after the figures or the rules changed: every offender pending, and (however small
    # the ledger) their histories long enough to go to the worker processes.
    with engine.begin() as conn:
        mark_pending(conn, conn.scalars(select(OffenderRow.offender_id)))
    monkeypatch.setattr(alerts, "PARALLEL_ROWS", 0)
    monkeypatch.setattr(alerts, "WORKER_CHUNK", 2)
    settled: list[int] = []
    real = alerts._settle_in_workers

    def counted(*args: Any) -> None:
        settled.append(len(args[2]))
        real(*args)

    monkeypatch.setattr(alerts, "_settle_in_workers", counted)
    cli = LedgerCLI(database_url)
    cli.actor = "9000"

    cli.ok("alerts", "--summary", "--json")

    assert settled == [6]
    assert _pending(engine) == []
    after = dump_read_models(engine)
    after.pop("access_log", None), built.pop("access_log", None)
    assert after == built


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_two_readers_catching_up_a_long_backlog_at_once_give_what_a_rebuild_gives(
    opened: tuple[Any, Engine],
    bulk_calls: list[list[str]],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings, parse_database_url

    # The second reader waits for the first's catch-up, at most the lock wait: at the default
    # 5 s the other tests' load stretched the wait past it ("database is locked" on SQLite). What
    # it shows is the read models, not how long the wait may be.
    lock_wait = 60.0
    monkeypatch.setenv("LEDGER_LOCK_WAIT", str(lock_wait))  # the helper and worker processes
    ledger, engine = opened
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def reader() -> None:
        settings = Settings(database=parse_database_url(database_url), lock_wait=lock_wait)
        own_ledger = open_ledger(settings)
        own_engine = make_engine(settings.database.sqlalchemy_url(), settings.database.schema)
        try:
            start.wait()
            catch_up(own_engine, own_ledger, all_projections(), page_size=29)
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
    # The first took the rebuild's path; the second too, unless it found the first far ahead.
    assert len(bulk_calls) in (1, 2)
    assert _pending(engine) == []
    assert up_to_date(engine, ledger.head(), PROJECTIONS)
    caught_up = dump_read_models(engine)
    assert rebuilt(engine, ledger, monkeypatch) == caught_up


@pytest.mark.postgres
def test_a_long_read_after_an_import_has_the_event_tables_vacuumed_and_analyzed_once(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing had looked at an import's rows: the first catch-up read them without statistics
    and set every row's hint bits itself (24.0 s against 19.1 s after a 0.85 s VACUUM)."""
    import time

    from ledger import postgres_recorder

    # This ledger's 120 events count as many; the statistics may reach the view a moment late.
    monkeypatch.setattr(postgres_recorder, "REFRESH_AFTER_ROWS", 100)
    ledger, engine = generated(postgres_url, None, offenders=2)
    schema = ledger.recorder.datastore.schema

    def stats() -> dict[str, tuple[Any, ...]]:
        with ledger.recorder.datastore.get_connection() as conn:
            rows = conn.execute(
                "SELECT relname, n_ins_since_vacuum, last_vacuum, last_analyze "
                "FROM pg_stat_user_tables WHERE schemaname = %s "
                "AND relname IN ('ledger_events', 'ledger_chain')",
                (schema,),
            ).fetchall()
        return {
            r["relname"]: (r["n_ins_since_vacuum"], r["last_vacuum"], r["last_analyze"])
            for r in rows
        }

    try:
        deadline = time.monotonic() + 10
        while min(s[0] for s in stats().values()) < 100 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert all(s[1] is None and s[2] is None for s in stats().values())

        monkeypatch.setattr("projections.runner.BULK_CATCH_UP_EVENTS", 50)
        catch_up(engine, ledger, all_projections())

        after = stats()
        assert set(after) == {"ledger_events", "ledger_chain"}
        assert all(s[0] == 0 and s[1] is not None and s[2] is not None for s in after.values())
        # Done: the next long read finds nothing new and leaves the tables be.
        assert ledger.recorder.refresh_after_bulk_writes() == []
    finally:
        engine.dispose()
        ledger.close()
