"""The bulk insert stores exactly what SQLAlchemy's own insert stores, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

from sqlalchemy import insert

from projections.bulk import BulkInsert
from projections.db import make_engine
from projections.schema import EntryRow
from tests.helpers import LedgerCLI


def entry(offender_id: object, position: int) -> dict[str, object]:
    return {
        "offender_id": offender_id,
        "entry": 3,
        "position": position,
        "type": "DisclosureRecorded",
        "occurred_at": datetime(2016, 10, 17, 13, 30, 0, 120, tzinfo=UTC),
        "occurred_date": date(2016, 10, 17),
        "time_known": True,
        "recorded_at": datetime(2016, 10, 20, 9, 0, tzinfo=UTC),
        "by": "4521",
        "agency": "police",
        "rank": "PC",
        "senior": False,
        "entered_by": "4521",
        "summary": "Says he feels isolated — «quoted»",
        "risk_relevant": True,
        "data": {"summary": "x", "about": [1, 2], "with_person": {"staff": "7702"}, "n": None},
    }


def test_bulk_rows_are_stored_as_sqlalchemy_stores_them(database_url: str) -> None:
    from ledger.settings import parse_database_url

    LedgerCLI(database_url).ok("init")
    db = parse_database_url(database_url)
    engine = make_engine(db.sqlalchemy_url(), db.schema)
    by_orm, by_bulk = uuid4(), uuid4()
    try:
        with engine.begin() as conn:
            conn.execute(insert(EntryRow), [entry(by_orm, 1)])
            BulkInsert(EntryRow.__table__)(conn, [entry(by_bulk, 2)])  # type: ignore[arg-type]
        with engine.connect() as conn:
            # Raw, as the driver returns them: no type conversion on the way out.
            raw = conn.exec_driver_sql("SELECT * FROM entries ORDER BY position").all()
        orm_row, bulk_row = (list(r) for r in raw)
        columns = [c.name for c in EntryRow.__table__.columns]
        position = columns.index("position")
        ident = columns.index("offender_id")
        for row in (orm_row, bulk_row):
            row[position] = None
        assert type(orm_row[ident]) is type(bulk_row[ident])
        assert len(str(orm_row[ident])) == len(str(bulk_row[ident]))
        orm_row[ident] = bulk_row[ident] = None
        assert bulk_row == orm_row
    finally:
        engine.dispose()
