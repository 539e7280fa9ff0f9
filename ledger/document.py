"""The export's document: one offender's complete record as it is disclosed, in one model that
every format renders.

`ExportDocument.data` is the record as JSON holds it (times in UTC, ISO 8601), which the JSON and
CSV exports write; `ExportDocument.readable()` is the same record as people read it (plain text,
times in London), which the HTML and PDF exports lay out, each in its own way, with the same
labels. The read service (`ledger.reading`) builds it; nothing here reads the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any


@dataclass(frozen=True)
class ExportDocument:
    """One offender's record as disclosed: the export's header (who, why, for whom, the ledger's
    digest), the offender, ownership, chronology, who knew each item, and the staff."""

    data: dict[str, Any]

    @property
    def entries(self) -> int:
        """How many entries the chronology holds."""
        return len(self.data["timeline"])

    @property
    def digest(self) -> dict[str, Any]:
        """The ledger's digest the export was made against (position and hash)."""
        return dict(self.data["export"]["ledger"]["digest"])

    def readable(self) -> Readable:
        """The record as people read it, for HTML and PDF."""
        return readable(self.data)


def correction_text(c: dict[str, Any], when: Callable[[str], str] = str) -> str:
    """One correction of an entry as a line: which entry made it, who, when and why."""
    return f"#{c['entry']} by {c['by']} recorded {when(c['recorded_at'])}: {c['reason']}"


# What people read (HTML and PDF), the same in both: plain text, times in London.

TIME_NOTE = (
    "Times are local time in London (Europe/London), marked GMT or BST; a date alone means "
    "the time of day was not recorded."
)
KNOWING_NOTE = (
    "An agency knew an item from when one of its staff recorded it (made the contact or wrote "
    "it), acknowledged it, had it shared or attended a meeting on it; typing in someone else's "
    "record (entered) is clerical work, not knowledge of the case."
)
INTRODUCTION = (
    "Exported from the offender timeline ledger. Each entry shows when it occurred and when the "
    "ledger recorded it; corrections are shown beside the original, which is never deleted."
)


def london(value: str | None, missing: str = "") -> str:
    """A time from the document as people read it: London local time to the minute with its zone
    (`2016-10-17 14:30 BST`, as every table of the command line says it); a date alone stays a
    date, `missing` stands for none, and any other text (an anonymised year of birth) is left as
    it is."""
    from domain.clock import local_text

    if value is None:
        return missing
    text = value.strip()
    try:
        moment = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return value
    if isinstance(moment, datetime) and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return local_text(moment)


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
    custody: list[list[str]] = field(default_factory=list)  # CUSTODY_COLUMNS

    @property
    def title(self) -> str:
        """The document's title, as both HTML and PDF head it."""
        return f"Record of {self.ref}"


OWNERSHIP_COLUMNS = ["Agency", "Owner", "From", "To", "Made by", "Reason"]
CHRONOLOGY_COLUMNS = ["#", "Occurred", "Recorded", "By", "Agency, rank", "Type", "Summary"]
KNOWLEDGE_COLUMNS = ["#", "Type", "Summary", "Agencies", "Staff", "Responsible, not acknowledged"]
STAFF_COLUMNS = ["Staff id", "Name", "Agency", "Rank"]
CUSTODY_COLUMNS = ["In custody from", "Reason", "Until", "Released", "Entries"]
UNVERIFIED = "(verification found problems)"


def readable(document: dict[str, Any]) -> Readable:
    """The document as people read it: every value as text, every time in London."""
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
            ("In custody", _in_custody(document.get("custody") or [])),
            *_ended(document.get("registration_end")),
        ],
        custody=[
            [
                london(p["from"]),
                text(p["reason"]),
                london(p["to"], "still in custody"),
                text(p["released"]),
                f"#{p['from_entry']}" + (f" to #{p['to_entry']}" if p["to_entry"] else ""),
            ]
            for p in document.get("custody") or []
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


def _in_custody(periods: list[dict[str, Any]]) -> str:
    if not periods or periods[-1]["to"] is not None:
        return "no"
    last = periods[-1]
    return f"yes, since {london(last['from'])} ({last['reason']})"


def _ended(ended: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The offender's line saying the registration ended, when and why; none while it runs."""
    if not ended:
        return []
    line = f"{london(ended['at'])} ({ended['reason']}, #{ended['entry']}): {ended['summary']}"
    return [("Registration ended", line)]


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
        corrections=[correction_text(c, london) for c in row["corrections"]] if corrected else [],
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
