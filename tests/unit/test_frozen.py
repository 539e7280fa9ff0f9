"""`@frozen` behaves as `@dataclass(frozen=True)` does, for everything the ledger relies on."""

from __future__ import annotations

import ast
import copy
import dataclasses
import pickle
from dataclasses import field
from datetime import date
from pathlib import Path

import pytest

from domain.frozen import frozen
from domain.state import Licence


@frozen
class Point:
    x: int
    y: int = 0
    note: str = field(default="", compare=False)


@frozen
class OtherPoint:
    x: int
    y: int = 0


@frozen(kw_only=True)
class Named:
    name: str


@frozen
class Empty:
    pass


def test_fields_are_set_once_and_never_again():
    point = Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.y
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.z = 1  # type: ignore[attr-defined]  # a new attribute is refused as a change
    assert (point.x, point.y) == (1, 2)


def test_equality_and_hash_follow_the_compared_fields_and_the_class():
    assert Point(1, 2) == Point(1, 2, note="ignored when comparing")
    assert hash(Point(1, 2)) == hash(Point(1, 2, note="other"))
    assert Point(1, 2) != Point(2, 1)
    assert Point(1, 2) != OtherPoint(1, 2)  # the same values in another class
    assert len({Point(1, 2), Point(1, 2), Point(1, 3)}) == 2
    assert Empty() == Empty()
    assert hash(Empty()) == hash(Empty())


def test_repr_names_the_class_and_each_field():
    assert repr(Point(1, 2, note="n")) == "Point(x=1, y=2, note='n')"
    assert repr(Named(name="Ann")) == "Named(name='Ann')"
    assert repr(Empty()) == "Empty()"


def test_it_is_a_dataclass_for_fields_replace_match_and_keywords():
    point = Point(1)
    assert [f.name for f in dataclasses.fields(point)] == ["x", "y", "note"]
    assert dataclasses.replace(point, y=5) == Point(1, 5)
    assert dataclasses.asdict(point) == {"x": 1, "y": 0, "note": ""}
    match point:
        case Point(x, y):
            assert (x, y) == (1, 0)
    with pytest.raises(TypeError):
        Named("Ann")  # type: ignore[misc]  # keyword-only


def test_copies_and_pickles_are_equal_and_still_immutable():
    licence = Licence(date(2020, 1, 1), date(2020, 1, 30), None, release_entry=2)
    for twin in (copy.copy(licence), copy.deepcopy(licence), pickle.loads(pickle.dumps(licence))):
        assert twin == licence
        assert hash(twin) == hash(licence)
        with pytest.raises(dataclasses.FrozenInstanceError):
            twin.ends_on = date(2020, 1, 2)  # type: ignore[misc]


def test_the_ledgers_own_immutable_values_are_frozen_rather_than_frozen_dataclasses():
    """Each `frozen=True` dataclass costs a command's start about half a millisecond
    (`domain/frozen.py`); the entries' record alone keeps it, for its quicker `__init__`."""
    root = Path(__file__).resolve().parents[2]
    found = set()
    for folder in ("cli", "domain", "ledger", "projections"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ClassDef) and any(
                    isinstance(d, ast.Call)
                    and getattr(d.func, "id", getattr(d.func, "attr", None)) == "dataclass"
                    and any(k.arg == "frozen" for k in d.keywords)
                    for d in node.decorator_list
                ):
                    found.add(f"{path.relative_to(root).as_posix()}:{node.name}")
    assert found == {"projections/records.py:EntryRecord"}
