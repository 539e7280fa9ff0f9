"""The domain's refusals. Each says what was wrong and, where it can, how to put it right.

A refusal speaks of facts, not of any one way of typing them: it names the fields it is about
by their own names (`licence_end`, `occurred_at`) and lists them in `fields`, so that each way in
spells them its own way (the command line as its options, an import as its keys, with the line).
No option, command name or "see 'ledger ...'" hint is written here.
"""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """A rule of the domain refused a command; nothing was recorded."""

    def __init__(self, message: str = "", *, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        # The fields the message names, each written as its bare name.
        self.fields: tuple[str, ...] = tuple(fields)
        # Which command of a batch was refused, where it came in a batch (an import's lines).
        self.index: int | None = None


class InvalidValueError(DomainError, ValueError):
    """A value given on input is not one the domain accepts."""


class UnknownOffenderError(DomainError):
    def __init__(self, ref: str) -> None:
        hint = f" (references are in capitals: {ref.upper()!r}?)" if ref != ref.upper() else ""
        super().__init__(f"no offender with reference {ref!r}{hint}")
        self.ref = ref


class OffenderAlreadyRegisteredError(DomainError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"offender {ref!r} is already registered")
        self.ref = ref


class UnknownStaffError(DomainError):
    def __init__(self, staff_id: str) -> None:
        super().__init__(f"no staff member with id {staff_id!r}")
        self.staff_id = staff_id


class StaffAlreadyEnrolledError(DomainError):
    def __init__(self, staff_id: str) -> None:
        super().__init__(f"staff member {staff_id!r} is already enrolled")
        self.staff_id = staff_id


class StaffNotInPostError(DomainError):
    """The staff member was not enrolled (or had left) at the moment in question."""


class NotAuthorisedError(DomainError):
    """The actor may not do this."""


class UnknownEntryError(DomainError):
    def __init__(self, ref: str, entry: int) -> None:
        super().__init__(f"{ref} has no entry {entry}")
        self.ref = ref
        self.entry = entry


class AlreadyAcknowledgedError(DomainError):
    def __init__(self, ref: str, entry: int, staff_id: str) -> None:
        super().__init__(f"{staff_id} has already acknowledged {ref}#{entry}")


class AlreadyOwnerError(DomainError):
    def __init__(self, ref: str, staff_id: str, agency: str) -> None:
        super().__init__(f"{staff_id} already owns {ref} for {agency}")


class FutureTimeError(DomainError):
    def __init__(self, text: str, field: str = "occurred_at") -> None:
        super().__init__(
            f"{field} {text} is in the future; record what has happened, with the time it happened",
            fields=(field,),
        )


class NotOnLicenceError(DomainError):
    """A licence event or recall decision for someone not released on licence."""


class NotAReleaseError(DomainError):
    """A licence end to correct, on an entry that began no licence."""


class AlreadyOnLicenceError(DomainError):
    """A second release while the first licence is still running."""


class AlreadyInCustodyError(DomainError):
    """A move into custody while already in custody."""


class NotInCustodyError(DomainError):
    """A release while not in custody (other than the first release after the registration)."""


class RegistrationEndedError(DomainError):
    """Something that needs the registration in force, at or after its end; or a second end."""


class NotInformationError(DomainError):
    """An acknowledgement or share naming an entry that records an act (a transfer, an
    acknowledgement, a share, a correction), not information anyone can know."""


class SelfReferenceError(DomainError):
    """A disagreement with, or escalation to, oneself."""


class FutureDateError(DomainError):
    """A date that has not come yet, where only the past can be recorded."""


class DateOrderError(DomainError):
    """Dates that contradict each other or the history already recorded."""


class LastAdministratorError(DomainError):
    """The change would leave the ledger with no administrator in post."""


class RecallDecisionOffLicenceError(DateOrderError):
    """A correction of a release's time or licence end that would leave a recall decision on
    that licence before the release or after the licence's end."""


class LeavingBeforeEntryError(DateOrderError):
    """A leaving dated on or before the day of an entry that has the person in post: its author,
    or someone it names as they stood that day."""
