"""One database URL selects both the event store and the read models.

`sqlite:///PATH` (default `sqlite:///ledger.db`) or `postgresql://USER[:PASSWORD]@HOST[:PORT]/DB`,
optionally with `?schema=NAME` to keep a ledger in its own PostgreSQL schema.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ledger.errors import ConfigurationError

DEFAULT_URL = "sqlite:///ledger.db"
APPLICATION_NAME = "ledger"


@dataclass(frozen=True)
class Database:
    """A parsed database URL."""

    url: str
    backend: str  # "sqlite" or "postgres"
    path: str = ""  # sqlite only
    user: str = ""
    password: str = ""
    host: str = ""
    port: int = 5432
    dbname: str = ""
    schema: str = "public"

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    def describe(self) -> str:
        """Where the ledger is, for messages, without the password."""
        if self.is_sqlite:
            return f"sqlite:///{self.path}"
        user = f"{self.user}@" if self.user else ""
        schema = f" (schema {self.schema})" if self.schema != "public" else ""
        return f"postgresql://{user}{self.host}:{self.port}/{self.dbname}{schema}"

    def sqlalchemy_url(self) -> str:
        if self.is_sqlite:
            return f"sqlite:///{self.path}"
        auth = self.user + (f":{self.password}" if self.password else "")
        return f"postgresql+psycopg://{auth}@{self.host}:{self.port}/{self.dbname}"


def parse_database_url(url: str) -> Database:
    text = url.strip()
    if text.startswith("sqlite:///"):
        path = text[len("sqlite:///") :]
        if not path or ":memory:" in path or "mode=memory" in path:
            raise ConfigurationError(
                f"database URL {url!r} needs a file: use sqlite:///PATH, e.g. sqlite:///ledger.db"
            )
        return Database(url=text, backend="sqlite", path=path)
    parts = urlsplit(text)
    if parts.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dbname = parts.path.lstrip("/")
        if not parts.hostname or not dbname:
            raise ConfigurationError(
                f"database URL {url!r} is incomplete: use postgresql://USER@HOST:PORT/DBNAME"
            )
        query = parse_qs(parts.query)
        schema = (query.get("schema") or ["public"])[0]
        if not schema.replace("_", "").isalnum():
            raise ConfigurationError(f"schema name {schema!r} must be letters, digits and _")
        return Database(
            url=text,
            backend="postgres",
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname,
            port=parts.port or 5432,
            dbname=dbname,
            schema=schema,
        )
    raise ConfigurationError(
        f"database URL {url!r} is not supported: use sqlite:///PATH or postgresql://USER@HOST/DB"
    )


@dataclass(frozen=True)
class Settings:
    """What a command needs to know about its surroundings."""

    database: Database
    actor: str | None = None
    reason: str | None = None
    cipher_key: str | None = None
    policy_path: str | None = None

    @classmethod
    def from_environment(
        cls,
        database_url: str | None = None,
        actor: str | None = None,
        reason: str | None = None,
    ) -> Settings:
        url = database_url or os.environ.get("LEDGER_DATABASE_URL") or DEFAULT_URL
        return cls(
            database=parse_database_url(url),
            actor=(actor or os.environ.get("LEDGER_ACTOR") or "").strip() or None,
            reason=(reason or os.environ.get("LEDGER_REASON") or "").strip() or None,
            cipher_key=(os.environ.get("LEDGER_CIPHER_KEY") or "").strip() or None,
            policy_path=(os.environ.get("LEDGER_POLICY") or "").strip() or None,
        )


def event_store_environment(settings: Settings, *, create_tables: bool) -> dict[str, str]:
    """The eventsourcing library's settings for this ledger."""
    db = settings.database
    env: dict[str, str] = {"CREATE_TABLE": "y" if create_tables else "n"}
    if db.is_sqlite:
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            APPLICATION_RECORDER_TOPIC="ledger.sqlite_recorder:ChainedSQLiteRecorder",
            SQLITE_DBNAME=str(Path(db.path)),
            # Another writer holds the lock for milliseconds; a lock held longer than this is
            # reported (exit 4) while a command can still fail within 10 seconds.
            SQLITE_LOCK_TIMEOUT="5",
        )
    else:
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            # The hash chain is written by the recorder's insert; the library's database
            # function would bypass it, so POSTGRES_ENABLE_DB_FUNCTIONS stays off.
            APPLICATION_RECORDER_TOPIC="ledger.postgres_recorder:ChainedPostgresRecorder",
            POSTGRES_DBNAME=db.dbname,
            POSTGRES_HOST=db.host,
            POSTGRES_PORT=str(db.port),
            POSTGRES_USER=db.user,
            POSTGRES_PASSWORD=db.password,
            POSTGRES_SCHEMA=db.schema,
            POSTGRES_CONNECT_TIMEOUT="5",
            POSTGRES_POOL_SIZE="2",
            POSTGRES_MAX_OVERFLOW="4",
        )
    if settings.cipher_key:
        env.update(
            CIPHER_TOPIC="ledger.encryption:LedgerCipher",
            CIPHER_KEY=settings.cipher_key,
        )
    return env
