"""`ledger export`: the complete record of one offender for a coroner's information request.

An export is a disclosure: it is logged (Data Protection Act 2018 s.62) with who, when, why, the
recipients and the destination. The file is written whole or not at all: first under a temporary
name beside its target, then the disclosure is logged, and only then is the file renamed into place.
An export that fails or is refused, whether before or after the ledger was read, is logged as refused
(as every refused command is), never as a disclosure.
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import typer

from cli.options import AS_OF, JSON
from cli.render import emit_json, say
from cli.session import session

FORMATS = ("json", "csv", "html", "pdf")


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The offender's reference, e.g. WMP-000123."),
    fmt: str = typer.Option(
        ...,
        "--format",
        metavar="FORMAT",
        help="json, csv (the chronology only), html or pdf (A4, for print).",
    ),
    out: Path = typer.Option(..., "--out", metavar="PATH", help="File to write."),
    as_of: str = AS_OF,
    anonymise: bool = typer.Option(
        False, "--anonymise", help="Replace the offender and staff with stable pseudonyms."
    ),
    recipients: list[str] = typer.Option(
        None, "--to", metavar="RECIPIENT", help="Who receives the export (repeat for each)."
    ),
    as_json: bool = JSON,
) -> None:
    """Export the complete record of one offender: details, ownership, chronology, who knew.

    The chronology shows when each thing occurred beside when it was recorded, each entry's facts
    and ledger position, and every correction beside the original. JSON, HTML and PDF also carry
    the ledger's verified digest (position and hash, as 'ledger verify' prints it), so the
    recipient can later check the export against the ledger. HTML and PDF hold the same: who
    exported, why, when and for whom, the digest, the offender, ownership, the chronology with
    both clocks, late entries flagged and corrections beside the originals, who knew each item,
    and the staff; their times are London local time (GMT or BST), and the --as-of moment is
    said back exactly, to the second and fraction given (a date: the end of that day). The PDF
    is A4 with numbered pages and the digest on each page. JSON and CSV times are UTC (ISO
    8601). The export is logged as a disclosure, with --to and the file.

    Example: ledger --reason "Coroner's request 2020/117" export WMP-000123 --format pdf --out wmp-000123.pdf --to "HM Coroner, Birmingham"
    """
    from domain.clock import iso, parse_query_time, utc_now
    from domain.errors import InvalidValueError
    from domain.identity import normalise_ref
    from domain.text import SHORT_LIMIT, parse_text
    from ledger.files import FileInPlace, output_path
    from ledger.verification import verify
    from projections.disclosure import anonymise as pseudonymise
    from projections.disclosure import disclosure_document
    from projections.queries import list_staff

    s = session(ctx)
    chosen = fmt.strip().lower()
    if chosen not in FORMATS:
        raise InvalidValueError(f"--format must be json, csv, html or pdf, not {fmt!r}")
    # Who receives it is said in the export and logged with the disclosure: a line, as a name.
    recipients = [parse_text(r, "--to", limit=SHORT_LIMIT) for r in recipients or []]
    reference = normalise_ref(ref)
    moment = parse_query_time(as_of) if as_of else None
    # Checked before anything is read: a folder that does not exist, a device, a pipe or the
    # ledger's own database file is refused with nothing written.
    destination = output_path(out, "--out", s.settings.database)
    # The disclosure is logged once the file is complete; the reader is checked before.
    s.check_reader()
    with FileInPlace(destination, out, "--out", s.settings.database) as target:
        from cli.reading import load_records

        records = load_records(s, reference)
        with s.engine().connect() as conn:
            staff = list_staff(conn)
        document = disclosure_document(records, staff, ref=reference, as_of=moment)
        report = verify(s.settings.database)
        document = {
            "export": {
                "ref": reference,
                "generated_at": iso(utc_now()),
                "generated_by": s.actor,
                "reason": s.settings.reason,
                "recipients": recipients,
                "as_of": iso(moment),
                "anonymised": anonymise,
                "ledger": {
                    "verified": report.ok,
                    "events": report.events,
                    "digest": report.head.as_dict(),
                    "problems": len(report.problems) + report.more_problems,
                },
            },
            **document,
        }
        if anonymise:
            # Recipients are changed as free text is: only where they name someone in the record
            # (an officer of the case receiving it would otherwise be named beside their alias).
            document = pseudonymise(document)
            if document["export"]["generated_by"] == s.actor:
                # An exporter who appears nowhere in the record has no pseudonym: their staff id
                # would name them. The access log keeps who it was.
                document["export"]["generated_by"] = "withheld (see the access log)"
        target.write(WRITERS[chosen](document))
        # Logged once the whole file waits beside its target, before anyone can see it there.
        s.consult(
            "export",
            offender=reference,
            details={
                "format": chosen,
                "destination": str(destination),
                "as_of": iso(moment),
                "anonymised": anonymise,
            },
            recipients=recipients,
        )
        target.put_in_place()
    summary = {
        "ref": reference,
        "format": chosen,
        "out": str(destination),
        "entries": len(document["timeline"]),
        "anonymised": anonymise,
        "digest": document["export"]["ledger"]["digest"],
        "verified": report.ok,
    }
    if as_json:
        emit_json(summary)
    else:
        digest = summary["digest"]
        say(
            f"wrote {destination} ({summary['entries']} entries; ledger digest "
            f"{digest['position']}:{digest['hash']}{'' if report.ok else ', NOT VERIFIED'})"
        )
    if not report.ok:
        # Written, and marked so inside, for a review may need even this; but a script must not
        # take it for a clean disclosure (exit 3, as verify). Said here and ended with Exit, not
        # raised as TamperingFoundError: the root command would log a refusal beside the
        # disclosure already logged.
        from cli.errors import EXIT_TAMPERED, fail

        problems = len(report.problems) + report.more_problems
        fail(
            f"the ledger has been altered ({problems} problem(s); see 'ledger verify'): the "
            f"export was written to {destination} and is marked as not verified",
            EXIT_TAMPERED,
        )
        raise typer.Exit(EXIT_TAMPERED)


# ------------------------------------------------------------------------------------- formats


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = (
    "entry",
    "position",
    "type",
    "occurred_at",
    "recorded_at",
    "recorded_after_days",
    "late",
    "by",
    "agency",
    "rank",
    "entered_by",
    "summary",
    "risk_relevant",
    "corrected",
    "original_summary",
    "original_occurred_at",
    "corrections",
    "facts",
)


def _csv(document: dict[str, Any]) -> str:
    from cli.render import spreadsheet_safe

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in document["timeline"]:
        writer.writerow(
            spreadsheet_safe(
                {
                    **row,
                    "corrections": "; ".join(_correction(c) for c in row["corrections"]),
                    "facts": json.dumps(row["facts"], ensure_ascii=False, sort_keys=True),
                }
            )
        )
    return buffer.getvalue()


def _correction(c: dict[str, Any], when: Callable[[str], str] = str) -> str:
    return f"#{c['entry']} by {c['by']} recorded {when(c['recorded_at'])}: {c['reason']}"


# What people read (HTML and PDF), the same in both: plain text, times in London.

TIME_NOTE = (
    "Times are local time in London (Europe/London), marked GMT or BST; a date alone means "
    "the time of day was not recorded."
)
INTRODUCTION = (
    "Exported from the offender timeline ledger. Each entry shows when it occurred and when the "
    "ledger recorded it; corrections are shown beside the original, which is never deleted."
)


def london(value: str | None, missing: str = "") -> str:
    """A time from the document as people read it (`cli.render.local_time`: London local time to
    the minute with its zone; a date alone stays a date), `missing` for none, and any other text
    (an anonymised year of birth) as it is."""
    from cli.render import local_time

    if value is None:
        return missing
    try:
        return local_time(value)
    except ValueError:
        return value


def stood_at(as_of: str | None) -> str:
    """The --as-of moment of an export as its caption says it: exactly the moment the export
    reflects, in London time with its zone, to the second and fraction of a second where it has
    them (`domain.clock.moment_text`), not rounded to the minute as the record's own times are;
    a date asked for (the end of that day) as "the end of" that date; none, the time of export."""
    from domain.clock import is_end_of_day, london_date, moment_text

    if as_of is None:
        return "the time of export"
    moment = datetime.fromisoformat(as_of)
    if is_end_of_day(moment):
        return f"the end of {london_date(moment).isoformat()} (London time)"
    return moment_text(moment)


@dataclass(frozen=True)
class Entry:
    """One row of the chronology."""

    entry: str
    occurred: str
    recorded: str
    late: bool
    by: str
    agency_rank: str
    type: str
    summary: str
    original_summary: str | None
    original_occurred: str | None
    corrections: list[str]
    # Its place in the ledger's commit order, who typed it in for `by` (if someone else), and
    # each fact it records beyond its summary ("detail: ...", "attendees: ..."), as recorded.
    position: str = ""
    typed_by: str | None = None
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Knowledge:
    """Who knew one item, how and since when."""

    entry: str
    type: str
    summary: str
    agencies: list[str]
    staff: list[str]
    responsible: list[str]


@dataclass(frozen=True)
class Readable:
    """The export as people read it, whatever it is printed on."""

    ref: str
    generated_at: datetime
    generated_by: str
    digest: str
    verified: bool
    disclosure: list[tuple[str, str]]
    offender: list[tuple[str, str]]
    ownership: list[list[str]]  # agency, owner, from, to, made by, reason
    chronology: list[Entry]
    knowledge: list[Knowledge]
    staff: list[list[str]]  # staff id, name, agency, rank

    @property
    def title(self) -> str:
        return f"Record of {self.ref}"


OWNERSHIP_COLUMNS = ["Agency", "Owner", "From", "To", "Made by", "Reason"]
CHRONOLOGY_COLUMNS = ["#", "Occurred", "Recorded", "By", "Agency, rank", "Type", "Summary"]
KNOWLEDGE_COLUMNS = ["#", "Type", "Summary", "Agencies", "Staff", "Responsible, not acknowledged"]
STAFF_COLUMNS = ["Staff id", "Name", "Agency", "Rank"]
UNVERIFIED = "(verification found problems)"


def readable(document: dict[str, Any]) -> Readable:
    header, offender = document["export"], document["offender"]
    ledger = header["ledger"]

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    digest = f"position {ledger['digest']['position']}, SHA-256 {ledger['digest']['hash']}"
    return Readable(
        ref=text(offender["ref"]),
        generated_at=datetime.fromisoformat(header["generated_at"]),
        generated_by=text(header["generated_by"]),
        digest=digest,
        verified=bool(ledger["verified"]),
        disclosure=[
            ("Generated", london(header["generated_at"])),
            ("By", text(header["generated_by"])),
            ("Justification", text(header["reason"])),
            ("Recipients", ", ".join(header["recipients"]) or "not stated"),
            ("As the ledger stood at", stood_at(header["as_of"])),
            ("Anonymised", "yes" if header["anonymised"] else "no"),
            ("Ledger digest", digest),
        ],
        offender=[
            ("Reference", text(offender["ref"])),
            ("Name", text(offender["name"])),
            ("Born", text(offender["born"])),
            ("MAPPA", f"category {offender['category']}, level {offender['level']}"),
            ("Risk of serious harm", text(offender["risk"] or "not assessed")),
            ("Area", text(offender["area"])),
            (
                "On licence",
                f"until {london(offender['licence_end'])}" if offender["on_licence"] else "no",
            ),
            ("Owners", ", ".join(f"{a}: {s}" for a, s in sorted(offender["owners"].items()))),
        ],
        ownership=[
            [
                text(p["agency"]),
                text(p["staff"]),
                london(p["from"]),
                london(p["to"], "now"),
                text(p["by"]),
                text(p["reason"]),
            ]
            for p in document["ownership"]
        ],
        chronology=[_entry(row, text) for row in document["timeline"]],
        knowledge=[
            Knowledge(
                entry=text(item["entry"]),
                type=text(item["type"]),
                summary=text(item["summary"]),
                agencies=[
                    f"{agency}: {london(since, 'not known')}"
                    for agency, since in sorted(item["agencies"].items())
                ],
                staff=[
                    f"{k['staff']} ({k['agency']}) {k['how']} {london(k['since'])}"
                    for k in item["staff"]
                ],
                responsible=[
                    f"{r['staff']} ({r['agency']}) from {london(r['responsible_from'])}"
                    for r in item["responsible_not_acknowledged"]
                ],
            )
            for item in document["who_knew"]
        ],
        staff=[
            [text(m["staff_id"]), text(m["name"]), text(m["agency"]), text(m["rank"])]
            for m in document["staff"]
        ],
    )


def _entry(row: dict[str, Any], text: Callable[[Any], str]) -> Entry:
    corrected = bool(row["corrected"])
    original_summary = row["original_summary"]
    if not corrected or original_summary == row["summary"]:
        original_summary = None
    original_occurred = row["original_occurred_at"] if corrected else None
    return Entry(
        entry=text(row["entry"]),
        occurred=london(row["occurred_at"]),
        recorded=london(row["recorded_at"]),
        late=bool(row["late"]),
        by=text(row["by"]),
        agency_rank=f"{row['agency']}, {row['rank']}",
        type=text(row["type"]),
        summary=text(row["summary"]),
        original_summary=None if original_summary is None else text(original_summary),
        original_occurred=(
            london(original_occurred)
            if original_occurred is not None and original_occurred != row["occurred_at"]
            else None
        ),
        corrections=[_correction(c, london) for c in row["corrections"]] if corrected else [],
        position=text(row.get("position")),
        typed_by=text(row["entered_by"])
        if row.get("entered_by") not in (None, row["by"])
        else None,
        facts=tuple(_facts(row.get("facts") or {}, text)),
    )


# Facts the chronology already shows beside them.
_SHOWN = {"summary"}


def _facts(facts: dict[str, Any], text: Callable[[Any], str]) -> Iterator[str]:
    """Each recorded fact as "name: value", people as "staff (agency)", lists joined."""

    def value(v: Any) -> str:
        if isinstance(v, dict) and "staff" in v:
            return f"{text(v['staff'])} ({text(v.get('agency'))})"
        if isinstance(v, list):
            return ", ".join(value(x) for x in v) or "none"
        if isinstance(v, bool):
            return "yes" if v else "no"
        return text(v)

    for name, v in facts.items():
        if name not in _SHOWN and v is not None:
            yield f"{name.replace('_', ' ')}: {value(v)}"


def _html(document: dict[str, Any]) -> str:
    e, view = html.escape, readable(document)

    def table(columns: list[str], rows: list[list[str]]) -> str:
        head = "".join(f"<th>{e(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def lines(values: list[str]) -> str:
        return "<br>".join(e(v) for v in values)

    def pairs(rows: list[tuple[str, str]]) -> list[list[str]]:
        return [[e(label), e(value)] for label, value in rows]

    disclosure = pairs(view.disclosure)
    if not view.verified:
        disclosure[-1][1] += f" <strong>{e(UNVERIFIED)}</strong>"
    chronology = [
        [
            e(r.entry),
            e(r.occurred),
            e(r.recorded) + (" <strong>LATE</strong>" if r.late else ""),
            e(r.by),
            e(r.agency_rank),
            e(r.type),
            _summary_cell(r),
        ]
        for r in view.chronology
    ]
    knowledge = [
        [e(k.entry), e(k.type), e(k.summary), lines(k.agencies), lines(k.staff),
         lines(k.responsible)]
        for k in view.knowledge
    ]  # fmt: skip
    escaped = [[e(cell) for cell in row] for row in view.ownership]
    staff = [[e(cell) for cell in row] for row in view.staff]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{e(view.title)}</title>
<style>
body {{ font-family: sans-serif; font-size: 10pt; margin: 1.5em; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #999; padding: 3px 5px; text-align: left; vertical-align: top;
  white-space: pre-wrap; }}
th {{ background: #eee; }}
del {{ color: #a00; }}
@page {{ size: A4 landscape; margin: 12mm; }}
</style></head><body>
<h1>{e(view.title)}</h1>
<p>{e(INTRODUCTION)} {e(TIME_NOTE)}</p>
<h2>Disclosure</h2>
{table(["", ""], disclosure)}
<h2>Offender</h2>
{table(["", ""], pairs(view.offender))}
<h2>Ownership</h2>
{table(OWNERSHIP_COLUMNS, escaped)}
<h2>Chronology</h2>
{table(CHRONOLOGY_COLUMNS, chronology)}
<h2>Who knew each item, how and since when</h2>
{table(KNOWLEDGE_COLUMNS, knowledge)}
<h2>Staff in this record</h2>
{table(STAFF_COLUMNS, staff)}
</body></html>
"""


def _summary_cell(row: Entry) -> str:
    e = html.escape
    cell = e(row.summary)
    cell += "".join(f"<br><small>{e(fact)}</small>" for fact in row.facts)
    if row.typed_by is not None:
        cell += f"<br><small>typed in by {e(row.typed_by)}</small>"
    if row.position:
        cell += f"<br><small>ledger position {e(row.position)}</small>"
    if row.original_summary is not None:
        cell += f"<br>originally: <del>{e(row.original_summary)}</del>"
    if row.original_occurred is not None:
        cell += f"<br>originally occurred: <del>{e(row.original_occurred)}</del>"
    cell += "".join(f"<br><small>{e(c)}</small>" for c in row.corrections)
    return cell


def _pdf(document: dict[str, Any]) -> bytes:
    from cli.export_pdf import render  # fpdf2 is loaded only for a PDF

    return render(readable(document))


WRITERS: dict[str, Callable[[dict[str, Any]], str | bytes]] = {
    "json": _json,
    "csv": _csv,
    "html": _html,
    "pdf": _pdf,
}
