"""Turning every failure into one `error:` line and the contract's exit status.

Usage errors 2; a domain rule refused, or an unknown offender, entry or staff member: 1;
`verify` finding tampering: 3; the database unreachable: 4. No traceback reaches the user.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from typer import Abort, Context, Exit
from typer.core import TyperGroup

from cli.click_errors import ClickException, NoArgsIsHelpError, UsageError
from domain.errors import DomainError, InvalidValueError
from ledger.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    LedgerError,
    NotInitialisedError,
)

if TYPE_CHECKING:
    from cli.session import Session
    from ledger.settings import Database

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


def exit_code_for(error: BaseException, database: Database | None = None) -> tuple[int, str]:
    """The exit status and message for an exception raised by a command on `database`."""
    if isinstance(error, NoArgsIsHelpError):
        # The help was printed; its text is the error's message, so say only what was missing.
        return EXIT_USAGE, f"name a command; see '{error.ctx.command_path} --help'"
    if isinstance(error, UsageError):
        message = error.format_message()
        if error.ctx is not None:
            message = f"{message.rstrip('.')}; see '{error.ctx.command_path} --help'"
        return EXIT_USAGE, message
    if isinstance(error, ClickException):
        return error.exit_code, error.format_message()
    if isinstance(error, ConfigurationError):
        return EXIT_USAGE, str(error)
    if isinstance(error, InvalidValueError):
        return EXIT_USAGE, spelled(error)
    integrity = sys.modules.get("ledger.integrity")
    if integrity is not None and isinstance(error, integrity.TamperedEventError):
        return EXIT_TAMPERED, str(error)
    if isinstance(error, DomainError):
        return EXIT_REFUSED, spelled(error)
    if isinstance(error, DatabaseUnavailableError):
        return EXIT_UNAVAILABLE, str(error)
    if isinstance(error, LedgerError):
        return EXIT_REFUSED, str(error)
    runner = sys.modules.get("projections.runner")
    if runner is not None and isinstance(error, runner.ProjectionFailedError):
        return EXIT_REFUSED, f"{error}; see 'ledger projections status'"
    if isinstance(error, TamperingFoundError):
        return EXIT_TAMPERED, str(error)
    unavailable = _unavailable_message(error, database)
    if unavailable:
        return EXIT_UNAVAILABLE, unavailable
    refused = _in_chain(error, lambda e: getattr(e, "sqlstate", None) == "42501")
    if refused is not None:
        where = database.describe() if database is not None else "the database"
        first = str(refused).strip().splitlines()[0] if str(refused).strip() else "refused"
        return (
            EXIT_UNAVAILABLE,
            f"cannot use {where} with this login: {first}; the ledger command needs a login "
            "granted the writer role (ledger init --roles); the reader role is for reading the "
            "read models with SQL",
        )
    damage = _sqlite_damage(error)
    if damage is not None:
        where = database.describe() if database is not None else "the ledger's SQLite file"
        return (
            EXIT_UNAVAILABLE,
            f"cannot use the database {where}: {damage}; the file is damaged: restore it from a "
            "backup and check the copy with 'ledger verify'",
        )
    return (
        EXIT_REFUSED,
        f"unexpected failure ({type(error).__name__}: {error}); nothing was recorded",
    )


# Fields given as arguments rather than options, as the usage line calls them.
ARGUMENTS = {"ref": "REF", "staff_id": "STAFF_ID", "entries": "entry", "entry": "entry"}


def option_for(field: str) -> str:
    """How the command line gives a command's field: `licence_end` is `--licence-end`."""
    if field.startswith("-") or field.isupper():  # named as the command line names it already
        return field
    return ARGUMENTS.get(field) or "--" + field.rstrip("_").replace("_", "-")


def spelled(error: DomainError) -> str:
    """A refusal as the command line says it: each field it names as the option that gives it,
    and for an unknown offender, member of staff or entry, where to find or make one."""
    import re

    text = str(error)
    for field in sorted(set(error.fields), key=len, reverse=True):
        pattern = rf"(?<![\w-]){re.escape(field)}(?![\w-])"
        option = option_for(field)
        text = re.sub(pattern, lambda _, option=option: option, text)
    return text + _advice(error)


def _advice(error: DomainError) -> str:
    from domain.errors import UnknownEntryError, UnknownOffenderError, UnknownStaffError

    if isinstance(error, UnknownOffenderError):
        return "; register one with 'ledger offender register'"
    if isinstance(error, UnknownStaffError):
        return "; enrol them with 'ledger staff add'"
    if isinstance(error, UnknownEntryError):
        return f"; see 'ledger timeline {error.ref}' for its entries"
    return ""


def _unavailable_message(error: BaseException, database: Database | None) -> str | None:
    """Database connection failures from any layer, as exit 4."""
    names = {cls.__name__ for cls in type(error).__mro__}
    modules = {cls.__module__.split(".")[0] for cls in type(error).__mro__}
    if isinstance(error, sqlite3.OperationalError) or (
        names & {"OperationalError", "InterfaceError"}
        and modules & {"sqlalchemy", "psycopg", "psycopg_pool", "eventsourcing", "sqlite3"}
    ):
        if database is not None:
            from ledger.bootstrap import unavailable_message

            # SQLAlchemy wraps the driver's error; the driver's own words are the useful ones.
            return unavailable_message(database, getattr(error, "orig", None) or error)
        text = " ".join(str(error).split())
        return (
            f"the database could not be used: {text[:300]}; check it is running, reachable, "
            "writable and not locked"
        )
    return None


def _sqlite_damage(error: BaseException) -> BaseException | None:
    """SQLite's own report of a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB), under whatever the
    library or SQLAlchemy wrapped it in."""
    return _in_chain(
        error,
        lambda e: (
            isinstance(e, sqlite3.DatabaseError)
            and getattr(e, "sqlite_errorname", "") in ("SQLITE_CORRUPT", "SQLITE_NOTADB")
        ),
    )


def _in_chain(
    error: BaseException, wanted: Callable[[BaseException], bool]
) -> BaseException | None:
    """The first error `wanted` among `error` and what it wraps (causes, contexts, SQLAlchemy's
    `orig`): the driver's own error, under whatever the library or SQLAlchemy made of it."""
    seen: set[int] = set()
    found: list[BaseException | None] = [error]
    while found:
        e = found.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if wanted(e):
            return e
        found += [e.__cause__, e.__context__, getattr(e, "orig", None)]
    return None


def _is_text(value: str) -> bool:
    """False for a string holding the surrogates Python decodes invalid UTF-8 bytes into."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def untextual_input(arguments: Sequence[str]) -> str | None:
    """What is wrong, if a command-line argument or LEDGER_* setting is not valid UTF-8.

    Such bytes reach Python as lone surrogates, which nothing can store or print; refusing them
    before the command runs keeps them out of the ledger and out of a traceback.
    """
    how = "check that the terminal or script uses UTF-8, and type it again"
    for index, argument in enumerate(arguments):
        if _is_text(argument):
            continue
        name, equals, _ = argument.partition("=")
        before = arguments[index - 1] if index else ""
        if argument.startswith("--") and equals and _is_text(name):
            what = name
        elif before.startswith("-") and before != "--" and _is_text(before):
            what = before.partition("=")[0]
        else:
            what = f"command-line argument {index + 1}"
        return f"{what} is not valid text (UTF-8): {how}"
    for variable, value in os.environ.items():
        if variable.startswith("LEDGER_") and not _is_text(value):
            return f"{variable} is not valid text (UTF-8): {how}"
    return None


def explained(error: Exception, session: Session | None) -> Exception:
    """The ledger's own error where a library wrapped it in one of its own.

    The eventsourcing library wraps whatever fails while it decodes a stored event; when that
    was a key that does not open the event, the ledger's message is the one to print. A key
    given for a ledger that was never encrypted is a setting to remove, and is said so.
    """
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, LedgerError | DomainError):
        cause = cause.__cause__
    if cause is None or cause is error or not isinstance(cause, Exception):
        return error
    if (
        type(cause).__name__ == "WrongKeyError"
        and session is not None
        and session.settings.cipher_key
        and _opens_without_key(session)
    ):
        return ConfigurationError(
            "LEDGER_CIPHER_KEY is set but this ledger's events are not encrypted, so the key "
            "cannot open them: unset LEDGER_CIPHER_KEY to use this ledger; nothing was done"
        )
    return cause


def _opens_without_key(session: Session) -> bool:
    """True if this session's ledger can be read with no cipher key."""
    from dataclasses import replace

    from ledger.bootstrap import open_ledger

    try:
        ledger = open_ledger(replace(session.settings, cipher_key=None))
    except Exception:
        return False
    with contextlib.suppress(Exception):
        ledger.close()
    return True


class Interrupted(Exception):
    """Ctrl-C while a command ran."""


class LedgerGroup(TyperGroup):
    """The root command: runs non-standalone so that every failure is ours to report."""

    root_context: Context | None = None

    def invoke(self, ctx: Context) -> Any:
        # Kept so that a failure can be reported against the session's database and logged.
        self.root_context = ctx
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Typer would turn it into a silent exit 130; `main` says what was left.
            raise Interrupted from None

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        from cli.coercion import install

        install()
        self.root_context = None  # a failure before this run's invoke has no session to log
        arguments = kwargs.get("args", args[0] if args else None)
        not_text = untextual_input(sys.argv[1:] if arguments is None else list(arguments))
        if not_text is not None:
            sys.exit(fail(not_text, EXIT_USAGE))
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except Exit as done:
            sys.exit(done.exit_code)
        except (Interrupted, Abort, KeyboardInterrupt):
            sys.exit(fail(self._interrupted(), 130))
        except Exception as error:
            session = self._session()
            database = session.settings.database if session is not None else None
            error = explained(error, session)
            code, message = exit_code_for(error, database)
            fail(message, code)
            if session is not None:
                _log_refusal(session, error, code, message)
            sys.exit(code)
        sys.exit(result if isinstance(result, int) else 0)

    def _interrupted(self) -> str:
        """What an interrupt left: what the command had saved by then, if anything."""
        session = self._session()
        if session is not None and session.saved:
            return (
                f"interrupted after {session.saved} was saved; nothing more was recorded "
                "(the read models catch up at the next command)"
            )
        if session is not None and (session.command or "").startswith("projections"):
            return (
                "interrupted; no event was recorded, and the read models left part-way are "
                "finished by the next command (or 'ledger projections run')"
            )
        return "interrupted; nothing was recorded"

    def _session(self) -> Session | None:
        from cli.session import Session

        obj = self.root_context.obj if self.root_context is not None else None
        return obj if isinstance(obj, Session) else None


def _log_refusal(session: Session, error: BaseException, code: int, message: str) -> None:
    """Adds the refused command to the access log, after its `error:` line has been printed.

    A database that cannot be reached cannot take the row either; nor can one never initialised.
    Logging never replaces or hides the original failure, so its own failure is not reported.
    """
    if code == EXIT_UNAVAILABLE or isinstance(error, NotInitialisedError):
        return
    if session.command is None and isinstance(error, UsageError) and error.ctx is not None:
        session.attend(error.ctx)
    with contextlib.suppress(Exception):
        session.record_refusal(message, code)
