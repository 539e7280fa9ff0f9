"""A value refused before the command reached the ledger (an empty --reason, a bad entry number, an
unknown --kind) is logged against the command actually run, its offender and the names of its
options, as a refusal found later is. On SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest

from tests.integration.helpers import log

REF = "WMP-000123"

# (arguments, the command logged, the option names that must be logged, words of the error)
EARLY_REFUSALS = [
    (("correct", REF, "4", "--reason", "  "), "correct", {"ref", "entry_number", "reason"}, "--reason"),
    (("correct", REF, "x", "--reason", "Typo"), "correct", {"ref", "entry_number", "reason"}, "'x'"),
    (("acknowledge", REF, "zz"), "acknowledge", {"ref", "entries"}, "'zz'"),
    (("record", "entry", REF, "--summary", " "), "record entry", {"ref", "summary"}, "--summary"),
    (
        ("record", "visit", REF, "--kind", "bogus", "--outcome", "Thoughts of rape"),
        "record visit",
        {"ref", "kind", "outcome"},
        "--kind 'bogus' is not one of",
    ),
    (
        ("record", "mappa-referral", REF, "--level", "7", "--reason", "Thoughts of rape"),
        "record mappa-referral",
        {"ref", "level", "reason"},
        "MAPPA level",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "command", "options", "words"),
    EARLY_REFUSALS,
    ids=[" ".join(a[: 2 if a[0] == "record" else 1]) + f" {a[-1]!r}" for a, *_ in EARLY_REFUSALS],
)
def test_a_value_refused_early_is_logged_with_its_command_offender_and_options(
    registered, args, command, options, words
):
    before = len(log(registered))

    out = registered(*args)

    assert out.exit_code == 2, out.stderr
    assert out.stderr.startswith("error: ") and words in out.stderr
    rows = log(registered)[before:]
    assert len(rows) == 1, rows
    row = rows[0]
    assert (row["command"], row["offender"], row["outcome"], row["actor"]) == (
        command,
        REF,
        "refused",
        "1001",
    )
    assert row["details"]["exit_code"] == 2
    assert options <= set(row["details"]["options"]), row["details"]
    assert row["error"] == out.stderr.strip().removeprefix("error: ")
    # Only the options' names: refused free text is not kept beside the event store.
    assert "rape" not in str(row)


def test_a_refusal_of_a_command_about_no_offender_names_the_command(registered):
    before = len(log(registered))

    out = registered("staff", "add", "9001", "--name", "X", "--agency", "nope", "--rank", "PC")

    assert out.exit_code == 2
    (row,) = log(registered)[before:]
    assert (row["command"], row["offender"], row["outcome"]) == ("staff add", None, "refused")
    assert {"staff_id", "name", "agency", "rank"} <= set(row["details"]["options"])


def test_the_reference_is_logged_as_typed_without_surrounding_spaces(registered):
    before = len(log(registered))

    registered("correct", f" {REF} ", "4", "--reason", "")

    (row,) = log(registered)[before:]
    assert (row["command"], row["offender"]) == ("correct", REF)
