"""`ledger who-knew` lists who typed an entry in for someone else as having `entered` it, from
when they wrote it, on both backends: `--by` names who made the contact (`recorded`), the actor
is who typed it in. Entering is not knowing: no agency knows an item by it alone."""

from __future__ import annotations

from typing import Any

REF = "WMP-000123"


def who_knew(cli, entry: int, *args: str) -> dict[str, Any]:
    doc = cli.ok("who-knew", REF, "--entry", str(entry), "--json", *args).json()
    (item,) = doc["items"]
    return item


def recorded_at(cli, entry: int) -> str:
    timeline = cli.ok("timeline", REF, "--json").json()
    return next(e["recorded_at"] for e in timeline["entries"] if e["entry"] == entry)


def test_the_typist_entered_it_at_the_recording_time_and_their_agency_did_not_know(registered):
    # 4521 (police, who registered the case) types in what 7702 (probation) was told.
    out = registered.ok(
        "record",
        "disclosure",
        REF,
        "--summary",
        "Says he feels isolated",
        "--risk-relevant",
        "--occurred-at",
        "2016-10-17T14:30",
        "--by",
        "7702",
        "--json",
        actor="4521",
    )
    entry = out.json()["entry"]
    written = recorded_at(registered, entry)

    now = who_knew(registered, entry)
    assert [(s["staff"], s["agency"], s["since"], s["how"]) for s in now["staff"]] == [
        ("7702", "probation", "2016-10-17T13:30:00+00:00", "recorded"),
        ("4521", "police", written, "entered"),
    ]
    assert now["agencies"]["police"] is None
    assert now["agencies"]["probation"] == "2016-10-17T13:30:00+00:00"

    # In October 2016, from everything recorded since: 4521 had not written it yet.
    then = who_knew(registered, entry, "--at", "2016-10-20")
    assert [s["staff"] for s in then["staff"]] == ["7702"]
    assert then["agencies"]["police"] is None

    # As the ledger stood when it was written: made by one, entered by the other.
    as_of = who_knew(registered, entry, "--as-of", written)
    assert [(s["staff"], s["how"]) for s in as_of["staff"]] == [
        ("7702", "recorded"),
        ("4521", "entered"),
    ]

    # The table says in plain words what entering means.
    table = registered.ok("who-knew", REF, "--entry", str(entry)).stdout
    assert "entered) is clerical work, not knowledge of the case" in " ".join(table.split())


def test_an_entry_typed_by_its_maker_lists_them_once(registered):
    out = registered.ok("record", "entry", REF, "--summary", "New address", "--json", actor="4521")
    entry = out.json()["entry"]

    item = who_knew(registered, entry)

    assert [(s["staff"], s["how"]) for s in item["staff"]] == [("4521", "recorded")]


def test_a_typist_the_offenders_records_do_not_place_is_still_listed(registered):
    # 1001 (the administrator) types in 7702's visit; no record of this offender names 1001 as
    # anyone's author or counterpart. Their agency is the staff directory's when the command
    # passes it (`who_knew(..., agencies=...)`), else unknown (null): either way they entered it.
    out = registered.ok(
        "record",
        "visit",
        REF,
        "--kind",
        "home",
        "--outcome",
        "Seen",
        "--by",
        "7702",
        "--occurred-at",
        "2016-10-20",
        "--json",
    )
    entry = out.json()["entry"]
    written = recorded_at(registered, entry)

    item = who_knew(registered, entry)

    typist = next(s for s in item["staff"] if s["staff"] == "1001")
    assert (typist["since"], typist["how"]) == (written, "entered")
    assert typist["agency"] in ("police", None)
    assert None not in item["agencies"] and "null" not in item["agencies"]


def test_an_export_places_a_typist_by_the_staff_directory(registered, tmp_path):
    """8801 (probation) authored nothing on this offender: only the staff directory says which
    agency they belong to; their entering makes probation know nothing."""
    import json

    out = registered.ok(
        "record", "entry", REF, "--summary", "Seen near a school", "--occurred-at",
        "2016-10-17", "--by", "4521", "--json", actor="8801",
    )  # fmt: skip
    entry = out.json()["entry"]
    target = tmp_path / "record.json"
    registered.ok("export", REF, "--format", "json", "--out", str(target))
    document = json.loads(target.read_text(encoding="utf-8"))
    (item,) = [i for i in document["who_knew"] if i["entry"] == entry]
    typist = [s for s in item["staff"] if s["staff"] == "8801"]
    assert typist and (typist[0]["agency"], typist[0]["how"]) == ("probation", "entered")
    assert item["agencies"].get("probation") is None


def test_who_knew_places_a_typist_by_the_staff_directory(registered):
    out = registered.ok(
        "record", "entry", REF, "--summary", "Seen near a school", "--occurred-at",
        "2016-10-17", "--by", "4521", "--json", actor="8801",
    )  # fmt: skip
    item = who_knew(registered, out.json()["entry"])
    typist = [s for s in item["staff"] if s["staff"] == "8801"]
    assert typist and (typist[0]["agency"], typist[0]["how"]) == ("probation", "entered")
    assert item["agencies"].get("probation") is None


def test_alerts_do_not_count_a_typist_as_their_agency_knowing(registered):
    """Police (4521) and probation (7702) both own the case. A risk-relevant disclosure made to
    4521 and typed in at once by 8801 (probation, who authored nothing here) is not known to
    probation by that: DISCLOSURE_NOT_SHARED stands, as who-knew says."""
    from datetime import UTC, datetime, timedelta

    registered.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-04")
    out = registered.ok(
        "record", "disclosure", REF, "--summary", "Feels isolated", "--risk-relevant",
        "--by", "4521", "--json", actor="8801",
    )  # fmt: skip
    entry = out.json()["entry"]
    assert who_knew(registered, entry)["agencies"]["probation"] is None
    later = (datetime.now(UTC) + timedelta(days=60)).date().isoformat()
    alerts = registered.ok("alerts", "--offender", REF, "--at", later, "--json").json()["alerts"]
    assert [a for a in alerts if a["rule"] == "DISCLOSURE_NOT_SHARED" and a["entry"] == entry]
