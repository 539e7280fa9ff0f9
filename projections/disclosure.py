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
    offender = views.show(records, as_of=as_of)
    document: dict[str, Any] = {
        "offender": offender,
        # Periods in custody and the end of the registration, as plain data to draw.
        "custody": offender["custody"] if offender else [],
        "registration_end": offender["registration_end"] if offender else None,
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
    Free text is changed only where it contains a known name, reference or staff id, each
    replaced whole: "Jean-Luc", "O'Neil" and "Jean-Luc's" are one name each (`_word_replacements`).
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
        text = _once(words(text))
        # The date of birth typed into free text ("DOB 02/03/1975") keeps its year alone too.
        return birthday.sub(born[:4], text) if birthday is not None else text

    changed = _map_strings(document, replace)
    if "staff" in changed:
        # Listed by pseudonym: in the order of the real ids, the list would hint at them.
        changed["staff"] = sorted(
            changed["staff"], key=lambda m: (len(m["staff_id"]), m["staff_id"])
        )
    return changed


# A person named as the views name them, `Pat Lowe (7702, PO)`, has both name and id replaced by
# one pseudonym: `Staff B (Staff B, PO)` reads as `Staff B (PO)`, and `Staff D (Staff D)` as
# `Staff D`.
_NAMED_TWICE = re.compile(r"(Staff [A-Z]+) \(\1(\)|, )")


def _once(text: str) -> str:
    """Free text with each pseudonym said once where a person was named by name and id."""
    return _NAMED_TWICE.sub(lambda m: m[1] if m[2] == ")" else f"{m[1]} (", text)


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


# What joins the parts of one name: hyphens ("Jean-Luc") and apostrophes ("O'Neil"), as typed on
# any keyboard. Each is read as its plain form when names are compared.
_HYPHENS = "-\u2010\u2011"
_APOSTROPHES = "'\u2019\u02bc\u2018"
_JOINS = _HYPHENS + _APOSTROPHES
_PLAIN = str.maketrans({**dict.fromkeys(_HYPHENS, "-"), **dict.fromkeys(_APOSTROPHES, "'")})
_LETTERS = r"[^\W\d_]+"
# One name as written: letters, joined by hyphens or apostrophes into one word; never inside a
# longer word ("Ann" is not in "Annual", nor in "Ann2").
_NAME = re.compile(rf"(?<!\w){_LETTERS}(?:[{_JOINS}]{_LETTERS})*(?!\w)")
# English endings after an apostrophe: the possessive ("Jean-Luc's") and contractions ("Doe'll",
# and "don't", which is "do" and "n't", not a Don's).
_ENDING = re.compile(
    rf"^(.+?)(n[{_APOSTROPHES}]t|[{_APOSTROPHES}](?:s|t|d|ll|re|ve|m))$", re.IGNORECASE
)
# Parts of a name shorter than this stand for their owner only within the whole name ("O'Neil"):
# alone, they are too often ordinary words.
_SHORTEST_PART = 3
_JOINED = re.compile(f"[{_JOINS}]")


def _plain(text: str) -> str:
    """A name or key as compared: any hyphen or apostrophe in its plain form, whatever the case
    and the spacing."""
    return " ".join(text.translate(_PLAIN).casefold().split())


def _name_parts(name: str) -> Iterator[str]:
    """Each word of a name as written ("Jean-Luc", "O'Neil", "Picard"), then each part of a
    joined word ("Jean", "Luc", "Neil"); of three letters or more, unless joined."""
    for word in _NAME.findall(name):
        parts = _JOINED.split(word)
        if len(parts) > 1 or len(word) >= _SHORTEST_PART:
            yield word
        if len(parts) > 1:
            yield from (part for part in parts if len(part) >= _SHORTEST_PART)


def _word_replacements(
    pseudonyms: dict[str, str], offender_name: str, staff_names: dict[str, str]
) -> Callable[[str], str]:
    """Replaces known names, references and staff ids inside free text, whatever their case
    (records often write surnames in capitals), each as a whole: a word is never changed for a
    name it merely contains ("Annual" keeps "Ann").

    A name is one word however it is joined: "Jean-Luc" and "O'Neil" become one pseudonym each,
    never "Subject-Subject" or "O'Subject", and "Jean-Luc's" becomes "Subject's". Each word of a
    name, and each part of a joined word, of three letters or more, stands for its owner alone
    too. In a hyphenated word not known whole, each part is judged by itself, the parts naming one
    person becoming one pseudonym ("Jean-Luc" of a Jean Luc Picard; "Doe-eyed" -> "Subject-eyed");
    in a word joined by an apostrophe, a part that names someone stands for the whole word
    ("O'Neil" of a Neil Hart): nothing of a name is left beside its pseudonym."""
    table = {_plain(key): pseudonym for key, pseudonym in pseudonyms.items() if key.strip()}
    spellings = {key.strip() for key in pseudonyms if _NAME.fullmatch(key.strip())}
    for part in _name_parts(offender_name):
        table.setdefault(_plain(part), SUBJECT)
        spellings.add(part)
    for staff_id, name in staff_names.items():
        for part in _name_parts(name):
            table.setdefault(_plain(part), pseudonyms[staff_id])
            spellings.add(part)
    # Whole names, references and ids of more than one word, longest first, spaces and joins
    # typed in any form; then any joined word (looked up part by part); then a known name.
    keys = sorted(
        (k for k in pseudonyms if k.strip() and not _NAME.fullmatch(k.strip())),
        key=len,
        reverse=True,
    )
    spelt = sorted({*spellings, *(s.casefold() for s in spellings)}, key=len, reverse=True)
    run = _LETTERS + "+"  # possessive: a run of letters is never given back, one part at a time
    pattern = re.compile(
        r"(?<!\w)(?:(?P<key>"
        + "|".join([*map(_flexible, keys), "(?!)"])
        + rf")(?!\w)|(?P<word>{run}(?:[{_JOINS}]{run})+(?!\w)|(?:"
        + "|".join([*map(_flexible, spelt), "(?!)"])
        + r")(?!\w)))",
        re.IGNORECASE,
    )

    def known(word: str) -> tuple[str, str] | None:
        """The pseudonym for a word, and the English ending it keeps ("'s"), if it names
        someone whole."""
        if _plain(word) in table:
            return table[_plain(word)], ""
        ending = _ENDING.match(word)
        if ending and _plain(ending.group(1)) in table:
            return table[_plain(ending.group(1))], ending.group(2)
        return None

    def unhyphenated(word: str) -> tuple[str, str] | None:
        """As `known`, or a part joined by an apostrophe standing for the whole word."""
        found = known(word)
        if found is not None:
            return found
        ending = _ENDING.match(word)
        base, kept = (ending.group(1), ending.group(2)) if ending else (word, "")
        for part in re.split(f"[{_APOSTROPHES}]", base):
            if len(part) >= _SHORTEST_PART and _plain(part) in table:
                return table[_plain(part)], kept
        return None

    def name(word: str) -> str:
        if not _JOINED.search(word):
            return table.get(_plain(word), word)
        found = known(word)
        if found is not None:
            return "".join(found)
        pieces = re.split(f"([{_HYPHENS}])", word)
        out: list[str] = []
        previous: str | None = None  # whom the last part named, if nothing followed its name
        for index in range(0, len(pieces), 2):
            found = unhyphenated(pieces[index])
            if found is not None and found[0] == previous:
                out[-1] = "".join(found)  # the same person's name goes on: one pseudonym
            else:
                if index:
                    out.append(pieces[index - 1])
                out.append(pieces[index] if found is None else "".join(found))
            previous = found[0] if found is not None and not found[1] else None
        return "".join(out)

    def changed(match: re.Match[str]) -> str:
        found = match.group("key")
        if found is None:
            return name(match.group("word"))
        if _plain(found) in table:
            return table[_plain(found)]
        # Matched ignoring case, yet not the same once case-folded (a dotted capital I).
        return next(pseudonyms[k] for k in keys if re.fullmatch(_flexible(k), found, re.I))

    # A record names the same few people over and over: each spelling is worked out once.
    done: dict[str, str] = {}

    def change(match: re.Match[str]) -> str:
        found = match.group(0)
        if found not in done:
            done[found] = changed(match)
        return done[found]

    return lambda text: pattern.sub(change, text)


def _flexible(key: str) -> str:
    """A pattern for `key` as typed with any hyphen or apostrophe and any run of spaces."""
    out = []
    for c in key.strip():
        if c in _HYPHENS:
            out.append(f"[{_HYPHENS}]")
        elif c in _APOSTROPHES:
            out.append(f"[{_APOSTROPHES}]")
        elif c.isspace():
            out.append(r"\s+")
        else:
            out.append(re.escape(c))
    return "".join(out)


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
