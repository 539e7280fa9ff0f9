"""How the domain's own value types are written into, and read back from, stored events."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import Transcoder, Transcoding

from domain.staff import Post
from domain.state import ChangeOfOwner, CustodyMove, Licence, RecallDecision, RegistrationEnd
from domain.values import (
    Agency,
    AssessmentTool,
    CustodyReason,
    RecallChoice,
    RegistrationEndReason,
    RiskLevel,
    ShareMeans,
    VisitKind,
)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def _enum_transcoding(enum_class: type[Enum]) -> Transcoding:
    class EnumAsValue(Transcoding):
        type = enum_class
        name = enum_class.__name__

        def encode(self, obj: Enum) -> Any:
            return obj.value

        def decode(self, data: Any) -> Enum:
            return enum_class(data)

    return EnumAsValue()


def _value_transcoding(value_class: type[Any], stored_name: str) -> Transcoding:
    """A frozen dataclass stored as an object of its fields by name (as `ItineraryAsDict` in
    the library's cargo shipping example); the values inside go through their own
    transcodings. The field names are part of the stored form, as the transcoding's name is."""
    names = tuple(field.name for field in fields(value_class))

    class ValueAsDict(Transcoding):
        type = value_class
        name = stored_name

        def encode(self, obj: Any) -> dict[str, Any]:
            return {field: getattr(obj, field) for field in names}

        def decode(self, data: dict[str, Any]) -> Any:
            return value_class(**data)

    return ValueAsDict()


# Names are part of the stored form: a transcoding's `name` must never change.
STORED_ENUMS: tuple[type[Enum], ...] = (
    Agency,
    RiskLevel,
    AssessmentTool,
    VisitKind,
    RecallChoice,
    ShareMeans,
    CustodyReason,
    RegistrationEndReason,
)

# Aggregates' state, as snapshots keep it: each value by the name it is stored under.
STORED_VALUES: tuple[tuple[type[Any], str], ...] = (
    (Licence, "Licence"),
    (ChangeOfOwner, "ChangeOfOwner"),
    (RecallDecision, "RecallDecision"),
    (Post, "Post"),
    (CustodyMove, "CustodyMove"),
    (RegistrationEnd, "RegistrationEnd"),
)


def register_domain_transcodings(transcoder: Transcoder) -> None:
    transcoder.register(DateAsISO())
    for enum_class in STORED_ENUMS:
        transcoder.register(_enum_transcoding(enum_class))
    for value_class, name in STORED_VALUES:
        transcoder.register(_value_transcoding(value_class, name))
