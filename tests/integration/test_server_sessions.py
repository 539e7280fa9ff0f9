"""How many server sessions a command opens on PostgreSQL: each costs the server a process and
its catalogue caches, on every command."""

from __future__ import annotations

import pytest

from tests.integration.helpers import REF, postgres_only


@postgres_only
def test_the_event_store_opens_one_connection_for_a_command(registered):
    """Its pool was opened by the first request for a connection without waiting for one: that
    request found none ready and the pool grew by a second session on every command."""
    from ledger.bootstrap import open_ledger
    from ledger.settings import Settings

    registered.ok("record", "entry", REF, "--summary", "Seen", "--by", "4521")
    ledger = open_ledger(Settings.from_environment(registered.url))
    try:
        ledger.head()
        assert ledger.recorder.select_notifications(start=None, limit=10)
        stats = ledger.recorder.datastore.pool.get_stats()
    finally:
        ledger.close()
    assert stats["connections_num"] == 1, stats
    assert stats["pool_size"] == 1, stats


def test_an_event_store_that_cannot_connect_says_so_and_stops_trying():
    """Its pool, opened waiting, gives up after its timeout, is closed (its workers would go on
    trying in the background), and says in words why the ledger cannot be used."""
    from eventsourcing.persistence import OperationalError
    from eventsourcing.postgres import PostgresDatastore

    from ledger.postgres_recorder import ChainedPostgresRecorder

    datastore = PostgresDatastore(
        dbname="test", host="127.0.0.1", port="1", user="postgres", password="",
        pool_size=1, max_overflow=4, connect_timeout=1,
    )  # fmt: skip
    with pytest.raises(OperationalError, match="no connection could be made within 1 s"):
        ChainedPostgresRecorder(datastore, events_table_name="ledger_events")
    assert datastore.pool.closed
