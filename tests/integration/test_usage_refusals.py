"""Malformed input refused as a usage error (exit 2) in one line, before anything is written.

Each of these once ended in `error: unexpected failure (...)` with exit 1, or was accepted and
silently meant something else: database URLs with bad ports, options given empty, --late-after
past what a date holds, options that contradict each other, arguments that are not UTF-8, a
cipher key for a ledger that is not encrypted, and loosely typed or ambiguous import records.

A refusal made before the ledger is opened runs once, on `no_database` (a URL where nothing
listens: reaching for it would exit 4, not 2); one that reads the ledger runs on both backends.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

from tests.helpers import LedgerCLI
from tests.integration.helpers import (
    REF,
    count_events,
    refused_before_storage,
    timeline,
)


def one_error_line(out) -> str:
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "Traceback" not in out.stderr + out.stdout
    assert "unexpected failure" not in out.stderr
    return lines[0]


# --------------------------------------------------------------------------- the database URL


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://postgres@127.0.0.1:99999/test", "port must be 1-65535"),
        ("postgresql://postgres@127.0.0.1:abc/test", "port must be 1-65535"),
        ("postgresql://postgres@[::1/test", "IPv6"),
        ("sqlite:///" + "a" * 5000, "more than file systems allow"),
    ],
)
def test_a_malformed_database_url_is_a_usage_error(tmp_path, monkeypatch, url, says):
    monkeypatch.chdir(tmp_path)
    out = LedgerCLI(url)("--database-url", url, "show", REF, actor="1001")
    assert out.exit_code == 2
    assert says in one_error_line(out)
    assert list(tmp_path.iterdir()) == []  # no database file, nothing else


def test_a_long_sqlite_file_name_is_refused_even_by_init(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/{'b' * 300}.db"
    out = LedgerCLI(url)("init")
    assert out.exit_code == 2
    assert "303 characters long" in one_error_line(out)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- root options


@pytest.mark.parametrize(
    ("option", "variable"),
    [("--as", "LEDGER_ACTOR"), ("--reason", "LEDGER_REASON")],
)
@pytest.mark.parametrize("value", ["", "   "])
def test_a_root_option_given_empty_does_not_fall_back(no_database, option, variable, value):
    says = refused_before_storage(
        no_database, 2, option, value, "record", "entry", REF, "--summary", "Seen"
    )
    assert f"{option} is empty" in says and variable in says
    out = no_database(option, value, "show", REF)
    assert out.exit_code == 2 and f"{option} is empty" in one_error_line(out)


def test_an_empty_database_url_option_does_not_fall_back(no_database):
    out = no_database("--database-url", "", "show", REF)
    assert out.exit_code == 2
    assert "--database-url is empty" in one_error_line(out)


# --------------------------------------------------------------------------- timeline options


def test_late_after_beyond_a_century_is_a_usage_error(registered):
    for value in ("999999999999999999999", "36526"):
        out = registered("timeline", REF, "--late-after", value)
        assert out.exit_code == 2 and "--late-after" in one_error_line(out)
    out = registered("timeline", REF, env={"LEDGER_LATE_AFTER_DAYS": "999999999999999999999"})
    assert out.exit_code == 2 and "LEDGER_LATE_AFTER_DAYS" in one_error_line(out)
    assert registered.ok("timeline", REF, "--late-after", "36525", "--json").json()["entries"]


def test_json_and_csv_together_are_refused(no_database):
    out = no_database("timeline", REF, "--json", "--csv")
    assert out.exit_code == 2 and out.stdout == ""
    assert "--json and --csv: choose one" in one_error_line(out)


def test_from_after_to_is_refused(registered):
    out = registered("timeline", REF, "--from", "2017-01-01", "--to", "2016-01-01")
    assert out.exit_code == 2 and out.stdout == ""
    assert "--from 2017-01-01 is after --to 2016-01-01" in one_error_line(out)
    # One day is a range.
    assert timeline(registered, "--from", "2016-07-04", "--to", "2016-07-04")


# --------------------------------------------------------------------------- not UTF-8


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["record", "entry", REF, "--summary", "\udced\udca0\udc80"], "--summary"),
        (["record", "entry", REF, "--summary=\udcff"], "--summary"),
        (["record", "entry", "\udcff", "--summary", "Seen"], "command-line argument 3"),
    ],
)
def test_an_argument_that_is_not_utf8_is_refused_up_front(no_database, arguments, named):
    # Python hands undecodable argv bytes over as lone surrogates (surrogateescape).
    says = refused_before_storage(no_database, 2, *arguments)
    assert f"{named} is not valid text (UTF-8)" in says


def test_a_setting_that_is_not_utf8_is_refused_up_front(registered):
    before = count_events(registered)
    out = registered(
        "record", "entry", REF, "--summary", "Seen", env={"LEDGER_REASON": "audit\udcff"}
    )
    assert out.exit_code == 2
    assert "LEDGER_REASON is not valid text (UTF-8)" in one_error_line(out)
    assert count_events(registered) == before


# --------------------------------------------------------------------------- cipher key


def test_a_cipher_key_for_an_unencrypted_ledger_is_a_usage_error(registered):
    before = count_events(registered)
    key = registered.ok("keygen").stdout.strip()
    for args in (("show", REF), ("record", "entry", REF, "--summary", "With a key")):
        out = registered(*args, env={"LEDGER_CIPHER_KEY": key})
        assert out.exit_code == 2, out.stderr
        says = one_error_line(out)
        assert "not encrypted" in says and "unset LEDGER_CIPHER_KEY" in says
        assert out.stdout == ""
    assert count_events(registered) == before
    registered.ok("show", REF)


def test_a_wrong_key_for_an_encrypted_ledger_says_so_plainly(database_url):
    key = LedgerCLI(database_url).ok("keygen").stdout.strip()
    cli = LedgerCLI(database_url)
    env = {"LEDGER_CIPHER_KEY": key}
    cli.ok("init", env=env)
    cli.ok(
        "staff", "add", "1001", "--name", "Ann", "--agency", "police", "--rank", "Insp",
        "--since", "2010-01-01", env=env,
    )  # fmt: skip
    wrong = base64.b64encode(bytes(32)).decode()
    out = cli("staff", "list", actor="1001", env={"LEDGER_CIPHER_KEY": wrong})
    assert out.exit_code == 1
    says = one_error_line(out)
    assert says.startswith("error: an event cannot be decrypted with LEDGER_CIPHER_KEY")
    assert "MapperDeserialisationError" not in says


# --------------------------------------------------------------------------- import


def import_text(cli, tmp_path: Path, text: str | bytes, *options: str):
    path = tmp_path / "records.jsonl"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return cli("import", str(path), *options)


def line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"


ENTRY = {"command": "entry", "ref": REF, "summary": "Seen", "occurred_at": "2016-09-01"}
REGISTER = {
    "command": "register",
    "ref": "WMP-000999",
    "name": "Al Smith",
    "born": "1980-01-01",
    "category": 2,
    "occurred_at": "2016-01-01",
}


@pytest.mark.parametrize(
    ("record", "field", "says"),
    [
        ({**ENTRY, "risk_relevant": "yes"}, "entry.risk_relevant", "JSON true or false"),
        ({**ENTRY, "risk_relevant": 1}, "entry.risk_relevant", "JSON true or false"),
        ({**REGISTER, "category": True}, "register.category", "JSON whole number"),
        ({**REGISTER, "category": "2"}, "register.category", "JSON whole number"),
        ({**REGISTER, "level": 1.0}, "register.level", "JSON whole number"),
        ({**REGISTER, "name": 5}, "register.name", "JSON string"),
        (
            {"command": "acknowledge", "ref": REF, "entries": ["1"]},
            "acknowledge.entries",
            "JSON whole number",
        ),
        (
            {"command": "mappa-referral", "ref": REF, "level": 2.0, "reason": "Risk"},
            "mappa-referral.level",
            "JSON whole number",
        ),
        (
            {"command": "mappa-referral", "ref": REF, "level": True, "reason": "Risk"},
            "mappa-referral.level",
            "JSON whole number",
        ),
    ],
)
def test_import_types_are_strict(registered, tmp_path, record, field, says):
    before = count_events(registered)
    # A good record first: the import is all or nothing.
    out = import_text(registered, tmp_path, line(ENTRY) + line(record))
    assert out.exit_code == 2
    error = one_error_line(out)
    assert error.startswith(f"error: line 2: {field}: must be") and says in error, error
    assert count_events(registered) == before


def test_import_still_takes_well_typed_records(registered, tmp_path):
    referral = {"command": "mappa-referral", "ref": REF, "level": 2, "reason": "Risk"}
    out = import_text(
        registered,
        tmp_path,
        line({**REGISTER, "level": 1}) + line({**ENTRY, "risk_relevant": True}) + line(referral),
        "--json",
    )
    assert out.exit_code == 0, out.stderr
    assert out.json()["records"] == 3


def test_a_duplicate_key_is_refused_naming_line_and_key(registered, tmp_path):
    before = count_events(registered)
    duplicated = (
        '{"command": "entry", "ref": "WMP-000123", "summary": "First", "summary": "Second"}\n'
    )
    out = import_text(registered, tmp_path, line(ENTRY) + duplicated)
    assert out.exit_code == 2
    error = one_error_line(out)
    assert error.startswith("error: line 2:") and "'summary' appears twice" in error
    assert count_events(registered) == before


def test_a_duplicate_key_in_a_nested_object_is_refused(registered, tmp_path):
    out = import_text(
        registered, tmp_path, '{"command": "entry", "ref": "R", "x": {"a": 1, "a": 2}}\n'
    )
    assert out.exit_code == 2 and "'a' appears twice" in one_error_line(out)


def test_a_byte_order_mark_is_skipped(registered, tmp_path):
    out = import_text(registered, tmp_path, b"\xef\xbb\xbf" + line(ENTRY).encode())
    assert out.exit_code == 0, out.stderr
    assert timeline(registered)[-1]["summary"] == "Seen"


@pytest.mark.parametrize("opening", ["[", '{"a": '])
def test_a_line_nested_too_deeply_is_refused_naming_it(registered, tmp_path, opening):
    closing = "]" if opening == "[" else "}"
    deep = opening * 100_000 + "1" + closing * 100_000
    out = import_text(registered, tmp_path, line(ENTRY) + "\n" + deep + "\n")
    assert out.exit_code == 2
    assert one_error_line(out).startswith("error: line 3: nested too deeply")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"command": "acknowledge", "ref": "R", "entries": [NaN]}', "NaN is not a JSON number"),
        ('{"command": "acknowledge", "ref": "R", "entries": [' + "9" * 5000 + "]}", "digits"),
        ("[1]", "must be a JSON object"),
    ],
)
def test_other_malformed_lines_are_usage_errors(registered, tmp_path, text, says):
    out = import_text(registered, tmp_path, text + "\n")
    assert out.exit_code == 2
    error = one_error_line(out)
    assert error.startswith("error: line 1:") and says in error


def test_a_line_separator_inside_a_string_does_not_split_the_line(registered, tmp_path):
    # JSON allows U+2028 unescaped in a string; str.splitlines would cut the record in two.
    out = import_text(registered, tmp_path, line({**ENTRY, "summary": "Seen\u2028again"}))
    assert "not JSON" not in out.stderr
    assert out.exit_code in (0, 2)
    if out.exit_code == 2:  # the domain may refuse the character itself, by name
        assert "U+2028" in one_error_line(out)


def test_a_file_that_is_not_utf8_names_its_line(registered, tmp_path):
    out = import_text(registered, tmp_path, line(ENTRY).encode() + b'{"summary": "\xff"}\n')
    assert out.exit_code == 2
    assert "line 2 is not UTF-8" in one_error_line(out)


def test_a_missing_import_file_is_one_clean_line(registered, tmp_path):
    out = registered("import", str(tmp_path / "absent.jsonl"))
    assert out.exit_code == 2
    assert "No such file or directory" in one_error_line(out)
    assert os.path.basename("absent.jsonl") in out.stderr


# --------------------------------------------------------------------------- entry numbers

HUGE = "9" * 5000  # more digits than Python converts to a number


@pytest.mark.parametrize(
    "command",
    [
        ("acknowledge", REF, HUGE),
        ("share", REF, HUGE, "--with", "probation"),
        ("correct", REF, HUGE, "--reason", "Typed wrongly", "--summary", "Seen"),
        ("record", "decision", REF, "--decision", "Refer", "--rationale", "Risk", "--about", HUGE),
        (
            "record", "mappa-meeting", REF, "--level", "2", "--attendees", "4521",
            "--summary", "Plan", "--discussed", f"1,{HUGE}",
        ),
    ],
    ids=["acknowledge", "share", "correct", "--about", "--discussed"],
)  # fmt: skip
def test_an_entry_number_of_thousands_of_digits_is_out_of_range(no_database, command):
    out = no_database(*command)
    assert out.exit_code == 2
    error = one_error_line(out)
    assert error.startswith(
        "error: entry '99999999999999999999'... (5000 characters) is out of range"
    )
    assert "entry numbers run from 1 to 9223372036854775807" in error


def test_a_whole_number_option_of_thousands_of_digits_is_out_of_range(no_database):
    out = no_database("record", "mappa-referral", REF, "--level", HUGE, "--reason", "Risk")
    assert out.exit_code == 2
    error = one_error_line(out)
    assert "(5000 characters) is out of range" in error and len(error) < 300


# --------------------------------------------------------------------------- projections run


@pytest.mark.parametrize("interval", ["nan", "inf", "1e308", "-1", "0"])
def test_a_poll_interval_out_of_range_is_a_usage_error(no_database, interval):
    out = no_database("projections", "run", "--follow", "--poll-interval", interval)
    assert out.exit_code == 2
    assert "--poll-interval must be from 0.01 to 3600 seconds" in one_error_line(out)
