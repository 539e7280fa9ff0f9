"""Connecting the read models: one SQLAlchemy engine per ledger database, built on demand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, Index, Table, create_engine, delete, event
from sqlalchemy.types import TypeDecorator

from ledger.settings import lock_wait_from_environment, whole_seconds


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as naive UTC (sortable and comparable on every backend); returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def make_engine(url: str, schema: str = "public", cipher_key: str | None = None) -> Engine:
    """An engine for the read models. On SQLite, writes take the lock at BEGIN (IMMEDIATE), so two
    processes catching up at once queue rather than fail; on PostgreSQL, `schema` is the search path.
    With `cipher_key` (LEDGER_CIPHER_KEY), the read models' text is sealed under it
    (`projections.sealing`): the key is kept on the engine's dialect, where the column types and
    the fast paths find it.
    """
    engine = _make_engine(url, schema)
    if cipher_key:
        from projections.sealing import seal_dialect

        seal_dialect(engine.dialect, cipher_key)
    return engine


def _make_engine(url: str, schema: str) -> Engine:
    if url.startswith("sqlite"):
        # The lock wait (LEDGER_LOCK_WAIT): long enough to queue behind another process's page;
        # short enough that a lock held by someone else is reported (exit 4) within 10 seconds.
        engine = create_engine(url, connect_args={"timeout": lock_wait_from_environment()})

        @event.listens_for(engine, "connect")
        def _autocommit_driver(dbapi_connection: Any, _: Any) -> None:
            # Let SQLAlchemy, not the driver, say when a transaction begins.
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    options = f"-csearch_path={schema}" if schema != "public" else ""
    connect_args: dict[str, Any] = {"connect_timeout": whole_seconds(lock_wait_from_environment())}
    if options:
        connect_args["options"] = options
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True)


def clear_tables(conn: Connection, *tables: Table) -> None:
    """Empties read-model tables, in the connection's transaction (before a rebuild).

    On PostgreSQL with TRUNCATE: as transactional there as DELETE, it gives the space back at
    once, where DELETE leaves a dead row version behind for every row (a million after rebuilding
    a long ledger's timeline, each scanned past until autovacuum comes). It holds the tables'
    exclusive lock until the transaction ends, which a rebuild's clearing transaction does at
    once. On SQLite, a DELETE without a WHERE clause already empties a table in one step."""
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
        conn.exec_driver_sql(f"TRUNCATE TABLE {names}")
        return
    for table in tables:
        conn.execute(delete(table))


def owned_indexes(conn: Connection, indexes: Sequence[Index]) -> list[Index]:
    """Those of `indexes` this login may drop and create again: on PostgreSQL only the owner of
    a table may, and the writer role of `ledger init --roles` does not own the read models (a
    rebuild by it keeps their indexes, and is the slower for it); on SQLite, all of them."""
    if conn.dialect.name != "postgresql" or not indexes:
        return list(indexes)
    owned = set(
        conn.exec_driver_sql(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND pg_has_role(current_user, tableowner, 'USAGE')"
        ).scalars()
    )
    return [index for index in indexes if index.table is not None and index.table.name in owned]
