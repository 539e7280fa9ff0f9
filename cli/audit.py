"""`ledger audit`: the access log (Data Protection Act 2018 s.62). Reading it is logged too."""

from __future__ import annotations

import typer

from cli.options import JSON
from cli.render import emit_json, local_time, table
from cli.session import session


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)


def audit(
    ctx: typer.Context,
    actor: str = typer.Option(None, "--actor", metavar="STAFF_ID", help="Only this staff member."),
    offender: str = typer.Option(None, "--offender", metavar="REF", help="Only this offender."),
    since: str = typer.Option(
        None, "--since", metavar="T", help="Only from time T (a date means the start of that day)."
    ),
    as_json: bool = JSON,
) -> None:
    """Who consulted or disclosed what, when and why; and who was refused.

    Every read and export is logged with the actor, the command, the offender or query, and the
    justification given (--reason or LEDGER_REASON); refused commands are logged with the error.
    This command's own reading of the log is logged before it is shown.

    Example: ledger --reason "subject access request" audit --offender WMP-000123 --since 2016-01-01
    """
    from domain.clock import instant, parse_time
    from domain.identity import normalise_ref
    from ledger import reading

    s = session(ctx)
    ref = normalise_ref(offender) if offender else None
    start = instant(parse_time(since)) if since else None
    entries = reading.audit(s, actor=actor, offender=ref, since=start)
    if as_json:
        emit_json({"entries": entries})
        return
    table(
        "Access log",
        ["#", "When", "Actor", "Command", "Offender", "Outcome", "Justification", "Detail"],
        [
            [
                e["id"],
                local_time(e["at"]),
                e["actor"] or "",
                e["command"],
                e["offender"] or "",
                e["outcome"],
                e["reason"] or "",
                e["error"] or _options(e["details"]),
            ]
            for e in entries
        ],
    )


def _options(details: dict[str, object]) -> str:
    """A logged read's options, as one line."""
    return ", ".join(f"{key}={value}" for key, value in details.items())
