"""Nothing follows from an entry before it happened, on SQLite and on PostgreSQL (each kind of
reference to an entry on SQLite, and the first on PostgreSQL as well: `every_case_on_sqlite`).

An acknowledgement, a share, a MAPPA meeting discussing an entry or a decision about it dated
before the entry occurred would make who-knew say an agency knew of it before it existed (and
hide the alerts that should stand); a transfer dated before the registration would make an
ownership period that ends before it starts. Each is refused with exit 1, nothing written.
"""

from __future__ import annotations

import json

from tests.helpers import every_case_on_sqlite, templated
from tests.integration.helpers import REF, count_events, refused


def import_lines(cli, folder, lines):
    path = folder / "lines.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return cli("import", str(path))


def import_refused(cli, folder, lines) -> str:
    """Imports `lines`, which must be refused by a rule (exit 1) with nothing written."""
    before = count_events(cli)
    out = import_lines(cli, folder, lines)
    assert out.exit_code == 1, out.stderr
    assert count_events(cli) == before
    return out.stderr


@templated
def disclosed(registered):
    """WMP-000123 (registered 2016-07-04) with #2, a disclosure at 2016-09-12 10:00 London."""
    registered.ok(
        "record", "disclosure", REF, "--summary", "Feels isolated", "--risk-relevant",
        "--occurred-at", "2016-09-12T10:00", "--by", "7702",
    )  # fmt: skip
    return registered


@every_case_on_sqlite(
    "command",
    [
        ["acknowledge", REF, "2", "--by", "4521"],
        ["share", REF, "2", "--with", "prison", "--by", "7702"],
        ["record", "mappa-meeting", REF, "--level", "2", "--attendees", "7702,4521",
         "--summary", "m", "--discussed", "2"],
        ["record", "decision", REF, "--decision", "d", "--rationale", "r", "--about", "2"],
    ],
    ids=["acknowledge", "share", "meeting", "decision"],
)  # fmt: skip
def test_what_refers_to_an_entry_cannot_precede_it(disclosed, command):
    for before in ("2016-09-11", "2016-09-12T09:59"):
        says = refused(disclosed, 1, *command, "--occurred-at", before)
        assert "is before WMP-000123#2, which occurred 2016-09-12 10:00 BST" in says
    # The same moment, a date alone on the same day, or later, are all accepted.
    disclosed.ok(*command, "--occurred-at", "2016-09-12")


def test_a_transfer_cannot_precede_the_registration(registered):
    says = refused(registered, 1, "transfer", REF, "--to", "7702", "--occurred-at", "2016-07-03")
    assert "is before the registration, which occurred 2016-07-04" in says
    registered.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-04")
    periods = registered.ok("ownership", REF, "--json").json()["periods"]
    assert all(p["to"] is None or p["from"] <= p["to"] for p in periods)


def test_who_knew_starts_no_earlier_than_the_entry(disclosed):
    disclosed.ok("acknowledge", REF, "2", "--by", "4521", "--occurred-at", "2016-09-13")
    item = disclosed.ok("who-knew", REF, "--entry", "2", "--json").json()["items"][0]
    assert all(t is None or t >= "2016-09-12" for t in item["agencies"].values())


def test_an_import_is_held_to_the_same_order(disclosed, tmp_path):
    lines = [
        {"command": "entry", "ref": REF, "summary": "Seen", "occurred_at": "2016-10-01"},
        # #3 is the entry above, in the same import: acknowledged the day before it occurred.
        {"command": "acknowledge", "ref": REF, "entries": [3], "occurred_at": "2016-09-30",
         "by": "4521"},
    ]  # fmt: skip
    says = import_refused(disclosed, tmp_path, lines)
    assert says.startswith("error: line 2: occurred_at 2016-09-30 is before WMP-000123#3")


def test_an_import_cannot_enrol_someone_from_a_future_date(cli, tmp_path):
    record = {
        "command": "staff", "staff_id": "9001", "name": "N", "agency": "police", "rank": "PC",
        "since": "2999-01-01",
    }  # fmt: skip
    says = import_refused(cli, tmp_path, [record])
    assert "line 1: since 2999-01-01 is in the future" in says


def test_a_transfer_recorded_out_of_order_is_judged_at_its_own_time(registered):
    """WMP-000123 is owned for police by 4521 from its registration on 2016-07-04. Transfers
    found later are recorded out of order; each is judged by who owned the case at its time."""
    registered.ok("transfer", REF, "--to", "1001", "--occurred-at", "2016-11-01")
    # On 2016-08-01 4521 still owned it, whatever was recorded since.
    says = refused(registered, 1, "transfer", REF, "--to", "4521", "--occurred-at", "2016-08-01")
    assert "4521 already owns" in says
    # A move back to 4521 on 2016-12-01 is recorded first ...
    registered.ok("transfer", REF, "--to", "4521", "--occurred-at", "2016-12-01")
    # ... then one on 2016-11-15, when 1001 owned it: accepted, though 4521 owns it now ...
    registered.ok("transfer", REF, "--to", "4521", "--occurred-at", "2016-11-15")
    # ... while one to 1001 on 2016-11-10, when 1001 owned it already, is refused.
    says = refused(registered, 1, "transfer", REF, "--to", "1001", "--occurred-at", "2016-11-10")
    assert "1001 already owns" in says
    assert registered.ok("show", REF, "--json").json()["owners"]["police"] == "4521"


def test_the_order_is_judged_by_an_entrys_corrected_time(disclosed):
    """A wrong date corrected: what followed the entry is judged against the corrected date."""
    says = refused(
        disclosed, 1, "acknowledge", REF, "2", "--by", "4521", "--occurred-at", "2016-09-10"
    )
    assert "which occurred 2016-09-12 10:00 BST" in says
    disclosed.ok(
        "correct", REF, "2", "--reason", "It was the 9th", "--entry-occurred-at", "2016-09-09"
    )
    disclosed.ok("acknowledge", REF, "2", "--by", "4521", "--occurred-at", "2016-09-10")
    # The registration too: corrected to an earlier day, a transfer between the two is accepted.
    says = refused(disclosed, 1, "transfer", REF, "--to", "7702", "--occurred-at", "2016-07-02")
    assert "before the registration" in says
    disclosed.ok(
        "correct",
        REF,
        "1",
        "--reason",
        "Registered on the 1st",
        "--entry-occurred-at",
        "2016-07-01",
    )
    disclosed.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-07-02")


def test_a_corrected_release_date_moves_the_licence(registered):
    registered.ok(
        "record", "release", REF, "--licence-end", "2020-07-04", "--occurred-at", "2016-07-14"
    )
    args = ["record", "recall-decision", REF, "--decision", "no-recall", "--rationale", "r"]
    refused(registered, 1, *args, "--occurred-at", "2016-07-10")
    registered.ok(
        "correct", REF, "2", "--reason", "Released on the 5th", "--entry-occurred-at", "2016-07-05"
    )
    registered.ok(*args, "--occurred-at", "2016-07-10")


def test_a_correction_cannot_move_an_entry_after_what_follows_from_it(disclosed):
    """#2 occurred 2016-09-12 10:00 and was acknowledged (#3) on 2016-09-13 at 09:00: moving #2
    to the 14th would have police knowing of it the day before it happened."""
    disclosed.ok(
        "acknowledge", REF, "2", "--by", "4521", "--occurred-at", "2016-09-13T09:00"
    )  # fmt: skip
    fix = ["correct", REF, "2", "--reason", "Wrong day typed", "--entry-occurred-at"]
    for later in ("2016-09-14", "2016-09-13T09:01"):
        says = refused(disclosed, 1, *fix, later)
        assert "is after WMP-000123#3, which follows from WMP-000123#2 and occurred " in says
        assert "2016-09-13 09:00 BST" in says
    # Up to the acknowledgement itself, or a date alone on its day, is in order.
    disclosed.ok(*fix, "2016-09-13T09:00")
    disclosed.ok(*fix, "2016-09-13")
    # Once the acknowledgement's own time is corrected, #2 may move after where it was.
    disclosed.ok(
        "correct", REF, "3", "--reason", "Read on the 20th", "--entry-occurred-at", "2016-09-20"
    )
    disclosed.ok(*fix, "2016-09-14")
    entries = disclosed.ok("timeline", REF, "--json").json()["entries"]
    assert {e["entry"]: e["occurred_at"] for e in entries}[2] == "2016-09-14"


def test_a_correction_cannot_move_an_entry_before_what_it_is_about(disclosed):
    disclosed.ok(
        "share", REF, "2", "--with", "prison", "--by", "7702", "--occurred-at", "2016-09-15"
    )
    says = refused(
        disclosed, 1, "correct", REF, "3", "--reason", "r", "--entry-occurred-at", "2016-09-11"
    )
    assert "is before WMP-000123#2, which occurred 2016-09-12 10:00 BST" in says
    assert "WMP-000123#3 follows from it" in says
    disclosed.ok("correct", REF, "3", "--reason", "r", "--entry-occurred-at", "2016-09-12")


def test_a_corrected_registration_stays_before_the_transfers(registered):
    registered.ok("transfer", REF, "--to", "7702", "--occurred-at", "2016-08-01")
    says = refused(
        registered, 1, "correct", REF, "1", "--reason", "r", "--entry-occurred-at", "2016-08-02"
    )
    assert "is after WMP-000123#2, which follows from WMP-000123#1 and occurred 2016-08-01" in says
    registered.ok("correct", REF, "1", "--reason", "r", "--entry-occurred-at", "2016-07-20")


def test_an_imported_correction_is_held_to_the_same_order(disclosed, tmp_path):
    lines = [
        {"command": "acknowledge", "ref": REF, "entries": [2], "occurred_at": "2016-09-13",
         "by": "4521"},
        {"command": "correct", "ref": REF, "entry": 2, "reason": "r",
         "entry_occurred_at": "2016-09-14"},
    ]  # fmt: skip
    says = import_refused(disclosed, tmp_path, lines)
    assert says.startswith("error: line 2: entry_occurred_at 2016-09-14 is after WMP-000123#3")


def test_a_recall_decision_cannot_precede_the_release_on_its_day(registered):
    """Released at 15:00 on 2016-07-14: a recall decision that morning was about a licence that
    had not begun (the licence rules compare London days; this compares the times given)."""
    registered.ok(
        "record", "release", REF, "--licence-end", "2020-07-04", "--occurred-at", "2016-07-14T15:00"
    )
    args = ["record", "recall-decision", REF, "--decision", "recall", "--rationale", "Breach"]
    says = refused(registered, 1, *args, "--occurred-at", "2016-07-14T09:00")
    assert "is before WMP-000123#2, which occurred 2016-07-14 15:00 BST" in says
    # A date alone on that day, or a time after the release, is in order.
    no_recall = ["record", "recall-decision", REF, "--decision", "no-recall", "--rationale", "r"]
    registered.ok(*no_recall, "--occurred-at", "2016-07-14")
    registered.ok(*args, "--occurred-at", "2016-07-14T15:30")
    assert registered.ok("show", REF, "--json").json()["on_licence"] is False


def test_a_licence_end_typed_wrong_is_corrected(registered, tmp_path):
    """Released 2016-07-14 until 2020-07-04, typed for 2017-07-04: the correction moves the
    licence's end wherever it is read; --as-of before it shows what the ledger showed then."""
    registered.ok(
        "record", "release", REF, "--licence-end", "2020-07-04", "--occurred-at", "2016-07-14"
    )
    shown = registered.ok("show", REF, "--json").json()
    assert shown["licence_end"] == "2020-07-04" and shown["on_licence"] is False
    before = registered.ok("show", REF, "--json").json()["last_recorded_at"]
    fix = ["correct", REF, "2", "--reason", "End typed wrong", "--licence-end"]
    says = refused(registered, 1, *fix, "2016-07-14")
    assert "is not after the release (2016-07-14)" in says
    refused(registered, 1, "correct", REF, "1", "--reason", "r", "--licence-end", "2030-01-01")
    registered.ok(*fix, "2030-07-04")

    shown = registered.ok("show", REF, "--json").json()
    assert shown["licence_end"] == "2030-07-04" and shown["on_licence"] is True
    entry = {e["entry"]: e for e in registered.ok("timeline", REF, "--json").json()["entries"]}[2]
    assert entry["summary"] == "Released on licence until 2030-07-04" and entry["corrected"]
    assert registered.ok("show", REF, "--as-of", before, "--json").json()["licence_end"] == (
        "2020-07-04"
    )
    # A recall decision in the licence's corrected time is now in order.
    registered.ok(
        "record", "recall-decision", REF, "--decision", "no-recall", "--rationale", "r",
        "--occurred-at", "2021-01-01",
    )  # fmt: skip


def test_an_imported_correction_can_correct_a_licence_end(registered, tmp_path):
    registered.ok(
        "record", "release", REF, "--licence-end", "2020-07-04", "--occurred-at", "2016-07-14"
    )
    line = {
        "command": "correct",
        "ref": REF,
        "entry": 2,
        "reason": "r",
        "licence_end": "2031-01-01",
    }
    assert import_lines(registered, tmp_path, [line]).exit_code == 0
    assert registered.ok("show", REF, "--json").json()["licence_end"] == "2031-01-01"


def test_a_correction_cannot_be_made_before_the_entry_it_corrects(disclosed):
    fix = ["correct", REF, "2", "--reason", "typo", "--summary", "Feels isolated."]
    says = refused(disclosed, 1, *fix, "--occurred-at", "2016-09-01")
    assert "is before WMP-000123#2, which occurred 2016-09-12 10:00 BST" in says
    disclosed.ok(*fix, "--occurred-at", "2016-09-12T10:00")


def test_a_correction_cannot_move_an_entry_outside_its_authors_time_in_post(disclosed):
    """#2 was written by 7702 (enrolled 2010-01-01); once 7702 has left, the entry cannot be
    moved to the day they left or later, nor to before they were enrolled."""
    disclosed.ok("staff", "leave", "7702", "--since", "2018-01-01")
    fix = ["correct", REF, "2", "--reason", "Date typed wrong", "--entry-occurred-at"]
    for day, why in (("2018-01-01", "left on 2018-01-01"), ("2018-03-01T09:00", "left on")):
        says = refused(disclosed, 1, *fix, day)
        assert f"WMP-000123#2 has 7702 in post, who {why}" in says
        assert "check --entry-occurred-at" in says
    says = refused(
        disclosed, 1, "correct", REF, "1", "--reason", "r", "--entry-occurred-at", "2009-12-31"
    )
    assert "WMP-000123#1 has 4521 in post, who was not enrolled until" in says
    disclosed.ok(*fix, "2017-12-31T16:00")
    entry = disclosed.ok("timeline", REF, "--json").json()["entries"][1]
    assert entry["entry"] == 2 and entry["occurred_at"].startswith("2017-12-31T16:00")


def test_an_import_cannot_acknowledge_a_transfer(registered, tmp_path):
    lines = [
        {"command": "transfer", "ref": REF, "to": "7702", "occurred_at": "2016-08-01"},
        # #2 is the transfer above, in the same import.
        {"command": "acknowledge", "ref": REF, "entries": [2], "occurred_at": "2016-08-02",
         "by": "7702"},
    ]  # fmt: skip
    says = import_refused(registered, tmp_path, lines)
    assert says.startswith("error: line 2: WMP-000123#2 records an act (OwnershipTransferred)")


@templated
def decided(registered):
    """WMP-000123 released at 09:00 on 2016-07-14 (#2) and recalled at 15:00 that day (#3)."""
    registered.ok(
        "record", "release", REF, "--licence-end", "2020-07-04", "--occurred-at", "2016-07-14T09:00"
    )
    registered.ok(
        "record", "recall-decision", REF, "--decision", "recall", "--rationale", "Breach",
        "--occurred-at", "2016-07-14T15:00",
    )  # fmt: skip
    return registered


def test_a_release_cannot_be_corrected_to_after_a_recall_decision_on_it(decided):
    """Recording refuses a recall decision timed before its release; a correction of the
    release's time must not make one either, on a later day or later the same day."""
    fix = ["correct", REF, "2", "--reason", "Released later", "--entry-occurred-at"]
    for later in ("2016-08-01", "2016-07-14T16:00"):
        says = refused(decided, 1, *fix, later)
        assert (
            f"--entry-occurred-at {later.replace('T', ' ')}" in says
            and "is after WMP-000123#3, a recall decision on the licence WMP-000123#2 began, "
            "which occurred 2016-07-14 15:00 BST"
            in says
            and "check --entry-occurred-at, or first correct the time of WMP-000123#3" in says
        ), says
    # Up to the decision's own time, or a date alone on its day, is in order; the recall stands.
    decided.ok(*fix, "2016-07-14T15:00")
    decided.ok(*fix, "2016-07-14")
    assert decided.ok("show", REF, "--json").json()["on_licence"] is False


def test_a_recall_decision_cannot_be_corrected_to_before_its_release(decided):
    says = refused(
        decided, 1, "correct", REF, "3", "--reason", "r", "--entry-occurred-at", "2016-07-14T08:00"
    )
    assert "is before WMP-000123#2, which occurred 2016-07-14 09:00 BST" in says
    assert "WMP-000123#3 follows from it" in says


def test_a_licence_end_cannot_be_corrected_to_before_a_recall_decision_on_it(decided):
    says = refused(decided, 1, "correct", REF, "2", "--reason", "r", "--licence-end", "2016-07-13")
    assert "is not after the release" in says
    decided.ok(
        "record", "release", REF, "--licence-end", "2022-01-01", "--occurred-at", "2017-01-01"
    )
    decided.ok(
        "record", "recall-decision", REF, "--decision", "no-recall", "--rationale", "r",
        "--occurred-at", "2018-01-01",
    )  # fmt: skip
    says = refused(decided, 1, "correct", REF, "4", "--reason", "r", "--licence-end", "2017-12-31")
    assert says.startswith(
        "error: --licence-end 2017-12-31 is before WMP-000123#5, a recall decision on that "
        "licence, which occurred 2018-01-01; give an end on or after 2018-01-01"
    ), says
    decided.ok("correct", REF, "4", "--reason", "r", "--licence-end", "2018-01-01")


def test_a_recall_corrected_later_cannot_overtake_the_next_release(decided):
    """#3 recalled the licence on 2016-07-14; #4 released him again on 2017-03-01. Moving the
    recall past that release would have two licences running at once, so it is refused; moved
    within its licence, the recall moves the day the licence stopped."""
    decided.ok(
        "record", "release", REF, "--licence-end", "2021-03-01", "--occurred-at", "2017-03-01"
    )
    fix = ["correct", REF, "3", "--reason", "Recalled later", "--entry-occurred-at"]
    says = refused(decided, 1, *fix, "2017-03-02")
    assert "running beside the licence WMP-000123#4 began (2017-03-01 to 2021-03-01)" in says
    # Nor can the second release be moved back into the first licence.
    says = refused(
        decided, 1, "correct", REF, "4", "--reason", "r", "--entry-occurred-at", "2016-07-10"
    )
    assert (
        "running beside the licence WMP-000123#2 began (2016-07-14 to 2020-07-04, recalled 2016-07-14)"
        in says
    )
    decided.ok(*fix, "2016-09-01")
    shown = decided.ok("show", REF, "--json", "--at", "2016-08-01").json()
    assert shown["on_licence"] is True
    assert decided.ok("show", REF, "--json", "--at", "2016-09-02").json()["on_licence"] is False
