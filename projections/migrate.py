"""Creating and upgrading the read models' schema with Alembic, in place."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def upgrade(engine: Engine) -> str | None:
    """Runs every migration not yet applied; returns the revision the database is now at."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "heads")
    with engine.connect() as conn:
        return ",".join(sorted(MigrationContext.configure(conn).get_current_heads()))
