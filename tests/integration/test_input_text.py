"""What a new event may say, refused before anything is written.

A refusal that needs the ledger (a reference or staff id already taken, an import, the access
log) runs on SQLite and on PostgreSQL: every case on SQLite, and the first (with any the database
itself might refuse, such as the longest) on PostgreSQL as well (`every_case_on_sqlite`). One that a command's own model makes before the ledger is
opened runs once, on `no_database`, a URL where nothing listens: had the command reached for the
database it would have exited 4, so the refusal is shown to need no database, on either backend.

PostgreSQL text cannot hold NUL, so an event carrying one would be stored and then break every
read model; a control character or an unpaired surrogate cannot be shown or exported faithfully.
New references and staff ids have a fixed form; entry numbers name this offender's entries only.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers import every_case_on_sqlite
from tests.integration.helpers import (
    REF,
    count_events,
    refused,
    refused_before_storage,
    timeline,
)


def _import(cli, tmp_path, *records: dict) -> object:
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return cli("import", str(path))


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x1b", "\x7f", "\x85"])
def test_an_import_carrying_an_unstorable_character_is_refused_whole(
    registered, tmp_path, character
):
    before = count_events(registered)
    out = _import(
        registered,
        tmp_path,
        {"command": "entry", "ref": REF, "summary": "Fine"},
        {"command": "entry", "ref": REF, "summary": f"nul{character}here"},
    )
    assert out.exit_code == 2, out.stderr
    assert out.stderr.startswith("error: line 2: summary contains the character U+")
    assert count_events(registered) == before
    # The read models still answer.
    registered.ok("show", REF)


def test_an_import_carrying_half_a_surrogate_pair_is_refused(registered, tmp_path):
    before = count_events(registered)
    out = _import(registered, tmp_path, {"command": "entry", "ref": REF, "summary": "\ud800"})
    assert out.exit_code == 2 and out.stderr.startswith("error: line 1: "), out.stderr
    assert count_events(registered) == before


def test_tabs_and_line_breaks_are_kept(registered):
    registered.ok("record", "entry", REF, "--summary", "Seen\tnear a school\nat 3pm")
    assert timeline(registered)[-1]["summary"] == "Seen\tnear a school\nat 3pm"


def test_a_control_character_on_the_command_line_is_refused(no_database):
    says = refused_before_storage(no_database, 2, "record", "entry", REF, "--summary", "bell\x07")
    assert "U+0007" in says


def test_text_longer_than_kept_is_refused(no_database):
    says = refused_before_storage(no_database, 2, "record", "entry", REF, "--summary", "x" * 20_001)
    assert "summary is 20,001 characters long; at most 20,000" in says


def test_a_name_longer_than_kept_is_refused(registered):
    says = refused(
        registered, 2, "staff", "add", "9001", "--name", "N" * 201, "--agency", "police",
        "--rank", "PC", "--since", "2015-01-01",
    )  # fmt: skip
    assert "name is 201 characters long; at most 200" in says


def test_a_long_job_title_is_kept_whole(cli):
    title = "Senior Probation Officer, Public Protection Unit, Birmingham North"
    cli.ok(
        "staff", "add", "9001", "--name", "Pat", "--agency", "probation", "--rank", title,
        "--since", "2015-01-01",
    )  # fmt: skip
    listed = cli.ok("staff", "list", "--json").json()
    assert title in json.dumps(listed)


def test_a_summary_of_invisible_characters_only_says_so(no_database):
    says = refused_before_storage(
        no_database, 2, "record", "entry", REF, "--summary", "\u200b \u2060"
    )
    assert "--summary has only invisible or control characters (U+200B, U+2060)" in says


@every_case_on_sqlite(
    "ref",
    [
        "WMP\x01X",
        "a\u200bb",
        "\uff371",
        "../etc",
        "_leading",
        "R" * 65,
        "two words",
        "WMP-1/../../X",
        "WMP-1/./X",
        "WMP--1",
        "WMP-1-",
    ],
    on_postgres=(0, 5),
)
def test_a_new_reference_has_a_fixed_form(cli, ref):
    says = refused(
        cli, 2, "offender", "register", ref, "--name", "J D", "--born", "1975-03-02",
        "--category", "1",
    )  # fmt: skip
    assert "reference" in says


def test_references_may_hold_dots_slashes_and_underscores(cli):
    cli.ok(
        "offender", "register", "WM/2016_01.7", "--name", "J D", "--born", "1975-03-02",
        "--category", "1",
    )  # fmt: skip
    cli.ok("show", "WM/2016_01.7")


def test_a_new_reference_is_in_capitals_so_one_case_has_one(registered, tmp_path):
    """WMP-000123 is registered: wmp-000123 would be another stream, another case."""
    register = ["offender", "register", "--name", "J D", "--born", "1975-03-02", "--category", "1"]
    says = refused(registered, 2, *register, "wmp-000123")
    assert "give it in capitals, 'WMP-000123'" in says
    refused(registered, 2, *register, "Wmp-000124")
    before = count_events(registered)
    record = {
        "command": "register", "ref": "wmp-000125", "name": "J D", "born": "1975-03-02",
        "category": 1,
    }  # fmt: skip
    out = _import(registered, tmp_path, record)
    assert out.exit_code == 2 and "line 1:" in out.stderr and "capitals" in out.stderr
    assert count_events(registered) == before
    # Looked up in the wrong case, the reference is named as it is written.
    says = refused(registered, 1, "show", "wmp-000123")
    assert "references are in capitals: 'WMP-000123'?" in says


@every_case_on_sqlite("staff_id", ["a b", "x\x7f", "#1", "S" * 65], on_postgres=(0, 3))
def test_a_new_staff_id_has_a_fixed_form(cli, staff_id):
    says = refused(
        cli, 2, "staff", "add", staff_id, "--name", "N", "--agency", "police", "--rank", "PC",
        "--since", "2015-01-01",
    )  # fmt: skip
    assert "usable" in says


@every_case_on_sqlite("staff_id", ["HEALTH", "police", "Social-Care"])
def test_a_staff_id_that_names_an_agency_is_refused(registered, tmp_path, staff_id):
    """`share --with HEALTH` means the health agency: a person enrolled as HEALTH could never be
    the one shared with, so such an id is refused at enrolment, by the command line and by an
    import alike."""
    says = refused(
        registered, 2, "staff", "add", staff_id, "--name", "N", "--agency", "police",
        "--rank", "PC", "--since", "2015-01-01",
    )  # fmt: skip
    assert f"{staff_id!r} cannot be a staff id: it is the name of the agency" in says
    before = count_events(registered)
    record = {
        "command": "staff", "staff_id": staff_id, "name": "N", "agency": "police",
        "rank": "PC", "since": "2015-01-01",
    }  # fmt: skip
    out = _import(registered, tmp_path, record)
    assert out.exit_code == 2 and out.stderr.startswith("error: line 1: "), out.stderr
    assert "is the name of the agency" in out.stderr
    assert count_events(registered) == before


def test_an_import_cannot_enrol_a_staff_id_the_command_line_refuses(cli, tmp_path):
    before = count_events(cli)
    record = {
        "command": "staff", "staff_id": "a b", "name": "N", "agency": "police", "rank": "PC",
        "since": "2015-01-01",
    }  # fmt: skip
    out = _import(cli, tmp_path, record)
    assert out.exit_code == 2 and "line 1:" in out.stderr and "staff id" in out.stderr
    assert count_events(cli) == before


# ------------------------------------------------------------------------------ entry numbers


def test_an_entry_of_another_offender_is_refused(no_database):
    says = refused_before_storage(
        no_database, 2, "acknowledge", REF, "WMP-000999#1", "--by", "4521"
    )
    assert "names an entry of 'WMP-000999'" in says
    says = refused_before_storage(no_database, 2, "acknowledge", REF, "abc#1", "--by", "4521")
    assert "names an entry of 'abc'" in says


def test_this_offenders_prefix_is_accepted(registered):
    registered.ok("acknowledge", REF, f"{REF}#1", "--by", "4521")


@pytest.mark.parametrize("number", ["²", "٣", "0", "#"])
def test_what_is_not_an_entry_number_is_refused(no_database, number):
    says = refused_before_storage(no_database, 2, "acknowledge", REF, number, "--by", "4521")
    assert "entry number" in says


@pytest.mark.parametrize(
    "args",
    [
        ["acknowledge", REF, "-1"],
        ["acknowledge", REF, "4", "-2,3"],
        ["share", REF, "-1", "--with", "probation"],
        ["correct", REF, "-1", "--reason", "r", "--summary", "s"],
    ],
    ids=["acknowledge", "acknowledge list", "share", "correct"],
)
def test_a_negative_entry_number_is_not_taken_for_an_option(no_database, args):
    """Click takes "-1" for an option ("No such option: -1"); it is a wrong entry number."""
    number = next(a for a in args if a.startswith("-") and a[1:2].isdigit())
    says = refused_before_storage(no_database, 2, *args)
    assert says.startswith(f"error: {number!r} is not an entry number: entries are numbered from 1")


def test_an_unknown_option_beside_entry_numbers_is_still_an_unknown_option(no_database):
    says = refused_before_storage(
        no_database, 2, "acknowledge", REF, "1", "--ocurred-at", "2016-11-01"
    )
    assert "No such option: --ocurred-at" in says


def test_a_correction_names_one_entry_and_says_what_changed(no_database):
    says = refused_before_storage(
        no_database, 2, "correct", REF, "1,1", "--reason", "typo", "--summary", "x"
    )
    assert "a correction names one entry" in says
    says = refused_before_storage(no_database, 2, "correct", REF, "1", "--reason", "typo")
    assert "--summary, --entry-occurred-at or --licence-end (of a release)" in says
    # The contract's --occurred-at is when the correction was made, as on every recording command.
    says = refused_before_storage(
        no_database, 2, "correct", REF, "1", "--reason", "r", "--occurred-at", "2016-07-05"
    )
    assert "the entry's corrected time is --entry-occurred-at" in says


def test_an_empty_entry_list_given_explicitly_is_refused(no_database):
    says = refused_before_storage(
        no_database, 2, "record", "decision", REF, "--decision", "d", "--rationale", "r",
        "--about", "",
    )  # fmt: skip
    assert says.startswith("error: --about is empty: give a value, or leave --about out")


# ---------------------------------------------------------------------------- empty and times


@pytest.mark.parametrize("blank", ["", "  "])
def test_an_empty_time_is_refused_not_taken_as_now(no_database, blank):
    says = refused_before_storage(
        no_database, 2, "record", "entry", REF, "--summary", "x", "--occurred-at", blank
    )
    assert "--occurred-at is empty" in says
    says = refused_before_storage(
        no_database, 2, "correct", REF, "1", "--reason", "r", "--entry-occurred-at", blank
    )
    assert "--entry-occurred-at is empty" in says


def test_a_future_corrected_time_names_its_own_option(registered):
    says = refused(
        registered, 1, "correct", REF, "1", "--reason", "r", "--entry-occurred-at", "2999-01-01"
    )
    assert says.startswith("error: --entry-occurred-at 2999-01-01 is in the future")


@pytest.mark.parametrize("option", ["--by", "--to"])
def test_an_empty_staff_id_is_refused_not_defaulted(no_database, option):
    args = ["transfer", REF, "--to", "7702"] if option == "--by" else ["transfer", REF]
    says = refused_before_storage(no_database, 2, *args, option, "")
    assert says.startswith(f"error: {option} is empty: give a value")


def test_a_london_time_the_clocks_skipped_is_refused(no_database):
    says = refused_before_storage(
        no_database, 2, "record", "entry", REF, "--summary", "x", "--occurred-at",
        "2016-03-27T01:30",
    )  # fmt: skip
    assert "never happened in London" in says


def test_a_basic_iso_date_is_a_date_with_the_time_unknown(registered):
    registered.ok("record", "entry", REF, "--summary", "x", "--occurred-at", "20161017")
    assert timeline(registered)[-1]["occurred_at"] == "2016-10-17"


def test_someone_enrolled_with_a_rank_longer_than_now_allowed_can_still_record(
    registered, monkeypatch
):
    """An event copies its author's rank from the staff directory: it was checked when typed."""
    import domain.staff

    rank = "Senior Probation Officer, " * 10  # 260 characters, as an earlier release allowed
    with monkeypatch.context() as before:
        before.setattr(domain.staff, "check_fields", lambda fields, *_: None)
        registered.ok(
            "staff", "add", "9001", "--name", "Pat", "--agency", "probation", "--rank", rank,
            "--since", "2015-01-01",
        )  # fmt: skip
    registered.ok("record", "entry", REF, "--summary", "Seen", "--by", "9001")
    registered.ok("transfer", REF, "--to", "9001")
    assert timeline(registered)[-2]["summary"] == "Seen"


@pytest.mark.parametrize(
    "args",
    [
        ["show", REF, "--at", ""],
        ["show", REF, "--as-of", " "],
        ["who-knew", REF, "--at", ""],
        ["timeline", REF, "--to", ""],
        ["timeline", REF, "--agency", ""],
        ["audit", "--since", ""],
        ["alerts", "--offender", ""],
        [
            "staff",
            "add",
            "9100",
            "--name",
            "N",
            "--agency",
            "police",
            "--rank",
            "PC",
            "--since",
            "",
        ],
    ],
    ids=lambda args: " ".join(a for a in args if a.startswith("-") or a.isalpha()),
)
def test_an_empty_value_is_refused_not_taken_as_left_out(no_database, args):
    """Given empty, an option would otherwise mean its default: --at '' the present, --agency
    '' every agency, --offender '' every offender."""
    option = next(a for a in args if a.startswith("--") and args[args.index(a) + 1].strip() == "")
    says = refused_before_storage(no_database, 2, *args)
    assert says.startswith(f"error: {option} is empty: give a value, or leave {option} out")


# ------------------------------------------------------------- every text, one check

STAFF_ADD = ["staff", "add", "9001", "--name", "N", "--agency", "probation", "--rank", "PO"]
REGISTER = ["offender", "register", "WMP-000124", "--name", "J D", "--born", "1975-03-02",
            "--category", "1"]  # fmt: skip
ASSESSMENT = ["record", "assessment", REF, "--tool", "ARMS", "--risk", "low"]
# Each command that takes text, with the option holding it last: given, it is text as any other.
TEXT_OPTIONS = {
    "register --area": [*REGISTER, "--area"],
    "staff add --area": [*STAFF_ADD, "--area"],
    "staff add --name": ["staff", "add", "9001", "--agency", "police", "--rank", "PC", "--name"],
    "staff add --rank": ["staff", "add", "9001", "--name", "N", "--agency", "health", "--rank"],
    "staff area --area": ["staff", "area", "4521", "--area"],
    "disclosure --detail": ["record", "disclosure", REF, "--summary", "s", "--detail"],
    "assessment --summary": [*ASSESSMENT, "--summary"],
    "transfer --reason": ["transfer", REF, "--to", "7702", "--reason"],
    "correct --summary": ["correct", REF, "1", "--reason", "r", "--summary"],
    "correct --reason": ["correct", REF, "1", "--summary", "s", "--reason"],
    "entry --summary": ["record", "entry", REF, "--summary"],
}


# `staff rank` reads the directory before it checks the rank, so its text is checked on a ledger,
# on each backend.
STAFF_RANK = ["staff", "rank", "7702", "--since", "2016-01-01", "--rank"]


def test_a_new_rank_is_text_as_any_other(registered):
    says = refused(registered, 2, *STAFF_RANK, "\u200b\u2060")
    assert says.startswith("error: --rank has only invisible or control characters (U+")
    says = refused(registered, 2, *STAFF_RANK, "  ")
    assert "--rank is empty" in says or "rank or job title is needed (--rank)" in says
    says = refused(registered, 2, *STAFF_RANK, "PS\x1b[2J")
    assert says.startswith("error: --rank ") and "U+001B" in says


@pytest.mark.parametrize("value", ["\ufeff", "\u2028", "\u200b\u2060", "\x7f"])
@pytest.mark.parametrize("command", sorted(TEXT_OPTIONS))
def test_every_text_of_only_invisible_characters_is_refused(no_database, command, value):
    option = TEXT_OPTIONS[command][-1]
    says = refused_before_storage(no_database, 2, *TEXT_OPTIONS[command], value)
    assert says.startswith(f"error: {option} has only invisible or control characters (U+")


@pytest.mark.parametrize("value", ["", "   "])
@pytest.mark.parametrize("command", sorted(TEXT_OPTIONS))
def test_every_text_given_empty_is_refused(no_database, command, value):
    option = TEXT_OPTIONS[command][-1]
    says = refused_before_storage(no_database, 2, *TEXT_OPTIONS[command], value)
    assert (
        f"{option} is empty" in says
        or f"{option} must not be empty" in says
        or (f"rank or job title is needed ({option})" in says)
    )


@pytest.mark.parametrize("command", sorted(TEXT_OPTIONS))
def test_every_text_with_an_escape_code_is_refused(no_database, command):
    option = TEXT_OPTIONS[command][-1]
    says = refused_before_storage(no_database, 2, *TEXT_OPTIONS[command], "Birmingham\x1b[2J")
    assert says.startswith(f"error: {option} ") and "U+001B" in says


def test_a_correction_to_an_invisible_summary_says_what_is_wrong_with_it(no_database):
    """Not "give the corrected --summary": one was given, and it has nothing in it to read."""
    says = refused_before_storage(
        no_database, 2, "correct", REF, "1", "--reason", "r", "--summary", "\u2028"
    )
    assert "--summary has only invisible or control characters (U+2028)" in says
    assert "give the corrected" not in says


def test_a_name_of_a_control_character_says_so_not_that_it_is_empty(no_database):
    says = refused_before_storage(no_database, 2, *TEXT_OPTIONS["staff add --name"], "\x7f")
    assert "--name has only invisible or control characters (U+007F)" in says


def test_an_area_is_said_back_as_it_is_kept(registered):
    out = registered.ok("staff", "area", "4521", "--area", " Coventry ", "--since", "2019-01-01")
    assert out.stdout == "4521 works in Coventry from 2019-01-01\n"
    staff = {s["staff_id"]: s for s in registered.ok("staff", "list", "--json").json()["staff"]}
    assert staff["4521"]["area"] == "Coventry"


@every_case_on_sqlite(
    ("record", "field"),
    [
        ({"command": "register", "ref": "WMP-000124", "name": "J D", "born": "1975-03-02",
          "category": 1, "area": ""}, "area"),
        ({"command": "register", "ref": "WMP-000124", "name": "J D", "born": "1975-03-02",
          "category": 1, "area": "\ufeff"}, "area"),
        ({"command": "entry", "ref": REF, "summary": "\u2028"}, "summary"),
        ({"command": "disclosure", "ref": REF, "summary": "s", "detail": " "}, "detail"),
        ({"command": "transfer", "ref": REF, "to": "7702", "reason": "\u200b"}, "reason"),
        ({"command": "correct", "ref": REF, "entry": 1, "reason": "r", "summary": "\ufeff"},
         "summary"),
        ({"command": "staff", "staff_id": "9001", "name": "N", "agency": "health",
          "rank": "\ufeff", "since": "2015-01-01"}, "rank"),
    ],
    ids=["register area empty", "register area BOM", "entry summary", "disclosure detail",
         "transfer reason", "correct summary", "staff rank"],
)  # fmt: skip
def test_an_import_takes_text_by_the_same_rules(registered, tmp_path, record, field):
    before = count_events(registered)
    out = _import(registered, tmp_path, record)
    assert out.exit_code == 2, out.stderr
    assert out.stderr.startswith(f"error: line 1: {field} ") or (
        f"({field})" in out.stderr and out.stderr.startswith("error: line 1: ")
    ), out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert count_events(registered) == before


@every_case_on_sqlite(
    ("recipient", "says"),
    [
        ("", "--to is empty: give a value, or leave --to out"),
        ("  ", "--to is empty: give a value, or leave --to out"),
        ("\ufeff", "--to has only invisible or control characters (U+FEFF)"),
        ("HM Coroner\x1b[2J", "--to contains the character U+001B"),
        ("C" * 201, "--to is 201 characters long; at most 200 are kept"),
    ],
    ids=["empty", "spaces", "BOM", "escape code", "201 characters"],
)
def test_an_export_recipient_is_text_as_any_other(registered, tmp_path, recipient, says):
    from tests.integration.helpers import log

    out_file = tmp_path / "export.json"
    line = refused(
        registered, 2, "export", REF, "--format", "json", "--out", str(out_file),
        "--to", "HM Coroner", "--to", recipient,
    )  # fmt: skip
    assert says in line
    assert [p.name for p in tmp_path.iterdir() if "export" in p.name] == []
    assert log(registered)[-1]["outcome"] == "refused"


def test_an_export_recipient_is_kept_without_surrounding_space(registered, tmp_path):
    out_file = tmp_path / "export.json"
    registered.ok("export", REF, "--format", "json", "--out", str(out_file), "--to", " HM Coroner ")
    assert json.loads(out_file.read_text())["export"]["recipients"] == ["HM Coroner"]


def test_text_that_looks_like_markup_is_shown_as_typed(registered):
    """Tables are for people: "[/x]" is text a summary may hold, not markup to apply or choke on."""
    registered.ok("record", "entry", REF, "--summary", "[/x] and [bold]not bold")
    out = registered.ok("timeline", REF, env={"COLUMNS": "300"})
    assert "[/x] and [bold]not bold" in out.stdout
