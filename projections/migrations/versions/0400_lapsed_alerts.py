"""Alerts that lapsed: when a breach's remedy stopped being possible (`lapsed_at`) and why (`lapse`).

A lapsed breach no longer stands from `lapsed_at`, so the standing indexes take the column
between `satisfied_at` and `due_at`: still open is `satisfied_at IS NULL AND lapsed_at IS NULL`,
a range scan as before. Existing rows get NULL; the rules' version changed with this revision,
so the next read re-evaluates every offender's alerts and fills the columns.

Revision ID: 0400
Revises: 0300
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.db import UTCDateTime

revision = "0400"
down_revision = "0300"
branch_labels = None
depends_on = None

# index: its columns before this revision
STANDING = {
    "ix_alerts_area_standing": ["area", "satisfied_at", "due_at"],
    "ix_alerts_standing": ["satisfied_at", "due_at"],
    "ix_alerts_offender_standing": ["offender_id", "satisfied_at", "due_at"],
}


def upgrade() -> None:
    # A ledger whose alerts table was made at this revision already but stamped earlier (by an
    # init interrupted between the two) has the columns: adding them again would fail.
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("alerts")}
    if "lapsed_at" not in present:
        op.add_column("alerts", sa.Column("lapsed_at", UTCDateTime(), nullable=True))
    if "lapse" not in present:
        op.add_column("alerts", sa.Column("lapse", sa.Text(), nullable=True))
    for name, columns in STANDING.items():
        op.drop_index(name, table_name="alerts")
        at = columns.index("due_at")
        op.create_index(name, "alerts", [*columns[:at], "lapsed_at", *columns[at:]])


def downgrade() -> None:
    for name, columns in STANDING.items():
        op.drop_index(name, table_name="alerts")
        op.create_index(name, "alerts", columns)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("lapse")
        batch.drop_column("lapsed_at")
