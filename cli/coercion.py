"""Plain coercion for plain command-line values, so that recording does not import pydantic.

Typer (0.2x) coerces every value through a pydantic `TypeAdapter`: importing pydantic and building
the adapters costs about 80 ms on every invocation, a third of the wall time of
`ledger record entry`. Our parameters are text, whole numbers, flags and lists of text, and the
domain validates the text itself, so those are converted here directly. A whole number with
bounds (`--late-after`, `--entry`) is taken here when it is plain digits within them; anything
else given to it (out of range, a sign, `1_0`, `1.0`) goes to Typer, which judges and words it
as before. Any other annotation, or one with a parser, still goes through Typer. With a Typer
that lacks these internals nothing is changed: the commands behave the same, only start more
slowly.
"""

from __future__ import annotations

import re
from typing import Any

# A whole number a bounded option takes without Typer: ASCII digits, short enough to convert.
_PLAIN_DIGITS = re.compile(r"[0-9]{1,18}")

_installed = False


def install() -> None:
    """Makes Typer coerce str, int, bool and list[str] parameters without pydantic (idempotent)."""
    global _installed
    if _installed:
        return
    try:
        from typer._coercion import RuntimeParam
        from typer.core import _TyperParameter

        from cli.click_errors import BadParameter
    except ImportError:
        return
    typer_runtime_param = _TyperParameter.get_runtime_param

    class PlainRuntimeParam(RuntimeParam):
        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if self.annotation is str and isinstance(value, str):
                return value
            if self.annotation is bool and isinstance(value, bool):
                return value
            if self.annotation is int and _bounded(self.parameter_info):
                number = _plain_whole(value)
                if number is not None and _within(number, self.parameter_info):
                    return number
            elif self.annotation is int and isinstance(value, int | str):
                try:
                    return int(value)
                except ValueError:
                    raise BadParameter(_not_whole(value), ctx=ctx, param=param) from None
            if (
                self.annotation == list[str]
                and isinstance(value, list | tuple)
                and all(isinstance(item, str) for item in value)
            ):
                return list(value)
            # Anything unusual (a flag given as text, say) is Typer's to judge.
            param._runtime_param = None
            return typer_runtime_param(param)._coerce_value(value, param, ctx)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None and _is_plain(self.type_descriptor):
            self._runtime_param = PlainRuntimeParam(
                parameter_info=self.type_descriptor.parameter_info,
                annotation=self.type_descriptor.annotation,
            )
        return typer_runtime_param(self)

    _TyperParameter.get_runtime_param = get_runtime_param  # type: ignore[method-assign]
    _installed = True


def _is_plain(descriptor: Any) -> bool:
    info = descriptor.parameter_info
    if getattr(info, "parser", None) is not None:
        return False
    if _bounded(info) and (descriptor.annotation is not int or getattr(info, "clamp", False)):
        return False
    return descriptor.annotation in (str, int, bool) or descriptor.annotation == list[str]


def _bounded(info: Any) -> bool:
    return getattr(info, "min", None) is not None or getattr(info, "max", None) is not None


def _plain_whole(value: object) -> int | None:
    """`value` as a whole number when it is one plainly (an int, or ASCII digits), else None."""
    if type(value) is int:
        return value
    if isinstance(value, str) and _PLAIN_DIGITS.fullmatch(value):
        return int(value)
    return None


def _within(number: int, info: Any) -> bool:
    low, high = getattr(info, "min", None), getattr(info, "max", None)
    return (low is None or number >= low) and (high is None or number <= high)


def _not_whole(value: object) -> str:
    """Why `value` is not taken as a whole number, quoting at most its start: a number of
    thousands of digits (more than Python converts) is out of range, not malformed."""
    text = str(value)
    shown = repr(text) if len(text) <= 40 else f"{text[:20]!r}... ({len(text)} characters)"
    if text.strip().lstrip("+-").isdigit():
        return f"{shown} is out of range: it has more digits than any figure the ledger takes"
    return f"{shown} is not a whole number"
