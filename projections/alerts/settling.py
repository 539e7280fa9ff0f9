"""Settling the stored alerts: evaluating every offender marked pending, before a read or at
the end of a rebuild, in one transaction, in chunks, or in worker processes.

The projection (`projections.alerts.projection`) only marks the offenders a page touched; this
module needs no event classes, so a reader that settles before it reads does not import them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, func, insert, select, update

from projections.alerts.evaluation import CHUNK, in_chunks, lock, reevaluate, stamp_of
from projections.alerts.policy import Policy
from projections.alerts.schema import AlertPendingRow, AlertPolicyRow
from projections.schema import OffenderRow

# Raise when a rule's meaning changes: stored alerts are then re-evaluated before the next read.
# 2: an agency knows an entry from when one of its staff typed it in for someone else (who-knew's
# knowledge, which DISCLOSURE_NOT_SHARED reads); 3: such a typist placed by the staff directory;
# 4: whoever shares an item knows it, and so does their agency.
# 5: breaches lapse (`lapsed_at`, `lapse`) and a typist's entering is not knowing; documents
# carry their state.
# 6: VISIT_OVERDUE reads records in the order custody is judged by (`chronological_key`: a date
# alone after the timed records of its day), as `show` does.
# 7: details and resolutions name people (`Lee Hart (4633, PC)`), not ids alone.
RULES_VERSION = 7
# Past this many entry rows to read, a settle evaluates in worker processes, this many.
PARALLEL_ROWS = 100_000
WORKERS = 2
# Offenders per worker task: one transaction each when written.
WORKER_CHUNK = 50


def insert_pending(conn: Connection, keys: Iterable[str]) -> None:
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
