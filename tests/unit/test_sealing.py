"""Sealing values under LEDGER_CIPHER_KEY (`projections.sealing`): the column types pass values
through without a key and seal them with one, a fresh nonce each time; the fast paths that make
driver rows themselves seal exactly the columns the types seal, to the same values once unsealed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eventsourcing.cryptography import AESCipher
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import psycopg

from projections.sealing import (
    SealedJSON,
    SealedText,
    Sealer,
    UnsealableValueError,
    key_of,
    seal_dialect,
    sealer_of,
)

KEY = AESCipher.create_key(32)


def keyed(dialect: Any, key: str | None = KEY) -> Any:
    seal_dialect(dialect, key)
    return dialect


def test_a_sealed_value_opens_with_its_key_only_and_differs_every_time() -> None:
    sealer = Sealer(KEY)
    first, second = sealer.seal("Quentin Vellacott"), sealer.seal("Quentin Vellacott")
    assert first != second and "Quentin" not in first
    assert sealer.unseal(first) == sealer.unseal(second) == "Quentin Vellacott"
    with pytest.raises(UnsealableValueError):
        Sealer(AESCipher.create_key(32)).unseal(first)
    with pytest.raises(UnsealableValueError):
        sealer.unseal(first[:-4] + "AAAA")  # altered


def test_without_a_key_the_types_pass_values_through() -> None:
    dialect = keyed(sqlite.dialect(), None)
    assert sealer_of(dialect) is None and key_of(dialect) is None
    text, facts = SealedText(), SealedJSON()
    assert text.process_bind_param("plain", dialect) == "plain"
    assert text.process_result_value("plain", dialect) == "plain"
    assert facts.process_bind_param({"a": 1}, dialect) == {"a": 1}
    assert facts.process_result_value({"a": 1}, dialect) == {"a": 1}


def test_with_a_key_the_types_seal_and_unseal() -> None:
    dialect = keyed(sqlite.dialect())
    assert key_of(dialect) == KEY
    text, facts = SealedText(), SealedJSON()
    stored = text.process_bind_param("Orla Fennimore", dialect)
    assert "Orla" not in stored
    assert text.process_result_value(stored, dialect) == "Orla Fennimore"
    assert text.process_bind_param(None, dialect) is None
    stored_facts = facts.process_bind_param({"summary": "Wexcombe"}, dialect)
    assert isinstance(stored_facts, str) and "Wexcombe" not in stored_facts
    assert facts.process_result_value(stored_facts, dialect) == {"summary": "Wexcombe"}


def _unsealed_entry(row: tuple[Any, ...], sealer: Sealer) -> tuple[Any, ...]:
    values = list(row)
    values[13] = sealer.unseal(values[13])
    values[15] = json.dumps(sealer.unseal_json(json.loads(values[15])))
    return tuple(values)


def test_the_timeline_driver_rows_seal_the_summary_and_the_facts() -> None:
    from projections.rows import pg_row_from_event, sqlite_row_from_event
    from tests.unit.test_row_from_event import a_full_history

    sealer = Sealer(KEY)
    for position, event in enumerate(a_full_history(), start=10):
        for make in (sqlite_row_from_event, pg_row_from_event):
            plain = make(event, position)
            sealed = make(event, position, sealer=sealer)
            assert sealed[13] != plain[13] and sealed[15] != plain[15]
            assert _unsealed_entry(sealed, sealer) == plain


def test_the_alert_driver_rows_seal_what_the_types_seal() -> None:
    from projections.alerts.evaluation import alert_driver_rows, alert_rows, insert_alerts
    from tests.unit.test_alert_rows import BREACHES, OFFENDER, a_case

    records = a_case().records
    for make in (sqlite.dialect, psycopg.dialect):
        plain = alert_driver_rows(make(), OFFENDER, records, BREACHES)
        dialect = keyed(make())
        sealer = sealer_of(dialect)
        assert sealer is not None
        made = alert_driver_rows(dialect, OFFENDER, records, BREACHES)
        # As SQLAlchemy's own bind processors, prepared for this key, seal them.
        bound = insert_alerts.driver_rows(dialect, alert_rows(OFFENDER, records, BREACHES))
        sealed_columns = (8, 9, 10, 12)  # detail, resolution, document, lapse
        for sealed_row, plain_row in [
            *zip(made, plain, strict=True),
            *zip(bound, plain, strict=True),
        ]:
            opened = [
                sealer.unseal(v) if i in sealed_columns and v is not None else v
                for i, v in enumerate(sealed_row)
            ]
            assert opened == list(plain_row)
            assert sealed_row[10] != plain_row[10]
