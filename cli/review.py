"""The reviewer's views: who owned the case when, and who knew what, when."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from cli.options import AS_OF, AT, JSON
from cli.reading import caption, when
from cli.render import (
    QUIET,
    RISK,
    STANDING,
    Line,
    Piece,
    asked_time,
    blocks,
    emit_json,
    local_time,
    note,
    say,
)
from cli.session import session

if TYPE_CHECKING:
    from projections.who_knew import WhoKnew


def register(app: typer.Typer) -> None:
    app.command("ownership")(ownership)
    app.command("who-knew")(who_knew)


def ownership(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    as_of: str = AS_OF,
    at: str = AT,
    as_json: bool = JSON,
) -> None:
    """Who owned the case for each agency, period by period, and who made each transfer and why.

    A period runs from the registration or transfer that began it to the
    transfer that ended it (`to` is null for the current owner), in the order
    things happened, however late they were recorded.

    Example: ledger ownership WMP-000123 --as-of 2016-10-20 --json
    """
    from ledger import reading

    s = session(ctx)
    asked_as_of, asked_at = when(as_of), when(at)
    found = reading.ownership(s, ref, as_of=asked_as_of, at=asked_at)
    doc, names, periods = found.document, found.names, found.document["periods"]
    if as_json:
        emit_json(doc)
        return
    # A period not ended by --at may have ended since: it ran on "at" that moment, not "now".
    running = "now" if asked_at is None else f"still at {asked_time(at)}"
    blocks(
        f"Ownership of {doc['ref']}, period by period",
        [
            (
                p["agency"],
                [
                    [(_person(p["staff"], names), "bold")],
                    f"from {local_time(p['from'])} to {local_time(p['to']) or running}",
                    _made(p, names),
                    f"begun by #{p['entry']}"
                    + (f", ended by #{p['end_entry']}" if p["end_entry"] else ""),
                ],
            )
            for p in periods
        ],
        caption=caption(as_of, at),
    )


def _made(period: dict[str, Any], names: dict[str, str]) -> str:
    """Who began the period, and why."""
    if period["how"] == "registration":
        return f"owner from the registration, recorded by {_person(period['by'], names)}"
    why = f": {period['reason']}" if period["reason"] else ""
    return f"transferred by {_person(period['by'], names)}{why}"


def who_knew(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    entry: int = typer.Option(
        None, "--entry", metavar="N", min=1, help="Only entry REF#N, with each person who knew it."
    ),
    at: str = AT,
    as_of: str = AS_OF,
    as_json: bool = JSON,
) -> None:
    """Who knew each item and since when, and which owners were responsible but had not read it.

    A person knows an item from when they recorded it, acknowledged it, had it
    shared with them, or attended a MAPPA meeting that discussed it; an agency
    from when any of its staff did, or it was shared with the agency. An owner
    who knew it in none of these ways while owning the case is "responsible but
    not acknowledged". The matrix: entries down, agencies across, when each
    agency first knew in the cells, "! STAFF" for an owner who had not read it.
    Times are London time with their zone (2016-10-17 14:30 BST); a date alone
    means the time of day is unknown.

    Example: ledger who-knew WMP-000123 --at 2016-10-20 --entry 5
    """
    from ledger import reading

    s = session(ctx)
    asked_as_of, asked_at = when(as_of), when(at)
    found = reading.who_knew(s, ref, at=asked_at, as_of=asked_as_of, entry=entry)
    if as_json:
        emit_json(found.document)
        return
    view, names = found.view, found.names
    # A responsibility not ended by --at may have ended since: it ran on "at" that moment.
    running = "still owner" if asked_at is None else f"still owner at {asked_time(at)}"
    _matrix(view, names, caption(as_of, at), running)
    if entry is not None and view.items:
        _people(view, names)


def _matrix(
    view: WhoKnew, names: dict[str, str], title_note: str | None, running: str = "still owner"
) -> None:
    """Each item, and when each agency first knew it, or that it did not; each owner who was
    responsible for it but had not read it."""
    from projections.labels import KNOWING_NOTE, label

    owners = "; ".join(f"{a}: {_person(st, names)}" for a, st in sorted(view.owners.items()))
    items = []
    for item in view.items:
        r = item.item.record
        first: list[Piece] = [(local_time(r.occurred_at), None), ("  ", None)]
        first.append((label(r.type, r.data, names), "bold"))
        if r.risk_relevant:
            first.append(("  risk-relevant", RISK))
        lines: list[Line] = [first, r.summary]
        for agency, knowing in item.agencies.items():
            if knowing is None:
                lines.append([(f"{agency}: did not know", QUIET)])
                continue
            through = _person(knowing.staff, names) or "a share with the agency"
            lines.append(
                f"{agency}: knew from {local_time(knowing.since)} ({knowing.how}, "
                f"#{knowing.source}, {through})"
            )
        for duty in item.responsible_not_acknowledged:
            ended = local_time(duty.responsible_to)
            until = f" to {ended}" if ended else f", {running}"
            lines.append(
                [
                    (
                        f"! {_person(duty.staff, names)}, {duty.agency} owner from "
                        f"{local_time(duty.responsible_from)}{until}, was responsible for it "
                        "but had not acknowledged it",
                        STANDING,
                    )
                ]
            )
        items.append((f"#{r.entry}", lines))
    note(KNOWING_NOTE)
    blocks(
        f"Who knew what in {view.ref}" + (f" (owners: {owners})" if owners else ""),
        items,
        caption=title_note,
    )
    if not items:
        say("no informational entries in that view")


def _people(view: WhoKnew, names: dict[str, str]) -> None:
    item = view.items[0]
    blocks(
        f"Everyone who knew {view.ref}#{item.item.record.entry}",
        [
            (
                _person(k.staff, names),
                [
                    f"{k.agency}, from {local_time(k.since)}",
                    f"{k.how}, through #{k.source}, written down {local_time(k.recorded_at)}",
                ],
            )
            for k in item.staff
        ],
    )


def _person(staff: str | None, names: dict[str, str]) -> str:
    from projections.labels import person

    return person(staff, names) if staff else ""
