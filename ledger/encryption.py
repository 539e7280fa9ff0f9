"""Encryption at rest of event payloads: the eventsourcing library's AES-GCM cipher, with failures
that say what to do instead of a traceback."""

from __future__ import annotations

import binascii

from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from ledger.errors import ConfigurationError, LedgerError


class WrongKeyError(LedgerError):
    def __init__(self) -> None:
        super().__init__(
            "an event cannot be decrypted with LEDGER_CIPHER_KEY: the key is not the one this "
            "ledger was written with, the ledger is not encrypted, or a payload was altered "
            "(run 'ledger verify'); nothing was done"
        )


class MissingKeyError(LedgerError):
    def __init__(self) -> None:
        super().__init__(
            "the ledger's events are encrypted: set LEDGER_CIPHER_KEY to the key it was written "
            "with; nothing was done"
        )


class LedgerCipher(AESCipher):
    """AES-GCM exactly as `eventsourcing.cryptography.AESCipher` (same stored format)."""

    def __init__(self, environment: Environment) -> None:
        try:
            super().__init__(environment)
        except (ValueError, binascii.Error):
            raise ConfigurationError(
                "LEDGER_CIPHER_KEY is not a valid key: use one printed by 'ledger keygen'"
            ) from None

    def decrypt(self, ciphertext: bytes) -> bytes:
        try:
            return super().decrypt(ciphertext)
        except ValueError:
            # GCM authenticates: a wrong key and a damaged payload look the same.
            raise WrongKeyError from None
