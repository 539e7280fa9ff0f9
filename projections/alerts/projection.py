"""Keeping every offender's breaches up to date as events arrive.

After each page, the offenders the page touched are marked pending (in the page's transaction,
beside its position) and, when re-reading their histories is cheap, re-evaluated at once from
their `entries` rows (the timeline projection wrote them earlier in the same transaction). A page
that would cost more - a rebuild, a bulk import - leaves them pending, and the next reader settles
them: each offender is then evaluated once, not once per page it appears in. Re-evaluating an
offender replaces all of its alert rows, so doing it twice gives the same rows.

The policy's digest and the rules' version are stored with the rows: when the figures or the
rules change, every offender is marked pending, and so re-evaluated before anything is read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import Connection, delete, func, insert, select, update

from domain.offender import Offender
from projections.alerts.policy import Policy, load_policy
from projections.alerts.rules import Breach, evaluate
from projections.alerts.schema import AlertPendingRow, AlertPolicyRow, AlertRow
from projections.records import EntryRecord, record_from_row
from projections.runner import Projection
from projections.schema import EntryRow, OffenderRow, ProjectionPosition

NAME = "alerts"
# Entry rows a page may re-read to evaluate its offenders at once; beyond, they wait for a reader.
LIVE_BUDGET = 20_000
# Raise when a rule's meaning changes: stored alerts are then re-evaluated before the next read.
RULES_VERSION = 1
# Offenders evaluated per query when settling many.
CHUNK = 200


class AlertsProjection(Projection):
    name = NAME
    handles: ClassVar[tuple[type, ...]] = (Offender.Event,)

    def __init__(self, policy_path: str | None = None) -> None:
        # Loaded now, so that a malformed LEDGER_POLICY is one clear error before any page.
        self.policy: Policy = load_policy(policy_path)
        self._touched: set[UUID] = set()

    def start_page(self) -> None:
        self._touched = set()

    def process(self, event: Any, position: int, conn: Connection) -> None:
        if isinstance(event, Offender.Event):
            self._touched.add(event.originator_id)

    def end_page(self, conn: Connection) -> None:
        touched, self._touched = self._touched, set()
        if not touched:
            return
        check_policy(conn, self.policy)
        mark_pending(conn, touched)
        size = conn.scalar(
            select(func.coalesce(func.sum(OffenderRow.events), 0)).where(
                OffenderRow.offender_id.in_(touched)
            )
        )
        if int(size or 0) <= LIVE_BUDGET:
            reevaluate(conn, self.policy, sorted(touched))

    def clear(self, conn: Connection) -> None:
        conn.execute(delete(AlertRow))
        conn.execute(delete(AlertPendingRow))
        conn.execute(delete(AlertPolicyRow))


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
    for chunk in _chunks(sorted(wanted), CHUNK * 5):
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
    lock = select(ProjectionPosition.position).where(ProjectionPosition.name == NAME)
    if conn.dialect.name == "postgresql":
        lock = lock.with_for_update()
    conn.execute(lock)
    check_policy(conn, policy)
    pending = sorted(conn.scalars(select(AlertPendingRow.offender_id)))
    reevaluate(conn, policy, pending)
    return len(pending)


def reevaluate(conn: Connection, policy: Policy, offenders: Sequence[UUID]) -> None:
    """Replaces the alert rows of `offenders` with their breaches as of everything recorded."""
    for chunk in _chunks(offenders, CHUNK):
        rows: list[dict[str, Any]] = []
        for offender_id, records in load_histories(conn, chunk):
            rows.extend(alert_rows(offender_id, records, evaluate(records, policy)))
        conn.execute(delete(AlertRow).where(AlertRow.offender_id.in_(chunk)))
        conn.execute(delete(AlertPendingRow).where(AlertPendingRow.offender_id.in_(chunk)))
        if rows:
            conn.execute(insert(AlertRow), rows)


def load_histories(
    conn: Connection, offenders: Sequence[UUID], as_of: Any = None
) -> list[tuple[UUID, list[EntryRecord]]]:
    """Each offender's entry rows as records (those recorded by `as_of`, when given)."""
    query = (
        select(EntryRow)
        .where(EntryRow.offender_id.in_(offenders))
        .order_by(EntryRow.offender_id, EntryRow.entry)
    )
    if as_of is not None:
        query = query.where(EntryRow.recorded_at <= as_of)
    rows = conn.execute(query)
    return [
        (offender_id, [record_from_row(row) for row in group])
        for offender_id, group in groupby(rows, key=lambda row: row.offender_id)
    ]


def alert_rows(
    offender_id: UUID, records: Sequence[EntryRecord], breaches: Sequence[Breach]
) -> list[dict[str, Any]]:
    registration = next((r for r in records if r.type == "Registered"), None)
    if registration is None:
        return []
    ref, area = registration.data["ref"], registration.data.get("area")
    rows = []
    for seq, b in enumerate(breaches, start=1):
        document = {
            "rule": b.rule,
            "ref": ref,
            "entry": b.entry,
            "due_at": b.due_at.isoformat(),
            "detail": b.detail,
            "area": area,
        }
        rows.append(
            {
                "offender_id": offender_id,
                "seq": seq,
                "ref": ref,
                "area": area,
                "rule": b.rule,
                "entry": b.entry,
                "due_at": b.due_at,
                "satisfied_at": b.satisfied_at,
                "detail": b.detail,
                "resolution": b.resolution,
                "document": json.dumps(document, ensure_ascii=False),
            }
        )
    return rows


def _chunks(items: Sequence[UUID], size: int) -> Iterable[Sequence[UUID]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
