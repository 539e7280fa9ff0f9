"""Alembic environment: migrates the read models of one ledger database.

`ledger init` passes an open connection in `config.attributes["connection"]`; run by hand,
the URL comes from LEDGER_DATABASE_URL, the same setting the ledger uses.
"""

from __future__ import annotations

from alembic import context

from projections.schema import metadata

config = context.config
target_metadata = metadata


def run_with(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    from ledger.settings import Settings
    from projections.db import make_engine

    db = Settings.from_environment().database
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    with engine.begin() as conn:
        run_with(conn)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_online()
