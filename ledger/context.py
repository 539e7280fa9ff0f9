"""What every use of the ledger has to hand: settings, the acting staff member, and the ledger
and read models opened only on demand.

The command line makes one per command (`cli.session.Session` adds what only Typer knows); the
read service (`ledger.reading`) and a program using the ledger directly take one too. Nothing is
opened until asked for, and the heavy libraries (SQLAlchemy, psycopg) are imported only then, so
that a command that needs neither starts quickly.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from ledger.app import OffenderLedger
    from projections.runner import Progress


@dataclass
class LedgerContext:
    """Settings, the acting staff member, and the ledger and read models, opened on demand."""

    settings: Settings
    _ledger: OffenderLedger | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    # What is being done ("staff list") and the options given to it, for the access log.
    command: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    _bound_actor: tuple[str | None] | None = field(default=None, repr=False)

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
                # The use stops here; the refusal is logged against whoever really tried.
                self._bound_actor = (refused.staff,)
                raise
        return self._bound_actor[0]

    def ledger(self, *, check_decode: bool = True) -> OffenderLedger:
        """The ledger application, opened the first time it is asked for."""
        if self._ledger is None:
            from ledger.bootstrap import open_ledger

            self._ledger = open_ledger(self.settings, check_decode=check_decode)
        return self._ledger

    def engine(self) -> Engine:
        """The read models' database engine, made the first time it is asked for."""
        if self._engine is None:
            from projections.db import make_engine
            from projections.seal_check import check_seal

            db = self.settings.database
            engine = make_engine(db.sqlalchemy_url(), db.schema, self.settings.cipher_key)
            try:
                # A key that does not match how the read models are stored is refused before
                # anything is read or written (a refusal included).
                check_seal(engine)
            except BaseException:
                engine.dispose()
                raise
            self._engine = engine
        return self._engine

    def projections(self) -> list[Any]:
        """Every read model this ledger keeps, as the settings configure them."""
        from projections.catalogue import all_projections

        return all_projections(self.settings)

    def catch_up(self, progress: Progress | None = None) -> None:
        """Brings every read model up to date with all that was committed before this began.

        When each one has already applied the log up to its head (two small queries), the
        projections are not even imported: most reads find nothing to apply, and building them
        (the alerts' rules and policy among them) cost a read more than its query."""
        from projections.catalogue import PROJECTIONS
        from projections.runner import catch_up, up_to_date

        ledger, engine = self.ledger(), self.engine()
        if progress is None and up_to_date(engine, ledger.head(), PROJECTIONS):
            if self.settings.policy_path:
                # A policy file set but unusable is said at once, by every read, not first by
                # the read that happens to have events to apply.
                from projections.alerts.policy import load_policy

                load_policy(self.settings.policy_path)
            return
        catch_up(engine, ledger, self.projections(), progress=progress)

    def check_reader(self, *, check_decode: bool = True) -> None:
        """Refuses, before anything is read, a read by no one, by someone not in post, or without a
        justification. On an empty ledger there is no one in post yet and nothing to show: only
        the claim and the justification are needed. Without `check_decode` (`verify`), staff
        records that no longer decode are left for the verification to report."""
        from domain.errors import DomainError
        from ledger.errors import LedgerError, MissingActorError, MissingReasonError

        if not self.actor:
            raise MissingActorError
        if not self.settings.reason:
            raise MissingReasonError
        ledger = self.ledger(check_decode=check_decode)
        if ledger.head() == 0:
            return
        try:
            ledger.check_actor(self.actor)
        except (DomainError, LedgerError):
            raise
        except Exception:
            if check_decode:
                raise

    def consult(
        self,
        what: str,
        *,
        offender: str | None = None,
        details: Mapping[str, Any] | None = None,
        recipients: Sequence[str] | None = None,
        checked: bool = False,
    ) -> None:
        """Logs this look at the ledger (Data Protection Act 2018 s.62).

        A read checks its reader first (`check_reader`), reads, and calls this only once it has
        something to show, just before showing it: a read refused on the way (an unknown
        offender or entry, a moment before the registration) is then logged once, as refused,
        and nothing is shown without its row in the access log. It makes the reader's checks
        again, unless the caller says it just did (`checked`). `details` default to the options
        the command was given; `recipients` make the read a disclosure.
        """
        from sqlalchemy import inspect
        from sqlalchemy.exc import DBAPIError

        from ledger.errors import LedgerError
        from projections.access_log import ACCESS_LOG, CONSULTED, DISCLOSED, record_access

        if not checked:
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

    def record_refusal(
        self,
        error: str,
        exit_code: int | None = None,
        *,
        command: str | None = None,
        offender: str | None = None,
    ) -> None:
        """Logs a use of the ledger that it refused: who tried what, and why it was refused.

        `command` and `offender` default to the running command and its REF. Option values are
        left out: a refused `record` command's free text belongs in the (possibly encrypted)
        event store or nowhere.
        """
        from projections.access_log import REFUSED, record_access

        db = self.settings.database
        if db.is_sqlite and not Path(db.path).exists():
            return  # never create a database file just to say that there is none
        if offender is None:
            ref = self.options.get("ref", self.options.get("offender"))
            offender = ref if isinstance(ref, str) else None
        # Who was acting if that was established (a login bound to staff, even when its claim to
        # be someone else was the refusal), else who was claimed; on PostgreSQL the row also gets
        # the login that made it.
        actor = self._bound_actor[0] if self._bound_actor is not None else self.settings.actor
        details: dict[str, Any] = {"options": sorted(self.options)}
        if exit_code is not None:
            details = {"exit_code": exit_code, **details}
        engine = self.engine()
        try:
            with engine.begin() as conn:
                record_access(
                    conn,
                    actor=actor,
                    command=command or self.command or "ledger",
                    outcome=REFUSED,
                    offender=offender.strip() if offender else None,
                    reason=self.settings.reason,
                    details=details,
                    error=error,
                )
        finally:
            # Often the last connection made: a refusal ends what was being done.
            engine.dispose()

    def refused(self, what: str, offender: str | None, error: Exception) -> None:
        """A read the ledger refused (`ledger.reading`), logged once, as refused.

        A database that cannot be reached cannot take the row, nor can one never initialised;
        logging never replaces or hides the refusal itself, so its own failure is not reported.
        The command line logs every refusal of its own, with the exit status, and overrides this
        to leave it to that.
        """
        from ledger.errors import DatabaseUnavailableError, NotInitialisedError

        if isinstance(error, DatabaseUnavailableError | NotInitialisedError):
            return
        with contextlib.suppress(Exception):
            self.record_refusal(str(error), command=what, offender=offender)

    def close(self) -> None:
        """Releases the read models' connections and the ledger's."""
        if self._engine is not None:
            self._engine.dispose()
        if self._ledger is not None:
            self._ledger.close()
