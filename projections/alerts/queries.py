"""Reading alerts: standing at a valid time, the history of one offender, counts per area.

From the projection when the question is about the world at valid time T given everything recorded
(`at`); re-evaluated from the entry rows recorded by then when it is about what the ledger showed at
transaction time T (`as_of`), since the stored rows know only the ledger as it stands now.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy import Connection, Select, Subquery, func, select, union_all

from domain.clock import iso
from projections.alerts.schema import AlertRow
from projections.schema import OffenderRow

if TYPE_CHECKING:
    from projections.alerts.policy import Policy


def _standing(
    columns: Sequence[Any],
    at: datetime,
    offender_id: UUID | None,
    area: str | None,
) -> Subquery:
    """The rows standing at valid time `at`: those neither satisfied nor lapsed, those closed only
    after `at` and those lapsed only after `at`, each found by its own index range scan (most rows
    closed or lapsed long before). A breach is satisfied or lapsed, never both."""

    def due_by(*ended: Any) -> Select[Any]:
        query = select(*columns).where(*ended, AlertRow.due_at <= at)
        if offender_id is not None:
            query = query.where(AlertRow.offender_id == offender_id)
        if area is not None:
            query = query.where(AlertRow.area == area)
        return query

    return union_all(
        due_by(AlertRow.satisfied_at.is_(None), AlertRow.lapsed_at.is_(None)),
        due_by(AlertRow.satisfied_at > at),
        due_by(AlertRow.satisfied_at.is_(None), AlertRow.lapsed_at > at),
    ).subquery()


def standing_documents(
    conn: Connection,
    at: datetime,
    *,
    offender_id: UUID | None = None,
    area: str | None = None,
) -> list[str]:
    """The alerts standing at valid time `at`, from the projection, each as the JSON text that
    `ledger alerts --json` prints, in order of due time."""
    both = _standing(
        [AlertRow.document, AlertRow.due_at, AlertRow.ref, AlertRow.seq], at, offender_id, area
    )
    query = select(both.c.document).order_by(both.c.due_at, both.c.ref, both.c.seq)
    return list(conn.scalars(query))


def standing(
    conn: Connection,
    at: datetime,
    *,
    offender_id: UUID | None = None,
    area: str | None = None,
) -> list[dict[str, Any]]:
    """The alerts standing at valid time `at`, from the projection, in order of due time."""
    found = standing_documents(conn, at, offender_id=offender_id, area=area)
    return [json.loads(text) for text in found]


def standing_as_of(
    conn: Connection,
    policy: Policy,
    at: datetime,
    as_of: datetime,
    *,
    offender_id: UUID | None = None,
    area: str | None = None,
) -> list[dict[str, Any]]:
    """The alerts standing at valid time `at` as the ledger would have shown them at transaction
    time `as_of`: the rules run again over what had been recorded by then."""
    rows = [row for row in _evaluated(conn, policy, as_of, offender_id, area) if _stands(row, at)]
    rows.sort(key=lambda r: (r["due_at"], r["ref"], r["seq"]))
    return [_document(row) for row in rows]


def history(
    conn: Connection, offender_id: UUID, policy: Policy, as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """Every breach of one offender, open or closed, in order of due time."""
    if as_of is None:
        query = select(AlertRow).where(AlertRow.offender_id == offender_id)
        rows = [dict(r._mapping) for r in conn.execute(query.order_by(AlertRow.seq))]
    else:
        rows = _evaluated(conn, policy, as_of, offender_id, None)
    return [
        {
            **_document(row),
            "satisfied_at": iso(row["satisfied_at"]),
            "resolution": row["resolution"],
            "lapsed_at": iso(row["lapsed_at"]),
            "lapse": row["lapse"],
        }
        for row in rows
    ]


def summary(
    conn: Connection,
    at: datetime,
    policy: Policy,
    *,
    as_of: datetime | None = None,
    area: str | None = None,
) -> list[dict[str, Any]]:
    """How many alerts stand at `at`, per area and rule."""
    if as_of is None:
        both = _standing([AlertRow.area, AlertRow.rule], at, None, area)
        query = select(both.c.area, both.c.rule, func.count()).group_by(both.c.area, both.c.rule)
        counts = Counter({(row[0], row[1]): row[2] for row in conn.execute(query)})
    else:
        found = standing_as_of(conn, policy, at, as_of, area=area)
        counts = Counter((a["area"], a["rule"]) for a in found)
    return [
        {"area": key[0], "rule": key[1], "count": n}
        for key, n in sorted(counts.items(), key=lambda kv: (kv[0][0] or "", kv[0][1]))
    ]


def _evaluated(
    conn: Connection,
    policy: Policy,
    as_of: datetime,
    offender_id: UUID | None,
    area: str | None,
) -> list[dict[str, Any]]:
    # The rules run again only for what the ledger showed at an earlier transaction time.
    from projections.alerts.evaluation import alert_rows, load_histories, staff_directory
    from projections.alerts.rules import evaluate

    if offender_id is not None:
        offenders = [offender_id]
    else:
        query = select(OffenderRow.offender_id).order_by(OffenderRow.ref)
        if area is not None:
            query = query.where(OffenderRow.area == area)
        offenders = list(conn.scalars(query))
    rows: list[dict[str, Any]] = []
    staff = staff_directory(conn)
    for start in range(0, len(offenders), 200):
        for oid, records in load_histories(conn, offenders[start : start + 200], as_of):
            breaches = evaluate(records, policy, as_of, staff.agencies, staff.names)
            rows.extend(alert_rows(oid, records, breaches))
    return rows


def _stands(row: dict[str, Any], at: datetime) -> bool:
    return (
        row["due_at"] <= at
        and (row["satisfied_at"] is None or row["satisfied_at"] > at)
        and (row["lapsed_at"] is None or row["lapsed_at"] > at)
    )


def _document(row: Any) -> dict[str, Any]:
    return {
        "rule": row["rule"],
        "ref": row["ref"],
        "entry": row["entry"],
        "due_at": iso(row["due_at"]),
        "detail": row["detail"],
        "state": "open",
        "area": row["area"],
    }
