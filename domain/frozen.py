"""Immutable dataclasses that are cheap to define.

`@frozen` is `@dataclass(frozen=True)` for the ledger's own values: the same fields, `__init__`,
`dataclasses.fields`, `replace` and `match` support, and instances that cannot be changed and
compare and hash by their fields. The difference is in what Python writes when the class is
defined. On Python 3.11 `frozen=True` compiles six methods for every class, one `exec` each
(`__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`), about half a
millisecond a class; `@frozen` compiles `__init__` alone and gives every class the same five
other methods, written once here. A read defines about twenty such classes before it reads
anything, and a read is measured against the time of importing its libraries
(`bench/core_bench.py`).

The price is paid per instance instead: `__init__` sets each field through `__setattr__` below
(about 1.7 times as long as a `frozen=True` class, for eight fields). A class made by the
thousand on a read (`projections.records.EntryRecord`) stays a `frozen=True` dataclass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T", bound=type)


def _setattr(self: Any, name: str, value: Any) -> None:
    # `__init__` sets each field once; nothing sets it again, nor anything else.
    if name in self.__dict__ or name not in self.__class__._frozen_fields:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


def _delattr(self: Any, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented
    values = self.__class__._frozen_values
    return bool(values(self) == values(other))


def _hash(self: Any) -> int:
    return hash((self.__class__, self.__class__._frozen_values(self)))


def _repr(self: Any) -> str:
    shown = ", ".join(
        f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self) if f.repr
    )
    return f"{self.__class__.__qualname__}({shown})"


def _values_getter(names: tuple[str, ...]) -> Callable[[Any], Any]:
    """A C-level getter of the fields' values, compared as a tuple (or a single value)."""
    if not names:
        return lambda _: ()
    return attrgetter(*names)


def _make_frozen(cls: T, kw_only: bool) -> T:
    cls = dataclasses.dataclass(cls, eq=False, repr=False, kw_only=kw_only)  # type: ignore[assignment]
    every = dataclasses.fields(cls)
    cls._frozen_fields = frozenset(f.name for f in every)  # type: ignore[attr-defined]
    names = tuple(f.name for f in every if f.compare)
    cls._frozen_values = _values_getter(names)  # type: ignore[attr-defined]
    cls.__setattr__ = _setattr  # type: ignore[method-assign, assignment]
    cls.__delattr__ = _delattr  # type: ignore[method-assign, assignment]
    cls.__eq__ = _eq  # type: ignore[method-assign, assignment]
    cls.__hash__ = _hash  # type: ignore[method-assign, assignment]
    cls.__repr__ = _repr  # type: ignore[method-assign, assignment]
    return cls


@overload
def frozen(cls: T, /) -> T: ...
@overload
def frozen(*, kw_only: bool = False) -> Callable[[T], T]: ...


@dataclass_transform(frozen_default=True, kw_only_default=False)
def frozen(cls: T | None = None, /, *, kw_only: bool = False) -> T | Callable[[T], T]:
    """An immutable dataclass that compares and hashes by its fields (see the module's text).
    `kw_only=True` makes its fields keyword-only, as `dataclass` does."""
    if cls is None:
        return lambda c: _make_frozen(c, kw_only)
    return _make_frozen(cls, kw_only)
