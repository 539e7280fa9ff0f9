"""Anonymising an export: pure, on a hand-made document."""

from __future__ import annotations

import json
import re

import pytest

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


def test_a_person_named_by_name_and_id_is_one_pseudonym_said_once():
    named = document()
    named["alerts"] = [
        {
            "detail": "entry #2 by Pat Lowe (7702, PO) not acknowledged by Sam Reid (4521)",
            "resolution": "case transferred from Sam Reid (4521) on 2016-11-01",
        }
    ]
    [alert] = anonymise(named)["alerts"]
    assert alert["detail"] == "entry #2 by Staff C (PO) not acknowledged by Staff B"
    assert alert["resolution"] == "case transferred from Staff B on 2016-11-01"


def joined_names() -> dict:
    """An offender and staff whose names are joined by hyphens and apostrophes."""
    return {
        "export": {"generated_by": "1001", "recipients": ["Mary-Kate D'Arcy (probation)"]},
        "offender": {"ref": "WMP-2", "name": "Jean-Luc O'Neil", "born": "1980-01-01"},
        "timeline": [
            {"entry": 1, "by": "5501", "summary": summary}
            for summary in (
                "Jean-Luc said Mary-Kate D'Arcy visited",
                "Jean-Luc's flat; O'Neil's car; JEAN-LUC O\u2019NEIL\u2019S sister",
                "D'Arcy's report names Jean-Luc O'Neil's brother",
                "Annual review at Lucas Road with Jeanette, Neilson, Darcy and O'Neill",
                "Jean, Luc, Neil, Mary, Kate and Arcy",
            )
        ],
        "staff": [
            {"staff_id": "1001", "name": "Ann Admin", "agency": "police", "rank": "Insp"},
            {"staff_id": "5501", "name": "Mary-Kate D'Arcy", "agency": "probation", "rank": "PO"},
        ],
    }


def summaries(document: dict) -> list[str]:
    return [e["summary"] for e in anonymise(document)["timeline"]]


def test_a_hyphenated_or_apostrophised_name_is_one_name_and_one_pseudonym():
    """ "Jean-Luc" became "Subject-Subject" and "O'Neil" "O'Subject": word by word, a joined name
    was garbled, and its short parts were left beside the pseudonym."""
    done = anonymise(joined_names())

    assert summaries(joined_names())[:3] == [
        "Subject said Staff B visited",
        "Subject's flat; Subject's car; Subject\u2019S sister",
        "Staff B's report names Subject's brother",
    ]
    assert done["offender"]["name"] == "Subject"
    assert done["export"]["recipients"] == ["Staff B (probation)"]
    assert [m["name"] for m in done["staff"]] == ["Staff A", "Staff B"]


def test_each_part_of_a_joined_name_alone_stands_for_its_owner():
    assert summaries(joined_names())[4] == (
        "Subject, Subject, Subject, Staff B, Staff B and Staff B"
    )


def test_words_and_other_names_that_merely_contain_a_name_are_left_alone():
    assert summaries(joined_names())[3] == (
        "Annual review at Lucas Road with Jeanette, Neilson, Darcy and O'Neill"
    )


@pytest.mark.parametrize(
    ("name", "written", "shown"),
    [
        # Joined otherwise than registered: still one person, one pseudonym.
        ("Jean Luc Picard", "Jean-Luc", "Subject"),
        ("Jean Luc Picard", "Jean-Luc's", "Subject's"),
        ("Jean-Luc Picard", "Jean Luc", "Subject Subject"),
        ("Jean-Luc Picard", "JEAN\u2010LUC PICARD", "Subject"),
        ("Jean-Luc Picard", "Jean-Luc  Picard's", "Subject's"),
        ("Siobhan O'Neil", "O\u2019Neil", "Subject"),
        ("Siobhan O\u2019Neil", "o'neil's", "Subject's"),
        ("Siobhan O'Neil", "Siobhan's", "Subject's"),
        ("Siobhan O'Neil", "Neil'll", "Subject'll"),
        # A part of another joined word that names them takes the whole word.
        ("Neil Hart", "O'Neil", "Subject"),
        ("John Doe", "Doe-eyed", "Subject-eyed"),
        ("John Doe", "Smith-Doe", "Smith-Subject"),
        # Quoted, not joined.
        ("John Doe", "'Doe'", "'Subject'"),
        # Not a name at all.
        ("John Doe", "Doesn't", "Doesn't"),
        ("Don Doe", "don't", "don't"),
        ("Ann Lee-Smith", "Annex-Lee", "Annex-Subject"),
    ],
)
def test_a_name_is_replaced_whole_however_it_is_joined(name, written, shown):
    document = {
        "export": {},
        "offender": {"ref": "WMP-3", "name": name, "born": None},
        "timeline": [{"entry": 1, "summary": f"Seen: {written}."}],
    }
    assert summaries(document) == [f"Seen: {shown}."]


def test_no_fragment_of_a_joined_name_remains_anywhere():
    text = json.dumps(anonymise(joined_names()), ensure_ascii=False)

    for fragment in ("Jean", "Luc", "O'Neil", "Neil", "Mary", "Kate", "D'Arcy", "Arcy", "5501"):
        assert not re.search(rf"(?<![^\W\d_]){fragment}(?![^\W\d_])", text, re.IGNORECASE), fragment
    assert "'Subject" not in text and "-Subject" not in text and "Subject-" not in text
