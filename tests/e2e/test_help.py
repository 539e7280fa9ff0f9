"""Every command has help text with an example; the tree is walked, so later commands count too."""

from __future__ import annotations

from typing import Any

import pytest


def command_tree() -> Any:
    import typer.main

    from cli.main import app

    return typer.main.get_command(app)


def leaf_commands() -> list[tuple[tuple[str, ...], Any]]:
    """Every command that does something, with its path from the root (groups only dispatch)."""
    found: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        children = getattr(command, "commands", None)
        if children is None:
            found.append((path, command))
            return
        for name, child in sorted(children.items()):
            walk(child, (*path, name))

    walk(command_tree(), ())
    return found


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
