"""Command help as a person reads it at 80 columns: paragraphs filled, not cut where the
docstring's source lines happened to end."""

from __future__ import annotations

from itertools import pairwise

import pytest
from typer.testing import CliRunner

from cli.lazy import reflowed
from cli.main import app


def test_a_paragraphs_lines_are_joined_for_the_terminal_to_wrap() -> None:
    doc = """First line.

    A paragraph wrapped
    at the source's width.

    Example: ledger show WMP-000123
    """
    assert reflowed(doc) == (
        "First line.\n\nA paragraph wrapped at the source's width.\n\n"
        "Example: ledger show WMP-000123"
    )


def test_a_list_keeps_its_lines_and_no_help_stays_none() -> None:
    doc = "Steps:\n\n- one\n- two"
    assert reflowed(doc) == doc
    assert reflowed(None) is None


def prose(screen: str) -> list[str]:
    """The help's own lines: not the boxes of options and arguments."""
    return [
        line.rstrip()
        for line in screen.splitlines()
        if not line.lstrip().startswith(("│", "╭", "╰", "Usage:"))
    ]


@pytest.mark.parametrize("command", [["alerts"], ["export"], ["projections", "rebuild"]])
def test_help_at_80_columns_fills_each_line_of_a_paragraph(command: list[str]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = prose(result.output)
    assert max(len(line) for line in lines) <= 80
    for line, after in pairwise(lines):
        # a short line is the end of its paragraph, never a line cut short inside one
        if line.strip() and after.strip() and len(line) < 55:
            pytest.fail(f"a paragraph broken at {line!r}, then {after!r}")
