"""Keeping every offender's breaches up to date as events arrive.

After each page, the offenders the page touched are marked pending (in the page's transaction,
beside its position) and, when re-reading their histories is cheap, re-evaluated at once from
their `entries` rows (the timeline projection wrote them earlier in the same transaction). A page
that would cost more - a rebuild, a bulk import - leaves them pending, and the next reader settles
them: each offender is then evaluated once, not once per page it appears in. Re-evaluating an
offender replaces all of its alert rows, so doing it twice gives the same rows (see
`projections.alerts.evaluation`, which the worker processes share).

The policy's digest and the rules' version are stored with the rows: when the figures or the
rules change, every offender is marked pending, and so re-evaluated before anything is read.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import Connection, Engine, func, insert, select, update
from sqlalchemy.engine import Dialect

from domain.offender import Offender
from projections.alerts.evaluation import CHUNK, NAME, in_chunks, lock, reevaluate, stamp_of
from projections.alerts.policy import Policy, load_policy
from projections.alerts.schema import AlertPendingRow, AlertPolicyRow, AlertRow
from projections.db import clear_tables
from projections.runner import Projection
from projections.schema import OffenderRow

# Entry rows a page may re-read to evaluate its offenders at once; beyond, they wait for a reader.
LIVE_BUDGET = 20_000
# Raise when a rule's meaning changes: stored alerts are then re-evaluated before the next read.
# 2: an agency knows an entry from when one of its staff typed it in for someone else (who-knew's
# knowledge, which DISCLOSURE_NOT_SHARED reads); 3: such a typist placed by the staff directory;
# 4: whoever shares an item knows it, and so does their agency.
# 5: breaches lapse (`lapsed_at`, `lapse`) and a typist's entering is not knowing; documents
# carry their state.
RULES_VERSION = 5
# Past this many entry rows to read, a settle evaluates in worker processes, this many.
PARALLEL_ROWS = 100_000
WORKERS = 2
# Offenders per worker task: one transaction each when written.
WORKER_CHUNK = 50


class AlertsProjection(Projection):
    name = NAME
    handles: ClassVar[tuple[type, ...]] = (Offender.Event,)
    # Every secondary index of the alerts table: a rebuild writes all of its rows at the end.
    deferred_indexes = tuple(sorted(AlertRow.__table__.indexes, key=lambda i: str(i.name)))

    def __init__(self, policy_path: str | None = None) -> None:
        # Loaded now, so that a malformed LEDGER_POLICY is one clear error before any page.
        self.policy: Policy = load_policy(policy_path)
        # The offenders touched by the page, as ids in hex (pickled and compared cheaply).
        self._touched: set[str] = set()
        # During a rebuild every offender is re-read at the end, once: pages only mark them.
        self._deferring = False

    def start_page(self) -> None:
        self._touched = set()

    def process(self, event: Any, position: int, conn: Connection) -> None:
        if isinstance(event, Offender.Event):
            self._touched.add(event.originator_id.hex)

    def prepare(self, page: Sequence[tuple[int, Any]], dialect: Dialect) -> Any:
        events = [e.originator_id.hex for _, e in page if isinstance(e, Offender.Event)]
        return len(events), set(events)

    def process_prepared(self, prepared: Any, conn: Connection) -> int:
        count, touched = prepared
        self._touched |= touched
        return int(count)

    def end_page(self, conn: Connection) -> None:
        keys, self._touched = self._touched, set()
        if not keys:
            return
        check_policy(conn, self.policy)
        if self._deferring:
            _insert_pending(conn, keys)
            return
        touched = {UUID(hex=key) for key in keys}
        mark_pending(conn, touched)
        size = conn.scalar(
            select(func.coalesce(func.sum(OffenderRow.events), 0)).where(
                OffenderRow.offender_id.in_(touched)
            )
        )
        if int(size or 0) <= LIVE_BUDGET:
            reevaluate(conn, self.policy, sorted(touched))

    def start_rebuild(self) -> None:
        self._deferring = True

    def finish_rebuild(self, engine: Engine, reached: bool) -> None:
        """Evaluates every offender the rebuild marked, each once, from its complete history."""
        self._deferring = False
        if reached:
            settle_in_chunks(engine, self.policy)

    def clear(self, conn: Connection) -> None:
        clear_tables(conn, AlertRow.__table__, AlertPendingRow.__table__, AlertPolicyRow.__table__)


def _insert_pending(conn: Connection, keys: Iterable[str]) -> None:
    """Marks offenders (ids in hex) pending, those already marked staying as they are, in one
    driver call."""
    if conn.dialect.name == "sqlite":
        sql = "INSERT INTO alerts_pending (offender_id) VALUES (?) ON CONFLICT DO NOTHING"
        conn.exec_driver_sql(sql, [(key,) for key in sorted(keys)])
    else:
        sql = (
            "INSERT INTO alerts_pending (offender_id) SELECT unnest(%(ids)s::uuid[]) "
            "ON CONFLICT DO NOTHING"
        )
        conn.exec_driver_sql(sql, {"ids": [UUID(hex=key) for key in sorted(keys)]})


def check_policy(conn: Connection, policy: Policy) -> None:
    """Marks every offender pending when the stored alerts were made under other figures or by
    another version of the rules."""
    made_by = f"{RULES_VERSION}:{policy.digest}"
    stored = conn.scalar(select(AlertPolicyRow.digest).where(AlertPolicyRow.name == "current"))
    if stored == made_by:
        return
    if stored is None:
        conn.execute(insert(AlertPolicyRow).values(name="current", digest=made_by))
    else:
        conn.execute(
            update(AlertPolicyRow).where(AlertPolicyRow.name == "current").values(digest=made_by)
        )
    mark_pending(conn, conn.scalars(select(OffenderRow.offender_id)))


def mark_pending(conn: Connection, offenders: Iterable[UUID]) -> None:
    wanted = set(offenders)
    if not wanted:
        return
    present: set[UUID] = set()
    for chunk in in_chunks(sorted(wanted), CHUNK * 5):
        present.update(
            conn.scalars(
                select(AlertPendingRow.offender_id).where(AlertPendingRow.offender_id.in_(chunk))
            )
        )
    missing = wanted - present
    if missing:
        conn.execute(insert(AlertPendingRow), [{"offender_id": o} for o in sorted(missing)])


def settle(conn: Connection, policy: Policy) -> int:
    """Re-evaluates every pending offender; returns how many. Serialised with catch-up by the
    alerts projection's position row, so two readers never evaluate the same offender at once."""
    lock(conn)
    check_policy(conn, policy)
    pending = sorted(conn.scalars(select(AlertPendingRow.offender_id)))
    reevaluate(conn, policy, pending)
    return len(pending)


def settle_for_reading(engine: Engine, policy: Policy) -> int:
    """`settle`, before a read: in one transaction when little is pending (the usual case, a
    handful of offenders or none); when the pending offenders' histories are long (the figures
    or rules changed, or a catch-up stopped part-way), as a rebuild settles, in chunks and
    worker processes (`settle_in_chunks`). Returns how many offenders were evaluated."""
    with engine.begin() as conn:
        lock(conn)
        check_policy(conn, policy)
        pending = sorted(conn.scalars(select(AlertPendingRow.offender_id)))
        if not pending or _history_size(conn, pending) < PARALLEL_ROWS:
            reevaluate(conn, policy, pending)
            return len(pending)
    return settle_in_chunks(engine, policy)


def settle_in_chunks(engine: Engine, policy: Policy, workers: int | None = None) -> int:
    """`settle`, a transaction per chunk of offenders: after a rebuild that is every offender, and
    one transaction for all would hold the alerts' lock (and the rows in memory) throughout.
    Stopped half-way, the chunks not done are still pending, and the next reader settles them.

    When there are many entry rows to read, worker processes read and evaluate the offenders
    (the rules are pure Python: one process uses one core) while this one writes their rows."""
    with engine.begin() as conn:
        lock(conn)
        check_policy(conn, policy)
        pending = sorted(conn.scalars(select(AlertPendingRow.offender_id)))
        size = _history_size(conn, pending)
        stamp = stamp_of(conn)
        where = _location(conn)
    if workers is None:
        workers = WORKERS if size >= PARALLEL_ROWS else 0
    if workers > 0 and pending:
        _settle_in_workers(engine, policy, pending, stamp, where, workers)
        return len(pending)
    for chunk in in_chunks(pending, CHUNK):
        with engine.begin() as conn:
            lock(conn)
            reevaluate(conn, policy, chunk)
    return len(pending)


def _history_size(conn: Connection, offenders: Sequence[UUID]) -> int:
    """How many entry rows the offenders have (as the register counts them)."""
    total = 0
    for chunk in in_chunks(offenders, CHUNK * 5):
        found = conn.scalar(
            select(func.coalesce(func.sum(OffenderRow.events), 0)).where(
                OffenderRow.offender_id.in_(chunk)
            )
        )
        total += int(found or 0)
    return total


def _location(conn: Connection) -> tuple[str, str | None]:
    """How a worker process reaches the same database: its URL and (PostgreSQL) search path."""
    url = conn.engine.url.render_as_string(hide_password=False)
    if conn.dialect.name != "postgresql":
        return url, None
    return url, str(conn.exec_driver_sql("SHOW search_path").scalar())


def _settle_in_workers(
    engine: Engine,
    policy: Policy,
    pending: Sequence[UUID],
    stamp: tuple[Any, Any],
    where: tuple[str, str | None],
    workers: int,
) -> None:
    """Worker processes read, evaluate and write chunks of offenders, each chunk in a transaction
    of its own (see `workers.serve`); this process only hands them out. Should a worker fail,
    the chunks not known to be written are evaluated here (doing one twice gives the same rows).
    """
    from projections.alerts.workers import Evaluators, WorkerError
    from projections.sealing import key_of

    chunks = list(in_chunks(pending, WORKER_CHUNK))
    ahead = workers * 2  # chunks asked for beyond the one awaited: keeps every worker busy
    done = 0
    try:
        pool = Evaluators(workers, *where, policy, stamp, key_of(engine.dialect))
        try:
            for chunk in chunks[:ahead]:
                pool.submit(chunk)
            for index in range(len(chunks)):
                pool.next_result()
                done = index + 1
                if index + ahead < len(chunks):
                    pool.submit(chunks[index + ahead])
        finally:
            pool.close()
    except (OSError, EOFError, WorkerError) as error:
        warnings.warn(
            f"alerts: evaluating in worker processes failed ({error}); evaluating here instead",
            RuntimeWarning,
            stacklevel=2,
        )
        for chunk in chunks[done:]:
            with engine.begin() as conn:
                lock(conn)
                reevaluate(conn, policy, chunk)
