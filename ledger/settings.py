"""One database URL selects both the event store and the read models.

`sqlite:///PATH` (default `sqlite:///ledger.db`) or `postgresql://USER[:PASSWORD]@HOST[:PORT]/DB`,
optionally with `?schema=NAME` to keep a ledger in its own PostgreSQL schema.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from domain.frozen import frozen
from ledger.errors import ConfigurationError

DEFAULT_URL = "sqlite:///ledger.db"
APPLICATION_NAME = "ledger"


@frozen
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
        return f"postgresql://{user}{self._host()}:{self.port}/{self.dbname}{schema}"

    def _host(self) -> str:
        """The host as a URL writes it: an IPv6 address in brackets."""
        return f"[{self.host}]" if ":" in self.host else self.host

    def sqlite_uri(self, mode: str) -> str:
        """The SQLite file as a URI for `sqlite3.connect(..., uri=True)`, opened in `mode` (`ro`,
        `rw`): the path quoted, since ?, # and % in a file name would be read as URI syntax."""
        return f"file:{quote(self.path)}?mode={mode}"

    def sqlalchemy_url(self) -> str:
        """The same database as a SQLAlchemy URL. SQLAlchemy decodes %XX escapes and stops a
        file name at ?, so what it would read otherwise is escaped: the read models must open the
        very file, database and login the event store does."""
        if self.is_sqlite:
            return f"sqlite:///{quote(self.path, safe='/')}"
        auth = quote(self.user, safe="") + (
            f":{quote(self.password, safe='')}" if self.password else ""
        )
        return (
            f"postgresql+psycopg://{auth}@{self._host()}:{self.port}/{quote(self.dbname, safe='')}"
        )


# The longest file name (one path component) and path most file systems accept.
NAME_MAX = 255
PATH_MAX = 4096


def shown_url(url: str) -> str:
    """A database URL as a message may show it: any password hidden, and kept short."""
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if sep and scheme != "sqlite":
        netloc, slash, tail = rest.partition("/")
        auth, at, host = netloc.rpartition("@")
        if at and ":" in auth:
            text = f"{scheme}://{auth.partition(':')[0]}:***@{host}{slash}{tail}"
    if len(text) > 80:
        text = f"{text[:60]}... ({len(text)} characters)"
    return repr(text)


def parse_database_url(url: str) -> Database:
    text = url.strip()
    if "\x00" in text:
        raise ConfigurationError(
            f"database URL {shown_url(url)} contains a NUL character: give the URL as plain text"
        )
    if text.startswith("sqlite:///"):
        path = text[len("sqlite:///") :]
        if not path or ":memory:" in path or "mode=memory" in path:
            raise ConfigurationError(
                f"database URL {shown_url(url)} needs a file: use sqlite:///PATH, "
                "e.g. sqlite:///ledger.db"
            )
        _check_path_length(url, path)
        return Database(url=text, backend="sqlite", path=path)
    try:
        parts = urlsplit(text)
    except ValueError as error:
        # urllib's only complaint here is a bracketed IPv6 host left open or malformed.
        raise ConfigurationError(
            f"database URL {shown_url(url)} is malformed ({error}): write an IPv6 host in "
            "brackets, e.g. postgresql://USER@[::1]:5432/DBNAME"
        ) from None
    if parts.scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        dbname = unquote(parts.path.lstrip("/"))
        try:
            hostname = parts.hostname
        except ValueError as error:
            raise ConfigurationError(
                f"database URL {shown_url(url)} is malformed ({error}): "
                "use postgresql://USER@HOST:PORT/DBNAME"
            ) from None
        if not hostname or not dbname:
            raise ConfigurationError(
                f"database URL {shown_url(url)} is incomplete: "
                "use postgresql://USER@HOST:PORT/DBNAME"
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
            host=hostname,
            port=_port(url, parts.netloc),
            dbname=dbname,
            schema=schema,
        )
    raise ConfigurationError(
        f"database URL {shown_url(url)} is not supported: use sqlite:///PATH or "
        "postgresql://USER@HOST/DB"
    )


def _port(url: str, netloc: str) -> int:
    """The port after the host (default 5432), refused unless a number from 1 to 65535."""
    host_port = netloc.rpartition("@")[2]
    if host_port.startswith("["):
        after = host_port.partition("]")[2]
        if after and not after.startswith(":"):
            raise ConfigurationError(
                f"database URL {shown_url(url)}: {after!r} after the IPv6 host is not a port; "
                "use postgresql://USER@[::1]:5432/DBNAME"
            )
        port = after.removeprefix(":")
    else:
        port = host_port.partition(":")[2]
    if not port:
        return 5432
    if not (port.isascii() and port.isdigit()) or not 1 <= int(port) <= 65535:
        raise ConfigurationError(
            f"database URL {shown_url(url)}: port must be 1-65535, not {port!r} "
            "(or leave it out for PostgreSQL's 5432)"
        )
    return int(port)


def _check_path_length(url: str, path: str) -> None:
    """Refuses a path no file system accepts, rather than failing when it is opened."""
    longest = max(path.replace("\\", "/").split("/"), key=len)
    if len(longest.encode("utf-8", "surrogateescape")) > NAME_MAX:
        raise ConfigurationError(
            f"database URL {shown_url(url)}: a file or folder name in the path is "
            f"{len(longest)} characters long, more than file systems allow ({NAME_MAX}); "
            "use a shorter name"
        )
    if len(path.encode("utf-8", "surrogateescape")) > PATH_MAX:
        raise ConfigurationError(
            f"database URL {shown_url(url)}: the path is {len(path)} characters long, more than "
            f"file systems allow ({PATH_MAX}); use a shorter path"
        )


# Seconds a command waits for the database before it ends (exit 4): for a lock another connection
# holds (a SQLite file's, PostgreSQL's event table), and for a PostgreSQL connection. Another writer
# holds a lock for milliseconds; one held longer, or a server that does not answer, is reported
# while a command can still fail within 10 seconds. LEDGER_LOCK_WAIT changes it.
DEFAULT_LOCK_WAIT = 5.0
MIN_LOCK_WAIT = 0.1
MAX_LOCK_WAIT = 600.0
_SECONDS = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")


def lock_wait_from_environment() -> float:
    """LEDGER_LOCK_WAIT in seconds (a number from 0.1 to 600), DEFAULT_LOCK_WAIT when it is unset
    or empty; anything else is refused (a usage error) before the database is touched."""
    raw = os.environ.get("LEDGER_LOCK_WAIT")
    if raw is None or not raw.strip():
        return DEFAULT_LOCK_WAIT
    text = raw.strip()
    value = float(text) if _SECONDS.fullmatch(text) else math.nan
    if not MIN_LOCK_WAIT <= value <= MAX_LOCK_WAIT:
        shown = repr(text if len(text) <= 40 else f"{text[:30]}...")
        raise ConfigurationError(
            f"LEDGER_LOCK_WAIT must be a number of seconds from {MIN_LOCK_WAIT:g} to "
            f"{MAX_LOCK_WAIT:g}, not {shown}; or leave it unset for {DEFAULT_LOCK_WAIT:g}"
        )
    return value


def whole_seconds(seconds: float) -> int:
    """`seconds` rounded up to a whole second, for the waits PostgreSQL and the event store's
    settings count only in whole seconds."""
    return max(1, math.ceil(seconds))


def seconds_text(seconds: float) -> str:
    """`seconds` as a message says it: "1 second", "2.5 seconds"."""
    return f"{seconds:g} second" + ("" if seconds == 1 else "s")


@frozen
class Settings:
    """What a command needs to know about its surroundings."""

    database: Database
    actor: str | None = None
    reason: str | None = None
    cipher_key: str | None = None
    policy_path: str | None = None
    lock_wait: float = DEFAULT_LOCK_WAIT

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
            actor=_setting(actor, "--as", "LEDGER_ACTOR", justification=False),
            reason=_setting(reason, "--reason", "LEDGER_REASON", justification=True),
            cipher_key=(os.environ.get("LEDGER_CIPHER_KEY") or "").strip() or None,
            policy_path=(os.environ.get("LEDGER_POLICY") or "").strip() or None,
            lock_wait=lock_wait_from_environment(),
        )


def _setting(given: str | None, option: str, variable: str, *, justification: bool) -> str | None:
    """The actor or the justification, from its option or else its environment variable; None
    when neither says anything (a read then asks for it).

    Both are written into the access log with every read and refusal, and printed by `ledger
    audit`, so they are text as any other the ledger keeps (`domain.text`), refused (a usage
    error) before anything is read or logged: a justification is free text, with something in
    it to read; an actor is a staff id, without control characters."""
    from domain.errors import InvalidValueError
    from domain.text import LONG_LIMIT, check_text, parse_text

    value, name = (given, option) if given else (os.environ.get(variable), variable)
    if not value or all(c in " \t\n\r" for c in value):
        return None
    try:
        if justification:
            return parse_text(value, name, limit=LONG_LIMIT)
        text = value.strip()
        # No shorter limit than free text's: staff ids enrolled by earlier releases were longer
        # than a new one may be, and their holders still act.
        check_text(text, name, limit=LONG_LIMIT)
        return text
    except InvalidValueError as refused:
        raise ConfigurationError(str(refused)) from None


def event_store_environment(settings: Settings, *, create_tables: bool) -> dict[str, str]:
    """The eventsourcing library's settings for this ledger."""
    db = settings.database
    env: dict[str, str] = {"CREATE_TABLE": "y" if create_tables else "n"}
    if db.is_sqlite:
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            APPLICATION_RECORDER_TOPIC="ledger.sqlite_recorder:ChainedSQLiteRecorder",
            SQLITE_DBNAME=str(Path(db.path)),
            # A lock held longer than the lock wait is reported (exit 4). `ledger.failfast` has
            # already waited for it once; this bounds a lock taken after that.
            SQLITE_LOCK_TIMEOUT=str(whole_seconds(settings.lock_wait)),
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
            # How long the pool waits for a connection, and a write for the event table's lock
            # (held for milliseconds by writers, longer by a long import or by hand), before the
            # command ends (exit 4, see ledger.failfast).
            POSTGRES_CONNECT_TIMEOUT=str(whole_seconds(settings.lock_wait)),
            POSTGRES_LOCK_TIMEOUT=str(whole_seconds(settings.lock_wait)),
            # One connection is what a command needs; the pool grows (up to 5) only while
            # more are in use at once, as in a follower (see `ChainedPostgresRecorder`).
            POSTGRES_POOL_SIZE="1",
            POSTGRES_MAX_OVERFLOW="4",
        )
    # The library reads a setting under the application's name first (LEDGER_CIPHER_KEY, which
    # is also the user's variable) and its bare name second, from the process environment too:
    # the cipher is given under both, empty when there is no key, so that Settings alone decides.
    key = settings.cipher_key or ""
    topic = "ledger.encryption:LedgerCipher" if key else ""
    for prefix in (f"{APPLICATION_NAME.upper()}_", ""):
        env[f"{prefix}CIPHER_TOPIC"] = topic
        env[f"{prefix}CIPHER_KEY"] = key
    return env
