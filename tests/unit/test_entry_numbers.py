"""Entry numbers as the command line takes them (`cli.options.entry_numbers`)."""

from __future__ import annotations

import pytest

from cli.options import entry_numbers
from domain.errors import InvalidValueError
from domain.values import ENTRY_NUMBER_MAX

REF = "WMP-000123"


def test_numbers_are_taken_in_every_written_form():
    assert entry_numbers(["4 5", "6,7", "#8", f"{REF}#9", "010"], REF) == [4, 5, 6, 7, 8, 9, 10]
    assert entry_numbers([str(ENTRY_NUMBER_MAX)], REF) == [2**63 - 1]


@pytest.mark.parametrize(
    "value",
    [
        str(2**63),
        "9" * 20,
        "9" * 5000,  # more digits than Python converts: once "unexpected failure (ValueError...)"
        "0" * 5000 + "9" * 5000,
        "#" + "9" * 5000,
    ],
)
def test_a_number_beyond_any_entry_is_out_of_range(value):
    with pytest.raises(InvalidValueError) as refused:
        entry_numbers([value], REF)
    message = str(refused.value)
    assert f"is out of range: entry numbers run from 1 to {2**63 - 1}" in message
    assert len(message) < 200  # the number is quoted only by its start and length
    if len(value) > 40:
        assert f"({len(value)} characters)" in message


def test_leading_zeros_do_not_make_a_number_out_of_range():
    assert entry_numbers(["0" * 5000 + "7"], REF) == [7]


@pytest.mark.parametrize("value", ["0", "000", "-1", "4a", "x" * 5000])
def test_what_is_not_an_entry_number_is_refused(value):
    with pytest.raises(InvalidValueError, match="is not an entry number"):
        entry_numbers([value], REF)
