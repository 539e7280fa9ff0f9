"""The root command, building each command only when it is used.

Importing every command module and turning every command function into a Click command costs
tens of milliseconds that recording one entry does not need. The root knows each top-level
command's name and the module whose `register(app)` defines it. The first time one of them is
asked for, it imports that module, and turns into a Click command only the one asked for; a group
such as `record` turns its own subcommands into Click commands one at a time in the same way.
Listing commands (`ledger --help`, `ledger record --help`) builds everything it lists.

Building a single command uses two functions inside Typer (`get_command_from_info`,
`get_group_from_info`). With a Typer that lacks them, a module's commands are all built at once
through the public `typer.main.get_group`: the same commands, only a little slower to start.
"""

from __future__ import annotations

import copy
import importlib
import inspect
from typing import Any, ClassVar

import typer
from typer import Context
from typer.core import TyperGroup

from cli.errors import LedgerGroup


class LazyTyperGroup(TyperGroup):
    """A group whose subcommands stay as Typer definitions until one is asked for."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: dict[str, Any] = {}
        self.typer_app: typer.Typer | None = None

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *self.pending]

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        info = self.pending.pop(cmd_name, None)
        if info is not None and self.typer_app is not None:
            self.add_command(_build_command(info, self.typer_app), cmd_name)
        return super().get_command(ctx, cmd_name)


class LazyLedgerGroup(LedgerGroup):
    """A `LedgerGroup` whose commands come from `modules`: command name -> defining module."""

    modules: ClassVar[dict[str, str]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: dict[str, tuple[Any, typer.Typer]] = {}
        self._loaded: set[str] = set()

    def list_commands(self, ctx: Context) -> list[str]:
        loaded = [name for name in super().list_commands(ctx) if name not in self.modules]
        return [*self.modules, *loaded]

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.modules:
            self._load(self.modules[cmd_name])
            found = self._pending.pop(cmd_name, None)
            if found is not None:
                info, holder = found
                self.add_command(_build(info, holder), cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, module_name: str) -> None:
        """Imports `module_name` and keeps the definitions its `register` makes, unbuilt."""
        if module_name in self._loaded:
            return
        self._loaded.add(module_name)
        holder = typer.Typer()
        importlib.import_module(module_name).register(holder)
        if not _can_build_singly():
            for name, command in typer.main.get_group(holder).commands.items():
                command.help = reflowed(command.help)
                self.add_command(command, name)
            return
        for info in holder.registered_commands:
            self._pending[_command_name(info)] = (info, holder)
        for info in holder.registered_groups:
            self._pending[info.name] = (info, holder)


def _can_build_singly() -> bool:
    import typer.main

    return all(
        hasattr(typer.main, name)
        for name in ("get_command_from_info", "get_group_from_info", "get_command_name")
    )


def _command_name(info: Any) -> str:
    import typer.main

    return info.name or typer.main.get_command_name(info.callback.__name__)


def _build(info: Any, holder: typer.Typer) -> Any:
    """A Click command for a command definition, or a lazy group for a sub-app."""
    from typer.models import CommandInfo

    if isinstance(info, CommandInfo):
        return _build_command(info, holder)
    return _build_group(info, holder)


def _build_command(info: Any, holder: typer.Typer) -> Any:
    import typer.main

    from cli.session import CommandContext

    command = typer.main.get_command_from_info(
        info,
        pretty_exceptions_short=holder.pretty_exceptions_short,
        rich_markup_mode=holder.rich_markup_mode,
    )
    command.context_class = CommandContext  # the session learns the command before its body runs
    command.help = reflowed(command.help)
    return command


def reflowed(text: str | None) -> str | None:
    """A command's help with each paragraph's lines joined, for the terminal to wrap.

    Typer keeps the line breaks of a docstring's paragraphs, so text wrapped at the source's
    width came out at 80 columns as a long line cut short, then a short one. A paragraph with a
    line that begins with "-" (a list, or options each explained on a line of its own) keeps its
    breaks.
    """
    if not text:
        return text
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        paragraph
        if any(line.lstrip().startswith("-") for line in paragraph.splitlines())
        else " ".join(line.strip() for line in paragraph.splitlines())
        for paragraph in paragraphs
    )


def _build_group(info: Any, holder: typer.Typer) -> Any:
    """The sub-app's group with none of its commands built: they are built one by one."""
    import typer.main

    app = info.typer_instance
    if app.registered_groups:  # groups within groups are built whole
        return typer.main.get_group_from_info(
            info,
            pretty_exceptions_short=holder.pretty_exceptions_short,
            rich_markup_mode=holder.rich_markup_mode,
            suggest_commands=holder.suggest_commands,
        )
    empty = copy.copy(app)
    empty.registered_commands = []
    shell = copy.copy(info)
    shell.typer_instance = empty
    shell.cls = LazyTyperGroup
    group = typer.main.get_group_from_info(
        shell,
        pretty_exceptions_short=holder.pretty_exceptions_short,
        rich_markup_mode=holder.rich_markup_mode,
        suggest_commands=holder.suggest_commands,
    )
    group.typer_app = app
    group.pending = {_command_name(command): command for command in app.registered_commands}
    return group
