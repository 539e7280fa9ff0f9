"""Recording: every command builds its model (`ledger.commands`), hands it to the one handler
(`ledger.handlers.handle`) and prints the new entry as REF#N."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from cli.options import BY, JSON, OCCURRED_AT, EntryNumbersCommand, entry_numbers
from cli.render import emit_entry
from cli.session import session

if TYPE_CHECKING:
    from ledger.commands import Command

record_app = typer.Typer(
    help="Record what happened: one immutable, attributed event each.\n\n"
    'Example: ledger record visit WMP-000123 --kind home --outcome "Seen; no concerns"'
)


def register(app: typer.Typer) -> None:
    app.add_typer(record_app, name="record")
    app.command("acknowledge", cls=EntryNumbersCommand)(acknowledge)
    app.command("transfer")(transfer)
    app.command("share", cls=EntryNumbersCommand)(share)
    app.command("correct", cls=EntryNumbersCommand)(correct)


def _submit(ctx: typer.Context, model: type[Command], as_json: bool, **given: Any) -> None:
    """Builds the command from the options given, has the ledger handle it, prints REF#N."""
    from ledger.handlers import handle

    command = model.build(**given)
    s = session(ctx)
    (done,) = handle(s.ledger(), s.actor, [command])
    s.saved = f"{done.ref}#{done.entry}"
    emit_entry(done.ref, done.entry, as_json)


def _numbers(value: str | None, ref: str) -> list[int] | None:
    """Entry numbers typed as one option (`--about 5,6`), or None if it was not given."""
    return entry_numbers([value], ref) if value is not None else None


@record_app.command("release")
def release(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    licence_end: str = typer.Option(
        None, "--licence-end", metavar="DATE", help="Released on licence, to this date."
    ),
    no_licence: bool = typer.Option(
        False, "--no-licence", help="Released with no licence (instead of --licence-end)."
    ),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a release from custody (at --occurred-at): on licence, or with --no-licence.

    The first release after the registration needs no custody recorded before it; any later
    one ends a period in custody (`record custody`, or a recall decision to recall).

    Example: ledger record release WMP-000123 --licence-end 2026-07-04 --occurred-at 2016-07-04
    """
    from ledger.commands import RecordRelease

    _submit(
        ctx,
        RecordRelease,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        licence_end=licence_end,
        no_licence=no_licence,
    )


@record_app.command("custody")
def custody(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="recalled, remanded, sentenced or other."),
    summary: str = typer.Option(None, "--summary", help="What happened, in a line."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record that the offender was taken into custody (at --occurred-at).

    Visits are not due in custody; `record release` ends it. A recall decision to recall
    already takes the offender into custody.

    Example: ledger record custody WMP-000123 --reason remanded --summary "Remanded on a new charge"
    """
    from ledger.commands import RecordCustody

    _submit(
        ctx,
        RecordCustody,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        reason=reason,
        summary=summary,
    )


@record_app.command("registration-end")
def registration_end(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="expired, deceased, removed or other."),
    summary: str = typer.Option(..., "--summary", help="What ended it, in a line."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record the end of the notification requirements (at --occurred-at).

    No alert stands for the case after it. The record stays readable, and corrections,
    acknowledgements, shares, entries and MAPPA meetings may still be recorded; visits,
    assessments, transfers, custody and releases are refused.

    Example: ledger record registration-end WMP-000123 --reason expired --summary "Notification period ended"
    """
    from ledger.commands import EndRegistration

    _submit(
        ctx,
        EndRegistration,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        reason=reason,
        summary=summary,
    )


@record_app.command("disclosure")
def disclosure(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    summary: str = typer.Option(..., "--summary", help="What was disclosed, in a line."),
    detail: str = typer.Option(None, "--detail", help="The fuller account."),
    risk_relevant: bool = typer.Option(False, "--risk-relevant", help="It bears on risk."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record something the offender disclosed.

    Example: ledger record disclosure WMP-000123 --summary "Says he has thoughts of rape" --risk-relevant
    """
    from ledger.commands import RecordDisclosure

    _submit(
        ctx,
        RecordDisclosure,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        summary=summary,
        detail=detail,
        risk_relevant=risk_relevant,
    )


@record_app.command("visit")
def visit(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    kind: str = typer.Option(..., "--kind", help="home, office, unannounced or virtual."),
    outcome: str = typer.Option(..., "--outcome", help="What was found or said."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a visit.

    Example: ledger record visit WMP-000123 --kind home --outcome "Seen at home, flat tidy"
    """
    from ledger.commands import RecordVisit

    _submit(
        ctx,
        RecordVisit,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        kind=kind,
        outcome=outcome,
    )


@record_app.command("entry")
def entry(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    summary: str = typer.Option(..., "--summary"),
    risk_relevant: bool = typer.Option(False, "--risk-relevant", help="It bears on risk."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a ViSOR-style entry or a piece of intelligence.

    Example: ledger record entry WMP-000123 --summary "Seen near the park at night" --risk-relevant
    """
    from ledger.commands import RecordEntry

    _submit(
        ctx,
        RecordEntry,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        summary=summary,
        risk_relevant=risk_relevant,
    )


@record_app.command("concern")
def concern(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    summary: str = typer.Option(..., "--summary"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a serious concern about behaviour (always risk-relevant).

    Example: ledger record concern WMP-000123 --summary "Noticing open windows on his walks"
    """
    from ledger.commands import RecordConcern

    _submit(ctx, RecordConcern, as_json, ref=ref, occurred_at=occurred_at, by=by, summary=summary)


@record_app.command("assessment")
def assessment(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    tool: str = typer.Option(..., "--tool", help="ARMS, OASys or RM2000."),
    risk: str = typer.Option(..., "--risk", help="low, medium, high or very-high."),
    summary: str = typer.Option(None, "--summary"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a risk assessment and the risk of serious harm it found.

    Example: ledger record assessment WMP-000123 --tool ARMS --risk high
    """
    from ledger.commands import RecordAssessment

    _submit(
        ctx,
        RecordAssessment,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        tool=tool,
        risk=risk,
        summary=summary,
    )


@record_app.command("review")
def review(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    summary: str = typer.Option(..., "--summary"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a manager's re-evaluation of risk.

    Example: ledger --as 3001 record review WMP-000123 --summary "Whole history re-read; risk rising"
    """
    from ledger.commands import RecordReview

    _submit(ctx, RecordReview, as_json, ref=ref, occurred_at=occurred_at, by=by, summary=summary)


@record_app.command("decision")
def decision(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    decision_text: str = typer.Option(..., "--decision"),
    rationale: str = typer.Option(..., "--rationale"),
    about: str = typer.Option(None, "--about", metavar="N,N", help="The entries it decides on."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a management decision and why.

    Example: ledger --as 3001 record decision WMP-000123 --decision "Refer to MAPPA level 2" --rationale "Escalating risk" --about 5,6
    """
    from ledger.commands import RecordDecision

    _submit(
        ctx,
        RecordDecision,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        decision=decision_text,
        rationale=rationale,
        about=_numbers(about, ref),
    )


@record_app.command("disagreement")
def disagreement(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    with_staff: str = typer.Option(..., "--with", metavar="STAFF_ID"),
    summary: str = typer.Option(..., "--summary"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a disagreement between professionals about risk or action.

    Example: ledger record disagreement WMP-000123 --with 7702 --summary "Probation sees no need to recall"
    """
    from ledger.commands import RecordDisagreement

    _submit(
        ctx,
        RecordDisagreement,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        with_=with_staff,
        summary=summary,
    )


@record_app.command("escalation")
def escalation(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    to: str = typer.Option(..., "--to", metavar="STAFF_ID"),
    reason: str = typer.Option(..., "--reason"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record an escalation to another (usually more senior) member of staff.

    Example: ledger record escalation WMP-000123 --to 3001 --reason "Managers disagree on recall"
    """
    from ledger.commands import RecordEscalation

    _submit(
        ctx,
        RecordEscalation,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        to=to,
        reason=reason,
    )


@record_app.command("mappa-referral")
def mappa_referral(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    level: int = typer.Option(..., "--level", help="2 or 3."),
    emergency: bool = typer.Option(False, "--emergency", help="Ask for an emergency meeting."),
    reason: str = typer.Option(..., "--reason"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a referral for MAPPA level 2 or 3 management.

    Example: ledger record mappa-referral WMP-000123 --level 2 --emergency --reason "Thoughts of rape disclosed"
    """
    from ledger.commands import ReferToMappa

    _submit(
        ctx,
        ReferToMappa,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        level=level,
        emergency=emergency,
        reason=reason,
    )


@record_app.command("mappa-meeting")
def mappa_meeting(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    level: int = typer.Option(..., "--level", help="1, 2 or 3: the level it sets."),
    attendees: str = typer.Option(..., "--attendees", metavar="ID,ID"),
    summary: str = typer.Option(..., "--summary"),
    discussed: str = typer.Option(None, "--discussed", metavar="N,N", help="Entries discussed."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a MAPPA meeting: who attended, what was discussed, the level it set.

    Example: ledger record mappa-meeting WMP-000123 --level 2 --attendees 4521,7702 --summary "Plan agreed" --discussed 5,6
    """
    from ledger.commands import RecordMappaMeeting

    _submit(
        ctx,
        RecordMappaMeeting,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        level=level,
        attendees=[i.strip() for i in attendees.split(",") if i.strip()],
        summary=summary,
        discussed=_numbers(discussed, ref),
    )


@record_app.command("recall-decision")
def recall_decision(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    decision_text: str = typer.Option(..., "--decision", help="recall or no-recall."),
    rationale: str = typer.Option(..., "--rationale"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a decision to recall, or not to recall, someone on licence.

    Example: ledger --as 3001 record recall-decision WMP-000123 --decision recall --rationale "Risk no longer manageable"
    """
    from ledger.commands import DecideRecall

    _submit(
        ctx,
        DecideRecall,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        decision=decision_text,
        rationale=rationale,
    )


def acknowledge(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    entries: list[str] = typer.Argument(..., metavar="N [N ...]"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Acknowledge entries: the actor (or --by) has read REF#N.

    Example: ledger --as 4521 acknowledge WMP-000123 5 6
    """
    from ledger.commands import Acknowledge

    numbers = entry_numbers(entries, ref)
    _submit(ctx, Acknowledge, as_json, ref=ref, occurred_at=occurred_at, by=by, entries=numbers)


def transfer(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    to: str = typer.Option(..., "--to", metavar="STAFF_ID", help="The new owner."),
    reason: str = typer.Option(None, "--reason"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Transfer the case to a new owner for that staff member's agency.

    Example: ledger --as 3001 transfer WMP-000123 --to 4633 --reason "Moved to Coventry"
    """
    from ledger.commands import Transfer

    _submit(ctx, Transfer, as_json, ref=ref, occurred_at=occurred_at, by=by, to=to, reason=reason)


def share(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    entries: list[str] = typer.Argument(..., metavar="N [N ...]"),
    with_: str = typer.Option(
        ..., "--with", metavar="AGENCY_OR_STAFF_ID", help="An agency or a staff member."
    ),
    means: str = typer.Option("email", "--means", help="meeting, email, phone, visor or letter."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record that entries were shared with another agency or a person.

    Example: ledger share WMP-000123 5 6 --with probation --means phone
    """
    from ledger.commands import Share

    _submit(
        ctx,
        Share,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        entries=entry_numbers(entries, ref),
        with_=with_,
        means=means,
    )


def correct(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    entry_number: str = typer.Argument(..., metavar="N"),
    reason: str = typer.Option(..., "--reason", help="Why the entry is wrong."),
    summary: str = typer.Option(None, "--summary", help="The corrected text."),
    entry_occurred_at: str = typer.Option(
        None, "--entry-occurred-at", metavar="T", help="The corrected time the entry occurred."
    ),
    licence_end: str = typer.Option(
        None, "--licence-end", metavar="DATE", help="A release's corrected licence end."
    ),
    occurred_at: str = typer.Option(
        None,
        "--occurred-at",
        metavar="T",
        help="When the correction itself was made (default: now); the entry's own corrected "
        "time is --entry-occurred-at.",
    ),
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Correct an entry: nothing is edited; the correction is a new entry naming the old one.

    Example: ledger correct WMP-000123 5 --reason "Wrong date typed" --entry-occurred-at 2016-10-16
    """
    from domain.errors import InvalidValueError
    from ledger.commands import Correct

    numbers = entry_numbers([entry_number], ref)
    if len(numbers) > 1:
        raise InvalidValueError("a correction names one entry; correct each entry on its own")
    _submit(
        ctx,
        Correct,
        as_json,
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        entry=numbers[0],
        reason=reason,
        summary=summary,
        entry_occurred_at=entry_occurred_at,
        licence_end=licence_end,
    )
