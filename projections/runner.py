"""Bringing read models up to date from the ledger's ordered log, exactly once.

Each projection's position is stored in `projection_positions` and written in the same transaction
as the rows it produced from that page of events: a crash anywhere rolls both back together, so no
event is applied twice or skipped. The tracking rows are locked for the page (`FOR UPDATE` on
PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so two readers catching up at once queue: the second
finds the work done and applies nothing.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from projections.schema import ProjectionPosition

PAGE_SIZE = 1000


class EventSource(Protocol):
    """The ledger's log, as projections read it."""

    def head(self) -> int: ...

    def read_events(
        self, after: int, limit: int, stop: int | None = None
    ) -> list[tuple[int, Any]]: ...


class Projection(ABC):
    """Turns events into rows. `process` sees each event once, in commit order, inside the
    page's transaction; `end_page` flushes what it buffered before the position is written."""

    name: ClassVar[str]

    def start_page(self) -> None:  # noqa: B027 - optional hook
        """Forget anything buffered from a page that was rolled back."""

    @abstractmethod
    def process(self, event: Any, position: int, conn: Connection) -> None: ...

    def end_page(self, conn: Connection) -> None:  # noqa: B027 - optional hook
        """Write what the page buffered (most projections insert in bulk here)."""

    @abstractmethod
    def clear(self, conn: Connection) -> None:
        """Delete every row this projection wrote (before a rebuild)."""

    def touched_offenders(self) -> Iterable[UUID]:
        return ()


class ProjectionFailedError(Exception):
    def __init__(self, projection: str, position: int, event: Any, error: BaseException) -> None:
        entry = getattr(event, "originator_version", "?")
        super().__init__(
            f"projection {projection!r} failed on the event at position {position} "
            f"({type(event).__name__}, entry {entry}): {error}; it stopped before that event"
        )
        self.projection = projection
        self.position = position


Progress = Callable[[int, int], None]


def ensure_positions(engine: Engine, names: Sequence[str]) -> None:
    with engine.connect() as conn:
        present = set(conn.scalars(select(ProjectionPosition.name)))
    missing = [n for n in names if n not in present]
    if not missing:
        return
    # Another process may add them first; theirs serve as well.
    with contextlib.suppress(IntegrityError), engine.begin() as conn:
        conn.execute(insert(ProjectionPosition), [{"name": n, "position": 0} for n in missing])


def positions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {row.name: row.position for row in conn.execute(select(ProjectionPosition))}


def catch_up(
    engine: Engine,
    source: EventSource,
    projections: Sequence[Projection],
    *,
    stop: int | None = None,
    page_size: int = PAGE_SIZE,
    progress: Progress | None = None,
) -> int:
    """Applies every event up to `stop` (default: the head now) to each projection; returns how
    many (event, projection) applications were made."""
    names = [p.name for p in projections]
    ensure_positions(engine, names)
    target = source.head() if stop is None else stop
    applied = 0
    while True:
        done, page_end, count = _apply_page(engine, source, projections, target, page_size)
        applied += count
        if progress is not None:
            progress(page_end, target)
        if done:
            return applied


def _apply_page(
    engine: Engine,
    source: EventSource,
    projections: Sequence[Projection],
    target: int,
    page_size: int,
    limit_to: int | None = None,
) -> tuple[bool, int, int]:
    with engine.begin() as conn:
        current = _lock_positions(conn, [p.name for p in projections])
        start = min(current.values())
        if start >= target:
            return True, start, 0
        stop = target if limit_to is None else min(target, limit_to)
        page = source.read_events(start, page_size, stop=stop)
        if not page:
            return True, start, 0
        for projection in projections:
            projection.start_page()
        count = 0
        failed: tuple[Projection, int, Any, BaseException] | None = None
        for projection in projections:
            after = current[projection.name]
            for position, event in page:
                if position <= after:
                    continue
                try:
                    projection.process(event, position, conn)
                except Exception as error:
                    failed = (projection, position, event, error)
                    break
                count += 1
            if failed:
                break
        if failed is None:
            for projection in projections:
                projection.end_page(conn)
            page_end = page[-1][0]
            _write_positions(conn, {p.name: max(current[p.name], page_end) for p in projections})
            return page_end >= target, page_end, count
        conn.rollback()
    projection, position, event, error = failed
    # Keep everything before the failing event, then stop there.
    if position - 1 > start:
        _apply_page(engine, source, projections, target, page_size, limit_to=position - 1)
    raise ProjectionFailedError(projection.name, position, event, error) from error


def _lock_positions(conn: Connection, names: Sequence[str]) -> dict[str, int]:
    query = select(ProjectionPosition.name, ProjectionPosition.position).where(
        ProjectionPosition.name.in_(names)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {row.name: row.position for row in conn.execute(query)}


def _write_positions(conn: Connection, new: dict[str, int]) -> None:
    now = datetime.now(UTC)
    for name, position in new.items():
        conn.execute(
            update(ProjectionPosition)
            .where(ProjectionPosition.name == name)
            .values(position=position, updated_at=now)
        )


def rebuild(
    engine: Engine,
    source: EventSource,
    projections: Sequence[Projection],
    *,
    progress: Progress | None = None,
) -> int:
    """Clears the projections' rows and positions and applies the whole log again."""
    ensure_positions(engine, [p.name for p in projections])
    with engine.begin() as conn:
        _lock_positions(conn, [p.name for p in projections])
        for projection in projections:
            projection.clear(conn)
        _write_positions(conn, {p.name: 0 for p in projections})
    return catch_up(engine, source, projections, progress=progress)
