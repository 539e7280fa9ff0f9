"""Valid time: when something happened in the world.

A time given with a time of day is an instant, stored in UTC; a naive one is Europe/London local
time. A date alone means the time of day is unknown, and stays a `date`: it is never silently turned
into midnight. Where an instant is needed for a date alone (to ask "had it happened by T?"), the
start of that day in London is used, and orderings place it after the timed events of that day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from domain.errors import FutureDateError, FutureTimeError, InvalidValueError

LONDON = ZoneInfo("Europe/London")

# Either a datetime (aware, UTC) or a date (time of day unknown).
ValidTime = datetime | date

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utc_now() -> datetime:
    return datetime.now(UTC)


# Nothing the ledger records happened before this day: an earlier year is a typing error, and
# before 1847 London's clocks kept local mean time, an offset of -0:01:15 no view expects.
EARLIEST = date(1900, 1, 1)


def _check_not_too_early(text: str, day: date) -> None:
    if day < EARLIEST:
        raise InvalidValueError(
            f"{text!r} is before {EARLIEST.year}, earlier than anything the ledger records; "
            "check the year"
        )


def parse_time(text: str) -> ValidTime:
    """An ISO 8601 date (time unknown) or datetime (naive means Europe/London), as stored.

    Any ISO 8601 form of a date alone (2016-10-17, 20161017, 2016-W42-1) is a date. A naive time
    that London's clocks skipped, or showed twice, is refused: only an offset says which moment
    was meant."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        if _DATE_ONLY.match(raw):
            raise InvalidValueError(f"{text!r} is not a real date; use YYYY-MM-DD") from None
    else:
        _check_not_too_early(text, day)
        return day
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValueError(
            f"{text!r} is not a date or time; use ISO 8601, e.g. 2016-10-17 or 2016-10-17T14:30"
        ) from None
    _check_not_too_early(text, parsed.date())
    if parsed.tzinfo is None:
        parsed = _in_london(text, parsed)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidValueError(f"{text!r} is out of the range of times kept") from None


def _in_london(text: str, wall: datetime) -> datetime:
    """A London wall-clock time as the one moment it names."""
    first, second = wall.replace(tzinfo=LONDON, fold=0), wall.replace(tzinfo=LONDON, fold=1)
    try:
        shown = first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
    except OverflowError:
        raise InvalidValueError(f"{text!r} is out of the range of times kept") from None
    if shown != wall:
        raise InvalidValueError(
            f"{text!r} never happened in London (the clocks went forward); give the time with "
            "its offset: +00:00 for GMT, +01:00 for BST"
        )
    if first.utcoffset() != second.utcoffset():
        raise InvalidValueError(
            f"{text!r} happened twice in London (the clocks went back); give the time with its "
            f"offset: {wall.isoformat(timespec='minutes')}+01:00 for the first, +00:00 for the "
            "second"
        )
    return first


def parse_date(text: str) -> date:
    """A calendar date, for birth dates, licence ends and staff changes: YYYY-MM-DD or any other
    ISO 8601 form of a date alone, as `parse_time` takes them."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        if _DATE_ONLY.match(raw):
            raise InvalidValueError(f"{text!r} is not a real date; use YYYY-MM-DD") from None
        raise InvalidValueError(f"{text!r} is not a date; use YYYY-MM-DD") from None
    _check_not_too_early(text, day)
    return day


def parse_past_time(
    text: str | None, now: datetime | None = None, field: str = "occurred_at"
) -> ValidTime:
    """When something happened (the `field` of a command): now when not given; refused when
    given empty or in the future."""
    now = now or utc_now()
    if text is None:
        return now
    if not text.strip():
        raise InvalidValueError(
            f"{field} is empty; give a date or time, or leave it out to mean now",
            fields=(field,),
        )
    when = parse_time(text)
    if is_future(when, now):
        raise FutureTimeError(text, field)
    return when


def check_day_not_future(day: date, field: str, advice: str, today: date | None = None) -> None:
    """Refuses a calendar date after today in London: only what has happened is recorded.
    `field` names the date (`born`, `since`); `advice` says what to give instead; `{today}` in it
    is replaced by today's date."""
    today = today or london_date(utc_now())
    if day > today:
        raise FutureDateError(
            f"{field} {day.isoformat()} is in the future; "
            + advice.format(today=today.isoformat()),
            fields=(field,),
        )


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


@lru_cache(maxsize=4096)
def start_of_day(day: date) -> datetime:
    # Cached: the rules compare thousands of dated entries a history, on a few hundred days.
    return datetime.combine(day, time(0), tzinfo=LONDON).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    if day == date.max:
        return datetime.max.replace(tzinfo=UTC)
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


def local_text(when: ValidTime) -> str:
    """A valid time as people read it, in every view and message: London wall-clock time to the
    minute with the zone in force then (`2016-10-17 14:30 BST`), which tells apart the hour the
    clocks repeat in October; a date alone (time of day unknown) as a bare date."""
    if not isinstance(when, datetime):
        return when.isoformat()
    here = when.astimezone(LONDON)
    return f"{here:%Y-%m-%d %H:%M} {here.tzname()}"


def moment_text(when: datetime) -> str:
    """A moment someone asked about (`--at`, `--as-of`) said back exactly, in the style of
    `local_text`: London wall-clock time with its zone, and the seconds and fraction of a second
    where the moment has them (`2020-10-20 14:03:27 BST`, `2020-10-20 14:03:27.25 BST`), so a
    caption never names a moment other than the one its view reflects. A moment on the minute
    reads as `local_text` writes it."""
    here = when.astimezone(LONDON)
    text = f"{here:%Y-%m-%d %H:%M}"
    if here.second or here.microsecond:
        text += f":{here.second:02d}"
    if here.microsecond:
        text += f".{here.microsecond:06d}".rstrip("0")
    return f"{text} {here.tzname()}"


def is_end_of_day(when: datetime) -> bool:
    """Whether `when` is the last instant of its day in London: what a date alone asked as
    `--at` or `--as-of` means."""
    try:
        return when == end_of_day(london_date(when))
    except OverflowError:
        return False


def iso(when: ValidTime | None) -> str | None:
    """JSON form: a date stays a date; an instant is ISO 8601 in UTC with its offset."""
    if when is None:
        return None
    if isinstance(when, datetime):
        return when.astimezone(UTC).isoformat()
    return when.isoformat()
