"""The alerts' rows as the driver takes them are what SQLAlchemy would bind for the same rows,
and their JSON documents are what json.dumps writes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from projections.alerts.evaluation import alert_driver_rows, alert_rows, insert_alerts
from projections.alerts.rules import Breach
from tests.unit.case_records import OFFENDER, Case

DUE = datetime(2016, 10, 17, 13, 30, tzinfo=UTC)


def a_case() -> Case:
    case = Case()
    case.add("Registered", DUE, "4521", ref="WMP-1", area='Wálsall "North"', name="J D")
    return case


BREACHES = [
    Breach("ARMS_OVERDUE", 1, DUE, None, "no ARMS assessment within 42 days"),
    Breach(
        "VISIT_OVERDUE", None, DUE, datetime(2017, 1, 2, tzinfo=UTC), "no visit — ✓", "visit #9"
    ),
    Breach(
        "RECALL_NOT_CONSIDERED",
        3,
        DUE,
        None,
        "no recall decision",
        None,
        datetime(2018, 1, 1, tzinfo=UTC),
        "licence ended on 2017-12-31",
    ),
]


def test_the_document_is_what_json_dumps_writes() -> None:
    for row in alert_rows(OFFENDER, a_case().records, BREACHES):
        document = {
            "rule": row["rule"],
            "ref": row["ref"],
            "entry": row["entry"],
            "due_at": row["due_at"].isoformat(),
            "detail": row["detail"],
            "state": "open",  # the documents are kept for the standing list
            "area": row["area"],
        }
        assert row["document"] == json.dumps(document, ensure_ascii=False)


def test_driver_rows_are_what_sqlalchemy_would_bind() -> None:
    records = a_case().records
    for dialect in (sqlite.dialect(), psycopg.dialect()):
        expected = insert_alerts.driver_rows(dialect, alert_rows(OFFENDER, records, BREACHES))
        made = alert_driver_rows(dialect, OFFENDER, records, BREACHES)
        assert made == expected
        assert [[type(v) for v in row] for row in made] == [
            [type(v) for v in row] for row in expected
        ]
