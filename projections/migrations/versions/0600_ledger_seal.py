"""Whether the read models and the access log are sealed under LEDGER_CIPHER_KEY: a one-row
table, `ledger_seal`, with the flag and a check value sealed under the key (so that a wrong key
is told apart from the right one before anything is read or written).

The row is written on first use after this revision (`projections.sealing.check_seal`, run by
`ledger init` and by every command), by the engine that knows the key: a migration run by hand
does not.

Revision ID: 0600
Revises: 0500
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0600"
down_revision = "0500"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("ledger_seal"):
        return  # a ledger whose revision was set back by hand keeps its seal
    op.create_table(
        "ledger_seal",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("check_value", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_seal")),
    )


def downgrade() -> None:
    op.drop_table("ledger_seal")
