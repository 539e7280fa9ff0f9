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
from pathlib import Path

import typer

from cli.options import AS_OF, JSON
from cli.render import emit_json, say
from cli.session import session
from ledger.document import (
    CHRONOLOGY_COLUMNS,
    CUSTODY_COLUMNS,
    INTRODUCTION,
    KNOWING_NOTE,
    KNOWLEDGE_COLUMNS,
    OWNERSHIP_COLUMNS,
    STAFF_COLUMNS,
    TIME_NOTE,
    UNVERIFIED,
    Entry,
    ExportDocument,
    correction_text,
    london,
    stood_at,
)

__all__ = ["csv_file", "export", "html_file", "json_file", "london", "register", "stood_at"]


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
    from cli.export_formats import FORMATS, writer
    from domain.clock import parse_query_time
    from domain.errors import InvalidValueError
    from domain.identity import normalise_ref
    from domain.text import SHORT_LIMIT, parse_text
    from ledger import reading

    s = session(ctx)
    chosen = fmt.strip().lower()
    if chosen not in FORMATS:
        raise InvalidValueError(f"--format must be json, csv, html or pdf, not {fmt!r}")
    # Who receives it is said in the export and logged with the disclosure: a line, as a name.
    recipients = [parse_text(r, "--to", limit=SHORT_LIMIT) for r in recipients or []]
    reference = normalise_ref(ref)
    moment = parse_query_time(as_of) if as_of else None
    done = reading.export(
        s,
        reference,
        out=out,
        fmt=chosen,
        render=writer(chosen),
        as_of=moment,
        anonymise=anonymise,
        recipients=recipients,
    )
    destination, verified = done.destination, done.verification.ok
    summary = {
        "ref": reference,
        "format": chosen,
        "out": str(destination),
        "entries": done.document.entries,
        "anonymised": anonymise,
        "digest": done.document.digest,
        "verified": verified,
    }
    if as_json:
        emit_json(summary)
    else:
        digest = summary["digest"]
        say(
            f"wrote {destination} ({summary['entries']} entries; ledger digest "
            f"{digest['position']}:{digest['hash']}{'' if verified else ', NOT VERIFIED'})"
        )
    if not verified:
        # Written, and marked so inside, for a review may need even this; but a script must not
        # take it for a clean disclosure (exit 3, as verify). Said here and ended with Exit, not
        # raised as TamperingFoundError: the root command would log a refusal beside the
        # disclosure already logged.
        from cli.errors import EXIT_TAMPERED, fail

        problems = done.verification.problems
        fail(
            f"the ledger has been altered ({problems} problem(s); see 'ledger verify'): the "
            f"export was written to {destination} and is marked as not verified",
            EXIT_TAMPERED,
        )
        raise typer.Exit(EXIT_TAMPERED)


# ------------------------------------------------------------------------------------- formats


def json_file(document: ExportDocument) -> str:
    """The export as JSON: the document as it is, times in UTC."""
    return json.dumps(document.data, indent=2, ensure_ascii=False) + "\n"


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


def csv_file(document: ExportDocument) -> str:
    """The export's chronology as CSV, one row per entry, times in UTC; no cell can run as a
    spreadsheet formula."""
    from cli.render import spreadsheet_safe

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in document.data["timeline"]:
        writer.writerow(
            spreadsheet_safe(
                {
                    **row,
                    "corrections": "; ".join(correction_text(c) for c in row["corrections"]),
                    "facts": json.dumps(row["facts"], ensure_ascii=False, sort_keys=True),
                }
            )
        )
    return buffer.getvalue()


def html_file(document: ExportDocument) -> str:
    """The export as one HTML page, as people read it: plain text, times in London."""
    e, view = html.escape, document.readable()

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
    custody = [[e(cell) for cell in row] for row in view.custody]
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
<h2>Custody</h2>
{table(CUSTODY_COLUMNS, custody) if custody else "<p>No period in custody recorded.</p>"}
<h2>Who knew each item, how and since when</h2>
<p>{e(KNOWING_NOTE)}</p>
{table(KNOWLEDGE_COLUMNS, knowledge)}
<h2>Staff in this record</h2>
{table(STAFF_COLUMNS, staff)}
</body></html>
"""


def _summary_cell(row: Entry) -> str:
    """A chronology entry's summary cell: its facts, who typed it in, its ledger position, and
    the original beside the corrected value."""
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
