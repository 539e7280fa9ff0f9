"""Text as typed: one check for every name, rank, area, summary, reason and justification."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValueError
from domain.text import LONG_LIMIT, check_fields, parse_optional_text, parse_text


def test_text_is_kept_as_typed_without_surrounding_space():
    assert parse_text("  Feels isolated\tand low \n", "--summary") == "Feels isolated\tand low"
    assert parse_text("Zoë O'Neil \u200d", "--name") == "Zoë O'Neil \u200d"


@pytest.mark.parametrize("blank", [None, "", "   ", " \t\n\r "])
def test_empty_text_is_refused_as_empty(blank):
    with pytest.raises(InvalidValueError, match=r"^--summary must not be empty$"):
        parse_text(blank, "--summary")


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("\x7f", "U+007F"),
        ("\ufeff", "U+FEFF"),
        ("\u2028", "U+2028"),
        ("\u200b \u2060", "U+200B, U+2060"),
        ("\x1c", "U+001C"),
        ("\u00a0", "U+00A0"),
    ],
)
def test_text_of_only_invisible_or_control_characters_says_so_and_names_them(value, named):
    with pytest.raises(InvalidValueError) as refused:
        parse_text(value, "--reason")
    assert str(refused.value).startswith(
        f"--reason has only invisible or control characters ({named}) and nothing that can be read"
    )


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9b", "\ud800"])
def test_a_character_that_cannot_be_stored_is_named(character):
    with pytest.raises(InvalidValueError, match=f"contains the character U\\+{ord(character):04X}"):
        parse_text(f"seen{character}here", "--summary")


def test_text_longer_than_its_limit_is_refused_before_it_is_read_through():
    assert parse_text("x" * LONG_LIMIT, "--reason") == "x" * LONG_LIMIT
    with pytest.raises(InvalidValueError, match="--reason is 100,000 characters long; at most 20"):
        parse_text("x" * 100_000, "--reason")
    with pytest.raises(InvalidValueError, match="--to is 201 characters long; at most 200 are"):
        parse_text("x" * 201, "--to", limit=200)


def test_optional_text_left_out_is_none_and_given_is_text_as_any_other():
    assert parse_optional_text(None, "--area") is None
    assert parse_optional_text(" Coventry ", "--area") == "Coventry"
    for blank in ("", "  "):
        with pytest.raises(InvalidValueError, match=r"^--area is empty: give a value, or leave"):
            parse_optional_text(blank, "--area")
    for invisible in ("\ufeff", "\u2028", "\x7f"):
        with pytest.raises(InvalidValueError, match="only invisible or control characters"):
            parse_optional_text(invisible, "--detail")


@pytest.mark.parametrize("value", ["", " ", "\ufeff", "\u2028"])
def test_an_event_s_text_must_say_something(value):
    """However the event was made (command line, import, code), its text is checked as typed."""
    with pytest.raises(InvalidValueError, match=r"^area "):
        check_fields({"area": value, "summary": "fine"})
    check_fields({"area": None, "summary": "fine"})
