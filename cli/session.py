"""What a command has to hand: settings, and the ledger and read models opened only on demand."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ledger.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ledger.app import OffenderLedger
    from projections.runner import Progress


@dataclass
class Session:
    settings: Settings
    _ledger: OffenderLedger | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    # The command being run ("staff list") and the options given to it, for the access log.
    command: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    _bound_actor: tuple[str | None] | None = field(default=None, repr=False)
    # What this command has committed, once it has ("WMP-000123#5"): an interrupt after that
    # point says it was saved, rather than that nothing was.
    saved: str | None = None

    @property
    def actor(self) -> str | None:
        """--as/LEDGER_ACTOR; on a PostgreSQL ledger that binds database logins to staff, the
        login's own staff id, and a claim to be anyone else is refused (`ledger.access`)."""
        if self.settings.database.is_sqlite:
            return self.settings.actor
        if self._bound_actor is None:
            from ledger.access import ActorBindingError, acting_staff

            db = self.settings.database
            try:
                self._bound_actor = (acting_staff(self.ledger(), db, self.settings.actor),)
            except ActorBindingError as refused:
                # The command stops here; the refusal is logged against whoever really tried.
                self._bound_actor = (refused.staff,)
                raise
        return self._bound_actor[0]

    def attend(self, ctx: typer.Context) -> None:
        """Notes which command is running, and with what, from its Typer context."""
        names = []
        outer = ctx
        while outer.parent is not None:
            names.append(outer.info_name or "")
            outer = outer.parent
        if not names:
            return
        self.command = " ".join(reversed(names))
        self.options = {
            name: _plain(value)
            for name, value in ctx.params.items()
            if value is not None and value is not False and value != ()
        }

    def ledger(self, *, check_decode: bool = True) -> OffenderLedger:
        if self._ledger is None:
            from ledger.bootstrap import open_ledger

            self._ledger = open_ledger(self.settings, check_decode=check_decode)
        return self._ledger

    def engine(self) -> Engine:
        if self._engine is None:
            from projections.db import make_engine

            db = self.settings.database
            self._engine = make_engine(db.sqlalchemy_url(), db.schema)
        return self._engine

    def projections(self) -> list[Any]:
        from projections.catalogue import all_projections

        return all_projections(self.settings)

    def catch_up(self, progress: Progress | None = None) -> None:
        """Brings every read model up to date with all that was committed before this began."""
        from projections.runner import catch_up

        catch_up(self.engine(), self.ledger(), self.projections(), progress=progress)

    def check_reader(self) -> None:
        """Refuses, before anything is read, a read by no one, by someone not in post, or without a
        justification."""
        from ledger.errors import MissingActorError, MissingReasonError

        if not self.actor:
            raise MissingActorError
        if not self.settings.reason:
            raise MissingReasonError
        self.ledger().check_actor(self.actor)

    def consult(
        self,
        what: str,
        *,
        offender: str | None = None,
        details: Mapping[str, Any] | None = None,
        recipients: Sequence[str] | None = None,
    ) -> None:
        """Logs this look at the ledger (Data Protection Act 2018 s.62).

        A read command checks its reader first (`check_reader`), reads, and calls this only once
        it has something to show, just before showing it: a read refused on the way (an unknown
        offender or entry, a moment before the registration) is then logged once, as refused,
        and nothing is shown without its row in the access log. It makes the reader's checks
        again. `details` default to the options the command was given; `recipients` make the
        read a disclosure.
        """
        from sqlalchemy import inspect
        from sqlalchemy.exc import DBAPIError

        from ledger.errors import LedgerError
        from projections.access_log import ACCESS_LOG, CONSULTED, DISCLOSED, record_access

        self.check_reader()
        logged = dict(self.options if details is None else details)
        if recipients is not None:
            logged["recipients"] = list(recipients)
        try:
            with self.engine().begin() as conn:
                record_access(
                    conn,
                    actor=self.actor,
                    command=what,
                    outcome=DISCLOSED if recipients is not None else CONSULTED,
                    offender=offender.strip() if offender else None,
                    reason=self.settings.reason,
                    details=logged,
                )
        except DBAPIError:
            if not inspect(self.engine()).has_table(ACCESS_LOG):
                raise LedgerError(
                    "this ledger predates the access log, so it cannot be read yet: "
                    "upgrade it with 'ledger init'"
                ) from None
            raise

    def record_refusal(self, error: str, exit_code: int) -> None:
        """Logs a command the ledger refused: who tried what, and why it was refused.

        Option values are left out: a refused `record` command's free text belongs in the
        (possibly encrypted) event store or nowhere.
        """
        from projections.access_log import REFUSED, record_access

        db = self.settings.database
        if db.is_sqlite and not Path(db.path).exists():
            return  # never create a database file just to say that there is none
        ref = self.options.get("ref")
        # Who was acting if that was established (a login bound to staff, even when its claim to
        # be someone else was the refusal), else who was claimed; on PostgreSQL the row also gets
        # the login that made it.
        actor = self._bound_actor[0] if self._bound_actor is not None else self.settings.actor
        engine = self.engine()
        try:
            with engine.begin() as conn:
                record_access(
                    conn,
                    actor=actor,
                    command=self.command or "ledger",
                    outcome=REFUSED,
                    offender=ref.strip() if isinstance(ref, str) else None,
                    reason=self.settings.reason,
                    details={"exit_code": exit_code, "options": sorted(self.options)},
                    error=error,
                )
        finally:
            # The command's own close has already run; this connection is the last.
            engine.dispose()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self._ledger is not None:
            self._ledger.close()


class CommandContext(typer.Context):
    """A command's context, which tells the session what is running as soon as the command's
    values are parsed and before its body runs: a value the body refuses (an empty --reason, a
    bad entry number, an unknown --kind) is then logged against the command, the offender and
    the options given, like a refusal found later. `cli.lazy` sets it on each command it
    builds."""

    def invoke(self, callback: Any, /, *args: Any, **kwargs: Any) -> Any:
        if callback is getattr(self.command, "callback", None):
            if isinstance(self.obj, Session):
                self.obj.attend(self)
            refuse_empty_values(self)
        return super().invoke(callback, *args, **kwargs)


def refuse_empty_values(ctx: typer.Context) -> None:
    """A value given but blank is a mistake, never a way to leave an option out: `--at ''` would
    otherwise answer for now, and `--agency ''` list every agency (`domain.text.is_blank`; text
    of invisible characters gets the text check's own, closer message)."""
    from domain.text import blank_value_error, is_blank

    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name) if param.name else None
        if source is None or source.name == "DEFAULT":
            continue
        value = ctx.params.get(param.name)
        values = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(v, str) and is_blank(v) for v in values):
            option = param.param_type_name == "option"
            name = param.opts[0] if option else param.name.upper()
            raise blank_value_error(name, optional=option and not param.required)


def _plain(value: Any) -> Any:
    """An option's value as JSON can hold it."""
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def session(ctx: typer.Context) -> Session:
    root = ctx.find_root()
    if not isinstance(root.obj, Session):
        raise RuntimeError("the root command did not set up the session")
    root.obj.attend(ctx)
    return root.obj
