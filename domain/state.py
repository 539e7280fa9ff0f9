"""The named parts of an offender's state: what the aggregate (`domain.offender`) keeps of its
events to check later commands. Each is replaced whole, never changed in place; snapshots store
them through transcodings (`ledger.transcodings`), by name, so where they are defined is not part
of the stored form. They live apart from the aggregate so that reading a stored snapshot's types
does not build the aggregate's event classes: a read never needs them.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.clock import ValidTime
from domain.frozen import frozen
from domain.values import Agency, RegistrationEndReason

ONE_DAY = timedelta(days=1)


@frozen
class Licence:
    """A release on licence, in London days: it runs from `released_on` to the end of `ends_on`,
    or until `recalled_on` once a recall decision recalled it. `release_entry` is the entry
    number of the release that began it."""

    released_on: date
    ends_on: date
    recalled_on: date | None
    release_entry: int

    @property
    def stops_on(self) -> date:
        """The first day it no longer runs: the day it was recalled, or the day after its end
        (a new release may fall on the day of a recall, not before)."""
        return self.recalled_on if self.recalled_on is not None else self.ends_on + ONE_DAY


@frozen
class ChangeOfOwner:
    """Who took the case on for their agency (`staff`, `agency`), when (`occurred_at`), by which
    entry (`entry`: 1 for the registration, whose author owns the case until a transfer)."""

    occurred_at: ValidTime
    entry: int
    agency: Agency
    staff: str


@frozen
class RecallDecision:
    """A recall decision, recall or not: when it occurred (`occurred_at`, as recorded), the
    release whose licence it decided on (`release_entry`; None where no licence ran that day,
    as under the rules before decisions were checked against dates), and whether it recalled
    that licence (`recalled`). The decision stays tied to that release whatever later
    corrections do to the licence's dates."""

    occurred_at: ValidTime
    release_entry: int | None
    recalled: bool


@frozen
class CustodyMove:
    """A move into custody (`into`) or out of it, recorded by entry `entry` as occurring at
    `occurred_at`: kept for the events that record nothing else (`TakenIntoCustody`,
    `ReleasedWithoutLicence`); releases on licence and recalls are read from the licences."""

    occurred_at: ValidTime
    entry: int
    into: bool


@frozen
class RegistrationEnd:
    """The end of the notification requirements: when (`occurred_at`, as recorded), by which
    entry (`entry`) and why (`reason`)."""

    occurred_at: ValidTime
    entry: int
    reason: RegistrationEndReason
