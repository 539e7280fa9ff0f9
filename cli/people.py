"""Staff and offenders: enrolment, registration and the lists of each."""

from __future__ import annotations

import typer

from cli.options import BY, JSON, OCCURRED_AT
from cli.render import blocks, emit_entry, emit_json, local_time, say, warn
from cli.session import session

staff_app = typer.Typer(
    help="The staff directory: who may record, with their agency and rank.\n\n"
    'Example: ledger staff add 4521 --name "Pat Smith" --agency police --rank DC'
)
offender_app = typer.Typer(
    help="The offenders under management.\n\n"
    'Example: ledger offender register WMP-000123 --name "John Doe" --born 1975-03-02 --category 1'
)


def register(app: typer.Typer) -> None:
    app.add_typer(staff_app, name="staff")
    app.add_typer(offender_app, name="offender")


@staff_app.command("add")
def staff_add(
    ctx: typer.Context,
    staff_id: str = typer.Argument(..., help="Staff id; for police, the collar number."),
    name: str = typer.Option(..., "--name", help="Full name."),
    agency: str = typer.Option(
        ..., "--agency", help="police, probation, prison, health, social-care or other."
    ),
    rank: str = typer.Option(
        ..., "--rank", help="Police: PC, DC, PS, DS, Insp, DI, ... CC. Others: a job title."
    ),
    area: str = typer.Option(None, "--area", help="The area they work in."),
    senior: bool = typer.Option(False, "--senior", help="A manager grade (inspector or above)."),
    admin: bool = typer.Option(False, "--admin", help="May enrol staff and change their rank."),
    since: str = typer.Option(
        None, "--since", metavar="DATE", help="From when they held this rank here. Default: today."
    ),
) -> None:
    """Enrol a staff member (needs an administrator, except the very first enrolment).

    Example: ledger --as 1001 staff add 4521 --name "Sam Reid" --agency police --rank PC --since 2016-01-01
    """
    from ledger.commands import EnrolStaff
    from ledger.handlers import handle

    command = EnrolStaff.build(
        staff_id=staff_id,
        name=name,
        agency=agency,
        rank=rank,
        area=area,
        senior=senior,
        admin=admin,
        since=since,
    )
    s = session(ctx)
    (done,) = handle(s.ledger(), s.actor, [command])
    if done.bootstrap:
        warn(f"{staff_id} is the first staff member of this ledger and so its first administrator")
    say(f"enrolled {staff_id}")


@staff_app.command("rank")
def staff_rank(
    ctx: typer.Context,
    staff_id: str = typer.Argument(...),
    rank: str = typer.Option(..., "--rank", help="The new rank or job title."),
    senior: bool = typer.Option(False, "--senior", help="A manager grade (inspector or above)."),
    since: str = typer.Option(..., "--since", metavar="DATE", help="From when they held it."),
) -> None:
    """Record a change of rank or grade from a date (administrators only).

    Example: ledger --as 1001 staff rank 4521 --rank PS --since 2017-03-01
    """
    from domain.clock import parse_date

    s = session(ctx)
    member = s.ledger().get_staff(staff_id)
    from domain.values import parse_rank

    new_rank = parse_rank(member.agency, rank)
    s.ledger().change_rank(s.actor, staff_id, new_rank, senior, parse_date(since))
    say(f"{staff_id} holds {new_rank} from {since}")


@staff_app.command("area")
def staff_area(
    ctx: typer.Context,
    staff_id: str = typer.Argument(...),
    area: str = typer.Option(..., "--area"),
    since: str = typer.Option(None, "--since", metavar="DATE", help="Default: today."),
) -> None:
    """Record a move to another area (administrators only).

    Example: ledger --as 1001 staff area 4521 --area Coventry
    """
    from domain.clock import london_date, parse_date, utc_now
    from domain.text import parse_text

    s = session(ctx)
    new_area = parse_text(area, "area")
    day = parse_date(since) if since else london_date(utc_now())
    s.ledger().change_area(s.actor, staff_id, new_area, day)
    say(f"{staff_id} works in {new_area} from {day.isoformat()}")


@staff_app.command("leave")
def staff_leave(
    ctx: typer.Context,
    staff_id: str = typer.Argument(...),
    since: str = typer.Option(
        None, "--since", metavar="DATE", help="Last day + 1. Default: today."
    ),
) -> None:
    """Record that a staff member has left: they can no longer act (administrators only).

    Example: ledger --as 1001 staff leave 4521 --since 2019-06-30
    """
    from domain.clock import london_date, parse_date, utc_now

    s = session(ctx)
    day = parse_date(since) if since else london_date(utc_now())
    s.ledger().staff_leaves(s.actor, staff_id, day)
    say(f"{staff_id} left on {day.isoformat()}")


@staff_app.command("list")
def staff_list(ctx: typer.Context, as_json: bool = JSON) -> None:
    """List the staff directory.

    Example: ledger staff list --json
    """
    from ledger import reading

    staff = reading.staff_list(session(ctx))
    if as_json:
        emit_json({"staff": staff})
        return
    blocks(
        f"Staff: {len(staff)}",
        [
            (
                m["staff_id"],
                [
                    [(m["name"], "bold")],
                    ", ".join(
                        [m["rank"], m["agency"]]
                        + (["inspector or above"] if m["senior"] else [])
                        + (["administrator"] if m["admin"] else [])
                    ),
                    *([f"works in {m['area']}"] if m["area"] else []),
                    f"since {m['since']}" + (f", left on {m['left_on']}" if m["left_on"] else ""),
                ],
            )
            for m in staff
        ],
    )


@offender_app.command("register")
def offender_register(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The offender's reference, e.g. WMP-000123."),
    name: str = typer.Option(..., "--name"),
    born: str = typer.Option(..., "--born", metavar="DATE", help="Date of birth, YYYY-MM-DD."),
    category: int = typer.Option(..., "--category", help="MAPPA category: 1, 2 or 3."),
    level: int = typer.Option(1, "--level", help="MAPPA level: 1, 2 or 3."),
    area: str = typer.Option(None, "--area", help="The area managing the case."),
    occurred_at: str = OCCURRED_AT,
    by: str = BY,
    as_json: bool = JSON,
) -> None:
    """Register an offender; the person registering owns the case for their agency.

    Example: ledger --as 4521 offender register WMP-000123 --name "John Doe" --born 1975-03-02 --category 1 --occurred-at 2016-07-04
    """
    from ledger.commands import RegisterOffender
    from ledger.handlers import handle

    command = RegisterOffender.build(
        ref=ref,
        occurred_at=occurred_at,
        by=by,
        name=name,
        born=born,
        category=category,
        level=level,
        area=area,
    )
    s = session(ctx)
    (done,) = handle(s.ledger(), s.actor, [command])
    emit_entry(done.ref, done.entry, as_json)


@offender_app.command("list")
def offender_list(
    ctx: typer.Context,
    area: str = typer.Option(None, "--area", help="Only offenders managed in this area."),
    include_ended: bool = typer.Option(
        False, "--all", help="Also the cases whose registration has ended."
    ),
    as_json: bool = JSON,
) -> None:
    """List the offenders under management: cases whose registration ended only with --all.

    Example: ledger offender list --area Birmingham --all
    """
    from ledger import reading

    offenders = reading.offender_list(session(ctx), area, include_ended=include_ended)
    if as_json:
        emit_json({"offenders": offenders})
        return
    blocks(
        f"Offenders: {len(offenders)}",
        [
            (
                o["ref"],
                [
                    [(o["name"], "bold"), (f", born {o['born']}", None)],
                    f"MAPPA category {o['category']}, level {o['level']}",
                    *([f"managed in {o['area']}"] if o["area"] else []),
                    f"{o['entries']} entries",
                    *(
                        [f"registration ended {local_time(o['registration_ended_at'])}"]
                        if o["registration_ended_at"]
                        else []
                    ),
                ],
            )
            for o in offenders
        ],
    )
