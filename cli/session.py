"""What a command has to hand: settings, and the ledger and read models opened only on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
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

    @property
    def actor(self) -> str | None:
        return self.settings.actor

    def ledger(self) -> OffenderLedger:
        if self._ledger is None:
            from ledger.bootstrap import open_ledger

            self._ledger = open_ledger(self.settings)
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

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self._ledger is not None:
            self._ledger.close()


def session(ctx: typer.Context) -> Session:
    root = ctx.find_root()
    if not isinstance(root.obj, Session):
        raise RuntimeError("the root command did not set up the session")
    return root.obj
