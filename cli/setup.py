"""Creating a ledger and its keys."""

from __future__ import annotations

import typer

from cli.render import say
from cli.session import session


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("keygen")(keygen)


def init(ctx: typer.Context) -> None:
    """Create the ledger, or upgrade an existing one in place (idempotent).

    Creates the event store's tables and runs the read models' migrations.

    Example: ledger --database-url sqlite:///ledger.db init
    """
    from ledger.bootstrap import create_event_store
    from projections.migrate import upgrade

    s = session(ctx)
    create_event_store(s.settings).close()
    revision = upgrade(s.engine())
    say(f"ledger ready at {s.settings.database.describe()} (read models at revision {revision})")


def keygen() -> None:
    """Print a new random key for LEDGER_CIPHER_KEY (AES-256-GCM encryption at rest).

    Keep the key safe: without it the events cannot be read.

    Example: export LEDGER_CIPHER_KEY=$(ledger keygen)
    """
    from eventsourcing.cryptography import AESCipher

    say(AESCipher.create_key(32))
