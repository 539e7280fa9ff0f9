"""`ledger audit`: the access log (Data Protection Act 2018 s.62). Reading it is logged too."""

from __future__ import annotations

from typing import Any

import typer

from cli.options import JSON
from cli.render import LATE, blocks, emit_json, local_time
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
    from projections.labels import person

    s = session(ctx)
    ref = normalise_ref(offender) if offender else None
    start = instant(parse_time(since)) if since else None
    entries = reading.audit(s, actor=actor, offender=ref, since=start)
    if as_json:
        emit_json({"entries": entries})
        return
    names = reading.staff_names(s)
    blocks(
        f"Access log: {len(entries)} entries",
        [
            (
                f"#{e['id']}",
                [
                    [
                        (local_time(e["at"]), None),
                        ("  ", None),
                        (person(e["actor"], names) if e["actor"] else "no actor", "bold"),
                    ],
                    [(describe(e), LATE if e["outcome"] == "refused" else None)],
                    f"because: {e['reason']}" if e["reason"] else "no justification given",
                    *([f"database login: {e['login']}"] if e.get("login") else []),
                ],
            )
            for e in entries
        ],
    )


# What each read command consulted, in words.
CONSULTED = {
    "show": "the record of {ref}",
    "timeline": "the chronology of {ref}",
    "ownership": "the ownership of {ref}",
    "who-knew": "who knew what in {ref}",
    "alerts": "the alerts",
    "audit": "the access log",
    "staff list": "the staff directory",
    "offender list": "the list of offenders",
    "projections status": "the read models' status",
    "verify": "the whole ledger, to verify it",
}
# Options that say how something was shown, not what: left out of the words.
_HOW_SHOWN = {
    "as_json",
    "as_csv",
    "ref",
    "offender",
    "late_after",
    "format",
    "destination",
    "recipients",
    "anonymised",
}


def describe(entry: dict[str, Any]) -> str:
    """What one access-log row records, in words: `export of WMP-000123 as HTML for HM
    Coroner`, `the chronology of WMP-000123 as the ledger stood at 2016-10-20`."""
    details = dict(entry["details"] or {})
    ref = entry["offender"] or ""
    command = entry["command"]
    if entry["outcome"] == "refused":
        return f"{command} refused (exit {details.get('exit_code', '?')}): {entry['error']}"
    if command == "export":
        recipients = ", ".join(details.get("recipients") or []) or "no one named"
        text = f"export of {ref} as {str(details.get('format', '')).upper()} for {recipients}"
        if details.get("anonymised"):
            text += ", anonymised"
        if details.get("destination"):
            text += f", written to {details['destination']}"
    else:
        what = CONSULTED.get(command, command).format(ref=ref)
        text = what + (f" about {ref}" if ref and "{ref}" not in CONSULTED.get(command, "") else "")
    extras = [_option(key, value) for key, value in details.items() if key not in _HOW_SHOWN]
    extras = [x for x in extras if x]
    return text + (f" ({'; '.join(extras)})" if extras else "")


def _option(key: str, value: object) -> str:
    """One option of a logged read, in words."""
    if value in (None, False, [], ""):
        return ""
    words = {
        "as_of": "as the ledger stood at {}",
        "at": "the world at {}",
        "entry": "entry #{}",
        "agency": "only {}",
        "area": "area {}",
        "date_from": "from {}",
        "date_to": "to {}",
        "since": "since {}",
        "actor": "by {}",
        "offender": "about {}",
    }
    if value is True:
        return key.replace("_", " ")
    return words.get(key, key.replace("_", " ") + " {}").format(value)
