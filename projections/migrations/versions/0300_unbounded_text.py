"""User-supplied text in the read models is unbounded: whatever the event store holds, they hold.

Revisions 0001, 0100 and 0200 capped refs, names, ranks, areas and staff ids with VARCHAR(n), but
the events that fill them have no such limit (a non-police rank is a free job title). On
PostgreSQL one over-long value made its projection fail on that event for good (events are
immutable), and with it every read; an over-long ref or actor also lost a read's access-log row.
This makes those columns TEXT. Columns whose values the code itself chooses (projection names,
event types, agencies, rule names, digests, outcomes, the database login) keep their lengths.

PostgreSQL changes VARCHAR to TEXT in the catalogue alone: no table rewrite, no index rebuild,
and the access log's append-only triggers neither fire nor change (ALTER TABLE is not UPDATE).
SQLite never enforced the lengths and gives VARCHAR(n) and TEXT the same affinity, so there is
nothing to change there: copying each table (batch mode) would rewrite every row, and the access
log's triggers with them, for no difference in what is stored or read.

A downgrade puts the lengths back, and fails where a longer value is already stored.

Revision ID: 0300
Revises: 0100, 0200
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0300"
down_revision = ("0100", "0200")
branch_labels = None
depends_on = None

# table: (column, its old length, nullable)
UNBOUNDED: dict[str, tuple[tuple[str, int, bool], ...]] = {
    "entries": (("by", 64, False), ("rank", 64, False), ("entered_by", 64, False)),
    "offenders": (("ref", 64, False), ("name", 200, False), ("area", 64, True)),
    "staff": (
        ("staff_id", 64, False),
        ("name", 200, False),
        ("rank", 64, False),
        ("area", 64, True),
    ),
    "alerts": (("ref", 64, False), ("area", 64, True)),
    "access_log": (("actor", 64, True), ("command", 64, False), ("offender", 64, True)),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in UNBOUNDED.items():
        for column, length, nullable in columns:
            op.alter_column(
                table,
                column,
                type_=sa.Text(),
                existing_type=sa.String(length),
                existing_nullable=nullable,
            )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in UNBOUNDED.items():
        for column, length, nullable in columns:
            op.alter_column(
                table,
                column,
                type_=sa.String(length),
                existing_type=sa.Text(),
                existing_nullable=nullable,
            )
