"""Sealing the read models and the access log under LEDGER_CIPHER_KEY: no plaintext beside the
cipher.

With a key, every free-text or identifying value the ledger keeps outside its events (names,
summaries, an entry's facts, alert details, the access log's reasons, details and refusals) is
stored sealed: AES-GCM under the events' own key, a fresh 12-byte nonce per value, kept as base64
text (`SealedText`, and `SealedJSON` for a JSON column, which then holds one JSON string). Without
a key both pass values through unchanged, so a plain ledger is stored exactly as before.

The key reaches the column types through the engine: `make_engine(..., cipher_key=...)` puts a
`Sealer` on the engine's dialect (`seal_dialect`), and each type finds it on the dialect it is
given. The fast paths that bypass SQLAlchemy's types (driver rows, COPY, raw loads, child
processes) take the same `Sealer` from the dialect and seal or unseal for themselves.

Filtering and ordering stay on columns left plain (ids, refs, staff ids, dates, types, positions,
areas): a sealed value is different every time it is written, so nothing can be compared in SQL.

Whether a database's read models are sealed is recorded once, in the one-row table `ledger_seal`
(revision 0600) with a check value sealed under the key: `projections.seal_check.check_seal`
refuses a key on a ledger whose read models were written in plaintext, no key on a sealed one, and
a key that is not the one it was sealed with, before anything is read or written.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from sqlalchemy import JSON, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from ledger.errors import ConfigurationError, LedgerError

NONCE = 12
# What the check value of `ledger_seal` holds, sealed under the ledger's key.
CHECK_TEXT = "ledger read models sealed"


class Sealer:
    """AES-GCM under one key: `seal` a text to base64 text, `unseal` it back."""

    def __init__(self, key: str) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            raw = base64.b64decode(key, validate=True)
            self._aead = AESGCM(raw)
        except (ValueError, binascii.Error):
            raise ConfigurationError(
                "LEDGER_CIPHER_KEY is not a valid key: use one printed by 'ledger keygen'"
            ) from None
        self.key = key

    def seal(self, text: str) -> str:
        nonce = os.urandom(NONCE)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), None)
        return base64.b64encode(nonce + sealed).decode("ascii")

    def unseal(self, text: str) -> str:
        try:
            raw = base64.b64decode(text, validate=True)
            return self._aead.decrypt(raw[:NONCE], raw[NONCE:], None).decode("utf-8")
        except Exception:
            raise UnsealableValueError from None

    def seal_json(self, value: Any) -> str:
        return self.seal(json.dumps(value))

    def unseal_json(self, text: str) -> Any:
        return json.loads(self.unseal(text))


class UnsealableValueError(LedgerError):
    def __init__(self) -> None:
        super().__init__(
            "a read-model value cannot be unsealed with LEDGER_CIPHER_KEY: it was altered, or "
            "written under another key; run 'ledger projections rebuild' to derive the read "
            "models again from the events; nothing was done"
        )


class UnsealedSchemaError(LedgerError):
    def __init__(self) -> None:
        super().__init__(
            "LEDGER_CIPHER_KEY is set but this ledger's read models predate sealing, so they "
            "cannot be read or written with it yet: upgrade it with 'ledger init', the key set; "
            "nothing was done"
        )


class SealedReadModelsError(LedgerError):
    def __init__(self) -> None:
        super().__init__(
            "this ledger's read models and access log are sealed: set LEDGER_CIPHER_KEY to the "
            "key it was written with; nothing was done"
        )


class WrongSealKeyError(LedgerError):
    def __init__(self) -> None:
        super().__init__(
            "this ledger's read models cannot be unsealed with LEDGER_CIPHER_KEY: the key is not "
            "the one this ledger was written with; nothing was done"
        )


class PlainReadModelsError(ConfigurationError):
    def __init__(self) -> None:
        super().__init__(
            "LEDGER_CIPHER_KEY is set but this ledger's read models and access log were written "
            "in plaintext: if its events are encrypted with this key (a ledger from before read "
            "models were sealed), run 'ledger init' with the key to seal them; otherwise unset "
            "LEDGER_CIPHER_KEY; nothing was done"
        )


def seal_dialect(dialect: Dialect, key: str | None) -> None:
    """Gives `dialect` the sealer of `key` (none: values pass through)."""
    dialect.ledger_sealer = Sealer(key) if key else None  # type: ignore[attr-defined]


def sealer_of(dialect: Dialect) -> Sealer | None:
    """The sealer the dialect's engine was made with, or None for a plain ledger."""
    return getattr(dialect, "ledger_sealer", None)


def key_of(dialect: Dialect) -> str | None:
    """The key the dialect seals with, to give to a child process; None for none."""
    sealer = sealer_of(dialect)
    return None if sealer is None else sealer.key


class SealedText(TypeDecorator[str]):
    """Text stored sealed under the engine's key (base64 of nonce and ciphertext), or plain."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        sealer = sealer_of(dialect)
        if value is None or sealer is None:
            return value
        return sealer.seal(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        sealer = sealer_of(dialect)
        if value is None or sealer is None:
            return value
        return sealer.unseal(value)


class SealedJSON(TypeDecorator[Any]):
    """A JSON value stored sealed: the column then holds one JSON string, the sealed text of the
    value's JSON. Plain JSON without a key."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        sealer = sealer_of(dialect)
        if value is None or sealer is None:
            return value
        return sealer.seal_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        sealer = sealer_of(dialect)
        if sealer is None or not isinstance(value, str):
            return value
        return sealer.unseal_json(value)


def unseal_text(sealer: Sealer | None, value: str | None) -> str | None:
    """A sealed text column's value as read through the driver, unsealed."""
    if sealer is None or value is None:
        return value
    return sealer.unseal(value)


def seal_text(sealer: Sealer | None, value: str | None) -> str | None:
    """A text column's value as the driver is to take it, sealed."""
    if sealer is None or value is None:
        return value
    return sealer.seal(value)


# The table that says whether a database's read models are sealed (`projections.seal_check`).
SEAL_TABLE = "ledger_seal"
