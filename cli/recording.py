"""Recording: every command appends one event to an offender's stream and prints it as REF#N."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from cli.options import BY, JSON, OCCURRED_AT, EntryNumbersCommand, entry_numbers
from cli.render import emit_entry
from cli.session import Session, session

if TYPE_CHECKING:
    from domain.clock import ValidTime
    from domain.offender import Offender
    from domain.staff import Person

record_app = typer.Typer(
    help="Record what happened: one immutable, attributed event each.\n\n"
    'Example: ledger record visit WMP-000123 --kind home --outcome "Seen; no concerns"'
)

# Runs the domain command, given the offender, the author, who typed it and when it happened.
Recorder = Callable[["Offender", "Person", str, "ValidTime"], None]


def register(app: typer.Typer) -> None:
    app.add_typer(record_app, name="record")
    app.command("acknowledge", cls=EntryNumbersCommand)(acknowledge)
    app.command("transfer")(transfer)
    app.command("share", cls=EntryNumbersCommand)(share)
    app.command("correct", cls=EntryNumbersCommand)(correct)


def _append(
    ctx: typer.Context,
    ref: str,
    occurred_at: str | None,
    by: str | None,
    as_json: bool,
    command: Recorder,
    prepare: Callable[[Session, ValidTime], None] | None = None,
) -> None:
    from domain.clock import parse_past_time

    if by is not None:
        by = _text(by, "--by")
    s = session(ctx)
    when = parse_past_time(occurred_at)
    if prepare is not None:
        prepare(s, when)
    entry = s.ledger().append(
        s.actor, by, ref.strip(), when, lambda o, author, typist: command(o, author, typist, when)
    )
    s.saved = f"{ref.strip()}#{entry}"
    emit_entry(ref.strip(), entry, as_json)


def _append_naming(
    ctx: typer.Context,
    ref: str,
    occurred_at: str | None,
    by: str | None,
    as_json: bool,
    staff_id: str,
    command: Callable[[Offender, Person, str, ValidTime, Person], None],
) -> None:
    """`_append` for events that name another member of staff, as they stood when it happened."""
    named: list[Person] = []
    named_id = _text(staff_id, "the staff id")
    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: command(o, a, t, w, named[0]),
        prepare=lambda s, w: named.append(s.ledger().person(named_id, w)),
    )


def _text(value: str | None, option: str) -> str:
    from domain.text import parse_text

    return parse_text(value, option)


def _optional(value: str | None, option: str) -> str | None:
    """An option that may be left out; given, it is text as any other (`_text`)."""
    from domain.text import parse_optional_text

    return parse_optional_text(value, option)


@record_app.command("release")
def release(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    licence_end: str = typer.Option(..., "--licence-end", metavar="DATE"),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Record a release from custody on licence (at --occurred-at).

    Example: ledger record release WMP-000123 --licence-end 2026-07-04 --occurred-at 2016-07-04
    """
    from domain.clock import parse_date

    end = parse_date(licence_end)
    _append(
        ctx, ref, occurred_at, by, as_json, lambda o, a, t, w: o.release_on_licence(w, a, t, end)
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
    text, more = _text(summary, "--summary"), _optional(detail, "--detail")
    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.record_disclosure(w, a, t, text, more, risk_relevant),
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
    from domain.values import VisitKind

    visit_kind, text = VisitKind.parse(kind), _text(outcome, "--outcome")
    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.record_visit(w, a, t, visit_kind, text),
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
    text = _text(summary, "--summary")
    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.record_entry(w, a, t, text, risk_relevant),
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
    text = _text(summary, "--summary")
    _append(ctx, ref, occurred_at, by, as_json, lambda o, a, t, w: o.record_concern(w, a, t, text))


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
    from domain.values import AssessmentTool, RiskLevel

    chosen_tool, level = AssessmentTool.parse(tool), RiskLevel.parse(risk)
    text = _optional(summary, "--summary")
    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.record_assessment(w, a, t, chosen_tool, level, text),
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
    text = _text(summary, "--summary")
    _append(ctx, ref, occurred_at, by, as_json, lambda o, a, t, w: o.record_review(w, a, t, text))


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
    text, why = _text(decision_text, "--decision"), _text(rationale, "--rationale")
    entries = entry_numbers([about], ref) if about is not None else []
    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.record_decision(w, a, t, text, why, entries),
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
    text = _text(summary, "--summary")
    _append_naming(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        with_staff,
        lambda o, a, t, w, other: o.record_disagreement(w, a, t, other, text),
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
    text = _text(reason, "--reason")
    _append_naming(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        to,
        lambda o, a, t, w, target: o.record_escalation(w, a, t, target, text),
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
    from domain.values import parse_level

    chosen, text = parse_level(level, (2, 3)), _text(reason, "--reason")
    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.refer_to_mappa(w, a, t, chosen, emergency, text),
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
    from domain.values import parse_level

    chosen, text = parse_level(level), _text(summary, "--summary")
    entries = entry_numbers([discussed], ref) if discussed is not None else []
    ids = [i.strip() for i in attendees.split(",") if i.strip()]
    people: list[Person] = []

    def resolve(s: Session, when: ValidTime) -> None:
        from domain.errors import InvalidValueError

        if not ids:
            raise InvalidValueError("--attendees needs at least one staff id")
        people.extend(s.ledger().person(i, when) for i in dict.fromkeys(ids))

    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.record_mappa_meeting(w, a, t, chosen, people, text, entries),
        prepare=resolve,
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
    from domain.values import RecallChoice

    choice, why = RecallChoice.parse(decision_text), _text(rationale, "--rationale")
    _append(
        ctx, ref, occurred_at, by, as_json, lambda o, a, t, w: o.decide_recall(w, a, t, choice, why)
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
    numbers = entry_numbers(entries, ref)
    _append(ctx, ref, occurred_at, by, as_json, lambda o, a, t, w: o.acknowledge(w, a, t, numbers))


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
    why = _optional(reason, "--reason")
    _append_naming(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        to,
        lambda o, a, t, w, owner: o.transfer(w, a, t, owner, why),
    )


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
    from domain.values import Agency, ShareMeans

    numbers, how = entry_numbers(entries, ref), ShareMeans.parse(means)
    recipient: dict[str, object] = {}

    def resolve(s: Session, when: ValidTime) -> None:
        agencies = {a.value: a for a in Agency}
        name = with_.strip()
        if name.lower() in agencies:
            recipient.update(agency=agencies[name.lower()], person=None)
        else:
            person = s.ledger().person(name, when)
            recipient.update(agency=person.agency, person=person)

    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.share(
            w,
            a,
            t,
            numbers,
            recipient["agency"],
            recipient["person"],
            how,  # type: ignore[arg-type]
        ),
        prepare=resolve,
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
    from domain.clock import parse_date, parse_past_time
    from domain.errors import InvalidValueError

    numbers = entry_numbers([entry_number], ref)
    if len(numbers) > 1:
        raise InvalidValueError("a correction names one entry; correct each entry on its own")
    (number,) = numbers
    why, text = _text(reason, "--reason"), _optional(summary, "--summary")
    fixed_time = (
        parse_past_time(entry_occurred_at, option="--entry-occurred-at")
        if entry_occurred_at is not None
        else None
    )
    end = parse_date(licence_end) if licence_end is not None else None
    if text is None and fixed_time is None and end is None:
        hint = (
            " (--occurred-at is when the correction was made; the entry's corrected time is "
            "--entry-occurred-at)"
            if occurred_at is not None
            else ""
        )
        raise InvalidValueError(
            "say what was wrong: give the corrected --summary, --entry-occurred-at or "
            f"--licence-end (of a release){hint}"
        )
    _append(
        ctx,
        ref,
        occurred_at,
        by,
        as_json,
        lambda o, a, t, w: o.correct(w, a, t, number, why, text, fixed_time, end),
    )
