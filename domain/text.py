"""What text an event may carry, checked once for every new event before it is stored.

Events are kept forever and every read model must be able to hold what they say, on SQLite and on
PostgreSQL (whose text cannot hold NUL). So a new event is refused if any of its text has a control
character other than tab and line breaks, half of a UTF-16 surrogate pair (what undecodable bytes
in a command line become), or more characters than anyone types into that kind of field. References
and staff ids are checked where they are first used, at registration and enrolment: later commands
only look them up.
"""

from __future__ import annotations

import re
from typing import Any

from domain.errors import InvalidValueError

# Names, ranks, areas and ids: a line. Free text (summaries, reasons, rationales): pages.
SHORT_LIMIT = 200
LONG_LIMIT = 20_000
SHORT_FIELDS = frozenset(
    {"ref", "name", "rank", "area", "by", "entered_by", "staff", "staff_id", "previous"}
)

REFERENCE_LIMIT = 64
# Letters and digits, with one of . _ / - between them: never two together ("WMP-1/../X") or at
# either end.
_REFERENCE = re.compile(r"[A-Za-z0-9]+(?:[._/-][A-Za-z0-9]+)*")
_KEPT_CONTROLS = frozenset("\t\n\r")


# What an offender event copies from the staff directory about its author or another person:
# checked when it was typed (enrolment, a change of rank), and not again in every event that
# carries it, so that someone enrolled before these checks can still record.
FROM_DIRECTORY = frozenset({"by", "entered_by", "staff", "agency", "rank", "senior"})


def check_fields(fields: dict[str, Any], copied: frozenset[str] = frozenset()) -> None:
    """Refuses a new event's fields if any of their text could not be stored and read back as
    typed, leaving out those named in `copied`. Called before the event is made: events already
    stored are never checked again."""
    for name, value in fields.items():
        _check(name, value, copied)


def _check(name: str, value: Any, copied: frozenset[str]) -> None:
    if name in copied:
        return
    if isinstance(value, str):
        check_text(value, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(str(key), item, copied)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(name, item, copied)


def check_text(value: str, name: str) -> None:
    limit = SHORT_LIMIT if name in SHORT_FIELDS else LONG_LIMIT
    if len(value) > limit:
        raise InvalidValueError(
            f"{name} is {len(value):,} characters long; at most {limit:,} are kept"
        )
    if value.isprintable():  # the usual case, checked in C: no control character at all
        return
    for character in value:
        code = ord(character)
        if (
            (code < 0x20 and character not in _KEPT_CONTROLS)
            or 0x7F <= code <= 0x9F
            or 0xD800 <= code <= 0xDFFF
        ):
            raise InvalidValueError(
                f"{name} contains the character U+{code:04X}, which cannot be stored; remove it "
                "(tabs and line breaks are kept)"
            )


def check_new_reference(ref: str, what: str) -> str:
    """A reference or staff id as first registered: letters and digits, with . _ / - between."""
    if len(ref) > REFERENCE_LIMIT or not _REFERENCE.fullmatch(ref):
        raise InvalidValueError(
            f"{ref!r} is not a usable {what}: use at most {REFERENCE_LIMIT} letters and digits "
            "(A-Z, 0-9), with . _ / - between them, e.g. WMP-000123"
        )
    return ref
