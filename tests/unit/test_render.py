"""What the ledger prints: stored text is shown, never obeyed by the terminal or read as markup."""

from __future__ import annotations

import json

from cli.render import emit_json, shown, table


def test_control_characters_are_shown_as_escapes_and_tabs_and_line_feeds_kept():
    assert shown("x\x1b[2J\x1b[31mRED\x9b\x7f\r\x00") == "x\\x1b[2J\\x1b[31mRED\\x9b\\x7f\\x0d\\x00"
    assert shown("a\tb\nc Zoë \u200d") == "a\tb\nc Zoë \u200d"
    assert shown(None) == ""
    assert shown(4) == "4"


def test_json_escapes_what_a_terminal_would_obey_and_means_the_same(capsys):
    value = "x\x1b[2J \x7f \x85 \x9b \u2028 \u2029 Zoë"
    emit_json({"reason": value})
    out = capsys.readouterr().out
    assert not any(c in out for c in "\x1b\x7f\x85\x9b\u2028\u2029")
    assert "Zoë" in out
    assert json.loads(out) == {"reason": value}


def test_a_table_prints_markup_as_text(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    table("[bold]Title", ["Summary"], [["[/x] closes nothing [red]red"], [None]], caption="[/]")
    out = capsys.readouterr().out
    assert "[/x] closes nothing [red]red" in out
    assert "[bold]Title" in out and "[/]" in out


def test_a_narrow_table_is_widened_to_its_title_rather_than_wrapping_it(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    title = "Alerts standing at 2026-12-06 09:51 GMT: 1"
    table(title, ["Area", "Rule", "Count"], [["(none)", "ARMS_OVERDUE", 1]])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].strip() == title
    assert len(lines[1]) >= len(title)


def test_a_column_of_counts_is_right_aligned_and_one_of_text_left(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    table(None, ["Rule", "Count"], [["ARMS_OVERDUE", 1], ["ENTRY_UNACKNOWLEDGED", 12]])
    rows = [line for line in capsys.readouterr().out.splitlines() if "ARMS" in line]
    assert rows == ["│ ARMS_OVERDUE         │     1 │"]
