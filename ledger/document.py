"""The export's document: one offender's complete record as it is disclosed, in one model that
every format renders.

`ExportDocument.data` is the record as JSON holds it (times in UTC, ISO 8601), which the JSON and
CSV exports write; `ExportDocument.readable()` is the same record as people read it (plain text,
times in London), which the HTML and PDF exports lay out, each in its own way, with the same
labels. The read service (`ledger.reading`) builds it; nothing here reads the ledger.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import field
from datetime import UTC, date, datetime
from typing import Any

from domain.frozen import frozen


@frozen
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


@frozen
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
    # What it is in a reviewer's words (`projections.labels.label`), and whether it bears on risk.
    label: str = ""
    risk_relevant: bool = False
    agency: str = ""


@frozen
class Warning:
    """One alert that fell due on the record: the rule in plain words, the entry it concerns,
    when it fell due, and when it was met and by what, or that it never was."""

    rule: str
    code: str
    entry: str
    due: str
    met: str
    met_by: str
    state: str
    detail: str
    never_met: bool

    @property
    def heading(self) -> str:
        """How the review pack heads it: whether it was met, then the rule."""
        return f"{'Never met' if self.never_met else 'Met late'}: {self.rule}"


@frozen
class Knowledge:
    """Who knew one item, how and since when."""

    entry: str
    type: str
    summary: str
    agencies: list[str]
    staff: list[str]
    responsible: list[str]


@frozen
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
    warnings: list[Warning] = field(default_factory=list)  # never met first, then met late
    custody: list[list[str]] = field(default_factory=list)  # CUSTODY_COLUMNS

    @property
    def title(self) -> str:
        """The document's title, as both HTML and PDF head it."""
        return f"Record of {self.ref}"


OWNERSHIP_COLUMNS = ["Agency", "Owner", "From", "To", "Made by", "Reason"]
CHRONOLOGY_COLUMNS = ["#", "Occurred", "Recorded", "By", "Agency", "Entry", "Summary"]
KNOWLEDGE_COLUMNS = ["#", "Type", "Summary", "Agencies", "Staff", "Responsible, not acknowledged"]
STAFF_COLUMNS = ["Staff id", "Name", "Agency", "Rank"]
WARNING_COLUMNS = ["Rule", "Concerns", "Fell due", "Met", "Met by", "Detail"]
WARNINGS_NOTE = (
    "Each alert rule the record broke: the warning that fell due, when, and when it was met and "
    "by what, or that it never was. Those never met come first, then those met late, each in the "
    "order they fell due."
)


def rule_words(rule: str) -> str:
    """An alert rule in plain words (`projections.labels.RULES`)."""
    from projections.labels import rule as words

    return words(rule)


CUSTODY_COLUMNS = ["In custody from", "Reason", "Until", "Released", "Entries"]
UNVERIFIED = "(verification found problems)"


def readable(document: dict[str, Any]) -> Readable:
    """The document as people read it: every value as text, every time in London."""
    header, offender = document["export"], document["offender"]
    ledger = header["ledger"]

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    digest = f"position {ledger['digest']['position']}, SHA-256 {ledger['digest']['hash']}"
    names = staff_names(document)
    ranks = owner_ranks(document)
    labels = entry_labels(document)
    return Readable(
        ref=text(offender["ref"]),
        generated_at=datetime.fromisoformat(header["generated_at"]),
        generated_by=text(header["generated_by"]),
        digest=digest,
        verified=bool(ledger["verified"]),
        disclosure=[
            ("Generated", london(header["generated_at"])),
            ("By", text(header.get("generated_by_name") or header["generated_by"])),
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
            (
                "Owners",
                ", ".join(
                    f"{agency}: {person(staff, names, ranks.get((agency, staff)))}"
                    for agency, staff in sorted(offender["owners"].items())
                ),
            ),
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
                person(p["staff"], names, ranks.get((p["agency"], p["staff"]))),
                london(p["from"]),
                london(p["to"], "now"),
                person(p["by"], names, _maker_rank(p, document)),
                text(p["reason"]),
            ]
            for p in document["ownership"]
        ],
        chronology=[_entry(row, text, names, labels) for row in document["timeline"]],
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
        warnings=warnings(document, labels),
    )


def staff_names(document: dict[str, Any]) -> dict[str, str]:
    """Each staff member's name (in an anonymised export, their pseudonym) by staff id."""
    return {str(m["staff_id"]): str(m["name"]) for m in document["staff"]}


def entry_labels(document: dict[str, Any]) -> dict[int, str]:
    """What each entry is, in a reviewer's words, by entry number."""
    from projections.labels import label

    names = staff_names(document)
    return {
        row["entry"]: label(row["type"], row.get("facts") or {}, names)
        for row in document["timeline"]
    }


def owner_ranks(document: dict[str, Any]) -> dict[tuple[str, str], str]:
    """The rank each owner held when they took the case over, by agency and staff id: from the
    registration they made or the transfer to them."""
    by_entry = {row["entry"]: row for row in document["timeline"]}
    ranks: dict[tuple[str, str], str] = {}
    for period in document["ownership"]:
        row = by_entry.get(period.get("entry"))
        if row is None:
            continue
        to = (row.get("facts") or {}).get("to_person") or {}
        if to.get("staff") == period["staff"] and to.get("rank"):
            ranks.setdefault((period["agency"], period["staff"]), str(to["rank"]))
        elif row["by"] == period["staff"] and row.get("rank"):
            ranks.setdefault((period["agency"], period["staff"]), str(row["rank"]))
    return ranks


def _maker_rank(period: dict[str, Any], document: dict[str, Any]) -> str | None:
    """The rank of whoever made the registration or transfer that began a period, then."""
    row = next((r for r in document["timeline"] if r["entry"] == period.get("entry")), None)
    return str(row["rank"]) if row is not None and row["by"] == period["by"] else None


def person(staff: Any, names: dict[str, str], rank: Any = None) -> str:
    """Someone as the review pack names them, as every view does: `Lee Hart (4633, PC)`."""
    from projections.labels import person as named

    return named(None if staff is None else str(staff), names, None if rank is None else str(rank))


def warnings(document: dict[str, Any], labels: dict[int, str] | None = None) -> list[Warning]:
    """The record's alerts as the review pack lists them: those never met first, then those met
    late, then any not yet due, each in the order they fell due."""
    labels = entry_labels(document) if labels is None else labels

    def order(alert: dict[str, Any]) -> tuple[int, str]:
        if alert["state"] == "not yet due":
            return 2, alert["due_at"]
        return (0 if alert["satisfied_at"] is None else 1), alert["due_at"]

    found = []
    for alert in sorted(document.get("alerts", []), key=order):
        entry = alert["entry"]
        concerns = "" if entry is None else f"#{entry} {labels.get(entry, '')}".strip()
        found.append(
            Warning(
                rule=rule_words(alert["rule"]),
                code=str(alert["rule"]),
                entry=concerns,
                due=london(alert["due_at"]),
                met=london(alert["satisfied_at"], "never met"),
                met_by=str(alert.get("resolution") or ""),
                state=str(alert["state"]),
                detail=str(alert["detail"] or ""),
                never_met=alert["satisfied_at"] is None,
            )
        )
    return found


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


def _entry(
    row: dict[str, Any], text: Callable[[Any], str], names: dict[str, str], labels: dict[int, str]
) -> Entry:
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
        by=person(row["by"], names, row["rank"]),
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
        typed_by=person(row["entered_by"], names)
        if row.get("entered_by") not in (None, row["by"])
        else None,
        facts=tuple(_facts(row.get("facts") or {}, text)),
        label=labels.get(row["entry"], text(row["type"])),
        risk_relevant=bool(row.get("risk_relevant")),
        agency=text(row["agency"]),
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
