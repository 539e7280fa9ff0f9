"""Output: JSON for machines (exactly one document on stdout), rich tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")


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
    from rich.console import Console
    from rich.table import Table

    grid = Table(title=title, caption=caption, show_lines=False, expand=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*("" if cell is None else str(cell) for cell in row))
    Console().print(grid)


def say(text: str) -> None:
    sys.stdout.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(text + "\n")
