"""What a command has to hand: the ledger's context (`ledger.context`), told by Typer which command
is running and with what, so that its reads and refusals are logged against it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import typer

from ledger.context import LedgerContext


@dataclass
class Session(LedgerContext):
    """A command's `LedgerContext`, told by Typer which command runs and with what options."""

    # What this command has committed, once it has ("WMP-000123#5"): an interrupt after that
    # point says it was saved, rather than that nothing was.
    saved: str | None = None

    def attend(self, ctx: typer.Context) -> None:
        """Notes which command is running, and with what, from its Typer context."""
        names = []
        outer = ctx
        while outer.parent is not None:
            names.append(outer.info_name or "")
            outer = outer.parent
        if not names:
            return
        self.command = " ".join(reversed(names))
        self.options = {
            name: _plain(value)
            for name, value in ctx.params.items()
            if value is not None and value is not False and value != ()
        }

    def refused(self, what: str, offender: str | None, error: Exception) -> None:
        """Left to the root command, which logs every refused command once, with its exit
        status, after printing its `error:` line (`cli.errors`)."""


class CommandContext(typer.Context):
    """A command's context, which tells the session what is running as soon as the command's
    values are parsed and before its body runs: a value the body refuses (an empty --reason, a
    bad entry number, an unknown --kind) is then logged against the command, the offender and
    the options given, like a refusal found later. `cli.lazy` sets it on each command it
    builds."""

    def invoke(self, callback: Any, /, *args: Any, **kwargs: Any) -> Any:
        if callback is getattr(self.command, "callback", None):
            if isinstance(self.obj, Session):
                self.obj.attend(self)
            refuse_empty_values(self)
        return super().invoke(callback, *args, **kwargs)


def refuse_empty_values(ctx: typer.Context) -> None:
    """A value given but blank is a mistake, never a way to leave an option out: `--at ''` would
    otherwise answer for now, and `--agency ''` list every agency (`domain.text.is_blank`; text
    of invisible characters gets the text check's own, closer message)."""
    from domain.text import blank_value_error, is_blank

    for param in ctx.command.params:
        source = ctx.get_parameter_source(param.name) if param.name else None
        if source is None or source.name == "DEFAULT":
            continue
        value = ctx.params.get(param.name)
        values = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(v, str) and is_blank(v) for v in values):
            option = param.param_type_name == "option"
            name = param.opts[0] if option else param.name.upper()
            raise blank_value_error(name, optional=option and not param.required)


def _plain(value: Any) -> Any:
    """An option's value as JSON can hold it."""
    if isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return str(value)


def session(ctx: typer.Context) -> Session:
    """The root command's session, told that this command (`ctx`) is the one running."""
    root = ctx.find_root()
    if not isinstance(root.obj, Session):
        raise RuntimeError("the root command did not set up the session")
    root.obj.attend(ctx)
    return root.obj
