"""Every way of looking at the ledger is attributed, justified and logged (Data Protection Act
2018 s.62): `verify`, `import --dry-run` and `projections status` too; and the writer role runs
every `projections` command on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.integration.helpers import REF, log, postgres_only


def _one_error_line(outcome) -> bool:
    return outcome.stderr.startswith("error:") and len(outcome.stderr.strip().splitlines()) == 1


LOOKS = {
    "verify": ["verify", "--json"],
    "projections status": ["projections", "status", "--json"],
}


@pytest.mark.parametrize("command", sorted(LOOKS))
def test_a_look_without_an_actor_is_refused(registered, command):
    outcome = registered(*LOOKS[command], env={"LEDGER_ACTOR": ""})

    assert outcome.exit_code != 0 and _one_error_line(outcome)
    assert "actor" in outcome.stderr
    assert outcome.stdout == ""


@pytest.mark.parametrize("command", sorted(LOOKS))
def test_a_look_without_a_justification_is_refused(registered, command):
    registered.reason = ""
    outcome = registered(*LOOKS[command], actor="7702")

    assert outcome.exit_code != 0 and _one_error_line(outcome)
    assert "justification" in outcome.stderr
    assert outcome.stdout == ""


@pytest.mark.parametrize("command", sorted(LOOKS))
def test_a_look_leaves_its_row_in_the_access_log(registered, command):
    registered.reason = "checking the ledger for the audit"
    before = len(log(registered))

    registered.ok(*LOOKS[command], actor="7702")

    rows = [r for r in log(registered)[before:] if r["command"] == command]
    assert [(r["actor"], r["outcome"], r["reason"]) for r in rows] == [
        ("7702", "consulted", "checking the ledger for the audit")
    ]


def test_verify_naming_an_altered_entry_is_attributed(attacker, ledger_with_history):
    position = attacker.positions()[-1]
    attacker.set_state(position, attacker.state(position) + b" ")
    outcome = ledger_with_history("verify", "--json", env={"LEDGER_ACTOR": ""})
    assert outcome.exit_code != 3 and f"{REF}#" not in outcome.stdout

    ledger_with_history.reason = "integrity check"
    outcome = ledger_with_history("verify", "--json", actor="8801")

    assert outcome.exit_code == 3 and f"{REF}#4" in outcome.stdout
    rows = [r for r in log(ledger_with_history) if r["command"] == "verify"]
    # Consulted before the report was shown; the exit 3 then logged as the command's refusal.
    assert [(r["actor"], r["outcome"]) for r in rows][-2:] == [
        ("8801", "consulted"),
        ("8801", "refused"),
    ]


def _import_file(tmp_path):
    path = tmp_path / "chronology.jsonl"
    path.write_text(
        json.dumps({"command": "entry", "ref": REF, "summary": "Imported intel", "by": "4521"})
        + "\n"
    )
    return str(path)


def test_a_dry_run_import_needs_a_justification(registered, tmp_path):
    registered.reason = ""
    outcome = registered("import", _import_file(tmp_path), "--dry-run", actor="7702")

    assert outcome.exit_code != 0 and _one_error_line(outcome)
    assert "justification" in outcome.stderr and f"{REF}#" not in outcome.stdout


def test_a_dry_run_import_is_logged_as_a_look(registered, tmp_path):
    registered.reason = "checking a chronology before import"
    before = len(log(registered))

    out = registered.ok("import", _import_file(tmp_path), "--dry-run", actor="7702")

    assert f"{REF}#2" in out.stdout
    rows = [r for r in log(registered)[before:] if r["command"] == "import"]
    assert [(r["actor"], r["outcome"], r["offender"]) for r in rows] == [
        ("7702", "consulted", None)
    ]


@postgres_only
def test_the_writer_role_runs_every_projections_command(registered, logins):
    alice = logins["4521"]
    alice.ok("record", "entry", REF, "--summary", "Typed by Sam")

    assert alice.ok("projections", "status", "--json").json()["head"] > 0
    assert alice.ok("projections", "run").exit_code == 0
    rebuilt = alice("projections", "rebuild", "--json")
    assert rebuilt.exit_code == 0, rebuilt.stderr
    for name in [
        p["name"] for p in alice.ok("projections", "status", "--json").json()["projections"]
    ]:
        assert alice("projections", "rebuild", name, "--json").exit_code == 0
    summaries = [e["summary"] for e in alice.ok("timeline", REF, "--json").json()["entries"]]
    assert "Typed by Sam" in summaries
