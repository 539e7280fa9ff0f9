"""The reviewer's views: who owned the case when, and who knew what, when."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from cli.options import AS_OF, AT, JSON
from cli.reading import caption, when
from cli.render import asked_time, emit_json, local_time, say, table
from cli.session import session
from ledger.document import KNOWING_NOTE

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
    running = "now" if asked_at is None else f"(still at {asked_time(at)})"
    table(
        f"Ownership of {doc['ref']}",
        ["Agency", "Owner", "From", "To", "Made by", "Why", "Begun / ended by"],
        [
            [
                p["agency"],
                _person(p["staff"], names),
                local_time(p["from"]),
                local_time(p["to"]) or running,
                _person(p["by"], names),
                p["reason"] or ("registration" if p["how"] == "registration" else ""),
                f"#{p['entry']} / " + (f"#{p['end_entry']}" if p["end_entry"] else "-"),
            ]
            for p in periods
        ],
        caption=caption(as_of, at),
    )


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
    _matrix(view, names, caption(as_of, at))
    if entry is not None and view.items:
        _people(view, names)


def _matrix(view: WhoKnew, names: dict[str, str], title_note: str | None) -> None:
    agencies = view.agencies
    rows = []
    for item in view.items:
        r = item.item.record
        unread: dict[str, list[str]] = {}
        for duty in item.responsible_not_acknowledged:
            unread.setdefault(duty.agency, []).append(duty.staff)
        cells = []
        for agency in agencies:
            knowing = item.agencies.get(agency)
            cell = local_time(knowing.since) if knowing else "-"
            if agency in unread:
                cell += "".join(f"\n! {staff}" for staff in unread[agency])
            cells.append(cell)
        summary = r.summary if len(r.summary) <= 60 else r.summary[:57] + "..."
        # "Disclosure" says as much as "DisclosureRecorded" in a column that must stay narrow.
        kind = r.type.removesuffix("Recorded")
        rows.append([r.entry, local_time(r.occurred_at), kind, summary, *cells])
    owners = ", ".join(f"{a}: {_person(st, names)}" for a, st in sorted(view.owners.items()))
    legend = (
        "cells: when each agency first knew; -: did not know; "
        "! STAFF: owner responsible who had not acknowledged"
    )
    say(KNOWING_NOTE)
    table(
        f"Who knew what in {view.ref}" + (f" (owners: {owners})" if owners else ""),
        ["#", "Occurred", "Type", "Summary", *agencies],
        rows,
        caption="; ".join(filter(None, [title_note, legend])),
    )
    if not rows:
        say("no informational entries in that view")


def _people(view: WhoKnew, names: dict[str, str]) -> None:
    item = view.items[0]
    table(
        f"How each agency first knew {view.ref}#{item.item.record.entry}",
        ["Agency", "Since", "How", "Via", "Through"],
        [
            [agency, "-", "", "", ""]
            if k is None
            else [
                agency,
                local_time(k.since),
                k.how,
                f"#{k.source}",
                _person(k.staff, names) or "a share with the agency",
            ]
            for agency, k in item.agencies.items()
        ],
    )
    table(
        f"Who knew {view.ref}#{item.item.record.entry}",
        ["Staff", "Agency", "Since", "How", "Via", "Recorded"],
        [
            [
                _person(k.staff, names),
                k.agency,
                local_time(k.since),
                k.how,
                f"#{k.source}",
                local_time(k.recorded_at),
            ]
            for k in item.staff
        ],
    )
    if item.responsible_not_acknowledged:
        table(
            "Responsible but had not acknowledged",
            ["Staff", "Agency", "Responsible from", "Until"],
            [
                [
                    _person(d.staff, names),
                    d.agency,
                    local_time(d.responsible_from),
                    local_time(d.responsible_to) or "still owner",
                ]
                for d in item.responsible_not_acknowledged
            ],
        )


def _person(staff: str | None, names: dict[str, str]) -> str:
    if staff is None:
        return ""
    return f"{staff} {names[staff]}" if staff in names else staff
