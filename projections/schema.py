"""The read models' tables. Alembic owns their schema (`projections/migrations`); this module
describes them for queries and for autogenerating the next migration.

Text that people type (refs, names, ranks, areas, staff ids) is unbounded, as it is in the events
the tables are made from: a length cap would make a projection fail for good on an event that
says more (revision 0300). Only text the code chooses (projection names, event types, agencies)
keeps a length.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from projections.db import UTCDateTime
from projections.sealing import SEAL_TABLE, SealedJSON, SealedText

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every read-model table, the access log's and the alerts' included (Alembic compares with it).
metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Rows:
    """A table of the read models, its columns as attributes (`EntryRow.type`), standing for the
    table itself wherever SQLAlchemy takes one (`select(EntryRow)`, `insert(OffenderRow)`).

    The tables are SQLAlchemy Core tables: the queries and the projections use nothing of the ORM,
    whose import costs every read command more than all its queries (`column` and `optional`
    declare columns NOT NULL or NULL, as the ORM did from `Mapped[...]`)."""

    def __init__(self, name: str, *columns: Column[Any]) -> None:
        self.__table__ = Table(name, metadata, *columns)

    def __getattr__(self, name: str) -> Column[Any]:
        if name.startswith("__"):  # asked before `__table__` is set (a copy), or never a column
            raise AttributeError(name)
        try:
            return self.__table__.c[name]
        except KeyError:
            raise AttributeError(f"table {self.__table__.name} has no column {name!r}") from None

    def __clause_element__(self) -> Table:
        return self.__table__

    def __repr__(self) -> str:
        return f"Rows({self.__table__.name!r})"


def column(name: str, type_: Any, **options: Any) -> Column[Any]:
    """A column that is never NULL."""
    return Column(name, type_, nullable=False, **options)


def optional(name: str, type_: Any, **options: Any) -> Column[Any]:
    """A column that may be NULL."""
    return Column(name, type_, nullable=True, **options)


# How far each projection has read the ledger's log; written with its rows.
ProjectionPosition = Rows(
    "projection_positions",
    column("name", String(64), primary_key=True),
    column("position", BigInteger, default=0),
    optional("updated_at", UTCDateTime),
)

# Every offender event, one row each: the fact table that the views fold.
EntryRow = Rows(
    "entries",
    column("offender_id", Uuid, primary_key=True),
    column("entry", Integer, primary_key=True),
    column("position", BigInteger, unique=True),
    column("type", String(40)),
    # Valid time: an instant (a date alone counts from the start of its London day) ...
    column("occurred_at", UTCDateTime),
    # ... its London calendar day, and whether the time of day is known.
    column("occurred_date", Date),
    column("time_known", Boolean),
    column("recorded_at", UTCDateTime),
    column("by", Text),
    column("agency", String(20)),
    column("rank", Text),
    column("senior", Boolean),
    column("entered_by", Text),
    # Sealed under LEDGER_CIPHER_KEY when one is set (`projections.sealing`), as are the names below.
    column("summary", SealedText),
    column("risk_relevant", Boolean),
    column("data", SealedJSON),
)

# One row per offender: the register, for lists and filters by area.
OffenderRow = Rows(
    "offenders",
    column("offender_id", Uuid, primary_key=True),
    column("ref", Text, unique=True),
    column("name", SealedText),
    column("born", Date),
    column("category", Integer),
    column("level", Integer),
    optional("area", Text, index=True),
    column("registered_at", UTCDateTime),
    column("recorded_at", UTCDateTime),
    column("events", Integer),
)

# The staff directory as it stands now.
StaffRow = Rows(
    "staff",
    column("staff_id", Text, primary_key=True),
    column("aggregate_id", Uuid, unique=True),
    column("name", SealedText),
    column("agency", String(20)),
    column("rank", Text),
    column("senior", Boolean),
    column("admin", Boolean),
    optional("area", Text),
    column("since", Date),
    optional("left_on", Date),
    column("recorded_at", UTCDateTime),
)

# Whether the read models and the access log are sealed, and a check value sealed under the key
# (revision 0600; one row, written on first use: `projections.sealing.check_seal`).
SealRow = Rows(
    SEAL_TABLE,
    column("id", Integer, primary_key=True, autoincrement=False),
    column("sealed", Boolean),
    optional("check_value", Text),
)


Index("ix_entries_offender_type", EntryRow.offender_id, EntryRow.type)
