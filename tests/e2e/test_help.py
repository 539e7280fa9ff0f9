"""Every command has help text with an example; the tree is walked, so later commands count too."""

from __future__ import annotations

import pytest

from tests.commands import groups_and_leaves, leaf_commands

COMMANDS = leaf_commands()


def test_the_tree_has_every_command_of_the_contract():
    paths = {" ".join(path) for path, _ in COMMANDS}
    contract = {
        "init", "keygen", "staff add", "staff list", "offender register", "offender list",
        "record release", "record disclosure", "record visit", "record entry", "record concern",
        "record assessment", "record review", "record decision", "record disagreement",
        "record escalation", "record mappa-referral", "record mappa-meeting",
        "record recall-decision", "acknowledge", "transfer", "share", "correct", "show", "timeline",
    }  # fmt: skip
    assert contract <= paths


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_an_example_of_itself(path, command):
    examples = [line.strip() for line in (command.help or "").splitlines() if "Example:" in line]
    assert examples, f"'ledger {' '.join(path)}' has no 'Example:' line in its help"
    assert any("ledger" in line and " ".join(path) in line for line in examples), examples


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_shows_its_example_under_help(path, command):
    from typer.testing import CliRunner

    import cli.main

    out = CliRunner().invoke(cli.main.app, [*path, "--help"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.stderr
    assert "Example:" in out.stdout


GROUPS = groups_and_leaves()[0]


@pytest.mark.parametrize(
    ("path", "group"), GROUPS, ids=[" ".join(p) or "ledger" for p, _ in GROUPS]
)
def test_every_group_shows_an_example_under_help(path, group):
    from typer.testing import CliRunner

    import cli.main

    out = CliRunner().invoke(cli.main.app, [*path, "--help"], env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.stderr
    examples = [line for line in out.stdout.splitlines() if "Example:" in line]
    assert any(f"ledger {' '.join(path)}".strip() in line for line in examples), out.stdout


def test_ledger_alone_shows_the_help_and_says_what_is_missing():
    from typer.testing import CliRunner

    import cli.main

    out = CliRunner().invoke(cli.main.app, [], env={"COLUMNS": "200"})
    assert out.exit_code == 2
    assert "Example:" in out.stdout
    assert out.stderr == "error: name a command; see 'ledger --help'\n"
