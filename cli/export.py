"""`ledger export`: the complete record of one offender for a coroner's information request.

An export is a disclosure: it is logged (Data Protection Act 2018 s.62) with who, when, why, the
recipients and the destination. The file is written whole or not at all: first under a temporary
name beside its target, then the disclosure is logged, and only then is the file renamed into place.
An export that fails or is refused, whether before or after the ledger was read, is logged as refused
(as every refused command is), never as a disclosure.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import typer

from cli.options import AS_OF, JSON
from cli.render import emit_json, say
from cli.session import session
from ledger.document import (
    CHRONOLOGY_COLUMNS,
    CUSTODY_COLUMNS,
    INTRODUCTION,
    KNOWLEDGE_COLUMNS,
    OWNERSHIP_COLUMNS,
    STAFF_COLUMNS,
    TIME_NOTE,
    UNVERIFIED,
    WARNING_COLUMNS,
    WARNINGS_NOTE,
    ExportDocument,
    correction_text,
    london,
    stood_at,
)
from projections.labels import KNOWING_NOTE

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
    """Export the complete record of one offender, for a coroner or a case review.

    It holds the details, ownership, chronology, who knew each item, and the alerts that fell due
    (the missed warnings). The chronology shows when each thing occurred beside when it was
    recorded, each entry's facts and ledger position, and every correction beside the original.
    JSON, HTML and PDF also carry the ledger's verified digest (position and hash, as 'ledger
    verify' prints it), so the recipient can later check the export against the ledger. HTML and PDF
    hold the same: who exported, why, when and for whom, the digest, the offender, ownership, the
    chronology with both clocks, late entries flagged and corrections beside the originals, who knew
    each item, and the staff; their times are London local time (GMT or BST), and the --as-of moment
    is said back exactly, to the second and fraction given (a date: the end of that day). The PDF is
    A4 with numbered pages and the digest on each page. JSON and CSV times are UTC (ISO 8601). HTML
    and PDF open with a timeline chart (a lane per agency, owners, entries, shares, alerts; in HTML
    inline SVG, each mark named #N) and list the missed warnings after the chronology, never met
    first; JSON has them as 'alerts', as 'alerts --history --json' prints them. The export is logged
    as a disclosure, with --to and the file.

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
    """The export as one HTML page, as people read it: plain text, times in London, opening with
    the timeline chart as inline SVG; rendered from `cli/templates/export.html.j2` with every
    value escaped."""
    from cli.chart import LEFT, RIGHT, layout

    return (
        _templates()
        .get_template("export.html.j2")
        .render(
            view=document.readable(),
            chart=layout(document),
            left=LEFT,
            right=RIGHT,
            introduction=INTRODUCTION,
            time_note=TIME_NOTE,
            unverified=UNVERIFIED,
            ownership_columns=OWNERSHIP_COLUMNS,
            custody_columns=CUSTODY_COLUMNS,
            knowing_note=KNOWING_NOTE,
            chronology_columns=CHRONOLOGY_COLUMNS,
            warning_columns=WARNING_COLUMNS,
            warnings_note=WARNINGS_NOTE,
            knowledge_columns=KNOWLEDGE_COLUMNS,
            staff_columns=STAFF_COLUMNS,
        )
    )


def _templates() -> Any:
    """The export's Jinja2 templates, escaping every value they are given."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("cli", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
