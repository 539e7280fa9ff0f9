"""`ledger alerts`: the serious case review's lessons, raised as alerts over every offender."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from cli.options import AS_OF, JSON
from cli.render import QUIET, STANDING, asked_time, blocks, local_time, say, table
from cli.session import session


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts)


def alerts(
    ctx: typer.Context,
    offender: str = typer.Option(None, "--offender", metavar="REF", help="Only this offender."),
    area: str = typer.Option(None, "--area", metavar="AREA", help="Only offenders in this area."),
    at: str = typer.Option(
        None,
        "--at",
        metavar="T",
        help="The alerts standing at valid time T (a date means the end of that day). "
        "Default: now.",
    ),
    as_of: str = AS_OF,
    history: bool = typer.Option(
        False,
        "--history",
        help="Every breach of one offender (--offender): open, lapsed, closed late or not yet due.",
    ),
    summary: bool = typer.Option(
        False, "--summary", help="Counts of standing alerts per area and rule."
    ),
    as_json: bool = JSON,
) -> None:
    """Alerts standing at a moment: what fell due and was not done.

    The rules: ARMS overdue, risk not escalated, entries unacknowledged, disclosures not shared,
    disagreements not escalated, recall not considered, visits overdue.

    An alert stands at T (state "open") when it fell due by T, nothing that occurred by T
    satisfied it, and its remedy was still possible at T; one whose remedy is no longer
    possible (a licence that ended, custody, the end of the registration) has lapsed and is
    listed only with --history.
    The thresholds come from the policy shipped with the ledger, or LEDGER_POLICY=path.

    Example: ledger alerts --area Birmingham --at 2016-11-01 --json
    """
    from domain.clock import parse_query_time
    from ledger import reading

    s = session(ctx)
    found = reading.alerts(
        s,
        offender=offender,
        area=area,
        at=parse_query_time(at) if at else None,
        as_of=parse_query_time(as_of) if as_of else None,
        history=history,
        summary=summary,
        stored=as_json,
    )
    doc = found.document
    if found.stored is not None:
        _emit_documents(doc, found.stored)
    elif as_json:
        _emit_json(doc)
    elif history:
        _history_table(doc)
    elif summary:
        _summary_table(doc, _asked(at, found.moment))
    else:
        _alerts_table(doc, _asked(at, found.moment), asked_time(as_of))


def _emit_json(doc: dict[str, Any]) -> None:
    """One JSON document without indentation: an area's alerts run to tens of thousands, and only
    unindented JSON gets the standard library's C encoder (several times faster)."""
    import json
    import sys

    sys.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")


def _emit_documents(head: dict[str, Any], documents: list[str]) -> None:
    """`{...head, "alerts": [...]}` from alerts already in JSON, one per line."""
    import json
    import sys

    opening = json.dumps(head, ensure_ascii=False)[:-1]
    body = ",\n  ".join(documents)
    sys.stdout.write(
        f'{opening}, "alerts": [\n  {body}\n]}}\n' if documents else f'{opening}, "alerts": []}}\n'
    )


def _asked(at: str | None, moment: datetime) -> str:
    """The --at moment as the tables say it: the date or time given, else now."""
    return asked_time(at) if at else local_time(moment)


def _alerts_table(doc: dict[str, Any], at: str, as_of: str) -> None:
    from projections.labels import rule

    rows = doc["alerts"]
    caption = f"at {at}" + (f", as the ledger stood at {as_of}" if as_of else "")
    blocks(
        f"Alerts standing: {len(rows)}",
        [
            (
                a["ref"] + (f" #{a['entry']}" if a["entry"] else ""),
                [
                    [(a["rule"], STANDING), (f"  {rule(a['rule'])}", None)],
                    f"due {local_time(a['due_at'])}",
                    a["detail"],
                ],
            )
            for a in rows
        ],
        caption=caption,
    )
    if not rows:
        say("no alerts standing")


# How each state of a breach is marked on a terminal.
STATE_STYLES = {"open": STANDING, "lapsed": QUIET, "not yet due": QUIET}


def _history_table(doc: dict[str, Any]) -> None:
    from projections.labels import rule

    blocks(
        f"Breaches of {doc['ref']}: {len(doc['alerts'])}, and where each stood",
        [
            (
                f"#{a['entry']}" if a["entry"] else "-",
                [
                    [(a["rule"], "bold"), (f"  {rule(a['rule'])}", None)],
                    [("state: ", None), (a["state"], STATE_STYLES.get(a["state"]))],
                    f"due {local_time(a['due_at'])}",
                    _closed(a),
                    a["detail"],
                ],
            )
            for a in doc["alerts"]
        ],
    )
    if not doc["alerts"]:
        say("no breaches")


def _closed(alert: dict[str, Any]) -> str:
    """When and by what the breach was met, when it lapsed and why, or that it never was."""
    if alert.get("lapsed_at"):
        why = f": {alert['lapse']}" if alert.get("lapse") else ""
        return f"lapsed {local_time(alert['lapsed_at'])}{why}"
    if alert["satisfied_at"] is None:
        return "never met"
    by = f" by {alert['resolution']}" if alert["resolution"] else ""
    return f"met {local_time(alert['satisfied_at'])}{by}"


def _summary_table(doc: dict[str, Any], at: str) -> None:
    table(
        f"Alerts standing at {at}: {doc['total']}",
        ["Area", "Rule", "Count"],
        [[c["area"] or "(none)", c["rule"], c["count"]] for c in doc["summary"]],
    )
