"""The access log (Data Protection Act 2018 s.62): who consulted or disclosed what, when and why,
and who was refused.

It lives beside the read models but is not one: nothing here is derived from events, a rebuild
never touches it, and the database refuses to change or delete its rows (triggers created by
migration 0200). Each row is written in its own short transaction before the data it describes is
shown, so a look at the ledger cannot happen without its row.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    FetchedValue,
    Index,
    Integer,
    String,
    Text,
    insert,
    select,
)

from domain.clock import iso
from projections.db import UTCDateTime
from projections.schema import Rows, column, optional
from projections.sealing import SealedJSON, SealedText

ACCESS_LOG = "access_log"
CONSULTED = "consulted"
DISCLOSED = "disclosed"
REFUSED = "refused"

# One consultation, disclosure or refused command.
AccessRow = Rows(
    ACCESS_LOG,
    # SQLite numbers rows only through an INTEGER PRIMARY KEY; elsewhere 64 bits.
    column(
        "id",
        BigInteger().with_variant(Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    column("at", UTCDateTime),
    optional("actor", Text),
    # On PostgreSQL the database sets the session's login, overwriting whatever an insert gives
    # (trigger of migration 0500): neither `--as` nor SQL of one's own can choose it.
    optional("login", String(64), server_default=FetchedValue()),
    column("command", Text),
    optional("offender", Text),
    # The justification, the details (recipients, paths, options) and a refusal's text are sealed
    # under LEDGER_CIPHER_KEY when one is set (`projections.sealing`).
    optional("reason", SealedText),
    column("outcome", String(16)),
    column("details", SealedJSON),
    optional("error", SealedText),
)

Index("ix_access_log_offender_id", AccessRow.offender, AccessRow.id)
Index("ix_access_log_actor_id", AccessRow.actor, AccessRow.id)
Index("ix_access_log_at", AccessRow.at)


def record_access(
    conn: Connection,
    *,
    actor: str | None,
    command: str,
    outcome: str,
    offender: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Appends one row; the caller's transaction decides when it becomes durable."""
    conn.execute(
        insert(AccessRow).values(
            at=datetime.now(UTC),
            actor=actor,
            command=command,
            offender=offender,
            reason=reason,
            outcome=outcome,
            details=dict(details or {}),
            error=error,
        )
    )


def access_entries(
    conn: Connection,
    *,
    actor: str | None = None,
    offender: str | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """The log in the order it was written, optionally for one actor, one offender, or from a time."""
    query = select(AccessRow).order_by(AccessRow.id)
    if actor is not None:
        query = query.where(AccessRow.actor == actor)
    if offender is not None:
        query = query.where(AccessRow.offender == offender)
    if since is not None:
        query = query.where(AccessRow.at >= since)
    return [
        {
            "id": row.id,
            "at": iso(row.at),
            "actor": row.actor,
            "login": row.login,
            "command": row.command,
            "offender": row.offender,
            "reason": row.reason,
            "outcome": row.outcome,
            "details": row.details,
            "error": row.error,
        }
        for row in conn.execute(query)
    ]
