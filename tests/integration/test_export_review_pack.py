"""The review pack: the missed warnings and the timeline chart in every export, people by name.
On SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re

import pytest

REF = "WMP-000123"


@pytest.fixture
def missed(registered):
    """A risk-relevant disclosure to probation that police never hear of, and a release on licence
    with no ARMS assessment: warnings that fell due and were never met; and an entry police
    acknowledge late: one met, but late."""
    registered.ok("record", "release", REF, "--licence-end", "2026-07-04",
                  "--occurred-at", "2016-07-04", "--by", "7702")  # fmt: skip
    registered.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-04")
    registered.ok("record", "disclosure", REF, "--summary", "Says he has thoughts of rape",
                  "--risk-relevant", "--occurred-at", "2016-10-17T14:30", "--by", "7702")  # fmt: skip
    registered.ok("acknowledge", REF, "2", "--occurred-at", "2016-08-01", "--by", "4521")
    return registered


def export(cli, tmp_path, fmt, *args):
    out = tmp_path / f"record.{fmt}"
    cli.ok("export", REF, "--format", fmt, "--out", str(out), *args)
    return out


def test_the_json_export_carries_the_alerts_history_prints(missed, tmp_path):
    doc = json.loads(export(missed, tmp_path, "json").read_text())
    history = missed.ok("alerts", "--offender", REF, "--history", "--json").json()

    assert doc["alerts"] == history["alerts"]
    assert {"ARMS_OVERDUE", "DISCLOSURE_NOT_SHARED"} <= {a["rule"] for a in doc["alerts"]}
    # The keys the JSON export had before are all still there.
    assert {"export", "offender", "ownership", "timeline", "who_knew", "staff"} <= doc.keys()


def test_an_as_of_export_carries_the_alerts_as_the_ledger_held_them(missed, tmp_path):
    as_of = missed.ok("timeline", REF, "--json").json()["entries"][1]["recorded_at"]
    doc = json.loads(export(missed, tmp_path, "json", "--as-of", as_of).read_text())
    history = missed.ok("alerts", "--offender", REF, "--history", "--as-of", as_of, "--json")

    assert doc["alerts"] == history.json()["alerts"]
    # Then, the disclosure (#4) had not been recorded: no alert concerns it.
    assert all(a["entry"] != 4 for a in doc["alerts"])


def test_html_lists_the_missed_warnings_after_the_chronology_breaches_first(missed, tmp_path):
    page = export(missed, tmp_path, "html").read_text()

    chronology, warnings = page.index(">Chronology<"), page.index(">Missed warnings<")
    assert chronology < warnings
    section = page[warnings:]
    # In plain words, with the entry concerned, when it fell due and that it was never met.
    assert "No ARMS assessment after release" in section
    assert "never met" in section
    # A warning met late says when and by what, after those never met.
    met_late = section.index("met late")
    assert section.index("never met") < met_late


def test_html_and_pdf_name_people_as_the_label_catalogue_does(missed, tmp_path):
    from pypdf import PdfReader

    page = export(missed, tmp_path, "html").read_text()
    text = " ".join(p.extract_text() for p in PdfReader(export(missed, tmp_path, "pdf")).pages)

    for shown in (page, re.sub(r"\s+", " ", text)):
        assert "Pat Lowe (7702, Probation Officer)" in shown
        assert "Sam Reid (4521, PC)" in shown


def test_anonymised_html_and_pdf_use_the_pseudonyms_where_names_stood(missed, tmp_path):
    from pypdf import PdfReader

    page = export(missed, tmp_path, "html", "--anonymise").read_text()
    pdf = export(missed, tmp_path, "pdf", "--anonymise")
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in PdfReader(pdf).pages))

    for shown in (page, text):
        # A staff id as a number of its own: the ledger's digest is hex, and may hold the digits.
        assert "Pat Lowe" not in shown
        assert not re.search(r"(?<![0-9a-f])(7702|4521)(?![0-9a-f])", shown)
        assert re.search(r"Staff [A-Z] \(Probation Officer\)", shown)


def test_the_html_chart_has_one_mark_per_entry_each_named_by_number(missed, tmp_path):
    page = export(missed, tmp_path, "html").read_text()
    doc = json.loads(export(missed, tmp_path, "json").read_text())

    chart = re.search(r'id="timeline-chart".*?</svg>', page, re.S)
    assert chart is not None and "<svg" in chart.group(0)
    marks = re.findall(r'<g class="mark[^"]*"[^>]*aria-label="#(\d+) ', chart.group(0))
    assert sorted(map(int, marks)) == sorted(e["entry"] for e in doc["timeline"])
    # Nothing on the page asks for anything from the network.
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "src=" not in page


def test_the_pdf_opens_with_the_chart(missed, tmp_path):
    from pypdf import PdfReader

    reader = PdfReader(export(missed, tmp_path, "pdf"))
    first = reader.pages[0].extract_text()

    assert "Timeline" in first and "police" in first and "probation" in first
