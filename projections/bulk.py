"""Inserting a page of rows in one driver call (on PostgreSQL, one COPY).

`conn.execute(insert(table), rows)` spends more time in SQLAlchemy's per-row bookkeeping than the
database spends storing the rows; during a rebuild that is most of the cost. `BulkInsert` compiles
the statement once per dialect, applies the same per-column conversions SQLAlchemy would (each
column type's own bind processor, so the stored form is identical) and hands all rows to the
driver's `executemany`; with psycopg it writes them with COPY instead, in the same transaction,
which PostgreSQL takes several times faster than as many INSERTs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Connection, Table, insert
from sqlalchemy.engine import Dialect

from projections.sealing import key_of


class _Prepared:
    def __init__(self, table: Table, dialect: Dialect) -> None:
        compiled = insert(table).compile(dialect=dialect)
        self.sql = compiled.string
        # psycopg: COPY, which the server takes several times faster than as many INSERTs.
        self.copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
        self.positional = compiled.positional or self.copy
        keys = list(compiled.positiontup or []) if compiled.positional else list(compiled.params)
        self.keys = keys
        if self.copy:
            quote = dialect.identifier_preparer
            columns = ", ".join(quote.quote(key) for key in keys)
            self.sql = f"COPY {quote.format_table(table)} ({columns}) FROM STDIN"
        # itemgetter of one key returns the value itself, not a 1-tuple.
        self.pick = itemgetter(*keys) if len(keys) > 1 else (lambda row: (row[keys[0]],))
        processors = []
        for index, key in enumerate(keys):
            column = table.c[key]
            if isinstance(column.type, Boolean):
                # Both drivers store a Python bool as SQLAlchemy would (1/0 in SQLite, boolean
                # in PostgreSQL); its processor only checks and converts what needs nothing.
                continue
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors.append((key, index, processor))
        self.processors = processors

    def rows(self, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        keys, processors = self.keys, self.processors
        if self.positional:
            pick = self.pick
            prepared_rows: list[Any] = []
            for row in rows:
                try:
                    values = list(pick(row))
                except KeyError:
                    values = [row.get(key) for key in keys]
                for _, index, process in processors:
                    values[index] = process(values[index])
                prepared_rows.append(tuple(values))
            return prepared_rows
        named_rows: list[Any] = []
        for row in rows:
            named = {key: row.get(key) for key in keys}
            for key, _, process in processors:
                named[key] = process(named[key])
            named_rows.append(named)
        return named_rows


class BulkInsert:
    """Inserts rows (dicts by column name; a column left out is NULL) in one executemany."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._prepared: dict[tuple[str, str, str | None], _Prepared] = {}

    def __call__(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        prepared = self._for(conn.dialect)
        _write(conn, prepared, prepared.rows(rows))

    def driver_rows(self, dialect: Dialect, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
        """The rows as the driver takes them, made here (in a worker process, say) and inserted
        elsewhere with `insert_driver_rows` on a connection of the same dialect."""
        return self._for(dialect).rows(rows)

    def keys(self, dialect: Dialect) -> tuple[str, ...]:
        """The columns, in the order the driver's rows give them."""
        return tuple(self._for(dialect).keys)

    def insert_driver_rows(self, conn: Connection, rows: Sequence[Any]) -> None:
        if rows:
            _write(conn, self._for(conn.dialect), rows)

    def _for(self, dialect: Dialect) -> _Prepared:
        # The column types' bind processors keep the dialect they were made for, and with it the
        # key a sealed column seals under (`projections.sealing`): one preparation per key.
        key = (dialect.name, dialect.driver, key_of(dialect))
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = _Prepared(self._table, dialect)
        return prepared


def _write(conn: Connection, prepared: _Prepared, rows: Sequence[Any]) -> None:
    if not prepared.copy:
        conn.exec_driver_sql(prepared.sql, list(rows))
        return
    # In the transaction the connection is in, as any statement on it would be.
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(prepared.sql) as copy:  # type: ignore[union-attr]
        write = copy.write_row
        for row in rows:
            write(row)
