"""Whether a database's read models and access log are sealed under LEDGER_CIPHER_KEY
(`projections.sealing`), recorded in the one-row table `ledger_seal` (revision 0600) with a check
value sealed under the key, and checked by every engine a command opens before anything is read
or written."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete, insert, inspect, select

from projections.sealing import (
    CHECK_TEXT,
    SEAL_TABLE,
    PlainReadModelsError,
    SealedReadModelsError,
    UnsealableValueError,
    WrongSealKeyError,
    sealer_of,
)


def _holds_rows(conn: Connection) -> bool:
    """Whether any read model or the access log holds a row written before the seal was set."""
    from projections.access_log import AccessRow
    from projections.alerts.schema import AlertRow
    from projections.schema import EntryRow, OffenderRow, StaffRow

    names = set(inspect(conn).get_table_names())
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
