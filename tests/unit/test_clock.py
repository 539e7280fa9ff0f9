"""Valid time as people type it: Europe/London when naive, a date kept as a date."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.clock import (
    chronological_key,
    end_of_day,
    instant,
    is_future,
    iso,
    london_date,
    parse_date,
    parse_past_time,
    parse_query_time,
    parse_time,
    start_of_day,
    time_known,
)
from domain.errors import FutureTimeError, InvalidValueError
from domain.values import (
    Agency,
    AssessmentTool,
    RecallChoice,
    RiskLevel,
    ShareMeans,
    VisitKind,
    is_senior,
    parse_category,
    parse_level,
    parse_rank,
    parse_text,
)

NOW = datetime(2020, 1, 21, 12, 0, tzinfo=UTC)


def test_a_naive_time_in_summer_is_british_summer_time():
    assert parse_time("2016-07-04T14:30") == datetime(2016, 7, 4, 13, 30, tzinfo=UTC)


def test_a_naive_time_in_winter_is_greenwich_mean_time():
    assert parse_time("2016-12-04T14:30") == datetime(2016, 12, 4, 14, 30, tzinfo=UTC)


def test_the_clocks_going_forward_and_back_are_respected():
    # 2016-03-27 01:00 GMT the clocks went forward; 2016-10-30 02:00 BST they went back.
    assert parse_time("2016-03-27T00:30") == datetime(2016, 3, 27, 0, 30, tzinfo=UTC)
    assert parse_time("2016-03-27T03:30") == datetime(2016, 3, 27, 2, 30, tzinfo=UTC)
    assert parse_time("2016-10-30T00:30") == datetime(2016, 10, 29, 23, 30, tzinfo=UTC)
    assert parse_time("2016-10-30T03:30") == datetime(2016, 10, 30, 3, 30, tzinfo=UTC)


def test_an_explicit_offset_is_honoured_and_stored_in_utc():
    parsed = parse_time("2016-10-17T14:30:00+01:00")
    assert parsed == datetime(2016, 10, 17, 13, 30, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
    assert parse_time("2016-10-17T13:30Z") == parsed


def test_a_date_alone_stays_a_date_and_is_never_midnight():
    parsed = parse_time("2016-10-17")
    assert type(parsed) is date and parsed == date(2016, 10, 17)
    assert not time_known(parsed)
    assert iso(parsed) == "2016-10-17"


def test_json_times_are_utc_with_their_offset():
    assert iso(parse_time("2016-07-04T14:30")) == "2016-07-04T13:30:00+00:00"
    assert iso(None) is None


@pytest.mark.parametrize("text", ["2016-13-01", "2016-02-30", "yesterday", "17/10/2016", ""])
def test_malformed_times_are_refused_with_the_form_to_use(text):
    with pytest.raises(InvalidValueError, match=r"YYYY-MM-DD|ISO 8601"):
        parse_time(text)


def test_a_time_in_the_future_is_refused():
    with pytest.raises(FutureTimeError, match="in the future"):
        parse_past_time("2020-01-21T12:01Z", now=NOW)
    with pytest.raises(FutureTimeError):
        parse_past_time("2020-01-22", now=NOW)


def test_today_and_the_past_are_accepted_and_no_time_means_now():
    assert parse_past_time("2020-01-21", now=NOW) == date(2020, 1, 21)
    assert parse_past_time("2020-01-21T12:00Z", now=NOW) == NOW
    assert parse_past_time(None, now=NOW) == NOW


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_time_given_empty_is_refused_not_taken_as_now(blank: str) -> None:
    with pytest.raises(InvalidValueError, match="entry_occurred_at is empty"):
        parse_past_time(blank, now=NOW, field="entry_occurred_at")


def test_the_future_is_refused_naming_the_field_given() -> None:
    with pytest.raises(FutureTimeError, match=r"^entry_occurred_at 2020-01-22 is in the future"):
        parse_past_time("2020-01-22", now=NOW, field="entry_occurred_at")


@pytest.mark.parametrize("text", ["2016-10-17", "20161017", "2016-W42-1"])
def test_every_iso_form_of_a_date_alone_is_a_date(text: str) -> None:
    assert parse_time(text) == date(2016, 10, 17)


def test_a_london_time_the_clocks_skipped_is_refused() -> None:
    with pytest.raises(InvalidValueError, match="never happened in London"):
        parse_time("2016-03-27T01:30")
    # With its offset it names one moment.
    assert parse_time("2016-03-27T01:30+00:00") == datetime(2016, 3, 27, 1, 30, tzinfo=UTC)


def test_a_london_time_shown_twice_is_refused_without_an_offset() -> None:
    with pytest.raises(InvalidValueError, match="happened twice in London"):
        parse_time("2016-10-30T01:30")
    assert parse_time("2016-10-30T01:30+01:00") == datetime(2016, 10, 30, 0, 30, tzinfo=UTC)
    assert parse_time("2016-10-30T01:30+00:00") == datetime(2016, 10, 30, 1, 30, tzinfo=UTC)
    # The hours either side of the change are one moment each.
    assert parse_time("2016-10-30T00:59") == datetime(2016, 10, 29, 23, 59, tzinfo=UTC)
    assert parse_time("2016-10-30T02:00") == datetime(2016, 10, 30, 2, 0, tzinfo=UTC)


def test_times_out_of_range_are_refused_and_the_last_day_ends_at_the_last_moment() -> None:
    assert parse_query_time("9999-12-31") == datetime.max.replace(tzinfo=UTC)
    with pytest.raises(InvalidValueError, match="out of the range"):
        parse_time("9999-12-31T23:30-01:00")


@pytest.mark.parametrize(
    "text", ["0001-01-01", "0001-01-01T00:30+01:00", "1899-12-31T23:59", "18991231"]
)
def test_a_date_before_1900_is_refused_as_a_typing_error(text: str) -> None:
    for parse in (parse_time, parse_query_time):
        with pytest.raises(InvalidValueError, match=re.escape(f"'{text}' is before 1900,")):
            parse(text)
    if "T" not in text:
        with pytest.raises(InvalidValueError, match="is before 1900"):
            parse_date(text)
    assert parse_time("1900-01-01") == date(1900, 1, 1)


def test_today_is_the_london_day():
    # 23:30 UTC on 30 June is already 1 July in London.
    late = datetime(2016, 6, 30, 23, 30, tzinfo=UTC)
    assert not is_future(date(2016, 7, 1), late)
    assert london_date(late) == date(2016, 7, 1)


def test_a_query_date_means_the_end_of_that_london_day():
    end = parse_query_time("2016-07-04")
    assert end == datetime(2016, 7, 4, 22, 59, 59, 999999, tzinfo=UTC)
    assert end == end_of_day(date(2016, 7, 4))
    assert parse_query_time("2016-12-04") == datetime(2016, 12, 4, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_query_time("2016-07-04T09:00") == datetime(2016, 7, 4, 8, 0, tzinfo=UTC)


def test_a_date_counts_from_the_start_of_its_london_day():
    assert instant(date(2016, 7, 4)) == datetime(2016, 7, 3, 23, 0, tzinfo=UTC)
    assert start_of_day(date(2016, 12, 4)) == datetime(2016, 12, 4, 0, 0, tzinfo=UTC)
    assert instant(NOW) is NOW


def test_untimed_events_come_after_the_timed_events_of_their_day_in_entry_order():
    day = date(2016, 10, 17)
    events = [
        (day, 3),
        (parse_time("2016-10-17T23:30"), 9),
        (day, 2),
        (parse_time("2016-10-17T08:00"), 7),
        (parse_time("2016-10-16T23:59"), 8),
        (date(2016, 10, 18), 1),
    ]
    ordered = sorted(events, key=lambda e: chronological_key(*e))
    assert [entry for _, entry in ordered] == [8, 7, 9, 2, 3, 1]


def test_a_time_late_in_the_evening_sorts_on_its_london_day():
    # 00:30 on 18 July in London is 23:30 UTC on the 17th: it belongs to the 18th, after the 17th.
    after_midnight = parse_time("2016-07-18T00:30")
    assert after_midnight.date() == date(2016, 7, 17)
    ordered = sorted(
        [(after_midnight, 1), (date(2016, 7, 17), 2)], key=lambda e: chronological_key(*e)
    )
    assert [entry for _, entry in ordered] == [2, 1]


def test_calendar_dates_need_the_date_form():
    assert parse_date(" 1975-03-02 ") == date(1975, 3, 2)
    with pytest.raises(InvalidValueError, match="not a date"):
        parse_date("1975-03-02T10:00")
    with pytest.raises(InvalidValueError, match="not a real date"):
        parse_date("1975-02-30")


# ---------------------------------------------------------------------------------- values


def test_choices_are_parsed_from_what_people_type():
    assert Agency.parse("Social-Care") is Agency.SOCIAL_CARE
    assert RiskLevel.parse("very-high") is RiskLevel.VERY_HIGH
    assert AssessmentTool.parse("oasys") is AssessmentTool.OASYS
    assert VisitKind.parse(" home ") is VisitKind.HOME
    assert RecallChoice.parse("no-recall") is RecallChoice.NO_RECALL
    assert ShareMeans.parse("ViSOR") is ShareMeans.VISOR


def test_an_unknown_choice_lists_the_valid_ones():
    with pytest.raises(InvalidValueError, match="choose one of: police, probation, prison"):
        Agency.parse("fire")
    with pytest.raises(InvalidValueError, match="not a valid risk level"):
        RiskLevel.parse("none")


def test_risk_levels_are_ordered_from_low_to_very_high():
    assert [r.rank for r in RiskLevel] == [0, 1, 2, 3]


def test_police_ranks_come_from_the_list_and_other_agencies_give_a_title():
    assert parse_rank(Agency.POLICE, "insp") == "Insp"
    with pytest.raises(InvalidValueError, match="rank 'Sheriff' is not one of the police ranks"):
        parse_rank(Agency.POLICE, "Sheriff")
    assert parse_rank(Agency.PROBATION, " Senior Probation Officer ") == "Senior Probation Officer"
    with pytest.raises(InvalidValueError, match="rank is empty: give a police grade or a job"):
        parse_rank(Agency.HEALTH, "  ")


def test_seniority_is_inspector_or_above_or_a_senior_grade():
    assert not is_senior(Agency.POLICE, "DS", False)
    assert is_senior(Agency.POLICE, "Insp", False)
    assert is_senior(Agency.POLICE, "CC", False)
    assert not is_senior(Agency.PROBATION, "Probation Officer", False)
    assert is_senior(Agency.PROBATION, "Head of Service", True)


def test_mappa_category_and_level_and_free_text_are_checked():
    assert parse_category(3) == 3
    with pytest.raises(InvalidValueError, match=r"category 4 is not 1, 2 or 3") as refused:
        parse_category(4)
    assert refused.value.fields == ("category",)
    assert parse_level(2, (2, 3)) == 2
    with pytest.raises(InvalidValueError, match="level 1 is not 2, 3"):
        parse_level(1, (2, 3))
    assert parse_text("  Feels isolated ", "summary") == "Feels isolated"
    with pytest.raises(InvalidValueError, match="summary must not be empty") as refused:
        parse_text("   ", "summary")
    assert refused.value.fields == ("summary",)


@pytest.mark.parametrize("text", ["2016-10-17", "20161017", "2016-W42-1"])
def test_a_calendar_date_takes_every_iso_form_of_a_date(text: str) -> None:
    assert parse_date(text) == date(2016, 10, 17)
