"""Valid time: when something happened in the world.

A time given with a time of day is an instant, stored in UTC; a naive one is Europe/London local
time. A date alone means the time of day is unknown, and stays a `date`: it is never silently turned
into midnight. Where an instant is needed for a date alone (to ask "had it happened by T?"), the
start of that day in London is used, and orderings place it after the timed events of that day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.errors import FutureTimeError, InvalidValueError

LONDON = ZoneInfo("Europe/London")

# Either a datetime (aware, UTC) or a date (time of day unknown).
ValidTime = datetime | date

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_time(text: str) -> ValidTime:
    """An ISO 8601 date (time unknown) or datetime (naive means Europe/London), as stored."""
    raw = text.strip()
    if _DATE_ONLY.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise InvalidValueError(f"{text!r} is not a real date; use YYYY-MM-DD") from None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValueError(
            f"{text!r} is not a date or time; use ISO 8601, e.g. 2016-10-17 or 2016-10-17T14:30"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=LONDON)
    return parsed.astimezone(UTC)


def parse_date(text: str) -> date:
    """A calendar date (YYYY-MM-DD), for birth dates and licence ends."""
    raw = text.strip()
    if not _DATE_ONLY.match(raw):
        raise InvalidValueError(f"{text!r} is not a date; use YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidValueError(f"{text!r} is not a real date; use YYYY-MM-DD") from None


def parse_past_time(text: str | None, now: datetime | None = None) -> ValidTime:
    """When something happened: default now; refused when it is in the future."""
    now = now or utc_now()
    if text is None or not text.strip():
        return now
    when = parse_time(text)
    if is_future(when, now):
        raise FutureTimeError(text)
    return when


def is_future(when: ValidTime, now: datetime) -> bool:
    if isinstance(when, datetime):
        return when > now
    return when > now.astimezone(LONDON).date()


def parse_query_time(text: str) -> datetime:
    """A `--at` or `--as-of` moment. A date alone means the end of that day in London."""
    when = parse_time(text)
    if isinstance(when, datetime):
        return when
    return end_of_day(when)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    return start_of_day(day + timedelta(days=1)) - timedelta(microseconds=1)


def instant(when: ValidTime) -> datetime:
    """The instant used to compare a valid time with a moment: a date counts from its start."""
    if isinstance(when, datetime):
        return when
    return start_of_day(when)


def london_date(when: ValidTime) -> date:
    if isinstance(when, datetime):
        return when.astimezone(LONDON).date()
    return when


def time_known(when: ValidTime) -> bool:
    return isinstance(when, datetime)


def chronological_key(when: ValidTime, entry: int) -> tuple[date, int, datetime, int]:
    """Orders by London day, timed events before untimed ones that day, then time, then entry."""
    day = london_date(when)
    if isinstance(when, datetime):
        return (day, 0, when, entry)
    return (day, 1, start_of_day(day), entry)


def iso(when: ValidTime | None) -> str | None:
    """JSON form: a date stays a date; an instant is ISO 8601 in UTC with its offset."""
    if when is None:
        return None
    if isinstance(when, datetime):
        return when.astimezone(UTC).isoformat()
    return when.isoformat()
