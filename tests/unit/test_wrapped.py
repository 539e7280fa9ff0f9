"""Lines for people broken between words only, a person's name kept with its parenthesis."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.text import Text

from cli.render import wrapped

DETAIL = (
    "release on licence #2 of 2016-07-04 by Pat Lowe (7702, Probation Officer) not "
    "acknowledged by police owner Sam Reid (4521) within 7 days"
)


@pytest.mark.parametrize("width", range(36, 90, 3))
def test_a_person_is_never_split_from_their_number_and_rank(width):
    out = wrapped(Text(DETAIL), width).plain
    assert all(cell_len(line) <= width for line in out.split("\n"))
    assert "Pat Lowe (7702, Probation Officer)" in out
    assert "Sam Reid (4521)" in out
    assert out.replace("\n", " ") == DETAIL


def test_a_person_longer_than_the_line_breaks_between_their_words_not_inside_them():
    out = wrapped(Text(DETAIL), 20).plain.split("\n")
    assert "Pat Lowe (7702," in out and "Probation Officer)" in out


def test_a_word_longer_than_the_line_is_folded_and_nothing_is_lost():
    word = "x" * 25
    out = wrapped(Text(f"a {word} b"), 10).plain
    assert out.split("\n") == ["a", "x" * 10, "x" * 10, "x" * 5 + " b"]


def test_lines_blank_lines_indentation_and_styles_are_kept():
    text = Text("first line\n\n    indented")
    text.stylize("bold", 0, 5)
    out = wrapped(text, 40)
    assert out.plain == "first line\n\n    indented"
    assert [(s.start, s.end, s.style) for s in out.spans] == [(0, 5, "bold")]


def test_wide_characters_count_as_two_cells():
    out = wrapped(Text("日本語の長いテキスト"), 8).plain.split("\n")
    assert out == ["日本語の", "長いテキ", "スト"]


def _as_grids(title, items, caption, width):
    """What `blocks` printed when rich laid out each item as a grid: the layout it keeps."""
    import io

    from rich.console import Console
    from rich.table import Table

    from cli.render import item_text

    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, force_terminal=True)
    console.print(wrapped(Text(title, style="bold"), width))
    for mark, lines in items:
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold")
        label = Text(mark)
        grid.add_row(label, wrapped(item_text(lines), max(1, width - label.cell_len - 2)))
        console.print(grid)
        console.print()
    console.print(wrapped(Text(caption, style="italic"), width))
    return out.getvalue()


@pytest.mark.parametrize("width", [24, 41, 80, 131])
def test_a_list_is_laid_out_as_grids_were_styles_and_all(width, monkeypatch, capsys):
    from cli.render import blocks

    items = [
        ("#1", ["2016-07-04  Registration", [("LATE", "bold red"), (", 3,686 days", None)]]),
        ("#12", [DETAIL, "", "    indented 渋谷区 and a wide name"]),
        ("4521", []),
        ("", ["no mark at all"]),
        ("#3", ["x" * 200]),
    ]
    title, caption = f"Timeline: {DETAIL}", "as of 2026-12-07"
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("FORCE_COLOR", "1")
    blocks(title, items, caption)

    assert capsys.readouterr().out == _as_grids(title, items, caption, width)
