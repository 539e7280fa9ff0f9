"""`ledger export`: the complete record of one offender for a coroner, logged as a disclosure.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import html
import json
import re

import pytest

from tests.helpers import templated
from tests.integration.helpers import (
    NOT_NAMES,
    as_asked_in_london,
    asked_moments,
    exactly,
    fragments_left,
    log,
    record_told_disclosure,
    register_joined_names,
)

REF = "WMP-000123"


@templated
def history(registered):
    """A disclosure to probation, corrected later, and a transfer: what a coroner asks about."""
    record_told_disclosure(registered)
    registered.ok("correct", REF, "2", "--reason", "Words misheard", "--summary", "Feels isolated")
    registered.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-11-01")
    return registered


def export(cli, tmp_path, *args, name="record.json"):
    out = tmp_path / name
    cli.ok("export", REF, "--out", str(out), *args)
    return out


def test_a_json_export_holds_the_whole_record_with_both_clocks_and_corrections(history, tmp_path):
    doc = json.loads(export(history, tmp_path, "--format", "json").read_text())

    assert doc["offender"]["ref"] == REF and doc["offender"]["name"] == "John Doe"
    # In the order things happened: the correction was made years after the transfer.
    assert [e["entry"] for e in doc["timeline"]] == [1, 2, 4, 3]
    disclosure = doc["timeline"][1]
    assert disclosure["occurred_at"] == "2016-10-17T13:30:00+00:00"
    assert disclosure["recorded_at"] > disclosure["occurred_at"]
    assert disclosure["late"] is True
    assert disclosure["summary"] == "Feels isolated"
    assert disclosure["original_summary"].startswith("John Doe told Pat Lowe")
    assert disclosure["corrections"][0]["reason"] == "Words misheard"
    assert disclosure["facts"]["risk_relevant"] is True
    assert {(p["agency"], p["staff"]) for p in doc["ownership"]} >= {
        ("police", "4521"),
        ("probation", "7702"),
    }
    assert {m["staff_id"] for m in doc["staff"]} == {"1001", "4521", "7702"}
    # Who knew the disclosure: probation from when it was made. 1001 (police) typed it in years
    # later: clerical work, so police, who owned the case, are not said to have known it.
    knew = next(i for i in doc["who_knew"] if i["entry"] == 2)
    assert knew["agencies"]["probation"] == "2016-10-17T13:30:00+00:00"
    assert knew["agencies"]["police"] is None
    typist = next(k for k in knew["staff"] if k["staff"] == "1001")
    assert (typist["how"], typist["since"]) == ("entered", disclosure["recorded_at"])


def test_an_export_carries_the_verified_ledger_digest(history, tmp_path):
    doc = json.loads(export(history, tmp_path, "--format", "json").read_text())
    verified = history.ok("verify", "--json").json()

    assert doc["export"]["ledger"]["verified"] is True
    assert doc["export"]["ledger"]["digest"] == verified["digest"]


def test_an_export_is_logged_as_a_disclosure_to_its_recipients(history, tmp_path):
    history.reason = "Coroner's request 2020/117"
    out = export(
        history,
        tmp_path,
        "--format",
        "html",
        "--to",
        "HM Coroner",
        "--to",
        "SCR panel",
        name="r.html",
    )

    row = log(history)[-1]
    assert (row["command"], row["outcome"], row["offender"]) == ("export", "disclosed", REF)
    assert row["reason"] == "Coroner's request 2020/117"
    assert row["details"]["recipients"] == ["HM Coroner", "SCR panel"]
    assert row["details"]["destination"] == str(out.resolve())
    assert row["details"]["format"] == "html"


def test_as_of_exports_what_the_ledger_held_then(history, tmp_path):
    entries = history.ok("timeline", REF, "--json").json()["entries"]
    before_transfer = next(e["recorded_at"] for e in entries if e["entry"] == 3)

    doc = json.loads(
        export(history, tmp_path, "--format", "json", "--as-of", before_transfer).read_text()
    )

    assert sorted(e["entry"] for e in doc["timeline"]) == [1, 2, 3]
    assert doc["export"]["as_of"] == before_transfer


def test_the_as_of_caption_names_the_exact_moment_asked_for(history, tmp_path):
    """--as-of 2020-10-20T14:03:27 was captioned "2020-10-20 14:03 BST" in HTML and PDF: a
    moment 27 seconds before the one the export reflects."""
    for moment in asked_moments(history):
        asked = as_asked_in_london(moment)
        page = export(history, tmp_path, "--format", "html", "--as-of", asked, name="r.html")
        doc = json.loads(
            export(history, tmp_path, "--format", "json", "--as-of", asked).read_text()
        )

        assert doc["export"]["as_of"] == moment.isoformat()
        caption = f'<tr><th scope="row">As the ledger stood at</th><td>{exactly(moment)}</td></tr>'
        assert caption in page.read_text(), asked


def test_a_date_as_of_is_captioned_as_the_end_of_that_day(history, tmp_path):
    page = export(history, tmp_path, "--format", "html", "--as-of", "2099-06-30", name="r.html")

    assert "<td>the end of 2099-06-30 (London time)</td>" in page.read_text()
    assert "2099-06-30 23:59" not in page.read_text()


def test_anonymising_replaces_every_person_with_a_stable_pseudonym(history, tmp_path):
    text = export(history, tmp_path, "--format", "json", "--anonymise").read_text()
    doc = json.loads(text)

    for identifying in ("John", "Doe", "Pat Lowe", "Lowe", "Sam Reid", "4521", "7702", REF):
        # A staff id as a number of its own: "7702" may also be digits of a time's fraction.
        assert not re.search(rf"(?<!\d){re.escape(identifying)}(?!\d)", text), identifying
    assert doc["offender"]["name"] == "Subject" and doc["offender"]["born"] == "1975"
    owner = doc["ownership"][0]["staff"]
    assert owner.startswith("Staff ") and doc["timeline"][0]["by"] == owner
    assert doc["timeline"][1]["original_summary"].startswith("Subject told Staff")
    # Roles stay: a review needs to know an agency's rank, not a name.
    assert {m["agency"] for m in doc["staff"]} == {"police", "probation"}


def test_a_csv_export_is_the_chronology_one_row_per_entry(history, tmp_path):
    out = export(history, tmp_path, "--format", "csv", name="r.csv")

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["entry"] for r in rows] == ["1", "2", "4", "3"]
    assert rows[1]["corrected"] == "True" and rows[1]["original_summary"].startswith("John Doe")
    assert rows[1]["occurred_at"] and rows[1]["recorded_at"]


def test_an_html_export_escapes_what_was_typed(history, tmp_path):
    page = export(history, tmp_path, "--format", "html", name="r.html").read_text()

    assert page.startswith("<!DOCTYPE html>")
    assert "thoughts of &lt;rape&gt;" in page and "<rape>" not in page
    assert "<del>" in page and "Words misheard" in page
    assert "Who knew each item" in page


def test_an_export_without_a_justification_writes_nothing(history, tmp_path):
    history.reason = None

    out = history("export", REF, "--format", "json", "--out", str(tmp_path / "r.json"))

    assert out.exit_code == 2 and "--reason" in out.stderr
    assert not (tmp_path / "r.json").exists()


def test_exporting_an_unknown_offender_writes_nothing(history, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()

    out = history("export", "WMP-404", "--format", "json", "--out", str(folder / "r.json"))

    assert out.exit_code == 1
    assert list(folder.iterdir()) == []


def test_anonymising_catches_names_and_references_in_any_case(history, tmp_path):
    history.ok(
        "record", "entry", REF, "--summary",
        "Seen with DOE John; PC REID and pat lowe present; john doe; see wmp-000123",
        "--occurred-at", "2017-02-01T10:00", "--by", "4521",
    )  # fmt: skip
    text = export(history, tmp_path, "--format", "json", "--anonymise").read_text()
    summary = [e["summary"] for e in json.loads(text)["timeline"] if e["type"] == "EntryRecorded"]
    assert summary == [
        "Seen with Subject Subject; PC Staff B and Staff C present; Subject; see Subject"
    ]
    for identifying in ("doe", "reid", "lowe", "john", "wmp-000123"):
        assert identifying not in text.casefold(), identifying


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_cells_cannot_run_as_spreadsheet_formulas(history, tmp_path, start):
    formula = f'{start}HYPERLINK("http://evil.example","click")'
    history.ok("record", "entry", REF, "--summary", formula, "--occurred-at", "2017-01-01")
    out = export(history, tmp_path, "--format", "csv", name="r.csv")
    exported = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    shown = list(csv.DictReader(history.ok("timeline", REF, "--csv").stdout.splitlines()))
    for rows in (exported, shown):
        assert [r["summary"] for r in rows if "HYPERLINK" in r["summary"]] == ["'" + formula]
    # JSON keeps the text exactly as typed.
    entries = history.ok("timeline", REF, "--json").json()["entries"]
    assert [e["summary"] for e in entries if "HYPERLINK" in e["summary"]] == [formula]


def test_an_anonymised_export_does_not_name_an_exporter_absent_from_the_record(history, tmp_path):
    # 8801 wrote nothing about this offender, so has no pseudonym in the record.
    history.actor = "8801"
    text = export(history, tmp_path, "--format", "json", "--anonymise").read_text()
    # The id as a number of its own: a time's microseconds (".880199") may hold its digits.
    assert not re.search(r"(?<![0-9])8801(?![0-9])", text) and "Kim Senior" not in text
    assert json.loads(text)["export"]["generated_by"] == "withheld (see the access log)"
    assert json.loads(text)["export"]["generated_by_name"] is None
    assert log(history)[-1]["actor"] == "8801"


def test_html_and_pdf_hold_each_entrys_facts_position_and_typist(history, tmp_path):
    """The people's formats left out the detail of a disclosure, the ledger position and who
    typed an entry in for someone else, which the JSON held; and the HTML ran lines together."""
    from pypdf import PdfReader

    history.ok(
        "record", "disclosure", REF, "--summary", "Seen at the park", "--detail",
        "Told the officer\nhe goes there daily", "--occurred-at", "2016-11-02", "--by", "7702",
    )  # fmt: skip
    page = export(history, tmp_path, "--format", "html", name="r.html").read_text()
    assert "detail: Told the officer\nhe goes there daily" in page
    assert "white-space: pre-wrap" in page
    assert "typed in by Ann Admin (1001)" in page and "ledger position " in page
    pdf = PdfReader(export(history, tmp_path, "--format", "pdf", name="r.pdf"))
    text = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
    assert "detail: Told the officer he goes there daily" in text
    assert "Typed in by Ann Admin (1001)" in text and "Ledger position" in text


def test_an_export_of_an_altered_ledger_is_written_marked_and_exits_3(
    ledger_with_history, attacker, tmp_path
):
    """It was written with exit 0, only the words NOT VERIFIED on stdout saying so. (Altered
    elsewhere than in this offender's record: an altered entry of the record itself refuses the
    export, tests/integration/test_views_check_links.py.)"""
    ledger_with_history.ok("timeline", REF)  # the read models hold every event already
    position = attacker.positions()[3]  # staff 8801's enrolment
    state = bytearray(attacker.state(position))
    state[-2] ^= 0x01
    attacker.set_state(position, bytes(state))
    out = tmp_path / "altered.json"

    done = ledger_with_history("export", REF, "--format", "json", "--out", str(out))

    assert done.exit_code == 3, done.stderr
    assert done.stderr.startswith("error: the ledger has been altered (1 problem(s)")
    assert "is marked as not verified" in done.stderr
    assert json.loads(out.read_text())["export"]["ledger"]["verified"] is False


def test_an_anonymised_export_changes_a_recipient_who_is_in_the_record(history, tmp_path):
    to = ["HM Coroner, Birmingham", "Pat Lowe (7702)"]
    doc = json.loads(
        export(
            history, tmp_path, "--format", "json", "--anonymise", "--to", to[0], "--to", to[1]
        ).read_text()
    )
    first, second = doc["export"]["recipients"]
    assert first == "HM Coroner, Birmingham"
    assert "Lowe" not in second and "7702" not in second and second.startswith("Staff ")
    # The access log keeps who really received it.
    row = [r for r in log(history) if r["command"] == "export"][-1]
    assert row["details"]["recipients"] == to


def test_a_recipient_checks_the_ledger_against_the_digest_an_export_carries(history, tmp_path):
    """The help says the recipient can check an export with 'ledger verify --against'; the JSON
    export and the digest as printed (POSITION:HASH, in the HTML and PDF) were refused."""
    out = export(history, tmp_path, "--format", "json")
    digest = json.loads(out.read_text())["export"]["ledger"]["digest"]
    history.ok("record", "entry", REF, "--summary", "Written after the export")

    for against in (str(out), f"{digest['position']}:{digest['hash']}"):
        checked = history.ok("verify", "--against", against, "--json").json()
        assert checked["ok"] is True and checked["against"]["position"] == digest["position"]
    wrong = f"{digest['position']}:{'0' * 64}"
    assert history("verify", "--against", wrong).exit_code == 3


def test_an_anonymised_export_keeps_only_the_year_of_a_birth_date_typed_in_text(history, tmp_path):
    """John Doe was born on 1975-03-02: the structured date kept its year alone, the same date
    typed into a summary stayed whole."""
    for text in ("DOB 1975-03-02 confirmed", "born 02/03/1975 in Leeds", "b. 2 March 1975"):
        history.ok("record", "entry", REF, "--summary", text, "--occurred-at", "2016-11-05")
    doc = json.loads(export(history, tmp_path, "--format", "json", "--anonymise").read_text())
    summaries = {e["summary"] for e in doc["timeline"]}
    assert {"DOB 1975 confirmed", "born 1975 in Leeds", "b. 1975"} <= summaries
    assert [m["staff_id"] for m in doc["staff"]] == sorted(m["staff_id"] for m in doc["staff"])


@pytest.fixture
def joined_names(cli):
    return register_joined_names(cli)


@pytest.mark.parametrize("fmt", ["json", "csv", "html"])
def test_an_anonymised_export_replaces_joined_names_whole_in_every_format(
    joined_names, tmp_path, fmt
):
    """A hyphenated or apostrophised name was replaced part by part: "Jean-Luc" was exported as
    "Subject-Subject", "O'Neil" as "O'Subject", "D'Arcy" as "D'Staff A"."""
    written = export(
        joined_names, tmp_path, "--format", fmt, "--anonymise", "--to", "Mary-Kate D'Arcy",
        name=f"r.{fmt}",
    ).read_text(encoding="utf-8")  # fmt: skip
    text = html.unescape(written) if fmt == "html" else written

    assert fragments_left(text) == []
    assert not re.search(r"[-'\u2019]Subject|Subject-|[-'\u2019]Staff|Staff [A-Z]+-", text)
    assert "Subject said Staff " in text and " visited Subject's flat" in text
    assert NOT_NAMES in text
    assert "Subject's car; Subject\u2019S sister; Staff " in text


def test_the_anonymised_json_names_each_joined_name_by_one_pseudonym(joined_names, tmp_path):
    doc = json.loads(export(joined_names, tmp_path, "--format", "json", "--anonymise").read_text())
    officer = doc["timeline"][1]["by"]

    assert doc["offender"]["name"] == "Subject"
    assert (
        doc["timeline"][1]["original_summary"] == f"Subject said {officer} visited Subject's flat"
    )
    assert doc["timeline"][1]["facts"]["detail"] == (
        f"Subject's car; Subject\u2019S sister; {officer}'s report; Subject"
    )
    assert (
        doc["timeline"][1]["corrections"][0]["reason"] == f"Subject's words, misheard by {officer}"
    )
    assert doc["ownership"][-1]["reason"] == f"{officer}'s caseload"
