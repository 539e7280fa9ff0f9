"""Every write the ledger takes, as data: one small immutable model per command.

A command names the facts it records by field (`licence_end`, `occurred_at`). Each way in builds
the same model from what it was given, the command line from its options and `ledger import` from
a JSON line, and hands it to the one handler (`ledger.handlers`). Each field's checks are declared
once, beside the field, and run whichever way the command came in:

- on the command line, by `Command.build`, on the values the options carried;
- in an import, by pydantic, which validates these dataclasses strictly (a JSON string for text, a
  JSON whole number for a number) and runs the same checks through the markers' pydantic hook.

They are standard-library dataclasses, not pydantic models, because importing pydantic takes
longer than the whole of `ledger record entry`; pydantic is imported only where a file of records
is read, and it validates dataclasses as it validates its own models.

A field's name is its import key, and (with dashes) its option: `licence_end` is `--licence-end`.
A trailing underscore keeps a Python keyword out of the way: `with_` is the key `with`.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, ClassVar

from domain.clock import parse_date, parse_time
from domain.errors import InvalidValueError
from domain.frozen import frozen
from domain.identity import normalise_ref
from domain.text import LONG_LIMIT, parse_optional_text, parse_text
from domain.values import (
    Agency,
    AssessmentTool,
    CustodyReason,
    RecallChoice,
    RegistrationEndReason,
    RiskLevel,
    ShareMeans,
    VisitKind,
    check_entry_number,
    parse_category,
    parse_level,
)

# --------------------------------------------------------------------------- field checks


class FieldRefusedError(Exception):
    """A field's check refused its value while pydantic validated a record. Not a ValueError,
    so pydantic lets it through unchanged: the refusal keeps its own class (and so its exit
    status) and message, the same as on the command line."""

    def __init__(self, refusal: InvalidValueError) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def _naming(field: str, refusal: InvalidValueError) -> InvalidValueError:
    """The refusal, saying which field it is about if it does not already."""
    if refusal.fields:
        return refusal
    named = InvalidValueError(f"{field}: {refusal}", fields=(field,))
    named.__cause__ = refusal
    return named


class Parsed:
    """A field whose value is read from text: `parse(text, field)` gives the value or raises
    `InvalidValueError`. A value that is not text is left to the field's type."""

    def __init__(self, parse: Callable[[str, str], Any]) -> None:
        self.parse = parse

    def apply(self, value: Any, field: str) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value, field)
        except InvalidValueError as refusal:
            raise _naming(field, refusal) from None

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def before(value: Any, info: Any) -> Any:
            try:
                return self.apply(value, info.field_name or "value")
            except InvalidValueError as refusal:
                raise FieldRefusedError(refusal) from None

        return core_schema.with_info_before_validator_function(before, handler(source))


class Checked(Parsed):
    """A field whose value, once it has its type, must pass `check(value, field)` (which
    returns the value to keep, or raises `InvalidValueError`)."""

    def apply(self, value: Any, field: str) -> Any:
        if value is None:
            return value
        try:
            return self.parse(value, field)
        except InvalidValueError as refusal:
            raise _naming(field, refusal) from None

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def after(value: Any, info: Any) -> Any:
            try:
                return self.apply(value, info.field_name or "value")
            except InvalidValueError as refusal:
                raise FieldRefusedError(refusal) from None

        return core_schema.with_info_after_validator_function(after, handler(source))


def _text(value: str, field: str) -> str:
    return parse_text(value, field)


def _optional_text(value: str, field: str) -> str | None:
    return parse_optional_text(value, field)


def _staff_id(value: str, field: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidValueError(f"{field} is empty: give a staff id", fields=(field,))
    return parse_text(text, field, limit=LONG_LIMIT)


def _ref(value: str, field: str) -> str:
    return normalise_ref(value)


def _new_staff_id(value: str, field: str) -> str:
    """A staff id to enrol, without surrounding space; its form is the enrolment's own check."""
    text = value.strip()
    if not text:
        raise InvalidValueError(f"{field} is empty: give a staff id", fields=(field,))
    return text


def _time_text(value: str, field: str) -> str:
    """A valid time kept as typed: its form is checked now, whether it is past when applied."""
    parse_time(value)
    return value


def _date(value: str, field: str) -> date:
    return parse_date(value)


def _choice(kind: Any) -> Callable[[str, str], Any]:
    return lambda value, field: kind.parse(value, field)


def _entries(numbers: Any, field: str) -> tuple[int, ...]:
    return tuple(check_entry_number(n, field) for n in numbers)


def _some_entries(numbers: Any, field: str) -> tuple[int, ...]:
    if not numbers:
        raise InvalidValueError(f"{field}: name at least one entry number", fields=(field,))
    return _entries(numbers, field)


def _entry(number: int, field: str) -> int:
    return check_entry_number(number, field)


def _attendees(ids: Any, field: str) -> tuple[str, ...]:
    people = tuple(dict.fromkeys(_staff_id(i, field) for i in ids))
    if not people:
        raise InvalidValueError(f"{field} needs at least one staff id", fields=(field,))
    return people


def _level(*allowed: int) -> Callable[[int, str], int]:
    return lambda value, field: parse_level(value, allowed, field)


def _category(value: int, field: str) -> int:
    return parse_category(value, field)


Text = Annotated[str, Parsed(_text)]
OptionalText = Annotated[str | None, Parsed(_optional_text)]
StaffId = Annotated[str, Parsed(_staff_id)]
OptionalStaffId = Annotated[str | None, Parsed(_staff_id)]
Ref = Annotated[str, Parsed(_ref)]
NewStaffId = Annotated[str, Parsed(_new_staff_id)]
TimeText = Annotated[str | None, Parsed(_time_text)]
Day = Annotated[date, Parsed(_date)]
OptionalDay = Annotated[date | None, Parsed(_date)]
EntryNumbers = Annotated[tuple[int, ...], Checked(_entries)]
SomeEntryNumbers = Annotated[tuple[int, ...], Checked(_some_entries)]
EntryNumber = Annotated[int, Checked(_entry)]
AgencyName = Annotated[Agency, Parsed(_choice(Agency))]
VisitKindName = Annotated[VisitKind, Parsed(_choice(VisitKind))]
ToolName = Annotated[AssessmentTool, Parsed(_choice(AssessmentTool))]
RiskName = Annotated[RiskLevel, Parsed(_choice(RiskLevel))]
RecallChoiceName = Annotated[RecallChoice, Parsed(_choice(RecallChoice))]
MeansName = Annotated[ShareMeans, Parsed(_choice(ShareMeans))]
CustodyReasonName = Annotated[CustodyReason, Parsed(_choice(CustodyReason))]
EndReasonName = Annotated[RegistrationEndReason, Parsed(_choice(RegistrationEndReason))]
Category = Annotated[int, Checked(_category)]
Level = Annotated[int, Checked(_level(1, 2, 3))]
ReferralLevel = Annotated[int, Checked(_level(2, 3))]
Attendees = Annotated[tuple[str, ...], Checked(_attendees)]

# ------------------------------------------------------------------------------ commands

# Every command is an immutable dataclass whose fields are given by name (`domain.frozen`).
model = frozen(kw_only=True)


@model
class Command:
    """A write, as data. `command` is what an import line calls it (`"command": "release"`).

    Immutable once made: a field is set once, by `__init__`, and never again."""

    command: ClassVar[str]
    # Validation of an import record: strict JSON types, no key the command does not take.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"strict": True, "extra": "forbid"}

    @classmethod
    def build(cls, **given: Any) -> typing.Self:
        """The command from values already typed (by the command line's parser), every field's
        check applied as an import applies them. A value left out (None) takes its default."""
        markers = _markers(cls)
        values = {}
        for name, value in given.items():
            if value is None:
                continue
            marker = markers.get(name)
            values[name] = marker.apply(value, name) if marker is not None else value
        command = cls(**values)
        command.check()
        return command

    def check(self) -> None:
        """Rules between fields, once each field is valid on its own; none by default."""

    @classmethod
    def import_keys(cls) -> dict[str, str]:
        """Each field by the key an import line gives it (`with` for the field `with_`)."""
        return {f.name.rstrip("_"): f.name for f in dataclasses.fields(cls)}


@functools.cache
def _markers(cls: type[Command]) -> dict[str, Parsed]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return {
        name: meta
        for name, hint in hints.items()
        for meta in getattr(hint, "__metadata__", ())
        if isinstance(meta, Parsed)
    }


@model
class EnrolStaff(Command):
    """Enrol a member of staff, who held `rank` in `agency` from `since` (default: today)."""

    command: ClassVar[str] = "staff"
    staff_id: NewStaffId
    name: Text
    agency: AgencyName
    rank: Text
    area: OptionalText = None
    senior: bool = False
    admin: bool = False
    since: OptionalDay = None


@model
class OffenderCommand(Command):
    """A command about one offender: whose record, when it happened, and who made the contact
    (`by`; default: whoever types it in)."""

    ref: Ref
    occurred_at: TimeText = None
    by: OptionalStaffId = None


@model
class RegisterOffender(OffenderCommand):
    command: ClassVar[str] = "register"
    name: Text
    born: Day
    category: Category
    level: Level = 1
    area: OptionalText = None


@model
class RecordRelease(OffenderCommand):
    """A release from custody: on licence until `licence_end`, or with no licence
    (`no_licence`); one of the two."""

    command: ClassVar[str] = "release"
    licence_end: OptionalDay = None
    no_licence: bool = False

    def check(self) -> None:
        if self.no_licence and self.licence_end is not None:
            raise InvalidValueError(
                "a release is either on licence (licence_end) or without one (no_licence), "
                "not both; give one",
                fields=("licence_end", "no_licence"),
            )
        if not self.no_licence and self.licence_end is None:
            raise InvalidValueError(
                "say how the release was made: give the date the licence ends (licence_end), "
                "or no_licence for a release without one",
                fields=("licence_end", "no_licence"),
            )


@model
class RecordCustody(OffenderCommand):
    """Taken into custody at `occurred_at`, for `reason`."""

    command: ClassVar[str] = "custody"
    reason: CustodyReasonName
    summary: OptionalText = None


@model
class EndRegistration(OffenderCommand):
    """The notification requirements ended at `occurred_at`, for `reason`."""

    command: ClassVar[str] = "registration-end"
    reason: EndReasonName
    summary: Text


@model
class RecordDisclosure(OffenderCommand):
    command: ClassVar[str] = "disclosure"
    summary: Text
    detail: OptionalText = None
    risk_relevant: bool = False


@model
class RecordVisit(OffenderCommand):
    command: ClassVar[str] = "visit"
    kind: VisitKindName
    outcome: Text


@model
class RecordEntry(OffenderCommand):
    command: ClassVar[str] = "entry"
    summary: Text
    risk_relevant: bool = False


@model
class RecordConcern(OffenderCommand):
    command: ClassVar[str] = "concern"
    summary: Text


@model
class RecordAssessment(OffenderCommand):
    command: ClassVar[str] = "assessment"
    tool: ToolName
    risk: RiskName
    summary: OptionalText = None


@model
class RecordReview(OffenderCommand):
    command: ClassVar[str] = "review"
    summary: Text


@model
class RecordDecision(OffenderCommand):
    command: ClassVar[str] = "decision"
    decision: Text
    rationale: Text
    about: EntryNumbers = ()


@model
class RecordDisagreement(OffenderCommand):
    command: ClassVar[str] = "disagreement"
    with_: StaffId
    summary: Text


@model
class RecordEscalation(OffenderCommand):
    command: ClassVar[str] = "escalation"
    to: StaffId
    reason: Text


@model
class ReferToMappa(OffenderCommand):
    command: ClassVar[str] = "mappa-referral"
    level: ReferralLevel
    emergency: bool = False
    reason: Text


@model
class RecordMappaMeeting(OffenderCommand):
    command: ClassVar[str] = "mappa-meeting"
    level: Level
    attendees: Attendees
    summary: Text
    discussed: EntryNumbers = ()


@model
class DecideRecall(OffenderCommand):
    command: ClassVar[str] = "recall-decision"
    decision: RecallChoiceName
    rationale: Text


@model
class Acknowledge(OffenderCommand):
    command: ClassVar[str] = "acknowledge"
    entries: SomeEntryNumbers


@model
class Transfer(OffenderCommand):
    command: ClassVar[str] = "transfer"
    to: StaffId
    reason: OptionalText = None


@model
class Share(OffenderCommand):
    """Share entries with an agency (by its name) or a member of staff (by their id)."""

    command: ClassVar[str] = "share"
    entries: SomeEntryNumbers
    with_: StaffId
    means: MeansName = ShareMeans.EMAIL


@model
class Correct(OffenderCommand):
    """Correct entry `entry`: its summary, the time it occurred, or a release's licence end."""

    command: ClassVar[str] = "correct"
    entry: EntryNumber
    reason: Text
    summary: OptionalText = None
    entry_occurred_at: TimeText = None
    licence_end: OptionalDay = None

    def check(self) -> None:
        if self.summary is None and self.entry_occurred_at is None and self.licence_end is None:
            also = (
                " (occurred_at is when the correction was made; the entry's corrected time is "
                "entry_occurred_at)"
                if self.occurred_at is not None
                else ""
            )
            raise InvalidValueError(
                "say what was wrong: give the corrected summary, entry_occurred_at or "
                f"licence_end (of a release){also}",
                fields=("summary", "entry_occurred_at", "licence_end", "occurred_at"),
            )


# Every command, by the name an import line gives it.
COMMANDS: dict[str, type[Command]] = {
    c.command: c
    for c in (
        EnrolStaff,
        RegisterOffender,
        RecordRelease,
        RecordCustody,
        EndRegistration,
        RecordDisclosure,
        RecordVisit,
        RecordEntry,
        RecordConcern,
        RecordAssessment,
        RecordReview,
        RecordDecision,
        RecordDisagreement,
        RecordEscalation,
        ReferToMappa,
        RecordMappaMeeting,
        DecideRecall,
        Acknowledge,
        Transfer,
        Share,
        Correct,
    )
}
