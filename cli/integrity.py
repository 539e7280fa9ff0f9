"""Proving the ledger unaltered: `ledger verify`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cli.errors import TamperingFoundError
from cli.options import JSON
from cli.render import emit_json, say
from cli.session import session

if TYPE_CHECKING:
    from ledger.verification import Report


def register(app: typer.Typer) -> None:
    app.command("verify")(verify)


def verify(
    ctx: typer.Context,
    as_json: bool = JSON,
    digest_out: Path = typer.Option(
        None,
        "--digest-out",
        metavar="FILE",
        help="Write the current digest (newest position and its hash) to FILE, to keep outside "
        "the ledger: a new file or a regular one to replace (never the ledger's own database).",
    ),
    against: Path = typer.Option(
        None,
        "--against",
        metavar="FILE",
        help="Also prove that the ledger still extends the digest in FILE (nothing up to that "
        "position changed); this catches even a rewrite of the whole chain. FILE may also be a "
        "JSON export, or the digest itself as printed (POSITION:HASH, as in an HTML or PDF "
        "export). At position 0, the empty ledger, only the genesis hash (64 zeros) matches.",
    ),
) -> None:
    """Re-read the whole ledger and check its hash chain; exit 3 if it was altered.

    Every event is chained in commit order by SHA-256 over its position,
    stream, entry number, type and the hash of its stored (possibly
    encrypted) payload. A changed, inserted, deleted or reordered event
    anywhere is reported with its position and REF#N ('staff ID#N' for
    staff records).

    The chain covers each payload only through its hash: a payload later
    re-encrypted or erased is reported as 'payload_changed' while the chain
    itself still verifies ("chain_intact": true).

    Removing the newest events together with their links, or rewriting the
    whole chain, shows only against a digest kept elsewhere: keep each
    --digest-out file away from the database and check with --against. (If
    the read models had processed the removed events, 'read_models_ahead'
    reports it too.) No digest is written for an altered ledger.

    JSON: {"ok", "events", "digest": {"position", "hash"}, "problems":
    [{"kind", "position", "ref", "stream", "entry", "detail"}],
    "chain_intact", "first_broken", "against"}.

    On PostgreSQL each link also names the database login that inserted it and the staff member
    the event names; an event whose login was not bound to that staff member when it was
    recorded is reported as 'login_not_bound'.

    Like any read it needs an actor (--as) and a justification (--reason), and is logged in the
    access log.

    Example: ledger verify --digest-out /secure/ledger-digest.json
    """
    from ledger.files import output_path, write_whole
    from ledger.verification import Digest, check_read_models, name_problems, payload_author
    from ledger.verification import verify as verify_ledger
    from projections.runner import positions

    s = session(ctx)
    database = s.settings.database
    # Checked before the ledger is read: a folder that does not exist, a device, a pipe or the
    # ledger's own database file is refused with nothing written.
    destination = (
        output_path(digest_out, "--digest-out", database) if digest_out is not None else None
    )
    baseline = Digest.read(against) if against is not None else None
    # Opened without decoding the first event first: when that event was altered, the report
    # says so (exit 3) rather than the ledger refusing to open.
    ledger = s.ledger(check_decode=False)
    # A look at every record's place in the chain, and a report naming REF#N: attributed and
    # justified like any read (Data Protection Act 2018 s.62), and logged before it is shown.
    s.check_reader(check_decode=False)
    report = verify_ledger(s.settings.database, baseline, author_of=payload_author(ledger))
    check_read_models(report, max(positions(s.engine()).values(), default=0))
    if report.problems:
        name_problems(ledger, report)
    s.consult(
        "verify",
        details={**s.options, "ok": report.ok, "events": report.events},
        checked=True,
    )
    if destination is not None and report.ok:
        # A digest of an altered ledger would vouch for the alteration: none is written.
        write_whole(destination, digest_out, "--digest-out", report.head.as_text(), database)
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_report(report, digest_out, against)
    if not report.ok:
        first = report.problems[0]
        where = f" ({first.ref})" if first.ref else ""
        raise TamperingFoundError(
            f"the ledger has been altered: {len(report.problems) + report.more_problems} "
            f"problem(s), the first at position {first.position}{where}: {first.kind}"
        )


def _print_report(report: Report, digest_out: Path | None, against: Path | None) -> None:
    head = report.head
    say(f"{report.events} events, {report.links} links; digest {head.position}:{head.hash}")
    if report.authors_unread:
        say(
            f"the authors of {report.authors_unread} events were not held to their links: their "
            "payloads could not be read (an encrypted ledger needs LEDGER_CIPHER_KEY for that)"
        )
    if against is not None and report.against is not None:
        verdict = "extends" if report.ok else "does NOT extend"
        say(f"the ledger {verdict} the digest at position {report.against.position} ({against})")
    if digest_out is not None:
        say(f"digest written to {digest_out}" if report.ok else "no digest written")
    if report.ok:
        say("ok: the ledger is unaltered")
        return
    if report.chain_intact:
        say("the chain is intact, but some payloads no longer match their links:")
    for problem in report.problems:
        ref = problem.ref or (str(problem.originator_id) if problem.originator_id else "-")
        say(f"  position {problem.position} {ref}: {problem.kind}: {problem.as_dict()['detail']}")
    if report.more_problems:
        say(f"  ... and {report.more_problems} more")
