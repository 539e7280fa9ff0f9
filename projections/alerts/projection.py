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

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import Dialect

from domain.offender import Offender
from projections.alerts.evaluation import NAME, reevaluate
from projections.alerts.policy import Policy, load_policy
from projections.alerts.schema import AlertPendingRow, AlertPolicyRow, AlertRow
from projections.alerts.settling import (
    check_policy,
    insert_pending,
    mark_pending,
    settle_in_chunks,
)
from projections.db import clear_tables
from projections.runner import Projection
from projections.schema import OffenderRow

# Entry rows a page may re-read to evaluate its offenders at once; beyond, they wait for a reader.
LIVE_BUDGET = 20_000


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
            insert_pending(conn, keys)
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
