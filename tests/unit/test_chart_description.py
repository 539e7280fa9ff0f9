"""The sentence that describes the timeline chart to a screen reader and under the figure."""

from __future__ import annotations

from cli.chart import Chart, Flag


def described(marks: int, never_met: list[bool]) -> str:
    chart = Chart(title="t", width=100, start="2016-07-04", end="2016-10-24")
    chart.marks = [object()] * marks  # type: ignore[list-item]
    chart.flags = [Flag(0, 1, 0, "red", never, "w") for never in never_met]
    chart.lanes = []
    return chart.description


def test_one_entry_and_one_warning_are_said_in_the_singular():
    assert described(1, [True]).startswith(
        "Timeline of 1 entry from 2016-07-04 to 2016-10-24, one lane per agency (none), and "
        "below them 1 warning that fell due, never met."
    )
    assert "1 warning that fell due, met." in described(2, [False])


def test_several_are_counted_and_none_is_said_as_none():
    assert "Timeline of 14 entries" in described(14, [True, False, True])
    assert "3 warnings that fell due, 2 of them never met." in described(14, [True, False, True])
    assert "and below them no warning that fell due." in described(3, [])
