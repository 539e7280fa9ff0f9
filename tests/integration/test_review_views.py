"""The reviewer's views through the CLI, on SQLite and on PostgreSQL.

The question from the serious case review: "on 20 October 2016, who in police and probation knew
of this disclosure, who owned the case, and who should have read it?", and "what did the ledger
itself show on that date?". Everything here is written up now about 2016, so every entry is late;
moments captured between two writes stand for "the ledger as it stood then".
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.helpers import block_containing

REF = "WMP-000123"


def now() -> str:
    return datetime.now(UTC).isoformat()


def record_disclosure(cli) -> int:
    """Probation takes its side of the case; 7702 hears a risk-relevant disclosure on 17 Oct."""
    cli.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-10", "--reason", "Licence")
    out = cli.ok(
        "record",
        "disclosure",
        REF,
        "--summary",
        "Feels isolated; has had thoughts of rape",
        "--risk-relevant",
        "--occurred-at",
        "2016-10-17T14:30",
        "--by",
        "7702",
        "--json",
    )
    return out.json()["entry"]


def disclosure_on(doc: dict, entry: int) -> dict:
    (item,) = [i for i in doc["items"] if i["entry"] == entry]
    return item


def test_on_20_october_who_knew_who_owned_and_who_should_have_read_it(registered):
    told = record_disclosure(registered)
    registered.ok("acknowledge", REF, str(told), "--by", "8801", "--occurred-at", "2016-10-18")
    registered.ok("share", REF, str(told), "--with", "police", "--occurred-at", "2016-10-25")
    registered.ok("acknowledge", REF, str(told), "--by", "4521", "--occurred-at", "2016-10-25")

    doc = registered.ok(
        "who-knew", REF, "--entry", str(told), "--at", "2016-10-20", "--json"
    ).json()

    assert doc["ref"] == REF and doc["at"].startswith("2016-10-20T22:59:59")
    assert doc["owners"] == {"police": "4521", "probation": "7702"}
    item = disclosure_on(doc, told)
    assert (item["type"], item["summary"]) == (
        "DisclosureRecorded",
        "Feels isolated; has had thoughts of rape",
    )
    assert item["agencies"] == {"police": None, "probation": "2016-10-17T13:30:00+00:00"}
    assert [(s["staff"], s["agency"], s["since"], s["how"]) for s in item["staff"]] == [
        ("7702", "probation", "2016-10-17T13:30:00+00:00", "recorded"),
        ("8801", "probation", "2016-10-18", "acknowledged"),
    ]
    assert [(r["staff"], r["agency"]) for r in item["responsible_not_acknowledged"]] == [
        ("4521", "police")
    ]


def test_after_the_share_and_acknowledgement_police_knew(registered):
    told = record_disclosure(registered)
    registered.ok("share", REF, str(told), "--with", "police", "--occurred-at", "2016-10-25")
    registered.ok("acknowledge", REF, str(told), "--by", "4521", "--occurred-at", "2016-10-25")

    item = disclosure_on(registered.ok("who-knew", REF, "--json").json(), told)

    assert item["agencies"]["police"] == "2016-10-25"
    # 1001 (police) typed the disclosure in for 7702, years later, and shared it on the 25th:
    # whoever passes an item on knows it, so the share is 1001's first way of knowing.
    assert {(s["staff"], s["how"], s["since"]) for s in item["staff"]} == {
        ("7702", "recorded", "2016-10-17T13:30:00+00:00"),
        ("4521", "acknowledged", "2016-10-25"),
        ("1001", "shared", "2016-10-25"),
    }
    assert item["responsible_not_acknowledged"] == []


def test_the_matrix_marks_the_owner_who_had_not_read_it(registered):
    told = record_disclosure(registered)

    out = registered.ok("who-knew", REF, "--at", "2016-10-20")

    assert "! Sam Reid (4521), police owner" in out.stdout
    assert "probation" in out.stdout and "2016-10-17" in out.stdout
    detail = registered.ok("who-knew", REF, "--entry", str(told), "--at", "2016-10-20").stdout
    unread = block_containing(detail, "Sam Reid (4521), police owner")
    assert "was responsible for it but had not acknowledged it" in unread


def test_what_the_ledger_itself_showed_before_the_late_entries_were_written(registered):
    told = record_disclosure(registered)
    before_share = now()
    registered.ok("share", REF, str(told), "--with", "police", "--occurred-at", "2016-10-25")
    registered.ok("acknowledge", REF, str(told), "--by", "4521", "--occurred-at", "2016-10-25")
    registered.ok("correct", REF, str(told), "--reason", "Detail left out", "--summary", "Rape")

    then = registered.ok(
        "who-knew",
        REF,
        "--entry",
        str(told),
        "--at",
        "2016-10-30",
        "--as-of",
        before_share,
        "--json",
    ).json()
    item = disclosure_on(then, told)
    assert item["agencies"]["police"] is None
    assert item["summary"] == "Feels isolated; has had thoughts of rape"
    assert [r["staff"] for r in item["responsible_not_acknowledged"]] == ["4521"]

    timeline = registered.ok("timeline", REF, "--as-of", before_share, "--json").json()
    assert [e["type"] for e in timeline["entries"]] == [
        "Registered",
        "OwnershipTransferred",
        "DisclosureRecorded",
    ]
    assert not timeline["entries"][-1]["corrected"]
    corrected = registered.ok("timeline", REF, "--json").json()["entries"]
    assert [e["summary"] for e in corrected if e["entry"] == told] == ["Rape"]

    # Everything about 2016 was written up now, so on 20 October 2016 the ledger held nothing.
    refused = registered("who-knew", REF, "--as-of", "2016-10-20", "--json")
    assert refused.exit_code == 1 and refused.stdout == ""
    assert refused.stderr.startswith("error: the ledger held nothing about WMP-000123")


def test_show_as_of_and_at_name_the_owners_of_that_moment(registered):
    registered.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-10")
    before_assessment = now()
    registered.ok(
        "record",
        "assessment",
        REF,
        "--tool",
        "ARMS",
        "--risk",
        "high",
        "--occurred-at",
        "2016-08-01",
    )

    then = registered.ok("show", REF, "--as-of", before_assessment, "--json").json()
    early = registered.ok("show", REF, "--at", "2016-07-05", "--json").json()
    current = registered.ok("show", REF, "--json").json()

    assert (then["risk"], then["owners"]) == (None, {"police": "4521", "probation": "7702"})
    assert (early["risk"], early["owners"]) == (None, {"police": "4521"})
    assert current["risk"] == "high"
    assert registered("show", REF, "--at", "2016-07-01").exit_code == 1


def test_ownership_through_two_transfers_one_recorded_late(registered):
    registered.ok(
        "staff", "add", "4633", "--name", "Jo Kay", "--agency", "police", "--rank", "PC",
        "--since", "2010-01-01",
    )  # fmt: skip
    registered.ok(
        "transfer", REF, "--to", "1001", "--occurred-at", "2016-12-01", "--reason", "Cover"
    )
    before_late_transfer = now()
    # Written up after the December transfer, though it happened on 1 November.
    registered.ok(
        "transfer",
        REF,
        "--to",
        "4633",
        "--occurred-at",
        "2016-11-01",
        "--reason",
        "Moved to Coventry",
    )

    periods = registered.ok("ownership", REF, "--json").json()["periods"]

    assert [(p["agency"], p["staff"], p["from"], p["to"]) for p in periods] == [
        ("police", "4521", "2016-07-04", "2016-11-01"),
        ("police", "4633", "2016-11-01", "2016-12-01"),
        ("police", "1001", "2016-12-01", None),
    ]
    assert [(p["how"], p["by"], p["reason"], p["entry"]) for p in periods] == [
        ("registration", "4521", None, 1),
        ("transfer", "1001", "Moved to Coventry", 3),
        ("transfer", "1001", "Cover", 2),
    ]
    assert [p["end_entry"] for p in periods] == [3, 2, None]

    then = registered.ok("ownership", REF, "--as-of", before_late_transfer, "--json").json()
    assert [(p["staff"], p["to"]) for p in then["periods"]] == [
        ("4521", "2016-12-01"),
        ("1001", None),
    ]
    mid = registered.ok("ownership", REF, "--at", "2016-11-15", "--json").json()
    assert [(p["staff"], p["to"]) for p in mid["periods"]] == [
        ("4521", "2016-11-01"),
        ("4633", None),
    ]
    assert registered.ok("show", REF, "--at", "2016-11-15", "--json").json()["owners"] == {
        "police": "4633"
    }


def test_ownership_before_registration_is_a_clear_refusal(registered):
    out = registered("ownership", REF, "--at", "2016-07-01", "--json")

    assert out.exit_code == 1 and out.stdout == ""
    assert out.stderr.startswith(f"error: {REF} was not registered at --at 2016-07-01")
    assert len(out.stderr.strip().splitlines()) == 1


def test_who_knew_refuses_an_entry_that_is_not_information(registered):
    told = record_disclosure(registered)
    registered.ok("acknowledge", REF, str(told), "--by", "4521")

    act = registered("who-knew", REF, "--entry", "4")
    missing = registered("who-knew", REF, "--entry", "40")

    assert act.exit_code == 1 and "not information" in act.stderr
    assert missing.exit_code == 1 and "has no entry 40" in missing.stderr


def test_the_late_threshold_comes_from_the_environment_unless_given(registered):
    def late_flags(*args: str, env: dict[str, str] | None = None) -> list[bool]:
        doc = registered.ok("timeline", REF, "--json", *args, env=env).json()
        return [e["late"] for e in doc["entries"]]

    # Registered for 4 July 2016, written up years later.
    assert late_flags() == [True]
    assert late_flags(env={"LEDGER_LATE_AFTER_DAYS": "36525"}) == [False]
    assert late_flags("--late-after", "7", env={"LEDGER_LATE_AFTER_DAYS": "36525"}) == [True]
    assert "LEDGER_LATE_AFTER_DAYS" in registered.ok("timeline", "--help").stdout


def test_ownership_at_a_moment_says_the_owner_then_and_not_now(registered):
    registered.ok("transfer", REF, "--to", "1001", "--occurred-at", "2016-11-01")

    wide = {"COLUMNS": "200"}
    then = registered.ok("ownership", REF, "--at", "2016-10-01", env=wide).stdout
    now = registered.ok("ownership", REF, env=wide).stdout

    period = block_containing(then, "4521")
    assert "to still at 2016-10-01" in period and "now" not in period
    assert period.endswith("begun by #1")
    assert "begun by #1, ended by #2" in block_containing(now, "4521")
    assert "to now" in block_containing(now, "Ann Admin (1001)")


def test_who_knew_says_how_each_agency_first_knew(registered):
    told = record_disclosure(registered)
    registered.ok("share", REF, str(told), "--with", "police", "--by", "7702", "--occurred-at", "2016-10-25")  # fmt: skip

    item = disclosure_on(registered.ok("who-knew", REF, "--json").json(), told)

    police, probation = item["agencies_how"]["police"], item["agencies_how"]["probation"]
    assert (police["how"], police["staff"], police["since"]) == ("shared", None, "2016-10-25")
    assert police["since"] == item["agencies"]["police"]
    assert (probation["how"], probation["staff"]) == ("recorded", "7702")
    out = registered.ok("who-knew", REF, "--entry", str(told), env={"COLUMNS": "300"}).stdout
    row = block_containing(out, "police: knew from")
    assert "police: knew from 2016-10-25 (shared, " in row and "a share with the agency" in row
