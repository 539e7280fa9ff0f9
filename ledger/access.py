"""Who may touch a PostgreSQL ledger, and who is acting.

`ledger init --roles` creates two group roles per ledger schema (names include the schema, so
ledgers in different schemas of one database keep apart):

- `ledger_writer_<schema>`: SELECT and INSERT on the events, their hash chain and snapshots, and
  the s.62 access log; the right to take the writers' lock through a function; SELECT on
  `staff_logins`; SELECT, INSERT, UPDATE and DELETE on the read models (the projections rebuild
  them). Never UPDATE or DELETE on history: the application's own login cannot rewrite it.
- `ledger_reader_<schema>`: SELECT on the read models only (reports, dashboards).

Grant them to logins: `GRANT ledger_writer_public TO alice;`.

Binding logins to staff: the owner adds rows to `<schema>.staff_logins (login, staff_id)`. Once
the table holds any row, the actor is the staff member bound to the database login the command
connected as (`session_user`): `--as`/`LEDGER_ACTOR` may repeat that staff id but not name
anyone else, and a login with no binding cannot act. Only the owner can change the table; the
writer role may only read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.errors import ConfigurationError, LedgerError
from ledger.integrity import (
    PG_BINDING_HISTORY,
    PG_CHAIN,
    PG_EVENTS,
    PG_LOCK_FUNCTION,
    PG_SNAPSHOTS,
)
from ledger.settings import APPLICATION_NAME, Database

if TYPE_CHECKING:
    from ledger.app import OffenderLedger

STAFF_LOGINS = "staff_logins"
# Tables that are not read models: history, the binding table, and the migrations' own marker.
_NOT_READ_MODELS = {
    PG_EVENTS,
    PG_CHAIN,
    PG_SNAPSHOTS,
    STAFF_LOGINS,
    PG_BINDING_HISTORY,
    "alembic_version",
}
# The s.62 access log: every read by a writer appends to it; no one reads it but `ledger audit`.
ACCESS_LOG = "access_log"


class ActorBindingError(LedgerError):
    """The database login is not bound to the staff member claimed, or to anyone (exit 1).

    `staff` is who the login really is (None for an unbound login): the one who tried.
    """

    def __init__(self, message: str, staff: str | None) -> None:
        super().__init__(message)
        self.staff = staff


def role_names(db: Database) -> tuple[str, str]:
    """The writer and reader roles for the ledger in `db`'s schema."""
    return f"{APPLICATION_NAME}_writer_{db.schema}", f"{APPLICATION_NAME}_reader_{db.schema}"


def create_roles(db: Database) -> tuple[str, str]:
    """Creates (or brings up to date) the writer and reader roles; returns their names.

    Run again after an upgrade adds read models: grants are made afresh each time.
    """
    import psycopg
    from psycopg.sql import SQL, Identifier, Literal

    from ledger.bootstrap import postgres_connect

    if db.is_sqlite:
        raise ConfigurationError(
            "--roles needs a PostgreSQL ledger; a SQLite ledger is guarded by its file's permissions"
        )
    writer, reader = role_names(db)
    s = Identifier(db.schema)
    w, r = Identifier(writer), Identifier(reader)
    try:
        with postgres_connect(db) as conn, conn.transaction():
            for role in (writer, reader):
                conn.execute(
                    SQL(
                        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {0}) "
                        "THEN CREATE ROLE {1} NOLOGIN; END IF; END $$"
                    ).format(Literal(role), Identifier(role))
                )
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = %s", (db.schema,)
                )
            ]
            read_models = sorted(set(tables) - _NOT_READ_MODELS - {ACCESS_LOG})
            conn.execute(
                SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {0} FROM {1}, {2}").format(s, w, r)
            )
            conn.execute(SQL("GRANT USAGE ON SCHEMA {0} TO {1}, {2}").format(s, w, r))
            for table in (PG_EVENTS, PG_CHAIN, PG_SNAPSHOTS):
                conn.execute(
                    SQL("GRANT SELECT, INSERT ON {0}.{1} TO {2}").format(s, Identifier(table), w)
                )
            for table in (STAFF_LOGINS, PG_BINDING_HISTORY):
                conn.execute(SQL("GRANT SELECT ON {0}.{1} TO {2}").format(s, Identifier(table), w))
            if ACCESS_LOG in tables:
                conn.execute(
                    SQL("GRANT SELECT, INSERT ON {0}.{1} TO {2}").format(
                        s, Identifier(ACCESS_LOG), w
                    )
                )
            conn.execute(
                SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {0} TO {1}").format(s, w)
            )
            conn.execute(
                SQL("GRANT EXECUTE ON FUNCTION {0}.{1}() TO {2}").format(
                    s, Identifier(PG_LOCK_FUNCTION), w
                )
            )
            for table in read_models:
                t = Identifier(table)
                # TRUNCATE: a rebuild clears a read model with it on PostgreSQL.
                conn.execute(
                    SQL("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {0}.{1} TO {2}").format(
                        s, t, w
                    )
                )
                conn.execute(SQL("GRANT SELECT ON {0}.{1} TO {2}").format(s, t, r))
    except psycopg.errors.InsufficientPrivilege as error:
        raise LedgerError(
            f"cannot create the ledger's roles: {str(error).strip().splitlines()[0]}; run "
            "'ledger init --roles' as the database owner with the CREATEROLE privilege"
        ) from None
    return writer, reader


def acting_staff(ledger: OffenderLedger, db: Database, claimed: str | None) -> str | None:
    """The staff id acting: `claimed` (from --as or LEDGER_ACTOR), unless this PostgreSQL ledger
    binds logins to staff, in which case the login's own staff id."""
    if db.is_sqlite:
        return claimed
    from psycopg.sql import SQL, Identifier

    statement = SQL(
        "SELECT session_user AS login, EXISTS (SELECT 1 FROM {0}.{1}) AS binding, "
        "(SELECT staff_id FROM {0}.{1} WHERE login = session_user) AS staff_id"
    ).format(Identifier(db.schema), Identifier(STAFF_LOGINS))
    with ledger.recorder.datastore.transaction(commit=False) as curs:  # type: ignore[attr-defined]
        curs.execute(statement)
        row = curs.fetchone()
    if not row["binding"]:
        return claimed
    login, bound = row["login"], row["staff_id"]
    if bound is None:
        raise ActorBindingError(
            f"the database login {login!r} is not bound to a staff member, and this ledger binds "
            f"logins to staff: ask the database owner to add it to {db.schema}.{STAFF_LOGINS}",
            None,
        )
    if claimed and claimed != bound:
        raise ActorBindingError(
            f"the database login {login!r} is bound to staff {bound}; it cannot act as {claimed} "
            "(connect as that person's own login instead)",
            str(bound),
        )
    return str(bound)
