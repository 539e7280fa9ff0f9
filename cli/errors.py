"""Turning every failure into one `error:` line and the contract's exit status.

Usage errors 2; a domain rule refused, or an unknown offender, entry or staff member: 1;
`verify` finding tampering: 3; the database unreachable: 4. No traceback reaches the user.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

from typer import Abort, Exit
from typer._click.exceptions import ClickException, UsageError
from typer.core import TyperGroup

from domain.errors import DomainError, InvalidValueError
from ledger.errors import ConfigurationError, DatabaseUnavailableError, LedgerError

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_TAMPERED = 3
EXIT_UNAVAILABLE = 4


class TamperingFoundError(Exception):
    """`verify` found the ledger altered (exit 3); the report was already printed."""


def fail(message: str, code: int) -> int:
    first = " ".join(message.strip().split("\n")[0].split())
    sys.stderr.write(f"error: {first}\n")
    sys.stderr.flush()
    return code


def exit_code_for(error: BaseException) -> tuple[int, str]:
    """The exit status and message for an exception raised by a command."""
    if isinstance(error, UsageError):
        hint = ""
        if error.ctx is not None:
            hint = f"; see '{error.ctx.command_path} --help'"
        return EXIT_USAGE, f"{error.format_message()}{hint}"
    if isinstance(error, ClickException):
        return error.exit_code, error.format_message()
    if isinstance(error, ConfigurationError):
        return EXIT_USAGE, str(error)
    if isinstance(error, InvalidValueError):
        return EXIT_USAGE, str(error)
    if isinstance(error, DomainError):
        return EXIT_REFUSED, str(error)
    if isinstance(error, DatabaseUnavailableError):
        return EXIT_UNAVAILABLE, str(error)
    if isinstance(error, LedgerError):
        return EXIT_REFUSED, str(error)
    runner = sys.modules.get("projections.runner")
    if runner is not None and isinstance(error, runner.ProjectionFailedError):
        return EXIT_REFUSED, f"{error}; see 'ledger projections status'"
    if isinstance(error, TamperingFoundError):
        return EXIT_TAMPERED, str(error)
    unavailable = _unavailable_message(error)
    if unavailable:
        return EXIT_UNAVAILABLE, unavailable
    return (
        EXIT_REFUSED,
        f"unexpected failure ({type(error).__name__}: {error}); nothing was recorded",
    )


def _unavailable_message(error: BaseException) -> str | None:
    """Database connection failures from any layer, as exit 4."""
    names = {cls.__name__ for cls in type(error).__mro__}
    modules = {cls.__module__.split(".")[0] for cls in type(error).__mro__}
    if isinstance(error, sqlite3.OperationalError) or (
        names & {"OperationalError", "InterfaceError"}
        and modules & {"sqlalchemy", "psycopg", "eventsourcing", "sqlite3"}
    ):
        text = " ".join(str(error).split())
        return (
            f"the database could not be used: {text[:300]}; check it is running, reachable, "
            "writable and not locked"
        )
    return None


class LedgerGroup(TyperGroup):
    """The root command: runs non-standalone so that every failure is ours to report."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        from cli.coercion import install

        install()
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except Exit as done:
            sys.exit(done.exit_code)
        except Abort:
            sys.exit(fail("interrupted; nothing more was recorded", 130))
        except KeyboardInterrupt:
            sys.exit(fail("interrupted; nothing more was recorded", 130))
        except Exception as error:
            code, message = exit_code_for(error)
            sys.exit(fail(message, code))
        sys.exit(result if isinstance(result, int) else 0)
