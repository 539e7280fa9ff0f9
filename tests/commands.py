"""Every command of the `ledger` tree, found the way Click finds them (commands are built lazily)."""

from __future__ import annotations

import functools
from typing import Any

from tests.helpers import root_command

CommandPath = tuple[str, ...]


def groups_and_leaves() -> tuple[list[tuple[CommandPath, Any]], list[tuple[CommandPath, Any]]]:
    """(groups, leaves): every group that dispatches and every command that does something,
    each with its path from the root."""
    groups, leaves = _walked()
    return list(groups), list(leaves)


@functools.cache
def _walked() -> tuple[tuple[tuple[CommandPath, Any], ...], tuple[tuple[CommandPath, Any], ...]]:
    """The walk, once per test process: it builds every command, which is the slow part."""
    from typer import Context

    groups: list[tuple[CommandPath, Any]] = []
    leaves: list[tuple[CommandPath, Any]] = []

    def walk(command: Any, path: CommandPath) -> None:
        if not hasattr(command, "list_commands"):
            leaves.append((path, command))
            return
        groups.append((path, command))
        ctx = Context(command)
        for name in sorted(command.list_commands(ctx)):
            walk(command.get_command(ctx, name), (*path, name))

    walk(root_command(), ())  # as the in-process tests run it
    return tuple(groups), tuple(leaves)


def leaf_commands() -> list[tuple[CommandPath, Any]]:
    return groups_and_leaves()[1]
