"""Value types of the domain: agencies, ranks, risk, MAPPA and the kinds of things recorded.

Enumerations are plain `Enum` (not `StrEnum`) so that the event store's transcoder sees them
as their own type and round-trips them, rather than flattening them silently to `str`.
"""

from __future__ import annotations

from enum import Enum

from domain.errors import InvalidValueError
from domain.text import parse_text


class _Choice(Enum):
    """An enumeration parsed from the words people type."""

    @classmethod
    def parse(cls, text: str, what: str | None = None) -> _Choice:
        """The member named by `text`; `what` is the field it was given for, if any."""
        for member in cls:
            if member.value == text or member.value.lower() == text.strip().lower():
                return member
        choices = ", ".join(m.value for m in cls)
        if what is not None:
            raise InvalidValueError(f"{what} {text!r} is not one of: {choices}", fields=(what,))
        raise InvalidValueError(f"{text!r} is not a valid {cls.label()}; choose one of: {choices}")

    @classmethod
    def label(cls) -> str:
        return cls.__name__.lower()

    def __str__(self) -> str:
        return str(self.value)


class Agency(_Choice):
    POLICE = "police"
    PROBATION = "probation"
    PRISON = "prison"
    HEALTH = "health"
    SOCIAL_CARE = "social-care"
    OTHER = "other"


class RiskLevel(_Choice):
    """Risk of serious harm. All four are levels of harm: there is no 'no risk'."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    VERY_HIGH = "very-high"

    @property
    def rank(self) -> int:
        return list(RiskLevel).index(self)

    @classmethod
    def label(cls) -> str:
        return "risk level"


class AssessmentTool(_Choice):
    ARMS = "ARMS"
    OASYS = "OASys"
    RM2000 = "RM2000"

    @classmethod
    def label(cls) -> str:
        return "assessment tool"


class VisitKind(_Choice):
    HOME = "home"
    OFFICE = "office"
    UNANNOUNCED = "unannounced"
    VIRTUAL = "virtual"

    @classmethod
    def label(cls) -> str:
        return "visit kind"


class RecallChoice(_Choice):
    RECALL = "recall"
    NO_RECALL = "no-recall"

    @classmethod
    def label(cls) -> str:
        return "recall decision"


class ShareMeans(_Choice):
    MEETING = "meeting"
    EMAIL = "email"
    PHONE = "phone"
    VISOR = "visor"
    LETTER = "letter"

    @classmethod
    def label(cls) -> str:
        return "means of sharing"


class CustodyReason(_Choice):
    """Why a period in custody began: a recall to prison, a remand, a new sentence, or else."""

    RECALLED = "recalled"
    REMANDED = "remanded"
    SENTENCED = "sentenced"
    OTHER = "other"

    @classmethod
    def label(cls) -> str:
        return "reason for custody"


class RegistrationEndReason(_Choice):
    """Why the notification requirements ended: the period expired, the person died, a court
    removed the requirement, or else."""

    EXPIRED = "expired"
    DECEASED = "deceased"
    REMOVED = "removed"
    OTHER = "other"

    @classmethod
    def label(cls) -> str:
        return "reason the registration ended"


# Police ranks in order of seniority. "Inspector or above" is `Insp` and every rank after it.
POLICE_RANKS: tuple[str, ...] = (
    "PC",
    "DC",
    "PS",
    "DS",
    "Insp",
    "DI",
    "CI",
    "DCI",
    "Supt",
    "DSupt",
    "CSupt",
    "ACC",
    "DCC",
    "CC",
)
INSPECTOR_INDEX = POLICE_RANKS.index("Insp")


def parse_rank(agency: Agency, rank: str, what: str = "rank") -> str:
    """A police rank from the list (any letter case); for other agencies a free job title, which
    is text as any other (`domain.text.parse_text`; its length is checked with the event's)."""
    text = rank.strip()
    if all(c in " \t\n\r" for c in rank):
        raise InvalidValueError(
            f"{what} is empty: give a police grade or a job title", fields=(what,)
        )
    if agency is Agency.POLICE:
        for known in POLICE_RANKS:
            if known.lower() == text.lower():
                return known
        raise InvalidValueError(
            f"{what} {rank!r} is not one of the police ranks: {', '.join(POLICE_RANKS)}",
            fields=(what,),
        )
    return parse_text(rank, what)


def is_senior(agency: Agency, rank: str, senior_grade: bool) -> bool:
    """Inspector or above: `Insp` and every later police rank, or a grade marked senior."""
    if senior_grade:
        return True
    return agency is Agency.POLICE and POLICE_RANKS.index(rank) >= INSPECTOR_INDEX


def parse_category(value: int, what: str = "category") -> int:
    if value not in (1, 2, 3):
        raise InvalidValueError(
            f"{what} {value} is not 1, 2 or 3 (the MAPPA categories)", fields=(what,)
        )
    return value


def parse_level(value: int, allowed: tuple[int, ...] = (1, 2, 3), what: str = "level") -> int:
    if value not in allowed:
        choices = ", ".join(str(v) for v in allowed)
        raise InvalidValueError(
            f"{what} {value} is not {choices} (the MAPPA levels it may be)", fields=(what,)
        )
    return value


# The largest entry number a ledger can hold: the event store keeps it as a 64-bit integer.
ENTRY_NUMBER_MAX = 2**63 - 1


def check_entry_number(number: int, what: str = "entry", shown: str | None = None) -> int:
    """An entry number, from 1 to `ENTRY_NUMBER_MAX`; `shown` is how it was written, where that
    differs from the number (a number too long to convert is checked as `ENTRY_NUMBER_MAX + 1`)."""
    written = shown if shown is not None else str(number)
    if number > ENTRY_NUMBER_MAX:
        raise InvalidValueError(
            f"{what} {written} is out of range: entry numbers run from 1 to {ENTRY_NUMBER_MAX}",
            fields=(what,),
        )
    if number < 1:
        raise InvalidValueError(
            f"{what} {written} is not an entry number: entries are numbered from 1",
            fields=(what,),
        )
    return number
