"""`ledger export`: the complete record of one offender for a coroner's information request.

An export is a disclosure: it is logged (Data Protection Act 2018 s.62) with who, when, why, the
recipients and the destination. The file is written whole or not at all: first under a temporary
name beside its target, then the disclosure is logged, and only then is the file renamed into place.
An export that fails or is refused, whether before or after the ledger was read, is logged as refused
(as every refused command is), never as a disclosure.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import html
import io
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.options import AS_OF, JSON
from cli.render import emit_json, say
from cli.session import session

if TYPE_CHECKING:
    from cli.session import Session
    from domain.errors import InvalidValueError

FORMATS = ("json", "csv", "html", "pdf")


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="The offender's reference, e.g. WMP-000123."),
    fmt: str = typer.Option(
        ..., "--format", metavar="FORMAT", help="json, csv (the chronology only) or html."
    ),
    out: Path = typer.Option(..., "--out", metavar="PATH", dir_okay=False, help="File to write."),
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
    and ledger position, and every correction beside the original. JSON and HTML also carry the
    ledger's verified digest (position and hash, as 'ledger verify' prints it), so the recipient
    can later check the export against the ledger. PDF is not built in: export HTML and print it
    to PDF from a browser. The export is logged as a disclosure, with --to and the file.

    Example: ledger --reason "Coroner's request 2020/117" export WMP-000123 --format html --out wmp-000123.html --to "HM Coroner, Birmingham"
    """
    from domain.clock import iso, parse_query_time, utc_now
    from domain.errors import InvalidValueError
    from domain.identity import normalise_ref
    from ledger.verification import verify
    from projections.disclosure import anonymise as pseudonymise
    from projections.disclosure import disclosure_document
    from projections.queries import list_staff

    s = session(ctx)
    chosen = fmt.strip().lower()
    if chosen == "pdf":
        raise InvalidValueError(
            "PDF is not built in: use --format html and print the file to PDF from a browser"
        )
    if chosen not in FORMATS:
        raise InvalidValueError(f"--format must be json, csv or html, not {fmt!r}")
    reference = normalise_ref(ref)
    moment = parse_query_time(as_of) if as_of else None
    destination = out.expanduser().resolve()
    if not destination.parent.is_dir():
        raise InvalidValueError(f"cannot write {out}: folder {destination.parent} does not exist")
    _check_target(destination, out)
    _check_reader(s)
    with _FileInPlace(destination, out) as target:
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
                "recipients": recipients or [],
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
            # The recipients are the disclosure's addressees, not people in the record.
            kept = document["export"]["recipients"]
            document = pseudonymise(document)
            document["export"]["recipients"] = kept
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
            recipients=recipients or [],
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


def _check_reader(s: Session) -> None:
    """Refuses, before anything is read, an export by no one, by someone not in post, or without
    a justification (the checks `Session.consult` makes; the disclosure is logged later)."""
    from ledger.errors import MissingActorError, MissingReasonError

    if not s.actor:
        raise MissingActorError
    if not s.settings.reason:
        raise MissingReasonError
    s.ledger().check_actor(s.actor)


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _check_target(path: Path, given: Path) -> None:
    """Refuses a target that exists and is not a regular file: renaming the export over a device,
    a pipe or a socket would replace it, not write to it."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    except OSError as error:
        raise _unwritable(error, given, path.parent) from None
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise _invalid(
        f"cannot write {given}: {path} is {kind}, not a regular file; "
        "--out must name a new file or an ordinary one to replace"
    )


_WHY = {
    errno.EACCES: "permission denied in folder {folder}",
    errno.EPERM: "permission denied in folder {folder}",
    errno.EROFS: "folder {folder} is on a read-only file system",
    errno.ENOSPC: "no space left on the device holding folder {folder}",
    errno.ENOENT: "files cannot be created in folder {folder}",
    errno.EISDIR: "it is a folder",
}
if hasattr(errno, "EDQUOT"):
    _WHY[errno.EDQUOT] = "disk quota exceeded in folder {folder}"


def _unwritable(error: OSError, given: Path, folder: Path) -> InvalidValueError:
    """The one-line usage error for a file that cannot be written where --out says."""
    default = f"{error.strerror or type(error).__name__} (folder {{folder}})"
    why = _WHY.get(error.errno or 0, default).format(folder=folder)
    return _invalid(f"cannot write {given}: {why}; choose another --out (nothing was written)")


def _invalid(message: str) -> InvalidValueError:
    from domain.errors import InvalidValueError

    return InvalidValueError(message)


class _FileInPlace:
    """The export's file, written whole under a temporary name in the target's folder, then
    renamed over the target: the target is complete or as it was, and on any failure the
    temporary file is removed. Failures to write are usage errors naming the path."""

    def __init__(self, path: Path, given: Path) -> None:
        self.path, self.given = path, given
        self._handle: int | None = None
        self._temporary: Path | None = None

    def __enter__(self) -> _FileInPlace:
        # Made before anything is read, so that an unwritable folder is found first.
        with self._writing():
            self._handle, name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", dir=self.path.parent
            )
        self._temporary = Path(name)
        return self

    def write(self, text: str) -> None:
        assert self._handle is not None, "written once"
        handle, self._handle = self._handle, None
        with self._writing(), os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())

    def put_in_place(self) -> None:
        assert self._temporary is not None and self._handle is None, "written, not yet in place"
        _check_target(self.path, self.given)  # it may have been replaced meanwhile
        with self._writing():
            os.replace(self._temporary, self.path)
        self._temporary = None

    def __exit__(self, *failure: object) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise _unwritable(error, self.given, self.path.parent) from None


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
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in document["timeline"]:
        writer.writerow(
            {
                **row,
                "corrections": "; ".join(_correction(c) for c in row["corrections"]),
                "facts": json.dumps(row["facts"], ensure_ascii=False, sort_keys=True),
            }
        )
    return buffer.getvalue()


def _correction(c: dict[str, Any]) -> str:
    return f"#{c['entry']} by {c['by']} recorded {c['recorded_at']}: {c['reason']}"


def _html(document: dict[str, Any]) -> str:
    e, header, offender = html.escape, document["export"], document["offender"]
    ledger = header["ledger"]

    def table(columns: list[str], rows: list[list[Any]]) -> str:
        head = "".join(f"<th>{e(c)}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

    def text(value: Any) -> str:
        return "" if value is None else e(str(value))

    about = [
        ["Reference", text(offender["ref"])],
        ["Name", text(offender["name"])],
        ["Born", text(offender["born"])],
        ["MAPPA", text(f"category {offender['category']}, level {offender['level']}")],
        ["Risk of serious harm", text(offender["risk"] or "not assessed")],
        ["Area", text(offender["area"])],
        [
            "On licence",
            text(f"until {offender['licence_end']}" if offender["on_licence"] else "no"),
        ],
        ["Owners", text(", ".join(f"{a}: {s}" for a, s in sorted(offender["owners"].items())))],
    ]
    disclosure = [
        ["Generated", text(header["generated_at"])],
        ["By", text(header["generated_by"])],
        ["Justification", text(header["reason"])],
        ["Recipients", text(", ".join(header["recipients"]) or "not stated")],
        ["As the ledger stood at", text(header["as_of"] or "the time of export")],
        ["Anonymised", "yes" if header["anonymised"] else "no"],
        [
            "Ledger digest",
            text(f"position {ledger['digest']['position']}, SHA-256 {ledger['digest']['hash']}")
            + ("" if ledger["verified"] else " <strong>(verification found problems)</strong>"),
        ],
    ]
    periods = [
        [text(p["agency"]), text(p["staff"]), text(p["from"]), text(p["to"] or "now"),
         text(p["by"]), text(p["reason"])]
        for p in document["ownership"]
    ]  # fmt: skip
    chronology = [
        [
            text(r["entry"]),
            text(r["occurred_at"]),
            text(r["recorded_at"]) + (" <strong>LATE</strong>" if r["late"] else ""),
            text(r["by"]),
            text(f"{r['agency']}, {r['rank']}"),
            text(r["type"]),
            _summary_cell(r, text),
        ]
        for r in document["timeline"]
    ]
    knowledge = [
        [
            text(item["entry"]),
            text(item["type"]),
            text(item["summary"]),
            "<br>".join(
                text(f"{agency}: {since or 'not known'}")
                for agency, since in sorted(item["agencies"].items())
            ),
            "<br>".join(
                text(f"{k['staff']} ({k['agency']}) {k['how']} {k['since']}") for k in item["staff"]
            ),
            "<br>".join(
                text(f"{r['staff']} ({r['agency']}) from {r['responsible_from']}")
                for r in item["responsible_not_acknowledged"]
            ),
        ]
        for item in document["who_knew"]
    ]
    staff = [
        [text(m["staff_id"]), text(m["name"]), text(m["agency"]), text(m["rank"])]
        for m in document["staff"]
    ]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Record of {text(offender["ref"])}</title>
<style>
body {{ font-family: sans-serif; font-size: 10pt; margin: 1.5em; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #999; padding: 3px 5px; text-align: left; vertical-align: top; }}
th {{ background: #eee; }}
del {{ color: #a00; }}
@page {{ size: A4 landscape; margin: 12mm; }}
</style></head><body>
<h1>Record of {text(offender["ref"])}</h1>
<p>Exported from the offender timeline ledger. Each entry shows when it occurred and when the
ledger recorded it; corrections are shown beside the original, which is never deleted.</p>
<h2>Disclosure</h2>
{table(["", ""], disclosure)}
<h2>Offender</h2>
{table(["", ""], about)}
<h2>Ownership</h2>
{table(["Agency", "Owner", "From", "To", "Made by", "Reason"], periods)}
<h2>Chronology</h2>
{table(["#", "Occurred", "Recorded", "By", "Agency, rank", "Type", "Summary"], chronology)}
<h2>Who knew each item, how and since when</h2>
{table(["#", "Type", "Summary", "Agencies", "Staff", "Responsible, not acknowledged"], knowledge)}
<h2>Staff in this record</h2>
{table(["Staff id", "Name", "Agency", "Rank"], staff)}
</body></html>
"""


def _summary_cell(row: dict[str, Any], text: Callable[[Any], str]) -> str:
    cell = text(row["summary"])
    if row["corrected"]:
        notes = "".join(f"<br><small>{text(_correction(c))}</small>" for c in row["corrections"])
        cell += f"<br>originally: <del>{text(row['original_summary'])}</del>{notes}"
    return cell


WRITERS: dict[str, Callable[[dict[str, Any]], str]] = {"json": _json, "csv": _csv, "html": _html}
