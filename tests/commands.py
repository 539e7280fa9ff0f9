"""Every command of the `ledger` tree, found the way Click finds them (commands are built lazily)."""

from __future__ import annotations

from typing import Any


def command_tree() -> Any:
    import typer.main

    from cli.main import app

    return typer.main.get_command(app)


def groups_and_leaves() -> tuple[
    list[tuple[tuple[str, ...], Any]], list[tuple[tuple[str, ...], Any]]
]:
    """(groups, leaves): every group that dispatches and every command that does something,
    each with its path from the root."""
    from typer import Context

    groups: list[tuple[tuple[str, ...], Any]] = []
    leaves: list[tuple[tuple[str, ...], Any]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        if not hasattr(command, "list_commands"):
            leaves.append((path, command))
            return
        groups.append((path, command))
        ctx = Context(command)
        for name in sorted(command.list_commands(ctx)):
            walk(command.get_command(ctx, name), (*path, name))

    walk(command_tree(), ())
    return groups, leaves


def leaf_commands() -> list[tuple[tuple[str, ...], Any]]:
    return groups_and_leaves()[1]
