"""The access log (Data Protection Act 2018 s.62), append-only by trigger on both backends.

Revision ID: 0200
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from projections.db import UTCDateTime

revision = "0200"
down_revision = "0001"
branch_labels = None
depends_on = None

REFUSAL = "access_log is append-only: rows cannot be changed or deleted"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "access_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        # The authenticated database login, where the database knows one.
        sa.Column(
            "login",
            sa.String(64),
            nullable=True,
            server_default=sa.text("session_user") if postgres else None,
        ),
        sa.Column("command", sa.String(64), nullable=False),
        sa.Column("offender", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_log"),
    )
    op.create_index("ix_access_log_offender_id", "access_log", ["offender", "id"])
    op.create_index("ix_access_log_actor_id", "access_log", ["actor", "id"])
    op.create_index("ix_access_log_at", "access_log", ["at"])
    if postgres:
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION access_log_refuse_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{REFUSAL} (% refused)', TG_OP;
            END
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log "
            "FOR EACH ROW EXECUTE FUNCTION access_log_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse_change()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER access_log_no_{action.lower()} BEFORE {action} ON access_log "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )


def downgrade() -> None:
    # Dropping the table drops its triggers too.
    op.drop_index("ix_access_log_at", table_name="access_log")
    op.drop_index("ix_access_log_actor_id", table_name="access_log")
    op.drop_index("ix_access_log_offender_id", table_name="access_log")
    op.drop_table("access_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION access_log_refuse_change()")
