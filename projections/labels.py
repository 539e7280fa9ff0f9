"""Each kind of entry, and each person, in a reviewer's words: one catalogue for every view.

The timeline, who-knew, alerts, audit and every export say what an entry is with `label` (for
example `Home visit`, `Acknowledgement of #4, #5`, `MAPPA referral (level 2, emergency)`) and who
someone was with `person` (`Lee Hart (4633, PC)`: name, staff id and the rank they held then).
JSON keeps the class name as `type` beside the label. Keyed by the name each class is stored
under (`projections.event_types`), so a renamed class fails where the catalogue is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from projections import event_types as t

# What a person's name is looked up in: staff id to name.
Names = Mapping[str, str]

# Each kind of entry in a word or two, as who-knew's lists and the chart's legend name it.
KINDS: dict[str, str] = {
    t.REGISTERED: "Registration",
    t.RELEASED_ON_LICENCE: "Release on licence",
    t.DISCLOSURE_RECORDED: "Disclosure",
    t.ENTRY_RECORDED: "Entry",
    t.CONCERN_RECORDED: "Concern",
    t.REVIEW_RECORDED: "Risk review",
    t.VISIT_RECORDED: "Visit",
    t.ASSESSMENT_RECORDED: "Risk assessment",
    t.DECISION_RECORDED: "Management decision",
    t.DISAGREEMENT_RECORDED: "Disagreement",
    t.ESCALATION_RECORDED: "Escalation",
    t.MAPPA_REFERRAL_RECORDED: "MAPPA referral",
    t.MAPPA_MEETING_RECORDED: "MAPPA meeting",
    t.RECALL_DECISION_RECORDED: "Recall decision",
    t.ENTRIES_ACKNOWLEDGED: "Acknowledgement",
    t.OWNERSHIP_TRANSFERRED: "Case transfer",
    t.ENTRIES_SHARED: "Information shared",
    t.ENTRY_CORRECTED: "Correction",
    t.TAKEN_INTO_CUSTODY: "Custody",
    t.RELEASED_WITHOUT_LICENCE: "Release without a licence",
    t.REGISTRATION_ENDED: "End of registration",
}


def kind(type_name: str) -> str:
    """The kind of entry a stored class name stands for; the name itself for one not listed."""
    return KINDS.get(type_name, type_name)


def person(staff: str | None, names: Names, rank: str | None = None) -> str:
    """Someone as a reader wants them: `Lee Hart (4633, PC)`; the bare id where no name is
    known (a pseudonym, or someone not in the directory)."""
    if not staff:
        return "unknown"
    name = names.get(staff)
    if not name or name == staff:
        return f"{staff} ({rank})" if rank else staff
    inside = ", ".join(part for part in (staff, rank) if part)
    return f"{name} ({inside})"


def _entries(numbers: Any) -> str:
    return ", ".join(f"#{n}" for n in numbers or ())


def _named(facts: Mapping[str, Any], key: str, names: Names) -> str:
    who = facts.get(key) or {}
    return person(who.get("staff"), names, who.get("rank"))


def _visit(f: Mapping[str, Any], names: Names) -> str:
    return f"{str(f.get('kind', '')).capitalize()} visit".strip()


def _assessment(f: Mapping[str, Any], names: Names) -> str:
    return f"{f.get('tool', 'Risk')} assessment: {f.get('risk', '?')} risk"


def _referral(f: Mapping[str, Any], names: Names) -> str:
    emergency = ", emergency" if f.get("emergency") else ""
    return f"MAPPA referral (level {f.get('level')}{emergency})"


def _recall(f: Mapping[str, Any], names: Names) -> str:
    return "Decision to recall" if f.get("decision") == "recall" else "Decision not to recall"


def _share(f: Mapping[str, Any], names: Names) -> str:
    whom = _named(f, "with_person", names) if f.get("with_person") else f.get("with_agency")
    return f"{_entries(f.get('entries'))} shared with {whom}"


LABELS: dict[str, Callable[[Mapping[str, Any], Names], str]] = {
    t.REGISTERED: lambda f, n: f"Registration (MAPPA category {f.get('category')})",
    t.RELEASED_ON_LICENCE: lambda f, n: f"Release on licence until {f.get('licence_end')}",
    t.DISCLOSURE_RECORDED: lambda f, n: "Disclosure",
    t.ENTRY_RECORDED: lambda f, n: "Entry",
    t.CONCERN_RECORDED: lambda f, n: "Concern",
    t.REVIEW_RECORDED: lambda f, n: "Risk review",
    t.VISIT_RECORDED: _visit,
    t.ASSESSMENT_RECORDED: _assessment,
    t.DECISION_RECORDED: lambda f, n: "Management decision",
    t.DISAGREEMENT_RECORDED: lambda f, n: f"Disagreement with {_named(f, 'with_person', n)}",
    t.ESCALATION_RECORDED: lambda f, n: f"Escalation to {_named(f, 'to_person', n)}",
    t.MAPPA_REFERRAL_RECORDED: _referral,
    t.MAPPA_MEETING_RECORDED: lambda f, n: f"MAPPA level {f.get('level')} meeting",
    t.RECALL_DECISION_RECORDED: _recall,
    t.ENTRIES_ACKNOWLEDGED: lambda f, n: f"Acknowledgement of {_entries(f.get('entries'))}",
    t.OWNERSHIP_TRANSFERRED: lambda f, n: f"Case transferred to {_named(f, 'to_person', n)}",
    t.ENTRIES_SHARED: _share,
    t.ENTRY_CORRECTED: lambda f, n: f"Correction of #{f.get('entry')}",
    t.TAKEN_INTO_CUSTODY: lambda f, n: f"Taken into custody ({f.get('reason')})",
    t.RELEASED_WITHOUT_LICENCE: lambda f, n: "Release without a licence",
    t.REGISTRATION_ENDED: lambda f, n: f"End of registration ({f.get('reason')})",
}


def label(type_name: str, facts: Mapping[str, Any], names: Names | None = None) -> str:
    """What one entry is, in a reviewer's words, from its stored class name and facts."""
    make = LABELS.get(type_name)
    return make(facts, names or {}) if make is not None else kind(type_name)


# What "knew" means in who-knew and the export's knowledge section, said to the reader.
KNOWING_NOTE = (
    "An agency knew an item from when one of its staff recorded it (made the contact or wrote "
    "it), acknowledged it, had it shared or attended a meeting on it; typing in someone else's "
    "record (entered) is clerical work, not knowledge of the case."
)


# Each alert rule in plain words, as a reviewer reads the list of missed warnings.
RULES: dict[str, str] = {
    "ARMS_OVERDUE": "No ARMS assessment after release or registration",
    "ESCALATION_NOT_ACTED_ON": "Risk-relevant item not reviewed by an inspector or referred to MAPPA",
    "ENTRY_UNACKNOWLEDGED": "Entry not acknowledged by the police owner",
    "DISCLOSURE_NOT_SHARED": "Disclosure or concern not shared with the other agency",
    "DISAGREEMENT_NOT_ESCALATED": "Disagreement not escalated to a senior manager",
    "RECALL_NOT_CONSIDERED": "Recall not considered while on licence",
    "VISIT_OVERDUE": "Visit overdue for the risk level",
}


def rule(name: str) -> str:
    """An alert rule in plain words; the rule's own name for one not listed."""
    return RULES.get(name, name)
