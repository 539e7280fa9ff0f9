"""Reading one offender's record: the current picture and the chronology."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from cli.options import AS_OF, AT, JSON
from cli.render import (
    LATE,
    RISK,
    Line,
    Piece,
    asked_time,
    blocks,
    emit_json,
    local_time,
    say,
    table,
)
from cli.session import session


def register(app: typer.Typer) -> None:
    app.command("show")(show)
    app.command("timeline")(timeline)


def when(text: str | None) -> datetime | None:
    """An --at or --as-of as the moment it means (a date: the end of that day), or None."""
    from domain.clock import parse_query_time

    return parse_query_time(text) if text else None


def show(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    as_of: str = AS_OF,
    at: str = AT,
    as_json: bool = JSON,
) -> None:
    """Show an offender: MAPPA category and level, latest risk, owners, licence.

    --at T shows the world at valid time T from everything recorded so far;
    --as-of T shows only what the ledger held at transaction time T
    (corrections recorded later do not apply).

    Example: ledger show WMP-000123 --at 2016-10-20 --json
    """
    from ledger import reading

    s = session(ctx)
    doc = reading.show(s, ref, as_of=when(as_of), at=when(at))
    if as_json:
        emit_json(doc)
        return
    owners = "; ".join(
        f"{agency}: {who(staff, doc['owner_names'].get(agency))}"
        for agency, staff in sorted(doc["owners"].items())
    )
    table(
        f"{doc['ref']}  {doc['name']}",
        ["", ""],
        [
            ["Born", doc["born"]],
            ["Registered", local_time(doc["registered_at"])],
            ["MAPPA", f"category {doc['category']}, level {doc['level']}"],
            [
                "Risk of serious harm",
                f"{doc['risk']} (assessed {local_time(doc['risk_assessed_at'])})"
                if doc["risk"]
                else "not assessed",
            ],
            ["Owners", owners or "none"],
            ["On licence", f"yes, until {doc['licence_end']}" if doc["on_licence"] else "no"],
            ["In custody", _custody_line(doc)],
            *_registration_end_row(doc),
            ["Area", doc["area"] or ""],
            ["Entries", doc["entries"]],
            ["Last recorded", local_time(doc["last_recorded_at"])],
        ],
        caption=caption(as_of, at),
    )


def _custody_line(doc: dict[str, Any]) -> str:
    """Whether in custody now, since when and why; else when the last period ended."""
    periods = doc.get("custody") or []
    if not periods:
        return "no"
    last = periods[-1]
    since = f"{local_time(last['from'])} ({last['reason']}, #{last['from_entry']})"
    if last["to"] is None:
        return f"yes, since {since}"
    return f"no; last held from {since} to {local_time(last['to'])}, released {last['released']}"


def _registration_end_row(doc: dict[str, Any]) -> list[list[str]]:
    ended = doc.get("registration_end")
    if not ended:
        return []
    return [
        [
            "Registration ended",
            f"{local_time(ended['at'])} ({ended['reason']}, #{ended['entry']}): {ended['summary']}",
        ]
    ]


def caption(as_of: str | None, at: str | None) -> str | None:
    """What the view's clocks were, said under its table (a date: the end of that day)."""
    parts = []
    if at:
        parts.append(f"the world at {asked_time(at)}")
    if as_of:
        parts.append(f"as the ledger stood at {asked_time(as_of)}")
    return "; ".join(parts) or None


# A century: more than any record is late by, and well inside what a date can hold.
MAX_LATE_AFTER_DAYS = 36_525


def timeline(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    as_of: str = AS_OF,
    date_from: str = typer.Option(None, "--from", metavar="DATE", help="From this day."),
    date_to: str = typer.Option(None, "--to", metavar="DATE", help="Up to and including this day."),
    agency: str = typer.Option(None, "--agency", help="Only entries by this agency's staff."),
    late_after: int = typer.Option(
        7,
        "--late-after",
        metavar="DAYS",
        min=0,
        max=MAX_LATE_AFTER_DAYS,
        envvar="LEDGER_LATE_AFTER_DAYS",
        show_envvar=True,
        help="Flag as late the entries recorded more than DAYS (0 to 36525) after they occurred. "
        "Default: LEDGER_LATE_AFTER_DAYS, else 7.",
    ),
    as_json: bool = JSON,
    as_csv: bool = typer.Option(
        False,
        "--csv",
        help="Print CSV instead of a table: for machines, so times are UTC ISO 8601, as in JSON.",
    ),
) -> None:
    """The chronology of one offender, in the order things happened.

    Shows when each thing occurred and when it was recorded; entries recorded
    more than --late-after days (LEDGER_LATE_AFTER_DAYS, default 7) after they
    occurred are flagged late. --as-of T shows only what the ledger held at
    transaction time T, with the corrections it held then. The table gives
    London time with its zone (2016-10-17 14:30 BST), or a date alone when the
    time of day is unknown; --json and --csv, for machines, give UTC ISO 8601.

    Example: ledger timeline WMP-000123 --from 2016-10-01 --agency police --csv
    """
    from domain.clock import parse_date
    from domain.errors import InvalidValueError
    from domain.values import Agency
    from ledger import reading

    s = session(ctx)
    if as_json and as_csv:
        raise InvalidValueError("--json and --csv: choose one")
    chosen = Agency.parse(agency).value if agency else None
    start = parse_date(date_from) if date_from else None
    end = parse_date(date_to) if date_to else None
    doc = reading.timeline(
        s,
        ref,
        as_of=when(as_of),
        date_from=start,
        date_to=end,
        agency=chosen,
        late_after_days=late_after,
    )
    entries = doc["entries"]
    if as_json:
        emit_json(doc)
    elif as_csv:
        _csv(entries)
    else:
        blocks(
            f"Timeline of {ref.strip()}: {len(entries)} entries, in the order they happened",
            [(f"#{e['entry']}", _timeline_lines(e)) for e in entries],
            caption=caption(as_of, None),
        )
        if not entries:
            say("no entries in that range")


def who(staff: str | None, name: str | None, rank: str | None = None) -> str:
    """A person as every view names them: `Lee Hart (4633, PC)`."""
    from projections.labels import person

    return person(staff, {staff: name} if staff and name else {}, rank)


def _timeline_lines(e: dict[str, Any]) -> list[Line]:
    """One entry of the chronology: when and what, who, when it was written down, what it says."""
    first: list[Piece] = [(local_time(e["occurred_at"]), None), ("  ", None), (e["label"], "bold")]
    if e["risk_relevant"]:
        first.append(("  risk-relevant", RISK))
    author = f"by {who(e['by'], e['by_name'], e['rank'])}, {e['agency']}"
    if e["entered_by"] != e["by"]:
        author += f"; typed in by {who(e['entered_by'], e['entered_by_name'])}"
    recorded: list[Piece] = [(f"recorded {local_time(e['recorded_at'])}", None)]
    if e["late"]:
        recorded.append((f"  LATE, {_days(e['recorded_after_days'])} after it happened", LATE))
    return [first, author, recorded, e["summary"] + _as_corrected(e)]


def _days(days: float) -> str:
    whole = int(days)
    return "1 day" if whole == 1 else f"{whole:,} days"


def _as_corrected(entry: dict[str, Any]) -> str:
    """For a corrected entry, what it said before and by which corrections: the original stays
    visible beside the corrected value."""
    if not entry["corrected"]:
        return ""
    was = []
    if entry["original_summary"] != entry["summary"]:
        was.append(f"said: {entry['original_summary']}")
    if entry["original_occurred_at"] != entry["occurred_at"]:
        was.append(f"dated: {local_time(entry['original_occurred_at'])}")
    by = ", ".join(f"#{c['entry']}" for c in entry["corrections"])
    return f" (corrected by {by}" + "".join(f"; originally {w}" for w in was) + ")"


CSV_COLUMNS = (
    "entry",
    "type",
    "occurred_at",
    "recorded_at",
    "by",
    "agency",
    "rank",
    "summary",
    "corrected",
    "late",
    "recorded_after_days",
)


def _csv(entries: list[dict[str, object]]) -> None:
    import csv
    import sys

    from cli.render import spreadsheet_safe

    writer = csv.DictWriter(sys.stdout, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(spreadsheet_safe(entry) for entry in entries)
