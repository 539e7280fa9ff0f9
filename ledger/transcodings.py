"""How the domain's own value types are written into, and read back from, stored events."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import Transcoder, Transcoding

from domain.values import Agency, AssessmentTool, RecallChoice, RiskLevel, ShareMeans, VisitKind


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


# Names are part of the stored form: a transcoding's `name` must never change.
STORED_ENUMS: tuple[type[Enum], ...] = (
    Agency,
    RiskLevel,
    AssessmentTool,
    VisitKind,
    RecallChoice,
    ShareMeans,
)


def register_domain_transcodings(transcoder: Transcoder) -> None:
    transcoder.register(DateAsISO())
    for enum_class in STORED_ENUMS:
        transcoder.register(_enum_transcoding(enum_class))
