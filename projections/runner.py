"""Bringing read models up to date from the ledger's ordered log, exactly once.

Each projection's position is stored in `projection_positions` and written in the same transaction
as the rows it produced from that page of events: a crash anywhere rolls both back together, so no
event is applied twice or skipped. The tracking rows are locked for the page (`FOR UPDATE`, in name
order, on PostgreSQL; `BEGIN IMMEDIATE` on SQLite), so two readers catching up at once queue: the
second finds the work done and applies nothing.

A projection that fails on an event stops there: everything before that event is kept, its position
(and that of the projections run with it) is left just before it, and `ProjectionFailedError` names
the projection and the event. A database that cannot be reached is not a projection's failure: those
errors pass through unchanged, so a follower can wait and retry (`is_transient`).

A rebuild is the same page loop over the whole log, with three differences that make it cheaper
and keep every guarantee above: the projections' secondary indexes are dropped while it inserts
and built once at the end; a long log is read, decoded and prepared (rows made) by two child
processes while this one writes each page with its positions (`projections.reading`); and a
projection may leave work to the end (`finish_rebuild`: the alerts evaluate each offender once),
having marked in each page what is left, so that a rebuild stopped half-way is finished by the
next reader.

A catch-up with a long way to go (an import written without its read models, a follower that was
down) is a rebuild that keeps the rows it has: it takes the same fast path (big pages prepared by
child processes, the alerts left to the end and evaluated once per offender, and - when it at least
doubles a projection's rows - that projection's deferred indexes dropped and built at the end), so
that the first reader after an import waits no longer than a rebuild would take.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import Connection, Engine, Index, bindparam, insert, select, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError, ProgrammingError

from projections.db import owned_indexes
from projections.schema import ProjectionPosition

PAGE_SIZE = 1000
# Rebuilds read bigger pages: fewer commits, each writing fewer index pages per row (over a
# million events on SQLite, 5,000 -> 10,000 or 20,000 took the page loop from about 40 to 35 us
# per event). 10,000 rather than 20,000: as fast, and the rebuild's processes together peaked at
# 245-275 MB rather than 275-346 MB (PostgreSQL's rows weigh more).
REBUILD_PAGE_SIZE = 10_000
# From this many events to go, a rebuild reads and prepares its pages in child processes, and a
# catch-up takes the rebuild's path.
PREPARE_IN_CHILD_EVENTS = 50_000
BULK_CATCH_UP_EVENTS = PREPARE_IN_CHILD_EVENTS


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
    # The event classes this projection reads; the runner does not hand it any other.
    handles: ClassVar[tuple[type, ...]] = (object,)
    # Secondary (never unique) indexes on its tables that a rebuild drops while it inserts and
    # creates again once at the end: building an index over the rows costs a fraction of
    # keeping it up to date row by row.
    deferred_indexes: ClassVar[tuple[Index, ...]] = ()

    def start_page(self) -> None:  # noqa: B027 - optional hook
        """Forget anything buffered from a page that was rolled back."""

    @abstractmethod
    def process(self, event: Any, position: int, conn: Connection) -> None: ...

    def end_page(self, conn: Connection) -> None:  # noqa: B027 - optional hook
        """Write what the page buffered (most projections insert in bulk here)."""

    @abstractmethod
    def clear(self, conn: Connection) -> None:
        """Delete every row this projection wrote (before a rebuild)."""

    def prepare(self, page: Sequence[tuple[int, Any]], dialect: Dialect) -> Any:
        """Optional: what `process` would make of a page, computed from the events alone (no
        database), picklable: a rebuild may do it in the process that reads and decodes the
        pages, and hand the result to `process_prepared` in place of the events. None when the
        projection does not prepare. Called only for pages none of whose events it has seen."""
        return None

    def process_prepared(self, prepared: Any, conn: Connection) -> int:
        """Applies what `prepare` made of a page, as `process` would have applied its events;
        returns how many events that was. A page may come prepared in parts: then this is
        called for each, in order, between one `start_page` and `end_page`."""
        raise NotImplementedError

    def start_rebuild(self) -> None:  # noqa: B027 - optional hook
        """A rebuild is starting: work that is cheaper done once at the end may be left until
        `finish_rebuild`, provided what each page commits says what is left to do."""

    def finish_rebuild(self, engine: Engine, reached: bool) -> None:  # noqa: B027 - optional hook
        """The rebuild's pages are done. When it `reached` its target, do what was left until the
        end (part of the rebuild, and of its time); when it failed or stopped early, only stop
        deferring: what is left is marked, and the next reader does it."""


class ProjectionFailedError(Exception):
    """A projection raised on an event; it (and the projections run with it) stopped before it."""

    def __init__(self, projection: str, position: int, event: Any, error: BaseException) -> None:
        entry = getattr(event, "originator_version", "?")
        stream = getattr(event, "originator_id", "?")
        reason = " ".join(str(error).split())[:300] or type(error).__name__
        super().__init__(
            f"projection {projection!r} failed on the event at position {position} "
            f"({type(event).__name__}, entry {entry} of stream {stream}): "
            f"{type(error).__name__}: {reason}; its position was left at {position - 1}, "
            "before that event"
        )
        self.projection = projection
        self.position = position
        self.event = event
        self.error = error


Progress = Callable[[int, int], None]
StopRequested = Callable[[], bool]


def is_transient(error: BaseException) -> bool:
    """A database that is down, unreachable or locked, from any layer: worth waiting for."""
    for cls in type(error).__mro__:
        root = cls.__module__.split(".")[0]
        if cls.__name__ in ("OperationalError", "InterfaceError") and root in (
            "sqlalchemy",
            "psycopg",
            "eventsourcing",
            "sqlite3",
        ):
            return True
    return isinstance(error, ConnectionError | TimeoutError)


def ensure_positions(engine: Engine, names: Sequence[str]) -> None:
    """Gives every named projection a position row (0 for a new one)."""
    for _ in range(5):
        with engine.connect() as conn:
            present = set(conn.scalars(select(ProjectionPosition.name)))
        missing = [n for n in names if n not in present]
        if not missing:
            return
        try:
            with engine.begin() as conn:
                conn.execute(
                    insert(ProjectionPosition), [{"name": n, "position": 0} for n in missing]
                )
        except IntegrityError:
            # Another reader added some of them first; look again for the rest.
            time.sleep(0.01)
    raise RuntimeError(f"could not create the positions of {', '.join(names)}")


def positions(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {row.name: row.position for row in conn.execute(select(ProjectionPosition))}


def positions_detail(engine: Engine) -> dict[str, tuple[int, datetime | None]]:
    """Each projection's position and when it was last written."""
    with engine.connect() as conn:
        rows = conn.execute(select(ProjectionPosition))
        return {row.name: (row.position, row.updated_at) for row in rows}


def catch_up(
    engine: Engine,
    source: EventSource,
    projections: Sequence[Projection],
    *,
    stop: int | None = None,
    page_size: int | None = None,
    progress: Progress | None = None,
    should_stop: StopRequested | None = None,
    steps: dict[str, float] | None = None,
) -> int:
    """Applies every event up to `stop` (default: the head now) to each projection; returns how
    many (event, projection) applications were made. `should_stop` is asked between pages.

    With `BULK_CATCH_UP_EVENTS` or more to go, it takes the rebuild's path (`_bulk`), keeping the
    rows already made; pages are then `REBUILD_PAGE_SIZE` events unless `page_size` is given, and
    `steps`, when given, is filled with the seconds of each of the path's steps (see `_bulk`)."""
    if not projections:
        return 0
    ensure_positions(engine, [p.name for p in projections])
    target = source.head() if stop is None else stop
    reached = positions(engine)
    start = min(reached.get(p.name, 0) for p in projections)
    if target - start >= BULK_CATCH_UP_EVENTS:
        # Its deferred indexes are dropped only for a projection whose rows this at least
        # doubles: rebuilding an index over many rows kept costs more than it saves.
        defer = [p for p in projections if target - reached[p.name] >= reached[p.name]]
        return _bulk(
            engine,
            source,
            projections,
            defer_indexes_of=defer,
            stop=target,
            page_size=page_size or REBUILD_PAGE_SIZE,
            progress=progress,
            should_stop=should_stop,
            steps=steps,
        )
    return _catch_up(
        engine,
        source,
        projections,
        stop=target,
        page_size=page_size or PAGE_SIZE,
        progress=progress,
        should_stop=should_stop,
        prepare=False,
    )[0]


def up_to_date(engine: Engine, head: int, projections: Mapping[str, Sequence[str]]) -> bool:
    """Whether every projection named in `projections` (name -> its deferred indexes' names) has
    applied the log up to `head`, and has those indexes in place: then a catch-up to `head` has
    nothing to do, and the projections need not even be built. Reads only; writes nothing."""
    names = list(projections)
    query = select(ProjectionPosition.name, ProjectionPosition.position).where(
        ProjectionPosition.name.in_(names)
    )
    with engine.connect() as conn:
        found = {row.name: row.position for row in conn.execute(query)}
        if len(found) < len(names) or min(found.values(), default=head) < head:
            return False
        indexes = {index for deferred in projections.values() for index in deferred}
        return not indexes or indexes <= _present_indexes(conn, indexes)


def _present_indexes(conn: Connection, names: Iterable[str]) -> set[str]:
    """Those of the index `names` that exist in the ledger's schema. On PostgreSQL each name is
    looked up by the catalogue's own index on names: listing the schema's indexes through the
    `pg_indexes` view read every index of the database (6 ms a read on a server holding a few
    hundred schemas, where this takes well under 1 ms)."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'index' AND name IN :names"
    else:
        query = (
            "SELECT relname FROM pg_class WHERE relkind = 'i' AND relname IN :names "
            "AND relnamespace = to_regnamespace(current_schema())"
        )
    statement = text(query).bindparams(bindparam("names", expanding=True))
    return set(conn.execute(statement, {"names": sorted(names)}).scalars())


def _create_indexes(engine: Engine, indexes: Sequence[Index]) -> None:
    """Creates those of `indexes` that are missing (a rebuild dropped them and was interrupted)."""
    if not indexes:
        return
    with engine.connect() as conn:
        present = _present_indexes(conn, [index.name for index in indexes])
    # One transaction each: a transaction holding one table's lock while it waits for another's
    # could deadlock with a catch-up writing both (two readers after an import, on PostgreSQL).
    for index in (index for index in indexes if index.name not in present):
        try:
            with engine.begin() as conn:
                index.create(conn, checkfirst=True)
        except (IntegrityError, ProgrammingError):
            # Another reader created it between the check and the create: PostgreSQL refuses
            # the second, by its catalogue's unique index or as a relation that already exists,
            # depending on the moment. The index is there, which is all that was wanted.
            with engine.connect() as conn:
                if not _present_indexes(conn, [index.name]):
                    raise


def _catch_up(
    engine: Engine,
    source: EventSource,
    projections: Sequence[Projection],
    *,
    stop: int | None,
    page_size: int,
    progress: Progress | None,
    should_stop: StopRequested | None,
    prepare: bool,
) -> tuple[int, bool]:
    """`catch_up`, saying also whether the target was reached (rather than stopped early).
    With `prepare`, a long way to go and projections that all prepare, the pages are read,
    decoded and prepared in a child process (`projections.reading`) while this one writes."""
    if not projections:
        return 0, True
    ensure_positions(engine, [p.name for p in projections])
    if not prepare:
        # An interrupted rebuild left its projections' deferred indexes to the next catch-up.
        _create_indexes(engine, [i for p in projections for i in p.deferred_indexes])
    target = source.head() if stop is None else stop
    applied = 0
    reader = _PageReader(source, page_size, target)
    if prepare:
        reader.prepare_in_child(engine, projections)
    try:
        while True:
            done, page_end, count = _apply_page(engine, reader, projections, target)
            applied += count
            if progress is not None:
                progress(page_end, target)
            if done:
                return applied, True
            if should_stop is not None and should_stop():
                return applied, False
    finally:
        reader.close()


class _PageReader:
    """Reads the log page by page: in the thread projecting it, or prepared by a child process.

    It used to read the next page ahead in a thread while this one was projected. Decoding holds
    the GIL, and so does most of projecting; the two threads took turns rather than overlapping,
    and each hand-over of the GIL (the database drivers release it around every statement)
    waited for the other thread's switch interval: measured over 200,000 events, a rebuild was
    10-20% slower with it, on SQLite and PostgreSQL alike. A child process has a GIL and a core
    of its own."""

    def __init__(self, source: EventSource, page_size: int, target: int) -> None:
        self.source = source
        self._page_size = page_size
        self._target = target
        self._child: Any = None

    def prepare_in_child(self, engine: Engine, projections: Sequence[Projection]) -> None:
        start = min(positions(engine).get(p.name, 0) for p in projections)
        prepared_by_all = all(type(p).prepare is not Projection.prepare for p in projections)
        if (
            self._target - start < PREPARE_IN_CHILD_EVENTS
            or not prepared_by_all
            or not hasattr(self.source, "env")
        ):
            return
        from projections.reading import PreparedPages
        from projections.sealing import key_of

        url = engine.url.render_as_string(hide_password=False)
        try:
            self._child = PreparedPages(
                self.source,
                projections,
                url,
                self._page_size,
                start,
                self._target,
                cipher_key=key_of(engine.dialect),
            )
        except OSError:
            self._child = None

    def read(self, after: int) -> tuple[list[tuple[int, Any]], list[dict[str, Any]] | None]:
        """The page after `after`: its events, or (prepared) its positions and, part by part
        of the page, what each projection prepared from it."""
        if self._child is not None:
            got = self._child.next_page(after)
            if got is not None:
                return got
            self._child = None
        return self.source.read_events(after, self._page_size, stop=self._target), None

    def stop_preparing(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None

    def close(self) -> None:
        self.stop_preparing()


class _PageFailed(Exception):
    """Raised inside a page's transaction to roll it back; carries what failed."""

    def __init__(
        self, projection: Projection, page: list[tuple[int, Any]], index: int | None
    ) -> None:
        super().__init__(projection.name)
        self.projection = projection
        self.page = page
        # The failing event's index in the page, or None when the bulk write at the end failed.
        self.index = index


def _apply_page(
    engine: Engine,
    reader: _PageReader,
    projections: Sequence[Projection],
    target: int,
) -> tuple[bool, int, int]:
    """Applies the next page up to `target`; returns (done, the position reached, applications)."""
    try:
        with engine.begin() as conn:
            current = _lock_positions(conn, [p.name for p in projections])
            start = min(current.values())
            if start >= target:
                return True, start, 0
            page, prepared = reader.read(start)
            if prepared is not None and any(current[p.name] != start for p in projections):
                # Some projection has seen part of the page (another reader moved it): each
                # needs the events after its own position.
                reader.stop_preparing()
                page, prepared = reader.read(start)
            if not page:
                return True, start, 0
            count = _project_page(conn, projections, current, page, prepared)
            page_end = page[-1][0]
            _write_positions(conn, {p.name: max(current[p.name], page_end) for p in projections})
            return page_end >= target, page_end, count
    except _PageFailed as failed:
        applied = _stop_at_failure(engine, reader.source, projections, failed)
        return False, failed.page[-1][0], applied


def _project_page(
    conn: Connection,
    projections: Sequence[Projection],
    current: dict[str, int],
    page: list[tuple[int, Any]],
    prepared: list[dict[str, Any]] | None = None,
) -> int:
    count = 0
    for projection in projections:
        projection.start_page()
        if prepared is not None:
            try:
                for part in prepared:
                    count += projection.process_prepared(part[projection.name], conn)
            except Exception as error:
                if is_transient(error):
                    raise
                # Found again one event at a time, as for a failed bulk write.
                raise _PageFailed(projection, page, None) from error
            continue
        after = current[projection.name]
        handles = projection.handles
        process = projection.process
        for index, (position, event) in enumerate(page):
            if position <= after or not isinstance(event, handles):
                continue
            try:
                process(event, position, conn)
            except Exception as error:
                if is_transient(error):
                    raise
                raise _PageFailed(projection, page, index) from error
            count += 1
    for projection in projections:
        try:
            projection.end_page(conn)
        except Exception as error:
            if is_transient(error):
                raise
            raise _PageFailed(projection, page, None) from error
    return count


def _stop_at_failure(
    engine: Engine,
    source: EventSource,
    projections: Sequence[Projection],
    failed: _PageFailed,
) -> int:
    """Keeps every event before the failing one, then raises `ProjectionFailedError` for it.

    When only the page's bulk write failed, the page is applied again one event at a time to find
    the event; should that succeed throughout (the failure did not recur), the applications made
    are returned instead."""
    page = failed.page
    cause = failed.__cause__ or failed
    if failed.index is not None or len(page) == 1:
        index = failed.index or 0
        position, event = page[index]
        if index > 0:
            # Everything before the failing event, in one page of its own.
            catch_up(engine, source, projections, stop=page[index - 1][0], page_size=index)
        raise ProjectionFailedError(failed.projection.name, position, event, cause) from cause
    # A bulk write failed: go again one event at a time, which finds the event that fails.
    return catch_up(engine, source, projections, stop=page[-1][0], page_size=1)


def _lock_positions(conn: Connection, names: Sequence[str]) -> dict[str, int]:
    query = (
        select(ProjectionPosition.name, ProjectionPosition.position)
        .where(ProjectionPosition.name.in_(names))
        .order_by(ProjectionPosition.name)
    )
    if conn.dialect.name == "postgresql":
        # Always in name order, so that two readers of overlapping sets cannot deadlock.
        query = query.with_for_update()
    found = {row.name: row.position for row in conn.execute(query)}
    missing = [n for n in names if n not in found]
    if missing:
        raise RuntimeError(f"no position recorded for {', '.join(missing)}")
    return found


def _write_positions(conn: Connection, new: dict[str, int]) -> None:
    now = datetime.now(UTC)
    conn.execute(
        update(ProjectionPosition)
        .where(ProjectionPosition.name == bindparam("projection"))
        .values(position=bindparam("reached"), updated_at=now),
        [{"projection": name, "reached": position} for name, position in new.items()],
    )


def rebuild(
    engine: Engine,
    source: EventSource,
    projections: Sequence[Projection],
    *,
    progress: Progress | None = None,
    page_size: int = REBUILD_PAGE_SIZE,
    should_stop: StopRequested | None = None,
    steps: dict[str, float] | None = None,
) -> int:
    """Clears the projections' rows and positions and applies the whole log again. `steps`,
    when given, is filled with the seconds each step took (see `_bulk`).

    The projections' deferred indexes are dropped with their rows and created again at the end,
    whether the rebuild reached the head, stopped or failed. Interrupted (Ctrl-C), it leaves
    them to the next catch-up (`ledger projections run`, which resumes the rebuild): the
    statement the interrupt cut short may still hold SQLite's lock until the process ends. A
    projection may also leave work to its `finish_rebuild`, which is part of the rebuild: its
    time counts."""
    ensure_positions(engine, [p.name for p in projections])
    with engine.begin() as conn:
        deferred = owned_indexes(conn, [i for p in projections for i in p.deferred_indexes])
        _lock_positions(conn, [p.name for p in projections])
        # Dropped before the rows go: deleting them then touches no index.
        for index in deferred:
            index.drop(conn, checkfirst=True)
        for projection in projections:
            projection.clear(conn)
        _write_positions(conn, {p.name: 0 for p in projections})
    return _bulk(
        engine,
        source,
        projections,
        defer_indexes_of=projections,
        stop=None,
        page_size=page_size,
        progress=progress,
        should_stop=should_stop,
        steps=steps,
    )


def _bulk(
    engine: Engine,
    source: EventSource,
    projections: Sequence[Projection],
    *,
    defer_indexes_of: Sequence[Projection],
    stop: int | None,
    page_size: int,
    progress: Progress | None,
    should_stop: StopRequested | None,
    steps: dict[str, float] | None = None,
) -> int:
    """The rebuild's path from wherever the projections stand: the deferred indexes of
    `defer_indexes_of` dropped until the end, pages read and prepared by child processes, and
    each projection's `start_rebuild` / `finish_rebuild` around the pages.

    `steps`, when given, gets the seconds of each step that was reached: "pages" (reading and
    applying the log), each projection's name for its `finish_rebuild` (the alerts' settling of
    every offender) and "indexes" (making the deferred indexes again)."""
    timed: dict[str, float] = {} if steps is None else steps
    # The ledger's own preparation for a long read (on PostgreSQL, statistics and hint bits for
    # rows an import wrote): a source without it needs none.
    prepare_source = getattr(source, "prepare_for_long_read", None)
    if prepare_source is not None:
        prepare_source()
    chosen = {id(p) for p in defer_indexes_of}
    deferred = [index for p in defer_indexes_of for index in p.deferred_indexes]
    # An interrupted rebuild may have left the others' indexes missing: they are made now.
    _create_indexes(
        engine, [i for p in projections if id(p) not in chosen for i in p.deferred_indexes]
    )
    if deferred:
        with engine.begin() as conn:
            # Only those this login may drop and make again (`owned_indexes`).
            deferred = owned_indexes(conn, deferred)
            _lock_positions(conn, [p.name for p in projections])
            for index in deferred:
                index.drop(conn, checkfirst=True)
    for projection in projections:
        projection.start_rebuild()
    applied = 0
    reached = False
    interrupted = False
    try:
        started = time.perf_counter()
        applied, reached = _catch_up(
            engine,
            source,
            projections,
            stop=stop,
            progress=progress,
            page_size=page_size,
            should_stop=should_stop,
            prepare=True,
        )
        timed["pages"] = time.perf_counter() - started
        for projection in projections:
            started = time.perf_counter()
            projection.finish_rebuild(engine, reached)
            timed[projection.name] = time.perf_counter() - started
    except BaseException as error:
        interrupted = not isinstance(error, Exception)
        raise
    finally:
        if not reached:
            for projection in projections:
                projection.finish_rebuild(engine, False)
        if deferred and not interrupted:
            started = time.perf_counter()
            _create_indexes(engine, deferred)
            timed["indexes"] = time.perf_counter() - started
    return applied
