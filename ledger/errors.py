"""Failures of the ledger itself, as opposed to refusals by the domain's rules."""

from __future__ import annotations

from domain.errors import DomainError


class LedgerError(Exception):
    """Something about the ledger's set-up or storage stopped a command."""


class NotInitialisedError(LedgerError):
    def __init__(self, where: str) -> None:
        super().__init__(f"no ledger at {where}; create it with 'ledger init'")


class DatabaseUnavailableError(LedgerError):
    """The database could not be reached or opened (exit 4)."""


class ConfigurationError(LedgerError):
    """A setting is missing or malformed (a usage error)."""


class MissingActorError(ConfigurationError):
    def __init__(self) -> None:
        super().__init__(
            "no actor: say who you are with --as STAFF_ID or the LEDGER_ACTOR environment variable"
        )


class MissingReasonError(ConfigurationError):
    def __init__(self) -> None:
        super().__init__(
            "no justification: say why you are consulting the ledger with --reason TEXT or "
            "LEDGER_REASON (Data Protection Act 2018 s.62)"
        )


class ConcurrentWriteError(DomainError):
    """Retries on a busy stream ran out (the command was not recorded; try again)."""
