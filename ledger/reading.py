"""The read side as a service: one function per view, each returning plain data.

Every read does the same four things in the same order, here and only here: it checks the reader
(someone in post, with a justification), brings the read models up to date, runs its query (the
pure folds of `projections`), and logs the consultation (Data Protection Act 2018 s.62) just
before returning what it found. A read refused on the way (an unknown offender or entry, a moment
before the registration) is logged once, as refused (`LedgerContext.refused`), and nothing is
returned without its row in the access log. The command line parses, calls one of these and
renders what it gets; other programs call them the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from domain.frozen import frozen
from ledger.context import LedgerContext

if TYPE_CHECKING:
    from ledger.document import ExportDocument
    from projections.records import EntryRecord
    from projections.who_knew import WhoKnew

# Entries recorded more than this many days after they occurred are flagged late.
LATE_AFTER_DAYS = 7


@contextlib.contextmanager
def _reading(context: LedgerContext, what: str, offender: str | None) -> Iterator[None]:
    """Logs a read refused on the way once, as refused, before the refusal goes on up."""
    try:
        yield
    except Exception as error:
        context.refused(what, offender, error)
        raise


def _records(context: LedgerContext, ref: str) -> list[EntryRecord]:
    """One offender's records, after bringing the read models up to date."""
    from domain.errors import UnknownOffenderError
    from domain.identity import offender_id
    from projections.queries import offender_records

    context.catch_up()
    _check_stream(context, ref)
    with context.engine().connect() as conn:
        records = offender_records(conn, offender_id(ref.strip()))
    if not records:
        raise UnknownOffenderError(ref)
    return records


def _check_stream(context: LedgerContext, ref: str) -> None:
    """Refuses to show anything of an offender one of whose stored events no longer matches its
    hash-chain link: an event edited after it was projected would otherwise be shown as it was
    (and one edited before, the projection refuses as it reads it: `OffenderLedger.read_events`)."""
    context.ledger().check_stream(ref.strip())


def _staff_directory(context: LedgerContext) -> dict[str, tuple[str, str]]:
    """Each staff member's name and agency: who-knew places by it a typist who authored nothing
    on this offender, and the views name people by it."""
    from projections.queries import list_staff

    with context.engine().connect() as conn:
        return {row["staff_id"]: (row["name"], row["agency"]) for row in list_staff(conn)}


def _names(context: LedgerContext) -> dict[str, str]:
    """Each staff member's name, by staff id: every view names people, not only their ids."""
    return {staff: name for staff, (name, _) in _staff_directory(context).items()}


# ------------------------------------------------------------------------------- one offender


def show(
    context: LedgerContext,
    ref: str,
    *,
    as_of: datetime | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The offender's current picture (MAPPA category and level, latest risk, owners, licence),
    in the world at valid time `at` as the ledger held it at transaction time `as_of`."""
    from domain.clock import iso
    from domain.errors import UnknownOffenderError
    from projections import views

    with _reading(context, "show", ref):
        context.check_reader()
        records = _records(context, ref)
        views.require_registration(records, ref.strip(), as_of=as_of, at=at)
        doc = views.show(records, as_of=as_of, at=at)
        if doc is None:
            raise UnknownOffenderError(ref)
        names = _names(context)
        doc["owner_names"] = {agency: names.get(staff) for agency, staff in doc["owners"].items()}
        doc["as_of"], doc["at"] = iso(as_of), iso(at)
        context.consult("show", offender=ref)
    return doc


def timeline(
    context: LedgerContext,
    ref: str,
    *,
    as_of: datetime | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    agency: str | None = None,
    late_after_days: int = LATE_AFTER_DAYS,
) -> dict[str, Any]:
    """The offender's chronology in the order things happened, as the ledger held it at `as_of`:
    `{"ref", "as_of", "late_after_days", "entries"}`, optionally only the days from `date_from`
    to `date_to` and the entries by `agency`'s staff."""
    from domain.clock import iso
    from domain.errors import InvalidValueError
    from projections import views

    with _reading(context, "timeline", ref):
        if date_from is not None and date_to is not None and date_from > date_to:
            raise InvalidValueError(
                f"--from {date_from.isoformat()} is after --to {date_to.isoformat()}: give the "
                "earlier day to --from"
            )
        context.check_reader()
        records = _records(context, ref)
        entries = views.timeline(
            records,
            as_of=as_of,
            date_from=date_from,
            date_to=date_to,
            agency=agency,
            late_after_days=late_after_days,
            names=_names(context),
        )
        context.consult("timeline", offender=ref)
    return {
        "ref": ref.strip(),
        "as_of": iso(as_of),
        "late_after_days": late_after_days,
        "entries": entries,
    }


@frozen
class Ownership:
    """Who owned the case for each agency, period by period (`document`, as JSON gives it), and
    the name of each staff member, to say who they were."""

    document: dict[str, Any]
    names: dict[str, str]


def ownership(
    context: LedgerContext,
    ref: str,
    *,
    as_of: datetime | None = None,
    at: datetime | None = None,
) -> Ownership:
    """The ownership periods of the case for each agency, in the order things happened, however
    late they were recorded: `{"ref", "at", "as_of", "periods"}`."""
    from domain.clock import iso
    from projections.ownership import ownership_periods, period_json
    from projections.views import corrected_view, require_registration

    with _reading(context, "ownership", ref):
        context.check_reader()
        records = _records(context, ref)
        registration = require_registration(records, ref.strip(), as_of=as_of, at=at)
        view = corrected_view(records, as_of=as_of, at=at)
        periods = [period_json(p) for p in ownership_periods(c.record for c in view)]
        names = {staff: name for staff, (name, _) in _staff_directory(context).items()}
        context.consult("ownership", offender=ref)
    document = {
        "ref": registration.data["ref"],
        "at": iso(at),
        "as_of": iso(as_of),
        "periods": periods,
    }
    return Ownership(document=document, names=names)


@frozen
class Knowledge:
    """Who knew each item and since when (`view`), and the name of each staff member."""

    view: WhoKnew
    names: dict[str, str]

    @property
    def document(self) -> dict[str, Any]:
        """The view as JSON gives it: `{"ref", "at", "items"}`."""
        from projections.who_knew import who_knew_json

        return who_knew_json(self.view, self.names)


def who_knew(
    context: LedgerContext,
    ref: str,
    *,
    at: datetime | None = None,
    as_of: datetime | None = None,
    entry: int | None = None,
) -> Knowledge:
    """Who knew each informational item (or only entry REF#`entry`) and since when, and which
    owners were responsible for it but had not read it."""
    from projections.who_knew import who_knew as derive

    with _reading(context, "who-knew", ref):
        context.check_reader()
        records = _records(context, ref)
        # An entry that does not exist, or is not information, is refused here: the refusal is
        # the one row this read leaves in the access log.
        directory = _staff_directory(context)
        agencies = {staff: agency for staff, (_, agency) in directory.items()}
        view = derive(records, at=at, as_of=as_of, entry=entry, agencies=agencies)
        context.consult("who-knew", offender=ref)
    return Knowledge(view=view, names={staff: name for staff, (name, _) in directory.items()})


# ------------------------------------------------------------------------------------- alerts


@frozen
class Alerts:
    """The alerts found, at `moment` (valid time).

    `document` is what JSON gives, with the policy's origin last; or, where the alerts were
    taken as stored (`stored` is not None), only its head, and `stored` holds each alert already
    written as JSON, for `{...document, "alerts": [...]}`.
    """

    document: dict[str, Any]
    moment: datetime
    stored: list[str] | None = None


def alerts(
    context: LedgerContext,
    *,
    offender: str | None = None,
    area: str | None = None,
    at: datetime | None = None,
    as_of: datetime | None = None,
    history: bool = False,
    summary: bool = False,
    stored: bool = False,
) -> Alerts:
    """The alerts standing at valid time `at` (default: now) as the ledger held them at `as_of`,
    over every offender, one `offender` or one `area`; or every breach of one offender, open or
    closed (`history`); or counts per area and rule (`summary`). `stored`: standing alerts may
    come back as the JSON documents the read model keeps (`Alerts.stored`), with nothing rebuilt
    per alert, which an area's tens of thousands of alerts need."""
    from domain.clock import iso, utc_now
    from domain.errors import InvalidValueError
    from projections.alerts import queries
    from projections.alerts.policy import load_policy
    from projections.alerts.settling import settle_for_reading

    with _reading(context, "alerts", offender):
        if history and not offender:
            raise InvalidValueError("--history needs --offender REF: whose breaches to list")
        if history and summary:
            raise InvalidValueError("choose one of --history and --summary")
        policy = load_policy(context.settings.policy_path)
        moment = at if at is not None else utc_now()
        area = area.strip() if area else None
        context.check_reader()
        context.catch_up()
        if offender:
            _check_stream(context, offender)
        settle_for_reading(context.engine(), policy)
        found: list[str] | None = None
        doc: dict[str, Any]
        with context.engine().connect() as conn:
            offender_id = _offender_id(conn, offender) if offender else None
            if history and offender_id is not None and offender is not None:
                rows = queries.history(conn, offender_id, policy, as_of)
                doc = {"ref": offender.strip(), "as_of": iso(as_of)}
                doc["alerts"] = [{**r, "state": _state(r, moment)} for r in rows]
            elif summary:
                counts = queries.summary(conn, moment, policy, as_of=as_of, area=area)
                doc = {"at": iso(moment), "as_of": iso(as_of), "summary": counts}
                doc["total"] = sum(c["count"] for c in counts)
            elif stored and as_of is None:
                found = queries.standing_documents(conn, moment, offender_id=offender_id, area=area)
                doc = {"at": iso(moment), "as_of": None}
            else:
                if as_of is None:
                    standing = queries.standing(conn, moment, offender_id=offender_id, area=area)
                else:
                    standing = queries.standing_as_of(
                        conn, policy, moment, as_of, offender_id=offender_id, area=area
                    )
                doc = {"at": iso(moment), "as_of": iso(as_of), "alerts": standing}
        # Logged once there is something to show (an unknown offender is logged once, as refused).
        context.consult("alerts", offender=offender)
    doc["policy"] = policy.origin
    return Alerts(document=doc, moment=moment, stored=found)


def _offender_id(conn: Any, ref: str) -> Any:
    """The offender's id in the read models, or a refusal naming the reference."""
    from sqlalchemy import select

    from domain.errors import UnknownOffenderError
    from projections.schema import OffenderRow

    found = conn.scalar(select(OffenderRow.offender_id).where(OffenderRow.ref == ref.strip()))
    if found is None:
        raise UnknownOffenderError(ref)
    return found


def _state(row: dict[str, Any], moment: datetime) -> str:
    """Where a breach stood at `moment`. One closed after it fell due is "closed late", not
    "satisfied": a transfer closes the old owner's unacknowledged entries without anyone
    reading them; the resolution says what closed it. One whose remedy stopped being possible
    before anything met it is "lapsed" (`lapse` says why)."""
    if datetime.fromisoformat(row["due_at"]) > moment:
        return "not yet due"
    lapsed = row.get("lapsed_at")
    if lapsed is not None and datetime.fromisoformat(lapsed) <= moment:
        return "lapsed"
    if row["satisfied_at"] is None or datetime.fromisoformat(row["satisfied_at"]) > moment:
        return "open"
    return "closed late"


# ------------------------------------------------------------------------- directories and log


def staff_names(context: LedgerContext) -> dict[str, str]:
    """Each staff member's name by staff id, to name people in what a view already read (the
    access log): part of the read that asked for it, so not logged again."""
    return _names(context)


def staff_list(context: LedgerContext) -> list[dict[str, Any]]:
    """The staff directory: each member's agency, rank, grade, area and dates."""
    from projections.queries import list_staff

    with _reading(context, "staff list", None):
        context.consult("staff list")
        context.catch_up()
        with context.engine().connect() as conn:
            return list_staff(conn)


def offender_list(
    context: LedgerContext, area: str | None = None, *, include_ended: bool = False
) -> list[dict[str, Any]]:
    """The offenders under management, or those managed in `area`; with `include_ended`, the
    cases whose registration ended too."""
    from projections.queries import list_offenders

    with _reading(context, "offender list", None):
        context.consult("offender list")
        context.catch_up()
        with context.engine().connect() as conn:
            return list_offenders(conn, area, include_ended=include_ended)


def audit(
    context: LedgerContext,
    *,
    actor: str | None = None,
    offender: str | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """The access log: who consulted or disclosed what, when and why, and who was refused;
    optionally only one staff member's, one offender's, or from `since`. This reading of the log
    is logged before it is read, so it is in what it returns."""
    from projections.access_log import access_entries

    staff = actor.strip() if actor else None
    with _reading(context, "audit", offender):
        context.consult("audit", offender=offender)
        with context.engine().connect() as conn:
            return access_entries(conn, actor=staff, offender=offender, since=since)


def projection_status(context: LedgerContext) -> dict[str, Any]:
    """Each read model's position, the ledger's head, and how far behind each one is:
    `{"head", "projections": [{"name", "position", "lag", "updated_at"}]}`. It shows no one's
    record, but how much the ledger holds and when it was last written: attributed, justified
    and logged like any read."""
    with _reading(context, "projections status", None):
        context.check_reader()
        found = _projection_status(context)
        context.consult("projections status", checked=True)
    return found


def _projection_status(context: LedgerContext) -> dict[str, Any]:
    from projections.runner import ensure_positions, positions_detail

    head = context.ledger().head()
    names = [p.name for p in context.projections()]
    ensure_positions(context.engine(), names)
    current = positions_detail(context.engine())
    rows = []
    for name in names:
        position, updated_at = current.get(name, (0, None))
        rows.append(
            {
                "name": name,
                "position": position,
                "lag": head - position,
                "updated_at": updated_at.isoformat() if updated_at else None,
            }
        )
    return {"head": head, "projections": rows}


# ------------------------------------------------------------------------------------- export


@frozen
class Verification:
    """What `ledger verify` found when the export was made."""

    ok: bool
    problems: int


def export_document(
    context: LedgerContext,
    ref: str,
    *,
    as_of: datetime | None = None,
    anonymise: bool = False,
    recipients: Sequence[str] = (),
) -> ExportDocument:
    """One offender's complete record as an export holds it, logged as a consultation (an
    export written to a file for recipients is a disclosure: `export`)."""
    from domain.clock import iso

    with _reading(context, "export", ref):
        context.check_reader()
        document, _ = _disclosed(context, ref, as_of, anonymise, recipients)
        context.consult(
            "export",
            offender=ref,
            details={"as_of": iso(as_of), "anonymised": anonymise},
        )
    return document


@frozen
class Disclosure:
    """An export written and in place: the document it holds, where it is, and whether the
    ledger verified when it was made."""

    document: ExportDocument
    destination: Path
    verification: Verification


def export(
    context: LedgerContext,
    ref: str,
    *,
    out: Path,
    fmt: str,
    render: Callable[[ExportDocument], str | bytes],
    as_of: datetime | None = None,
    anonymise: bool = False,
    recipients: Sequence[str] = (),
) -> Disclosure:
    """Writes one offender's complete record to `out`, rendered by `render` in format `fmt`,
    and logs the disclosure (with the recipients and the destination).

    The file is written whole or not at all: first under a temporary name beside its target,
    then the disclosure is logged, and only then is the file renamed into place. A destination
    that cannot take it (a folder that does not exist, a device, a pipe, the ledger's own
    database) is refused before anything is read.
    """
    from domain.clock import iso
    from ledger.files import FileInPlace, output_path

    database = context.settings.database
    with _reading(context, "export", ref):
        destination = output_path(out, "--out", database)
        context.check_reader()
        with FileInPlace(destination, out, "--out", database) as target:
            document, verification = _disclosed(context, ref, as_of, anonymise, recipients)
            target.write(render(document))
            # Logged once the whole file waits beside its target, before anyone can see it there.
            context.consult(
                "export",
                offender=ref,
                details={
                    "format": fmt,
                    "destination": str(destination),
                    "as_of": iso(as_of),
                    "anonymised": anonymise,
                },
                recipients=list(recipients),
            )
            target.put_in_place()
    return Disclosure(document=document, destination=destination, verification=verification)


def _disclosed(
    context: LedgerContext,
    ref: str,
    as_of: datetime | None,
    anonymise: bool,
    recipients: Sequence[str],
) -> tuple[ExportDocument, Verification]:
    """The export's document, headed by who made it, why, for whom, and the ledger's verified
    digest; with the people replaced by pseudonyms if `anonymise`."""
    from domain.clock import iso, utc_now
    from ledger.document import ExportDocument
    from ledger.verification import payload_author, verify
    from projections.disclosure import anonymise as pseudonymise
    from projections.disclosure import disclosure_document
    from projections.labels import person
    from projections.queries import list_staff

    records = _records(context, ref)
    with context.engine().connect() as conn:
        staff = list_staff(conn)
    body = disclosure_document(records, staff, ref=ref, as_of=as_of)
    body["alerts"] = _alert_history(context, ref, as_of)
    report = verify(context.settings.database, author_of=payload_author(context.ledger()))
    problems = len(report.problems) + report.more_problems
    # The exporter as the views name people, "Ann Admin (1001, Insp)", from the directory today.
    names = {m["staff_id"]: m["name"] for m in staff}
    exporter = next((m for m in staff if m["staff_id"] == context.actor), None)
    document = {
        "export": {
            "ref": ref,
            "generated_at": iso(utc_now()),
            "generated_by": context.actor,
            "generated_by_name": person(context.actor, names, exporter["rank"])
            if exporter
            else None,
            "reason": context.settings.reason,
            "recipients": list(recipients),
            "as_of": iso(as_of),
            "anonymised": anonymise,
            "ledger": {
                "verified": report.ok,
                "events": report.events,
                "digest": report.head.as_dict(),
                "problems": problems,
            },
        },
        **body,
    }
    if anonymise:
        # The exporter goes by their pseudonym, if the record names them, or by no name.
        document["export"]["generated_by_name"] = None
        # Recipients are changed as free text is: only where they name someone in the record
        # (an officer of the case receiving it would otherwise be named beside their alias).
        document = pseudonymise(document)
        if document["export"]["generated_by"] == context.actor:
            # An exporter who appears nowhere in the record has no pseudonym: their staff id
            # would name them. The access log keeps who it was.
            document["export"]["generated_by"] = "withheld (see the access log)"
    return ExportDocument(document), Verification(ok=report.ok, problems=problems)


def _alert_history(
    context: LedgerContext, ref: str, as_of: datetime | None
) -> list[dict[str, Any]]:
    """Every breach of the offender's alerts, open or closed, as `alerts --offender REF --history
    --json` lists them (with the same `--as-of`): the missed warnings a review looks for."""
    from domain.clock import utc_now
    from projections.alerts import queries
    from projections.alerts.policy import load_policy
    from projections.alerts.settling import settle_for_reading

    policy = load_policy(context.settings.policy_path)
    moment = utc_now()
    settle_for_reading(context.engine(), policy)
    with context.engine().connect() as conn:
        rows = queries.history(conn, _offender_id(conn, ref), policy, as_of)
    return [{**row, "state": _state(row, moment)} for row in rows]
