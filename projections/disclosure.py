"""The complete record of one offender, as disclosed to a coroner or a review: plain data, no I/O.

The chronology keeps both clocks side by side (when each thing happened, when the ledger recorded
it), each entry's full facts and its place in the ledger's commit order, and every correction
beside the original it corrects; who knew each item, how and since when, is beside it.
`anonymise` replaces the people in it with stable pseudonyms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from projections import views
from projections.ownership import ownership_periods, period_json
from projections.records import EntryRecord, json_safe
from projections.who_knew import who_knew, who_knew_json

SUBJECT = "Subject"


def disclosure_document(
    records: Sequence[EntryRecord],
    staff: Sequence[dict[str, Any]],
    *,
    ref: str,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """The offender, ownership, chronology, who knew what, and the staff involved, as the ledger
    held them at `as_of`."""
    views.require_registration(records, ref, as_of=as_of, at=None)
    items = views.corrected_view(records, as_of=as_of)
    by_entry = {item.record.entry: item for item in items}
    chronology = views.timeline(records, as_of=as_of)
    for row in chronology:
        item = by_entry[row["entry"]]
        row["position"] = item.record.position
        row["facts"] = json_safe(item.original.data)
    document: dict[str, Any] = {
        "offender": views.show(records, as_of=as_of),
        "ownership": [period_json(p) for p in ownership_periods(i.record for i in items)],
        "timeline": chronology,
        "who_knew": who_knew_json(
            who_knew(records, as_of=as_of, agencies={m["staff_id"]: m["agency"] for m in staff})
        )["items"],
    }
    mentioned = set(_strings(document))
    document["staff"] = [dict(member) for member in staff if member["staff_id"] in mentioned]
    return document


def anonymise(document: dict[str, Any]) -> dict[str, Any]:
    """The document with the offender and every staff member replaced by a pseudonym.

    Staff become "Staff A", "Staff B", ... in the order they first appear in the document, so the
    same person has the same pseudonym throughout. Their agency and rank stay: a review needs them.
    Free text is changed only where it contains a known name, reference or staff id.
    """
    offender = document["offender"]
    pseudonyms: dict[str, str] = {offender["ref"]: SUBJECT, offender["name"]: SUBJECT}
    names = {m["staff_id"]: m["name"] for m in document.get("staff", [])}
    body = {key: value for key, value in document.items() if key != "staff"}
    appearing = [text for text in _strings(body) if text in names]
    for index, staff_id in enumerate(dict.fromkeys([*appearing, *names])):
        pseudonyms[staff_id] = pseudonyms[names[staff_id]] = f"Staff {_letters(index)}"
    words = _word_replacements(pseudonyms, offender["name"], names)
    born = str(offender.get("born") or "")
    birthday = _date_forms(born)

    def replace(text: str) -> str:
        if text in pseudonyms:
            return pseudonyms[text]
        if born and text == born:
            return born[:4]
        text = words(text)
        # The date of birth typed into free text ("DOB 02/03/1975") keeps its year alone too.
        return birthday.sub(born[:4], text) if birthday is not None else text

    changed = _map_strings(document, replace)
    if "staff" in changed:
        # Listed by pseudonym: in the order of the real ids, the list would hint at them.
        changed["staff"] = sorted(
            changed["staff"], key=lambda m: (len(m["staff_id"]), m["staff_id"])
        )
    return changed


# In English whatever the locale, as the records are written.
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip


def _date_forms(born: str) -> re.Pattern[str] | None:
    """The ways a date of birth is written in records: 1975-03-02, 02/03/1975, 2.3.1975,
    2 March 1975, 2 Mar 1975."""
    try:
        day = date.fromisoformat(born)
    except ValueError:
        return None
    d, m, y = day.day, day.month, day.year
    month = _MONTHS[m - 1]
    forms = [
        re.escape(day.isoformat()),
        rf"0?{d}[/.-]0?{m}[/.-]{y}",
        rf"0?{d}(?:st|nd|rd|th)?\s+(?:{month}|{month[:3]})\.?,?\s+{y}",
    ]
    return re.compile(r"(?<!\w)(?:" + "|".join(forms) + r")(?!\w)", re.IGNORECASE)


def _word_replacements(
    pseudonyms: dict[str, str], offender_name: str, staff_names: dict[str, str]
) -> Callable[[str], str]:
    """Replaces known names, references and staff ids inside free text, longest first, as whole
    words and whatever their case (records often write surnames in capitals); each part of a name
    (of three letters or more) stands for its owner too."""
    table = {key.casefold(): pseudonym for key, pseudonym in pseudonyms.items()}
    for part in re.findall(r"[^\W\d_]{3,}", offender_name):
        table.setdefault(part.casefold(), SUBJECT)
    for staff_id, name in staff_names.items():
        for part in re.findall(r"[^\W\d_]{3,}", name):
            table.setdefault(part.casefold(), pseudonyms[staff_id])
    keys = sorted((k for k in table if k), key=len, reverse=True)
    if not keys:
        return lambda text: text
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(k) for k in keys) + r")(?!\w)", re.IGNORECASE
    )
    return lambda text: pattern.sub(lambda match: table[match.group(0).casefold()], text)


def _letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    text = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        text = chr(ord("A") + remainder) + text
    return text


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _map_strings(value: Any, change: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, dict):
        return {key: _map_strings(item, change) for key, item in value.items()}
    if isinstance(value, list):
        return [_map_strings(item, change) for item in value]
    return value
