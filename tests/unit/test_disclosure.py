"""Anonymising an export: pure, on a hand-made document."""

from __future__ import annotations

from projections.disclosure import anonymise


def document() -> dict:
    return {
        "export": {"generated_by": "1001", "recipients": ["HM Coroner"]},
        "offender": {"ref": "WMP-1", "name": "John Doe", "born": "1975-03-02", "owners": {}},
        "timeline": [
            {"entry": 1, "by": "4521", "summary": "Registered: John Doe"},
            {"entry": 2, "by": "7702", "summary": "Doe told Pat Lowe; PC 4521 informed, 45210 not"},
            {"entry": 3, "by": "4521", "summary": "Seen by Reid at 1001 Road"},
        ],
        "staff": [
            {"staff_id": "1001", "name": "Ann Admin", "agency": "police", "rank": "Insp"},
            {"staff_id": "4521", "name": "Sam Reid", "agency": "police", "rank": "PC"},
            {"staff_id": "7702", "name": "Pat Lowe", "agency": "probation", "rank": "PO"},
        ],
    }


def test_staff_are_lettered_in_order_of_first_appearance_and_keep_their_pseudonym():
    done = anonymise(document())

    assert done["export"]["generated_by"] == "Staff A"
    assert [e["by"] for e in done["timeline"]] == ["Staff B", "Staff C", "Staff B"]
    assert [m["staff_id"] for m in done["staff"]] == ["Staff A", "Staff B", "Staff C"]
    assert [m["name"] for m in done["staff"]] == ["Staff A", "Staff B", "Staff C"]
    assert [m["rank"] for m in done["staff"]] == ["Insp", "PC", "PO"]


def test_free_text_loses_known_names_references_and_ids_as_whole_words_only():
    done = anonymise(document())

    assert done["timeline"][0]["summary"] == "Registered: Subject"
    assert done["timeline"][1]["summary"] == "Subject told Staff C; PC Staff B informed, 45210 not"
    assert done["timeline"][2]["summary"] == "Seen by Staff B at Staff A Road"
    assert done["offender"] == {"ref": "Subject", "name": "Subject", "born": "1975", "owners": {}}
