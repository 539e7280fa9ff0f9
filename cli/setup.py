"""Creating a ledger and its keys."""

from __future__ import annotations

import typer

from cli.render import say
from cli.session import session


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("keygen")(keygen)


def init(
    ctx: typer.Context,
    roles: bool = typer.Option(
        False,
        "--roles",
        help="PostgreSQL: also create or refresh the roles ledger_writer_<schema> (may only "
        "INSERT and SELECT history, and maintain the read models) and ledger_reader_<schema> "
        "(SELECT on the read models only). Run as the owner, with CREATEROLE.",
    ),
) -> None:
    """Create the ledger, or upgrade an existing one in place (idempotent).

    Creates the event store's tables, its hash chain, the triggers that
    refuse to change or delete history, the staff_logins table (PostgreSQL),
    and runs the read models' migrations.

    With --roles (PostgreSQL), grant the roles to database logins, e.g.
    GRANT ledger_writer_public TO alice.

    To bind logins to staff (the actor is then the login's own staff id and
    --as cannot claim anyone else), the owner inserts rows into staff_logins:
    INSERT INTO staff_logins (login, staff_id) VALUES ('alice', '4521').
    Once that table holds a row, every login must be bound to act.

    Example: ledger init --roles
    """
    from ledger.bootstrap import create_event_store, initialising
    from ledger.errors import ConfigurationError
    from projections.db import make_engine
    from projections.migrate import upgrade
    from projections.seal_check import check_seal, seal_in_place
    from projections.sealing import PlainReadModelsError

    s = session(ctx)
    if roles and s.settings.database.is_sqlite:
        raise ConfigurationError(
            "--roles needs a PostgreSQL ledger; a SQLite ledger is guarded by its file's permissions"
        )
    db = s.settings.database
    with initialising(db):
        create_event_store(s.settings).close()
        # Not the session's engine, which refuses a key that does not match the read models
        # before this could seal them.
        engine = make_engine(db.sqlalchemy_url(), db.schema, s.settings.cipher_key)
        try:
            revision = upgrade(engine)
            # Records whether the read models are sealed (LEDGER_CIPHER_KEY), or refuses a key
            # that does not match how they are stored; seals those of a ledger whose events are
            # already encrypted with the key (written before read models were sealed).
            try:
                check_seal(engine)
            except PlainReadModelsError:
                if s.ledger().head() == 0:  # raises first if the events are not under this key
                    raise
                seal_in_place(engine, s.ledger(), s.projections())
                say("read models and access log sealed under LEDGER_CIPHER_KEY")
        finally:
            engine.dispose()
        say(f"ledger ready at {db.describe()} (read models at revision {revision})")
        if roles:
            from ledger.access import create_roles

            writer, reader = create_roles(s.settings.database)
            say(f"roles ready: {writer} (writes history, maintains read models), {reader} (reads)")


def keygen() -> None:
    """Print a new random key for LEDGER_CIPHER_KEY (AES-256-GCM encryption at rest).

    Keep the key safe: without it the events cannot be read.

    Example: export LEDGER_CIPHER_KEY=$(ledger keygen)
    """
    from eventsourcing.cryptography import AESCipher

    say(AESCipher.create_key(32))
