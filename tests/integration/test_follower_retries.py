"""The follower waits out a database that goes away, saying so, and carries on where it was."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from bench.synthetic import generate_ledger
from projections.catalogue import all_projections
from projections.db import make_engine
from projections.following import Follower, Link
from projections.runner import ProjectionFailedError, positions


def gone() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


class Flaky:
    """Opens real links to the ledger, except that the database is 'down' for the first
    `down` attempts, and the first wait on a link that worked fails as a dropped connection."""

    def __init__(self, url: str, down: int) -> None:
        self.url = url
        self.down = down
        self.attempts = 0
        self.dropped = False
        self.follower: Follower | None = None

    def connect(self) -> Link:
        from ledger.bootstrap import open_ledger
        from ledger.settings import Settings, parse_database_url

        self.attempts += 1
        if self.attempts <= self.down:
            raise gone()
        settings = Settings(database=parse_database_url(self.url))
        ledger = open_ledger(settings)
        engine = make_engine(settings.database.sqlalchemy_url())

        def close() -> None:
            engine.dispose()
            ledger.close()

        return Link(engine=engine, source=ledger, waiter=Waiter(self), close=close)


class Waiter:
    def __init__(self, flaky: Flaky) -> None:
        self.flaky = flaky

    def wait(self, after: int) -> None:
        if not self.flaky.dropped:
            self.flaky.dropped = True
            raise gone()
        assert self.flaky.follower is not None
        self.flaky.follower.stop()

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_follower_retries_with_growing_pauses_and_says_so(sqlite_url: str) -> None:
    generated = generate_ledger(sqlite_url, offenders=2, events_per_offender=30, project=False)
    flaky = Flaky(sqlite_url, down=3)
    said: list[str] = []
    follower = Follower(flaky.connect, all_projections(), said.append, first_delay=0.01)
    flaky.follower = follower

    position = follower.run(follow=True)

    assert position == generated.events
    retries = [s for s in said if "the database is unavailable" in s]
    assert len(retries) == 4  # three failed connections and one dropped wait
    assert "connection refused" in retries[0]
    assert [r.rsplit("retrying in ", 1)[1] for r in retries[:3]] == ["0.01 s", "0.02 s", "0.04 s"]
    assert any("the database is back" in s for s in said)
    engine = make_engine(sqlite_url)
    assert set(positions(engine).values()) == {generated.events}
    engine.dispose()


def test_without_follow_an_unavailable_database_is_an_error_at_once(sqlite_url: str) -> None:
    generate_ledger(sqlite_url, offenders=1, events_per_offender=4, project=False)
    flaky = Flaky(sqlite_url, down=1)
    follower = Follower(flaky.connect, all_projections(), print)

    with pytest.raises(OperationalError):
        follower.run(follow=False)


def test_a_failing_projection_stops_the_follower_rather_than_retrying(sqlite_url: str) -> None:
    from tests.integration.helpers import Exploding, offender_positions

    generate_ledger(sqlite_url, offenders=1, events_per_offender=10, project=False)
    flaky = Flaky(sqlite_url, down=0)
    flaky.dropped = True
    link = flaky.connect()
    bad = offender_positions(link.source)[4]
    link.close()
    said: list[str] = []
    follower = Follower(flaky.connect, [Exploding(bad)], said.append, first_delay=0.01)

    with pytest.raises(ProjectionFailedError, match=f"at position {bad}"):
        follower.run(follow=True)
    assert not any("unavailable" in s for s in said)


def test_a_follower_stopped_part_way_does_not_say_it_caught_up(sqlite_url, monkeypatch) -> None:
    from projections import following

    generated = generate_ledger(sqlite_url, offenders=2, events_per_offender=30, project=False)
    flaky = Flaky(sqlite_url, down=0)
    said: list[str] = []
    follower = Follower(flaky.connect, all_projections(), said.append)
    real = following.catch_up

    def stopped_part_way(engine, source, projections, **kwargs):
        done = real(engine, source, projections, stop=20, page_size=10)
        follower.stop()  # Ctrl-C, between two pages
        return done

    monkeypatch.setattr(following, "catch_up", stopped_part_way)

    assert follower.run(follow=True) == 20 < generated.events
    assert not any("caught up" in s for s in said), said
