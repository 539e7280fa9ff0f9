"""The access log's login, set by the database: on PostgreSQL a trigger overwrites whatever an
insert gives `login` with the session's own login, so a row cannot name another login (the
column's default, `session_user`, was only a default: an insert could set any value).

SQLite has no logins: nothing changes there.

Revision ID: 0500
Revises: 0400
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0500"
down_revision = "0400"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE OR REPLACE FUNCTION access_log_stamp_login() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.login := session_user;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER access_log_stamp_login BEFORE INSERT ON access_log "
        "FOR EACH ROW EXECUTE FUNCTION access_log_stamp_login()"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER access_log_stamp_login ON access_log")
    op.execute("DROP FUNCTION access_log_stamp_login()")
