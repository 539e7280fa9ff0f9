"""Every kind of entry has a reviewer's word and a label; people are named as readers want."""

from __future__ import annotations

from projections import event_types
from projections.labels import KINDS, LABELS, kind, label, person

NAMES = {"4633": "Lee Hart", "7702": "Pat Lowe"}


def stored_names() -> set[str]:
    return {v for k, v in vars(event_types).items() if k.isupper() and isinstance(v, str)}


def test_every_stored_kind_of_entry_has_a_word_and_a_label():
    assert set(KINDS) == stored_names()
    assert set(LABELS) == stored_names()


def test_a_person_is_their_name_id_and_rank_then():
    assert person("4633", NAMES, "PC") == "Lee Hart (4633, PC)"
    assert person("4633", NAMES) == "Lee Hart (4633)"
    assert person("9999", NAMES, "DS") == "9999 (DS)"
    assert person(None, NAMES) == "unknown"


def test_labels_say_what_each_entry_is():
    assert label(event_types.VISIT_RECORDED, {"kind": "home"}) == "Home visit"
    assert label(event_types.ENTRIES_ACKNOWLEDGED, {"entries": [4, 5]}) == (
        "Acknowledgement of #4, #5"
    )
    transfer = {"to_person": {"staff": "4633", "rank": "PC", "agency": "police"}}
    assert label(event_types.OWNERSHIP_TRANSFERRED, transfer, NAMES) == (
        "Case transferred to Lee Hart (4633, PC)"
    )
    referral = {"level": 2, "emergency": True}
    assert label(event_types.MAPPA_REFERRAL_RECORDED, referral) == (
        "MAPPA referral (level 2, emergency)"
    )
    assert kind(event_types.DISCLOSURE_RECORDED) == "Disclosure"
