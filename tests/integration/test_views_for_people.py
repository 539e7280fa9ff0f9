"""What a person reads at the terminal: names and labels, and nothing split or cut off at 80
columns or at 120, on both backends. Every word of what is stored appears whole."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.helpers import LedgerCLI

REF = "WMP-000123"
LONG_SUMMARY = (
    "Says he has thoughts of rape and notices open windows on his walks near the park; "
    "asked about his new address he would not give it"
)


@pytest.fixture
def case(registered: LedgerCLI) -> LedgerCLI:
    """WMP-000123 with a release, risk-relevant disclosures told to probation, a home visit, a
    transfer to a probation officer, an acknowledgement and a share: what a reviewer reads."""
    r = registered
    r.ok("record", "release", REF, "--licence-end", "2026-07-04", "--occurred-at", "2016-07-04")
    r.ok(
        "record", "disclosure", REF, "--summary", LONG_SUMMARY, "--risk-relevant",
        "--occurred-at", "2016-10-17T14:30", "--by", "7702",
    )  # fmt: skip
    r.ok(
        "record", "visit", REF, "--kind", "home", "--outcome", "Seen at home; says all is well",
        "--occurred-at", "2016-10-20", "--by", "4521",
    )  # fmt: skip
    r.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-10-21", "--reason", "Moved")
    r.ok("acknowledge", REF, "3", "--occurred-at", "2016-10-22", "--by", "4521")
    r.ok("share", REF, "3", "--with", "police", "--occurred-at", "2016-10-23", "--by", "7702")
    return r


def at_width(cli: LedgerCLI, width: int, *args: str) -> str:
    out = cli.ok(*args, env={"COLUMNS": str(width)}).stdout
    lines = out.splitlines()
    assert max(len(line.rstrip()) for line in lines) <= width, out
    assert "…" not in out, "something was cut off"
    return out


def whole(text: str) -> list[str]:
    """The words of a stored text, as a reader must find each in the output."""
    return [w for w in re.split(r"\s+", text) if w]


def assert_all_whole(out: str, words: list[str]) -> None:
    missing = [w for w in words if w not in out]
    assert not missing, f"split or missing: {missing}\n{out}"


@pytest.mark.parametrize("width", [80, 120])
def test_the_timeline_names_people_labels_entries_and_splits_no_word(case, width):
    doc: dict[str, Any] = case.ok("timeline", REF, "--json").json()
    out = at_width(case, width, "timeline", REF)
    words = [REF, "Sam Reid (4521, PC)", "Pat Lowe (7702, Probation Officer)"]
    for e in doc["entries"]:
        words += whole(e["summary"]) + whole(e["label"])
        words.append(e["occurred_at"][:10])
    assert_all_whole(out, words)
    assert "Home visit" in out and "Acknowledgement of #3" in out
    assert "Case transferred to Pat Lowe (7702, Probation Officer)" in out.replace("\n", " ")


@pytest.mark.parametrize("width", [80, 120])
def test_show_and_ownership_name_the_owners(case, width):
    show = at_width(case, width, "show", REF)
    assert "police: Sam Reid (4521)" in show and "probation: Pat Lowe (7702)" in show
    ownership = at_width(case, width, "ownership", REF)
    assert_all_whole(ownership, ["Sam Reid (4521)", "Pat Lowe (7702)", "2016-10-21", "#5"])


@pytest.mark.parametrize("width", [80, 120])
def test_who_knew_says_how_each_agency_knew_in_words(case, width):
    out = at_width(case, width, "who-knew", REF, "--entry", "3")
    assert_all_whole(out, [*whole(LONG_SUMMARY), "Disclosure", "Pat Lowe (7702)", "acknowledged"])


@pytest.mark.parametrize("width", [80, 120])
def test_alerts_history_keeps_rule_names_and_times_whole(case, width):
    doc = case.ok("alerts", "--offender", REF, "--history", "--json").json()
    assert doc["alerts"], "the case breaks some rules"
    out = at_width(case, width, "alerts", "--offender", REF, "--history")
    words = []
    for a in doc["alerts"]:
        words += [a["rule"], a["state"].split()[0], *whole(a["detail"])]
    assert_all_whole(out, words)


@pytest.mark.parametrize("width", [80, 120])
def test_audit_says_in_words_what_was_consulted(case, tmp_path, width):
    target = tmp_path / "pack.html"
    case.ok("export", REF, "--format", "html", "--out", str(target), "--to", "HM Coroner")
    out = at_width(case, width, "audit", "--offender", REF)
    assert "export of WMP-000123 as HTML for HM Coroner" in out.replace("\n", " ")
    assert "as_of=None" not in out and "recipients=[" not in out
    assert "Ann Admin (1001)" in out


def test_json_keeps_ids_and_adds_names_and_labels(case):
    timeline = case.ok("timeline", REF, "--json").json()
    visit = next(e for e in timeline["entries"] if e["type"] == "VisitRecorded")
    assert (visit["by"], visit["by_name"], visit["label"]) == ("4521", "Sam Reid", "Home visit")
    show = case.ok("show", REF, "--json").json()
    assert show["owners"] == {"police": "4521", "probation": "7702"}
    assert show["owner_names"] == {"police": "Sam Reid", "probation": "Pat Lowe"}
    knew = case.ok("who-knew", REF, "--entry", "3", "--json").json()
    (item,) = knew["items"]
    assert item["label"] == "Disclosure"
    assert {s["staff"]: s["name"] for s in item["staff"]}["7702"] == "Pat Lowe"


def test_nothing_is_coloured_when_piped(case):
    out = case.ok("timeline", REF).stdout
    assert "\x1b[" not in out
