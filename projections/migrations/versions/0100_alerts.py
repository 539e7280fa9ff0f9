"""Alerts: breaches of the review's rules per offender, pending re-evaluations, policy digest.

Revision ID: 0100
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.db import UTCDateTime

revision = "0100"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("offender_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("area", sa.String(64), nullable=True),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("entry", sa.Integer(), nullable=True),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("satisfied_at", UTCDateTime(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("offender_id", "seq", name="pk_alerts"),
    )
    op.create_index("ix_alerts_area_standing", "alerts", ["area", "satisfied_at", "due_at"])
    op.create_index("ix_alerts_standing", "alerts", ["satisfied_at", "due_at"])
    op.create_index(
        "ix_alerts_offender_standing", "alerts", ["offender_id", "satisfied_at", "due_at"]
    )
    op.create_table(
        "alerts_pending",
        sa.Column("offender_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("offender_id", name="pk_alerts_pending"),
    )
    op.create_table(
        "alerts_policy",
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_alerts_policy"),
    )


def downgrade() -> None:
    op.drop_table("alerts_policy")
    op.drop_table("alerts_pending")
    op.drop_index("ix_alerts_offender_standing", table_name="alerts")
    op.drop_index("ix_alerts_standing", table_name="alerts")
    op.drop_index("ix_alerts_area_standing", table_name="alerts")
    op.drop_table("alerts")
