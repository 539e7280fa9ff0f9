"""Output: JSON for machines (exactly one document on stdout), rich text for people.

People read lists of blocks (`blocks`), one per entry, alert or log row: a first line and lines
under it, each wrapped on words at the terminal's width, so no word, reference, rule name or time
is split at 80 columns and nothing is cut off; a wider terminal uses its width. Colour marks what
needs the eye (late, risk-relevant, standing) on a terminal only: none when piped or under
NO_COLOR (rich's own rules).

Times for machines (JSON, CSV) are ISO 8601 in UTC with their offset, as `domain.clock.iso` writes
them. Times for people (every table and line of text) go through `local_time`: London wall-clock
time to the minute with its zone, `2016-10-17 14:30 BST`; a date alone stays `2016-10-17`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

# Control characters JSON may leave as they are (DEL and the C1 controls, which some terminals obey
# as the C0 ones), and the line and paragraph separators: written as \u escapes, which mean the
# same to a JSON reader and nothing to a terminal.
_JSON_RAW_CONTROLS = re.compile("[\x7f-\x9f\u2028\u2029]")


def emit_json(document: Any) -> None:
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    text = _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
    sys.stdout.write(text + "\n")


# Control characters other than tab and line feed: the ledger refuses them in new text, but a
# row stored before (or around the ledger) may hold them, and a terminal would obey them.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(value: object) -> str:
    """A value as a table cell prints it: each control character other than tab and line feed
    written as an escape (`\\x1b`), so that stored text cannot move the cursor, clear the
    screen or change colours; the text is otherwise as stored."""
    text = "" if value is None else str(value)
    return _CONTROLS.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def emit_entry(ref: str, entry: int, as_json: bool) -> None:
    """What every recording command prints: the new entry as REF#N."""
    if as_json:
        emit_json({"ref": ref, "entry": entry})
    else:
        sys.stdout.write(f"{ref}#{entry}\n")


def table(
    title: str | None,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    caption: str | None = None,
) -> None:
    """Prints a table for people. Cells are plain text (`shown`): what is stored is printed as
    it is, never read as rich markup (a summary "[/x]" is those four characters) nor obeyed as
    a terminal's control sequence. Columns wrap on words; a word longer than its column folds
    rather than being cut off."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    heading = Text(shown(title)) if title is not None else None
    grid = Table(
        title=heading,
        caption=Text(shown(caption)) if caption is not None else None,
        show_lines=False,
        expand=False,
        show_header=any(columns),
        # At least as wide as its title, which would otherwise wrap over a narrow table's width.
        min_width=heading.cell_len if heading is not None else None,
    )
    for index, column in enumerate(columns):
        # A column of counts lines up on its units.
        counts = bool(rows) and all(type(row[index]) is int for row in rows)
        grid.add_column(column, overflow="fold", justify="right" if counts else "left")
    for row in rows:
        grid.add_row(*(Text(shown(cell)) for cell in row))
    Console(highlight=False).print(grid)


# A piece of a line: its text, and the style that marks it on a terminal (None: plain).
Piece = tuple[str, str | None]
# A line of a block: plain text, or pieces.
Line = str | Sequence[Piece]

LATE = "bold red"
RISK = "bold magenta"
STANDING = "bold yellow"
QUIET = "dim"


def blocks(
    title: str | None,
    items: Sequence[tuple[str, Sequence[Line]]],
    caption: str | None = None,
) -> None:
    """Prints a list for people: each item a mark (`#4`, a staff id) beside its lines, the lines
    wrapped on words within the terminal's width under the first, and a blank line between
    items. Stored text is printed as it is (`shown`), never read as markup."""
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    # Laid out here and printed at once: rich laying out each item as a table of its own, and
    # printing it, was most of what a long list cost beyond start-up.
    out = Text()
    if title:
        out.append_text(wrapped(Text(shown(title), style="bold"), console.width))
        out.append("\n")
    for mark, lines in items:
        body = item_text(lines)
        label = Text(shown(mark))
        indent = label.cell_len + 2
        rows = wrapped(body, max(1, console.width - indent)).split("\n", allow_blank=True)
        column = max(1, *(row.cell_len for row in rows))  # a grid's column is 1 cell at least
        for number, row in enumerate(rows):
            if number:
                out.append(" " * indent)
            else:
                out.append_text(label)
                out.append("  ")
            out.append_text(row)
            # As a grid's column would be: each line as wide as the item's widest.
            out.append(" " * (column - row.cell_len) + "\n")
        out.append("\n")
    if caption:
        out.append_text(wrapped(Text(shown(caption), style="italic"), console.width))
        out.append("\n")
    console.print(out, end="", soft_wrap=True)


def item_text(lines: Sequence[Line]) -> Any:
    """An item's lines as one rich Text, each piece in its style; stored text printed as it is."""
    from rich.text import Text

    body = Text()
    for number, line in enumerate(lines):
        if number:
            body.append("\n")
        pieces = [(line, None)] if isinstance(line, str) else line
        for text, style in pieces:
            body.append(shown(text), style=style or "")
    return body


# A person as the views name them, `Lee Hart (4633, PC)`: up to four capitalised words before a
# parenthesis that opens with a staff number. Kept on one line, as a reader looks for it whole.
_PERSON = re.compile(r"(?:[A-Z][^\s()]*[ ]){1,4}\(\d[^()\n]{0,40}\)")


def wrapped(text: Any, width: int) -> Any:
    """`text` (a rich Text) broken into lines of at most `width` cells, between words only: a
    person's name and the parenthesis after it stay together, a word or name longer than the
    line is folded, and each line's styles are kept. Rich's own wrapping breaks at any space,
    so it would split `Lee Hart` from `(4633, PC)` at the end of a line."""
    from rich.cells import cell_len
    from rich.text import Text

    plain = text.plain
    # The same text with the spaces inside each person made part of a word (same length).
    glued = _PERSON.sub(lambda m: m[0].replace(" ", "\0"), plain)
    lines: list[Any] = []
    start = 0
    for segment in glued.split("\n"):
        end_of_segment = start + len(segment)
        line_start = start
        line_end = start
        for word_start, word_end in _words(segment, start, plain, width):
            if line_end > line_start and cell_len(plain[line_start:word_end]) > width:
                lines.append(text[line_start:line_end])
                line_start = word_start
            while cell_len(plain[line_start:word_end]) > width:  # longer than a line: folded
                cut = line_start + 1
                while cell_len(plain[line_start : cut + 1]) <= width and cut < word_end:
                    cut += 1
                lines.append(text[line_start:cut])
                line_start = cut
            line_end = word_end
        lines.append(text[line_start:line_end] if line_end > line_start else Text(""))
        start = end_of_segment + 1
    return Text("\n").join(lines)


def _words(segment: str, start: int, plain: str, width: int) -> Iterator[tuple[int, int]]:
    """Where each word of a glued line begins and ends in `plain`; a glued person too long for
    a line gives its own words instead."""
    from rich.cells import cell_len

    for word in re.finditer(r"[^ ]+", segment):
        begin, end = start + word.start(), start + word.end()
        if "\0" in word[0] and cell_len(plain[begin:end]) > width:
            for part in re.finditer(r"[^ ]+", plain[begin:end]):
                yield begin + part.start(), begin + part.end()
        else:
            yield begin, end


def local_time(value: datetime | date | str | None) -> str:
    """A time as people read it, the same in every view: London wall-clock time to the minute,
    marked with the zone in force then (`2016-10-17 14:30 BST`, `2016-12-01 09:00 GMT`), so the
    hour the clocks repeat in October is told apart. A date alone (time of day unknown) stays a
    bare date (`2016-10-17`); no time at all is "".

    Takes the values the views hold: a `date`, an aware `datetime`, or either in the ISO 8601 form
    JSON gives them. A naive `datetime` is taken as UTC, as the ledger stores every instant.
    """
    from datetime import UTC

    from domain.clock import local_text

    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return local_text(value)


def asked_time(text: str | None) -> str:
    """An --at or --as-of as the view says it back: a date stays the date given (it means the end
    of that day); a time is the exact moment asked, in London time with its zone, to the second
    and fraction of a second where one was given (`domain.clock.moment_text`), never rounded to
    another moment."""
    from domain.clock import moment_text, parse_time

    if not text:
        return ""
    when = parse_time(text)
    return moment_text(when) if isinstance(when, datetime) else when.isoformat()


def note(text: str) -> None:
    """A paragraph for people, wrapped on words at the terminal's width."""
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    console.print(wrapped(Text(shown(text), style="italic"), console.width))


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(text + "\n")


# What a spreadsheet opening a CSV file takes for the start of a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row whose text cells cannot run as formulas when the file is opened in a spreadsheet
    (CSV injection): a cell that would begin with = + - @ or a tab or carriage return is written
    with a leading apostrophe, which spreadsheets read as "this is text"."""
    return {
        key: f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value
        for key, value in row.items()
    }
