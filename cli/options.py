"""Options shared by many commands, declared once."""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperCommand

from cli.click_errors import NoSuchOption, UsageError

OCCURRED_AT = typer.Option(
    None,
    "--occurred-at",
    metavar="T",
    help="When it happened: 2016-10-17 (time unknown) or 2016-10-17T14:30 (Europe/London). "
    "Default: now.",
)
BY = typer.Option(
    None,
    "--by",
    metavar="STAFF_ID",
    help="Who made the contact, when someone else types it in. Default: the actor.",
)
JSON = typer.Option(False, "--json", help="Print one JSON document instead of text.")
AS_OF = typer.Option(
    None,
    "--as-of",
    metavar="T",
    help="Show only what the ledger held at transaction time T (a date means the end of that day).",
)
AT = typer.Option(
    None,
    "--at",
    metavar="T",
    help="Ask about the world at valid time T, from everything recorded so far.",
)


def entry_numbers(values: list[str], ref: str) -> list[int]:
    """Entry numbers typed as `4 5`, `4,5`, `#4` or `REF#4` (naming this offender only). Whether
    each is a number an entry can have is the command's own check (`check_entry_number`)."""
    from domain.errors import InvalidValueError
    from domain.values import ENTRY_NUMBER_MAX, check_entry_number

    numbers: list[int] = []
    for value in values:
        for part in value.replace(",", " ").split():
            prefix, _, text = part.rpartition("#")
            if prefix and prefix != ref.strip():
                raise InvalidValueError(
                    f"{_shown(part)} names an entry of {_shown(prefix)}, not of "
                    f"{ref.strip()!r}; give this offender's entry numbers"
                )
            if not (text.isascii() and text.isdigit()):
                raise InvalidValueError(f"{_shown(part)} is not an entry number; use e.g. 4 or 4,5")
            # Counted before it is converted: Python refuses to convert thousands of digits.
            digits = text.lstrip("0")
            too_long = len(digits) > len(str(ENTRY_NUMBER_MAX))
            number = ENTRY_NUMBER_MAX + 1 if too_long else int(digits or "0")
            numbers.append(check_entry_number(number, "entry", _shown(part)))
    if not numbers:
        raise InvalidValueError("name at least one entry number")
    return numbers


class EntryNumbersCommand(TyperCommand):
    """A command that takes entry numbers as arguments (`acknowledge REF N [N ...]`).

    Click reads any argument that begins with "-" as an option, so a negative entry number
    would be refused as "No such option: -1". Such a refusal is said as what it is: not an
    entry number. Any other unknown option is refused by Click as before."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        typed = list(args)  # Click consumes the list it parses
        try:
            return super().parse_args(ctx, args)
        except NoSuchOption as error:
            given = next((a for a in typed if a.startswith(error.option_name)), error.option_name)
            if re.fullmatch(r"-\d[\d,#]*", given):
                raise UsageError(
                    f"{given!r} is not an entry number: entries are numbered from 1; use e.g. "
                    "4 or 4,5",
                    ctx,
                ) from None
            raise


def _shown(value: str, most: int = 40) -> str:
    """A value typed on the command line as a message quotes it: if long, its start and length."""
    if len(value) <= most:
        return repr(value)
    return f"{value[: most - 20]!r}... ({len(value)} characters)"
