"""Whether a database's read models and access log are sealed under LEDGER_CIPHER_KEY
(`projections.sealing`), recorded in the one-row table `ledger_seal` (revision 0600) with a check
value sealed under the key, and checked by every engine a command opens before anything is read
or written."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    inspect,
    select,
    update,
)

from projections.sealing import (
    CHECK_TEXT,
    SEAL_TABLE,
    PlainReadModelsError,
    SealedReadModelsError,
    UnsealableValueError,
    UnsealedSchemaError,
    WrongSealKeyError,
    sealer_of,
)


def _holds_rows(conn: Connection) -> bool:
    """Whether anything is stored: any event (whose read models, not yet caught up, would be
    written as the seal says), or any row of a read model or the access log."""
    from ledger.integrity import PG_EVENTS, SQLITE_EVENTS
    from projections.access_log import AccessRow
    from projections.alerts.schema import AlertRow
    from projections.schema import EntryRow, OffenderRow, StaffRow

    names = set(inspect(conn).get_table_names())
    events = SQLITE_EVENTS if conn.dialect.name == "sqlite" else PG_EVENTS
    if events in names and conn.exec_driver_sql(f"SELECT 1 FROM {events} LIMIT 1").first():
        return True
    for table in (EntryRow, OffenderRow, StaffRow, AlertRow, AccessRow):
        query = select(1).select_from(table).limit(1)
        if table.__table__.name in names and conn.execute(query).first() is not None:
            return True
    return False


def check_seal(engine: Engine) -> None:
    """Refuses, before anything is read or written, an engine whose key does not match how the
    database's read models and access log are stored: a key on plaintext, no key on sealed rows,
    a key other than the one they were sealed with. While nothing is stored yet (a new ledger),
    the first use decides, and its choice is recorded. A database not yet upgraded to revision
    0600 is left to `ledger init`."""
    from projections.schema import SealRow

    sealer = sealer_of(engine.dialect)
    wanted = sealer is not None
    query = select(SealRow.sealed, SealRow.check_value)
    with engine.connect() as conn:
        if not inspect(conn).has_table(SEAL_TABLE):
            # Before revision 0600: plaintext, as without a key; with one, `ledger init` first.
            if wanted and inspect(conn).has_table("alembic_version"):
                raise UnsealedSchemaError
            return
        row = conn.execute(query).first()
    if row is None or bool(row.sealed) != wanted:
        with engine.begin() as conn:
            row = conn.execute(query).first()
            if row is None or bool(row.sealed) != wanted:
                # Rows stored before revision 0600 (no seal row yet) are plaintext.
                stored = row is not None and bool(row.sealed)
                if stored != wanted and _holds_rows(conn):
                    raise SealedReadModelsError if stored else PlainReadModelsError
                check = None if sealer is None else sealer.seal(CHECK_TEXT)
                conn.execute(delete(SealRow))
                conn.execute(insert(SealRow).values(id=1, sealed=wanted, check_value=check))
                return
    if sealer is not None:
        try:
            if sealer.unseal(row.check_value or "") != CHECK_TEXT:
                raise WrongSealKeyError
        except UnsealableValueError:
            raise WrongSealKeyError from None


def _mark(conn: Connection, check: str | None) -> None:
    from projections.schema import SealRow

    conn.execute(delete(SealRow))
    conn.execute(insert(SealRow).values(id=1, sealed=check is not None, check_value=check))


# The access log's free text as an earlier release stored it: plain columns, read as they are.
_PLAIN_ACCESS = Table(
    "access_log",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("reason", Text),
    Column("details", JSON),
    Column("error", Text),
)


def seal_in_place(engine: Engine, source: Any, projections: Sequence[Any]) -> None:
    """Seals the plaintext read models and access log of a ledger whose events are already
    encrypted with the engine's key (one written before read models were sealed): in one
    transaction, each access-log row's free text is rewritten sealed (the append-only triggers
    set aside for that transaction alone), the read models are emptied and the seal recorded;
    then the read models are rebuilt, sealed, from the events. Should the rebuild stop, the next
    command's catch-up finishes it. Needs the rights of the tables' owner on PostgreSQL."""
    from projections.access_log import AccessRow
    from projections.runner import rebuild
    from projections.schema import ProjectionPosition

    sealer = sealer_of(engine.dialect)
    if sealer is None:
        raise ValueError("sealing needs an engine made with the key")
    with engine.begin() as conn:
        rows = conn.execute(select(_PLAIN_ACCESS).order_by(_PLAIN_ACCESS.c.id)).all()
        sealed = [
            {"row_id": r.id, "new_reason": r.reason, "new_details": r.details, "new_error": r.error}
            for r in rows
        ]
        with _append_only_set_aside(conn):
            if sealed:
                conn.execute(
                    update(AccessRow)
                    .where(AccessRow.id == bindparam("row_id"))
                    .values(
                        reason=bindparam("new_reason"),
                        details=bindparam("new_details"),
                        error=bindparam("new_error"),
                    ),
                    sealed,
                )
        for projection in projections:
            projection.clear(conn)
        conn.execute(update(ProjectionPosition).values(position=0))
        _mark(conn, sealer.seal(CHECK_TEXT))
    rebuild(engine, source, projections)
    _reclaim(engine)


def _reclaim(engine: Engine) -> None:
    """Rewrites the database so that the plaintext rows just replaced leave no copy behind in
    free pages (SQLite, and its write-ahead log) or dead row versions (PostgreSQL)."""
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if engine.dialect.name == "sqlite":
            driver.execute("VACUUM")
            driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return
        raw.rollback()
        driver.autocommit = True
        try:
            driver.execute(
                "VACUUM FULL access_log, entries, offenders, staff, alerts, projection_positions"
            )
        finally:
            driver.autocommit = False
    finally:
        raw.close()


@contextmanager
def _append_only_set_aside(conn: Connection) -> Iterator[None]:
    """The access log's refusal of UPDATE set aside within the transaction of `conn` (rolled
    back with it should anything fail)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE access_log DISABLE TRIGGER access_log_append_only")
        yield
        conn.exec_driver_sql("ALTER TABLE access_log ENABLE TRIGGER access_log_append_only")
        return
    saved = list(
        conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'access_log_no_update'"
        ).scalars()
    )
    if saved:
        conn.exec_driver_sql("DROP TRIGGER access_log_no_update")
    yield
    for sql in saved:
        conn.exec_driver_sql(sql)
