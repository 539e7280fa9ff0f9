"""Importing a chronology: many records, validated first, then committed all together or not at all.

An import file is JSON Lines, one record per line, each naming the `command` it stands for with the
same fields as the command line's options (`ledger import --help` shows the format). Every record is
validated (pydantic) before anything is applied; then every record is applied to the aggregates in
memory, in file order, so the domain's rules judge each one against everything before it; and then
all the new events are saved in ONE transaction. A bad line refuses the whole import and leaves the
ledger exactly as it was.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, BinaryIO, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)

from domain.clock import ValidTime, london_date, parse_date, parse_past_time, parse_time, utc_now
from domain.errors import (
    DomainError,
    InvalidValueError,
    OffenderAlreadyRegisteredError,
    StaffAlreadyEnrolledError,
    UnknownOffenderError,
    UnknownStaffError,
)
from domain.identity import normalise_ref
from domain.offender import Offender
from domain.staff import Person, StaffMember
from domain.text import LONG_LIMIT, parse_optional_text, parse_text
from domain.values import (
    Agency,
    AssessmentTool,
    RecallChoice,
    RiskLevel,
    ShareMeans,
    VisitKind,
    parse_category,
    parse_level,
    parse_rank,
)
from ledger.app import RETRIES, OffenderLedger
from ledger.files import LineTooLongError, bounded_lines, size_text

# --------------------------------------------------------------------------------- the records


def _accepted(check: Callable[[Any], object]) -> AfterValidator:
    """Keeps the value as written, once `check` (which raises on a bad one) accepts it."""

    def keep(value: Any) -> Any:
        check(value)
        return value

    return AfterValidator(keep)


def _named(parse: Callable[[str], Any]) -> AfterValidator:
    """Stores the canonical name of an enumerated value (`parse` raises on an unknown one)."""
    return AfterValidator(lambda value: parse(value).value)


def _text(limit: int = LONG_LIMIT, *, optional: bool = False) -> BeforeValidator:
    """Text as the command line takes it (`domain.text.parse_text`), checked as written, before
    surrounding space is trimmed; a value that is not a string is left to the type check."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        name = info.field_name or "text"
        if optional:
            return parse_optional_text(value, name, limit=limit)
        return parse_text(value, name, limit=limit)

    return BeforeValidator(check)


NonEmpty = Annotated[str, Field(min_length=1)]
# Text typed into a record (a name, an area, a summary, a reason), given or optional. The limit
# of each kind of field is checked with the event that carries it (`domain.text.check_fields`).
Text = Annotated[str, _text()]
OptionalText = Annotated[str | None, _text(optional=True)]
EntryNumber = Annotated[int, Field(ge=1)]
Entries = Annotated[list[EntryNumber], Field(min_length=1)]
DateText = Annotated[str, _accepted(parse_date)]
# Its form is checked with the record; whether it is in the past, as the command line does, when
# the record is applied (a rule, exit 1).
PastTime = Annotated[str, _accepted(parse_time)]
Ref = Annotated[str, AfterValidator(normalise_ref)]


class _Record(BaseModel):
    # Strict: an interchange format says what it means. Text is a JSON string, a number a JSON
    # integer (not true, 1.0 or "1"), a flag JSON true or false. Dates stay text, checked above.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True, strict=True)


class _OffenderRecord(_Record):
    ref: Ref
    occurred_at: PastTime | None = None
    by: str | None = None

    def when(self, now: Any) -> ValidTime:
        return parse_past_time(self.occurred_at, now, option="occurred_at")


class StaffRecord(_Record):
    command: Literal["staff"]
    staff_id: NonEmpty
    name: Text
    agency: Annotated[str, _named(Agency.parse)]
    rank: NonEmpty
    area: OptionalText = None
    senior: bool = False
    admin: bool = False
    since: DateText


class RegisterRecord(_OffenderRecord):
    command: Literal["register"]
    name: Text
    born: DateText
    category: Annotated[int, AfterValidator(parse_category)]
    level: Annotated[int, AfterValidator(parse_level)] = 1
    area: OptionalText = None


class ReleaseRecord(_OffenderRecord):
    command: Literal["release"]
    licence_end: DateText


class DisclosureRecord(_OffenderRecord):
    command: Literal["disclosure"]
    summary: Text
    detail: OptionalText = None
    risk_relevant: bool = False


class VisitRecord(_OffenderRecord):
    command: Literal["visit"]
    kind: Annotated[str, _named(VisitKind.parse)]
    outcome: Text


class EntryRecordLine(_OffenderRecord):
    command: Literal["entry"]
    summary: Text
    risk_relevant: bool = False


class ConcernRecord(_OffenderRecord):
    command: Literal["concern"]
    summary: Text


class AssessmentRecord(_OffenderRecord):
    command: Literal["assessment"]
    tool: Annotated[str, _named(AssessmentTool.parse)]
    risk: Annotated[str, _named(RiskLevel.parse)]
    summary: OptionalText = None


class ReviewRecord(_OffenderRecord):
    command: Literal["review"]
    summary: Text


class DecisionRecord(_OffenderRecord):
    command: Literal["decision"]
    decision: Text
    rationale: Text
    about: list[EntryNumber] = []


class DisagreementRecord(_OffenderRecord):
    command: Literal["disagreement"]
    with_staff: NonEmpty = Field(alias="with")
    summary: Text


class EscalationRecord(_OffenderRecord):
    command: Literal["escalation"]
    to: NonEmpty
    reason: Text


class MappaReferralRecord(_OffenderRecord):
    command: Literal["mappa-referral"]
    level: Annotated[int, AfterValidator(lambda level: parse_level(level, (2, 3)))]
    emergency: bool = False
    reason: Text


class MappaMeetingRecord(_OffenderRecord):
    command: Literal["mappa-meeting"]
    level: Annotated[int, AfterValidator(parse_level)]
    attendees: Annotated[list[NonEmpty], Field(min_length=1)]
    summary: Text
    discussed: list[EntryNumber] = []


class RecallDecisionRecord(_OffenderRecord):
    command: Literal["recall-decision"]
    decision: Annotated[str, _named(RecallChoice.parse)]
    rationale: Text


class AcknowledgeRecord(_OffenderRecord):
    command: Literal["acknowledge"]
    entries: Entries


class TransferRecord(_OffenderRecord):
    command: Literal["transfer"]
    to: NonEmpty
    reason: OptionalText = None


class ShareRecord(_OffenderRecord):
    command: Literal["share"]
    entries: Entries
    with_: NonEmpty = Field(alias="with")
    means: Annotated[str, _named(ShareMeans.parse)] = "email"


class CorrectRecord(_OffenderRecord):
    command: Literal["correct"]
    entry: EntryNumber
    reason: Text
    summary: OptionalText = None
    entry_occurred_at: PastTime | None = None
    licence_end: DateText | None = None


ImportRecord = Annotated[
    StaffRecord
    | RegisterRecord
    | ReleaseRecord
    | DisclosureRecord
    | VisitRecord
    | EntryRecordLine
    | ConcernRecord
    | AssessmentRecord
    | ReviewRecord
    | DecisionRecord
    | DisagreementRecord
    | EscalationRecord
    | MappaReferralRecord
    | MappaMeetingRecord
    | RecallDecisionRecord
    | AcknowledgeRecord
    | TransferRecord
    | ShareRecord
    | CorrectRecord,
    Field(discriminator="command"),
]

COMMANDS = [
    "staff",
    "register",
    "release",
    "disclosure",
    "visit",
    "entry",
    "concern",
    "assessment",
    "review",
    "decision",
    "disagreement",
    "escalation",
    "mappa-referral",
    "mappa-meeting",
    "recall-decision",
    "acknowledge",
    "transfer",
    "share",
    "correct",
]

_ADAPTER: TypeAdapter[Any] | None = None


class ImportFormatError(InvalidValueError):
    """A line of the import file is not a valid record (a usage error)."""


class ImportRefusedError(DomainError):
    """A rule of the domain refused one record, and so the whole import."""


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused if it names a key twice (json would keep the last silently)."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKeyError(key)
        found[key] = value
    return found


def _not_a_number(text: str) -> Any:
    raise ValueError(f"{text} is not a JSON number")


def _decode(number: int, text: str) -> Any:
    """One line's JSON, every failure as a usage error that names the line."""
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_not_a_number)
    except json.JSONDecodeError as error:
        raise ImportFormatError(f"line {number}: not JSON ({error.msg})") from None
    except _DuplicateKeyError as error:
        raise ImportFormatError(
            f"line {number}: the key {error.key!r} appears twice in one object; keep one"
        ) from None
    except RecursionError:
        raise ImportFormatError(
            f"line {number}: nested too deeply to be a record; a record is one flat object"
        ) from None
    except ValueError as error:  # NaN, Infinity, or more digits than Python will convert
        problem = str(error)
        if "digits" in problem:
            problem = "a number has more digits than any record needs"
        raise ImportFormatError(f"line {number}: not a valid record ({problem})") from None


# The longest line read: a record's longest text (20,000 characters, each up to six bytes as a
# JSON escape) in many times over. A longer line is not a record, and is not read into memory.
LINE_LIMIT = 1024 * 1024


def read_lines(stream: BinaryIO, name: str) -> Iterator[str]:
    """A JSON Lines file's lines as they are read, each at most `LINE_LIMIT` bytes: split at
    newlines only, never at the other characters that `str.splitlines` breaks on (U+2028 and the
    like may stand unescaped inside a JSON string); a byte-order mark at the start, as Windows
    tools write, is skipped. `name` is the file as the messages call it."""
    try:
        for number, raw in bounded_lines(stream, LINE_LIMIT):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportFormatError(
                    f"cannot read {name}: line {number} is not UTF-8 text; save the file as UTF-8"
                ) from None
            yield text.removeprefix("\ufeff") if number == 1 else text
    except LineTooLongError as error:
        raise ImportFormatError(
            f"cannot read {name}: line {error.line} is longer than {size_text(LINE_LIMIT)}, the "
            "most one record may take; check that the file is JSON Lines, one record a line"
        ) from None
    except OSError as error:
        raise ImportFormatError(
            f"cannot read {name}: {error.strerror or type(error).__name__}"
        ) from None


def parse_lines(lines: Iterable[str]) -> list[tuple[int, Any]]:
    """Every record of a JSON Lines file (its `read_lines`), validated; blank lines and `#`
    comments are skipped."""
    global _ADAPTER
    if _ADAPTER is None:
        _ADAPTER = TypeAdapter(ImportRecord)
    records = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        raw = _decode(number, text)
        try:
            records.append((number, _ADAPTER.validate_python(raw)))
        except ValidationError as error:
            raise ImportFormatError(f"line {number}: {_first_problem(error)}") from None
        except DomainError as error:
            raise ImportFormatError(f"line {number}: {error}") from None
        except RecursionError:
            raise ImportFormatError(
                f"line {number}: nested too deeply to be a record; a record is one flat object"
            ) from None
    if not records:
        raise ImportFormatError("the file holds no records")
    return records


def _first_problem(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(p) for p in problem["loc"] if not isinstance(p, int))
    message = str(problem["msg"]).removeprefix("Value error, ")
    if problem["type"] == "union_tag_invalid":
        return f"'command' must be one of: {', '.join(COMMANDS)}"
    if problem["type"] == "union_tag_not_found":
        return 'each record needs a \'command\', e.g. {"command": "disclosure", ...}'
    if problem["type"] in _JSON_TYPES:
        given = json.dumps(problem.get("input"), ensure_ascii=False)
        given = given if len(given) <= 40 else given[:37] + "..."
        message = f"must be {_JSON_TYPES[problem['type']]}, not {given}"
    if where and message.startswith(f"{where.rpartition('.')[2]} "):
        return message  # the ledger's own check, which names the field itself
    return f"{where}: {message}" if where else f"a record {message}"


# What a strict type check wanted, as the import file's writer would say it.
_JSON_TYPES = {
    "string_type": 'a JSON string (in "quotes")',
    "int_type": "a JSON whole number such as 2 (not in quotes, not 2.0, not true)",
    "bool_type": "JSON true or false (not in quotes)",
    "list_type": "a JSON list such as [4, 5]",
    "dict_type": 'a JSON object such as {"command": "entry", ...}',
    "model_attributes_type": 'a JSON object such as {"command": "entry", ...}',
}


# --------------------------------------------------------------------------------- applying


@dataclass(frozen=True)
class Imported:
    line: int
    command: str
    ref: str | None
    entry: int | None


class _Batch:
    """The aggregates an import touches, loaded once and changed in memory until saved together."""

    def __init__(self, app: OffenderLedger) -> None:
        self.app = app
        self.offenders: dict[str, Offender] = {}
        self.staff: dict[str, StaffMember] = {}
        self.empty = app.is_empty()

    def member(self, staff_ref: str) -> StaffMember:
        if staff_ref not in self.staff:
            self.staff[staff_ref] = self.app.get_staff(staff_ref)
        return self.staff[staff_ref]

    def person(self, staff_ref: str, when: ValidTime) -> Person:
        return self.member(staff_ref).as_of(london_date(when))

    def staff_exists(self, staff_ref: str) -> bool:
        if staff_ref in self.staff:
            return True
        try:
            self.app.get_staff(staff_ref)
        except UnknownStaffError:
            return False
        return True

    def offender_exists(self, ref: str) -> bool:
        if ref in self.offenders:
            return True
        try:
            self.app.get_offender(ref)
        except UnknownOffenderError:
            return False
        return True

    def offender(self, ref: str) -> Offender:
        if ref not in self.offenders:
            self.offenders[ref] = self.app.get_offender(ref)
        return self.offenders[ref]

    def aggregates(self) -> list[Any]:
        return [*self.staff.values(), *self.offenders.values()]


def import_records(
    app: OffenderLedger, actor: str | None, records: Sequence[tuple[int, Any]], *, dry_run: bool
) -> list[Imported]:
    """Applies every record in order and saves all of them in one transaction (unless `dry_run`).

    Should someone else write to one of the same streams meanwhile, the save fails as a whole and
    the import is applied again to the fresh state, so every rule is judged against it. An import
    into an empty ledger, which may enrol its first administrator, is applied and saved holding
    the administrators' lock, as the first `ledger staff add` is: of two first enrolments at
    once, only one finds the ledger empty.
    """
    from eventsourcing.persistence import IntegrityError

    from ledger.errors import ConcurrentWriteError

    first = not dry_run and app.is_empty()
    with app.administrators_lock() if first else contextlib.nullcontext():
        for _ in range(RETRIES):
            batch = _Batch(app)
            done = _apply_all(batch, actor, records)
            if dry_run:
                return done
            try:
                app.save(*batch.aggregates())
            except IntegrityError:
                continue
            return done
    raise ConcurrentWriteError("the ledger was written by others too often meanwhile; try again")


def _apply_all(
    batch: _Batch, actor: str | None, records: Sequence[tuple[int, Any]]
) -> list[Imported]:
    now = utc_now()
    typist = _typist(batch, actor, records)
    done = []
    for number, record in records:
        try:
            done.append(_apply(batch, typist, number, record, now))
        except InvalidValueError as error:
            raise ImportFormatError(f"line {number}: {error}") from None
        except DomainError as error:
            raise ImportRefusedError(f"line {number}: {error}") from None
    return done


def _typist(batch: _Batch, actor: str | None, records: Sequence[tuple[int, Any]]) -> str:
    """Who is importing. On an empty ledger the import may enrol its own first administrator."""
    from ledger.errors import MissingActorError

    if not actor:
        raise MissingActorError
    if batch.empty:
        enrols_actor = any(
            isinstance(r, StaffRecord) and r.staff_id == actor for _, r in records[:1]
        )
        if not enrols_actor:
            raise UnknownStaffError(actor)
        return actor
    if any(isinstance(r, StaffRecord) for _, r in records):
        batch.app.check_enrolling_admin(actor)
    else:
        batch.app.check_actor(actor)
    return actor


def _apply(batch: _Batch, typist: str, number: int, record: Any, now: Any) -> Imported:
    if isinstance(record, StaffRecord):
        return _enrol(batch, typist, number, record)
    if isinstance(record, RegisterRecord):
        return _register(batch, typist, number, record, now)
    when = record.when(now)
    author = batch.person(record.by or typist, when)
    offender = batch.offender(record.ref)
    command = _command(batch, record, when)
    command(offender, author, typist, when)
    batch.app.check_against_entries(offender, offender.pending_events[-1])
    return Imported(number, record.command, record.ref, offender.version)


def _enrol(batch: _Batch, typist: str, number: int, record: StaffRecord) -> Imported:
    if batch.staff_exists(record.staff_id):
        raise StaffAlreadyEnrolledError(record.staff_id)
    agency = Agency.parse(record.agency)
    first = batch.empty and not batch.staff
    batch.staff[record.staff_id] = StaffMember.enrol(
        staff_id=record.staff_id,
        name=record.name,
        agency=agency,
        rank=parse_rank(agency, record.rank, "rank"),
        senior_grade=record.senior,
        admin=record.admin or first,
        area=record.area,
        since=parse_date(record.since),
        by=None if first else typist,
    )
    return Imported(number, "staff", None, None)


def _register(
    batch: _Batch, typist: str, number: int, record: RegisterRecord, now: Any
) -> Imported:
    when = record.when(now)
    author = batch.person(record.by or typist, when)
    if batch.offender_exists(record.ref):
        raise OffenderAlreadyRegisteredError(record.ref)
    offender = Offender.register(
        record.ref,
        record.name,
        parse_date(record.born),
        record.category,
        record.level,
        record.area,
        when,
        author,
        typist,
    )
    batch.offenders[record.ref] = offender
    return Imported(number, "register", record.ref, offender.version)


Command = Callable[[Offender, Person, str, ValidTime], None]


def _command(batch: _Batch, r: Any, when: ValidTime) -> Command:
    """The domain command a record stands for, with the people it names resolved at `when`."""
    match r:
        case ReleaseRecord():
            end: date = parse_date(r.licence_end)
            return lambda o, a, t, w: o.release_on_licence(w, a, t, end)
        case DisclosureRecord():
            return lambda o, a, t, w: o.record_disclosure(
                w, a, t, r.summary, r.detail, r.risk_relevant
            )
        case VisitRecord():
            return lambda o, a, t, w: o.record_visit(w, a, t, VisitKind.parse(r.kind), r.outcome)
        case EntryRecordLine():
            return lambda o, a, t, w: o.record_entry(w, a, t, r.summary, r.risk_relevant)
        case ConcernRecord():
            return lambda o, a, t, w: o.record_concern(w, a, t, r.summary)
        case AssessmentRecord():
            tool, risk = AssessmentTool.parse(r.tool), RiskLevel.parse(r.risk)
            return lambda o, a, t, w: o.record_assessment(w, a, t, tool, risk, r.summary)
        case ReviewRecord():
            return lambda o, a, t, w: o.record_review(w, a, t, r.summary)
        case DecisionRecord():
            return lambda o, a, t, w: o.record_decision(w, a, t, r.decision, r.rationale, r.about)
        case DisagreementRecord():
            other = batch.person(r.with_staff, when)
            return lambda o, a, t, w: o.record_disagreement(w, a, t, other, r.summary)
        case EscalationRecord():
            target = batch.person(r.to, when)
            return lambda o, a, t, w: o.record_escalation(w, a, t, target, r.reason)
        case MappaReferralRecord():
            return lambda o, a, t, w: o.refer_to_mappa(w, a, t, r.level, r.emergency, r.reason)
        case MappaMeetingRecord():
            people = [batch.person(i, when) for i in dict.fromkeys(r.attendees)]
            return lambda o, a, t, w: o.record_mappa_meeting(
                w, a, t, r.level, people, r.summary, r.discussed
            )
        case RecallDecisionRecord():
            choice = RecallChoice.parse(r.decision)
            return lambda o, a, t, w: o.decide_recall(w, a, t, choice, r.rationale)
        case AcknowledgeRecord():
            return lambda o, a, t, w: o.acknowledge(w, a, t, r.entries)
        case TransferRecord():
            new_owner = batch.person(r.to, when)
            return lambda o, a, t, w: o.transfer(w, a, t, new_owner, r.reason)
        case ShareRecord():
            agency, person = _recipient(batch, r.with_, when)
            means = ShareMeans.parse(r.means)
            return lambda o, a, t, w: o.share(w, a, t, r.entries, agency, person, means)
        case CorrectRecord():
            fixed = (
                parse_past_time(r.entry_occurred_at, option="entry_occurred_at")
                if r.entry_occurred_at is not None
                else None
            )
            end = parse_date(r.licence_end) if r.licence_end is not None else None
            return lambda o, a, t, w: o.correct(w, a, t, r.entry, r.reason, r.summary, fixed, end)
    raise TypeError(f"no domain command for {type(r).__name__}")


def _recipient(batch: _Batch, name: str, when: ValidTime) -> tuple[Agency, Person | None]:
    agencies = {a.value: a for a in Agency}
    if name.lower() in agencies:
        return agencies[name.lower()], None
    person = batch.person(name, when)
    return person.agency, person
