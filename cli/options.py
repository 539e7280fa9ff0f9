"""Options shared by many commands, declared once."""

from __future__ import annotations

import typer

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
    """Entry numbers typed as `4 5`, `4,5`, `#4` or `REF#4` (naming this offender only)."""
    from domain.errors import InvalidValueError

    numbers: list[int] = []
    for value in values:
        for part in value.replace(",", " ").split():
            prefix, _, text = part.rpartition("#")
            if prefix and prefix != ref.strip():
                raise InvalidValueError(
                    f"{part!r} names an entry of {prefix!r}, not of {ref.strip()!r}; "
                    "give this offender's entry numbers"
                )
            if not (text.isascii() and text.isdigit()) or int(text) < 1:
                raise InvalidValueError(f"{part!r} is not an entry number; use e.g. 4 or 4,5")
            numbers.append(int(text))
    if not numbers:
        raise InvalidValueError("name at least one entry number")
    return numbers
