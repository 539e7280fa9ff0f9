"""What text may say: as typed (`parse_text`), and as carried by an event before it is stored.

Events are kept forever and every read model must be able to hold what they say, on SQLite and on
PostgreSQL (whose text cannot hold NUL). So a new event is refused if any of its text has a control
character other than tab and line breaks, half of a UTF-16 surrogate pair (what undecodable bytes
in a command line become), nothing that can be read (only spaces and invisible characters such as
U+FEFF or U+2028), or more characters than anyone types into that kind of field. Text typed on the
command line or in an import goes through `parse_text` (or `parse_optional_text`), which applies
the same rules to the value as typed, names the option it came from, and trims surrounding space;
so does the justification given for a read. References and staff ids are checked where they are
first used, at registration and enrolment: later commands only look them up.
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
        check_readable(value, name)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(str(key), item, copied)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(name, item, copied)


def check_text(value: str, name: str, limit: int | None = None) -> None:
    """Refuses text that could not be stored and read back as typed: more than `limit` characters
    (by default the limit of the field called `name`), a control character other than tab and line
    breaks, or half a surrogate pair."""
    if limit is None:
        limit = SHORT_LIMIT if name in SHORT_FIELDS else LONG_LIMIT
    if len(value) > limit:
        raise InvalidValueError(
            f"{name} is {len(value):,} characters long; at most {limit:,} are kept",
            fields=(name,),
        )
    _check_characters(value, name)


def _check_characters(value: str, name: str) -> None:
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
                "(tabs and line breaks are kept)",
                fields=(name,),
            )


# What typed text may consist of and still count as empty: nothing, or spaces and line breaks.
_BLANK = frozenset(" \t\n\r")


def is_blank(value: str) -> bool:
    """Empty, or only spaces and line breaks: a value given as nothing."""
    return all(c in _BLANK for c in value)


def _readable(character: str) -> bool:
    """A character someone can see: neither space nor invisible (a control, a format character
    such as a zero-width space or U+FEFF, a line or paragraph separator, a private or unassigned
    one)."""
    return character.isprintable() and not character.isspace()


def check_readable(value: str, name: str) -> None:
    """Refuses text with nothing in it to read: empty, or only spaces and invisible or control
    characters, which are named."""
    if any(_readable(c) for c in value):
        return
    if is_blank(value):
        raise InvalidValueError(f"{name} must not be empty", fields=(name,))
    hidden = list(dict.fromkeys(f"U+{ord(c):04X}" for c in value if c not in _BLANK))
    shown = ", ".join(hidden[:4]) + (", ..." if len(hidden) > 4 else "")
    raise InvalidValueError(
        f"{name} has only invisible or control characters ({shown}) and nothing that can be "
        "read; type the text itself",
        fields=(name,),
    )


def parse_text(value: str | None, what: str, *, limit: int = LONG_LIMIT) -> str:
    """Text as typed for `what` (a command's field such as `summary`, or a setting),
    kept without surrounding space. Refused if it has nothing to read (`check_readable`), is
    longer than `limit` once trimmed, or has a character that cannot be stored (`check_text`).

    Every text a command takes from its user goes through this or `parse_optional_text`: names,
    ranks, areas, summaries, details, reasons, the justification for a read, an export's
    recipients. An event's text is checked again as it is made (`check_fields`)."""
    raw = value or ""
    text = raw.strip()
    if len(text) > limit:
        raise InvalidValueError(
            f"{what} is {len(text):,} characters long; at most {limit:,} are kept",
            fields=(what,),
        )
    check_readable(raw, what)
    _check_characters(raw, what)
    return text


def blank_value_error(what: str, *, optional: bool) -> InvalidValueError:
    """The refusal of a value given blank, on the command line or in an import: never taken to
    mean the value was left out. `optional`: it may be left out instead."""
    if optional:
        return InvalidValueError(
            f"{what} is empty: give a value, or leave {what} out", fields=(what,)
        )
    return InvalidValueError(f"{what} is empty: give a value", fields=(what,))


def parse_optional_text(value: str | None, what: str, *, limit: int = LONG_LIMIT) -> str | None:
    """`parse_text` for an option that may be left out: None when it was. Given, it must say
    something, as any other text must: an empty area is a mistake, not a request for none."""
    if value is None:
        return None
    if is_blank(value):
        raise blank_value_error(what, optional=True)
    return parse_text(value, what, limit=limit)


def check_new_reference(ref: str, what: str) -> str:
    """A reference or staff id as first registered: letters and digits, with . _ / - between."""
    if len(ref) > REFERENCE_LIMIT or not _REFERENCE.fullmatch(ref):
        raise InvalidValueError(
            f"{ref!r} is not a usable {what}: use at most {REFERENCE_LIMIT} letters and digits "
            "(A-Z, 0-9), with . _ / - between them, e.g. WMP-000123"
        )
    return ref
