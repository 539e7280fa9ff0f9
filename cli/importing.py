"""Importing a chronology from a file, all or nothing."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.options import JSON
from cli.render import emit_json, say
from cli.session import session


def register(app: typer.Typer) -> None:
    app.command("import")(import_file)


def import_file(
    ctx: typer.Context,
    path: Path = typer.Argument(..., metavar="PATH", help="A JSON Lines file, one record a line."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate and check every record against the rules; save nothing."
    ),
    as_json: bool = JSON,
) -> None:
    """Import records from a JSON Lines file: all are saved together, or none.

    Each line is one record naming its "command" (staff, register, release, disclosure, visit,
    entry, concern, assessment, review, decision, disagreement, escalation, mappa-referral,
    mappa-meeting, recall-decision, acknowledge, transfer, share, correct) with the same fields as
    that command's options, e.g.

    {"command": "disclosure", "ref": "WMP-000123", "summary": "Feels isolated", "risk_relevant": true, "occurred_at": "2016-10-17T14:30", "by": "7702"}

    {"command": "staff", "staff_id": "4521", "name": "Sam Reid", "agency": "police", "rank": "PC", "since": "2015-01-01"}

    Every record is validated and checked against the rules, in file order, before anything is
    saved; one bad line refuses the import and leaves the ledger exactly as it was.

    A dry run, which saves nothing but shows what exists, needs a justification (--reason) like
    any read, and is logged in the access log.

    Example: ledger import chronology.jsonl --dry-run
    """
    from ledger.files import open_regular
    from ledger.importing import import_records, parse_lines, read_lines

    s = session(ctx)
    # Only a regular file: a device such as /dev/zero would be read without end, and a named pipe
    # waited on for ever. The file is read a line at a time, each line bounded.
    with open_regular(path, f"cannot read {path}", "give the path of a JSON Lines file") as stream:
        records = parse_lines(read_lines(stream, str(path)))
    if dry_run:
        # A dry run shows which offenders exist and their entry numbers, and saves nothing to
        # say who looked: attributed and justified like any read, and logged before it is shown.
        s.check_reader()
    done = import_records(s.ledger(), s.actor, records, dry_run=dry_run)
    if dry_run:
        s.consult("import", details={**s.options, "records": len(done)}, checked=True)
    else:
        s.saved = f"all {len(done)} records of the import"
    if as_json:
        emit_json(
            {
                "dry_run": dry_run,
                "records": len(done),
                "entries": [
                    {"line": d.line, "command": d.command, "ref": d.ref, "entry": d.entry}
                    for d in done
                ],
            }
        )
        return
    for d in done:
        say(f"line {d.line}: {d.command}" + (f" {d.ref}#{d.entry}" if d.ref else ""))
    verb = "would be imported (dry run: nothing saved)" if dry_run else "imported"
    say(f"{len(done)} records {verb}")
