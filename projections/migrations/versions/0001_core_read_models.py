"""Core read models: projection positions, timeline entries, offender register, staff directory.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.db import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "projection_positions",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("updated_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_projection_positions"),
    )
    op.create_table(
        "entries",
        sa.Column("offender_id", sa.Uuid(), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("occurred_date", sa.Date(), nullable=False),
        sa.Column("time_known", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("by", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("rank", sa.String(64), nullable=False),
        sa.Column("senior", sa.Boolean(), nullable=False),
        sa.Column("entered_by", sa.String(64), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("risk_relevant", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("offender_id", "entry", name="pk_entries"),
        sa.UniqueConstraint("position", name="uq_entries_position"),
    )
    op.create_index("ix_entries_offender_type", "entries", ["offender_id", "type"])
    op.create_table(
        "offenders",
        sa.Column("offender_id", sa.Uuid(), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("born", sa.Date(), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(64), nullable=True),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("offender_id", name="pk_offenders"),
        sa.UniqueConstraint("ref", name="uq_offenders_ref"),
    )
    op.create_index("ix_offenders_area", "offenders", ["area"])
    op.create_table(
        "staff",
        sa.Column("staff_id", sa.String(64), nullable=False),
        sa.Column("aggregate_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("agency", sa.String(20), nullable=False),
        sa.Column("rank", sa.String(64), nullable=False),
        sa.Column("senior", sa.Boolean(), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("area", sa.String(64), nullable=True),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("staff_id", name="pk_staff"),
        sa.UniqueConstraint("aggregate_id", name="uq_staff_aggregate_id"),
    )


def downgrade() -> None:
    op.drop_table("staff")
    op.drop_index("ix_offenders_area", table_name="offenders")
    op.drop_table("offenders")
    op.drop_index("ix_entries_offender_type", table_name="entries")
    op.drop_table("entries")
    op.drop_table("projection_positions")
