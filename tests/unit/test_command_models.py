"""Each write is defined once: the command line's options for it are its model's fields, as
`ledger import` takes them as keys."""

from __future__ import annotations

import dataclasses

import pytest

from cli.errors import ARGUMENTS, option_for
from ledger.commands import COMMANDS
from tests.commands import leaf_commands

# Where each command lives on the command line, where that is not `record NAME`.
PATHS = {
    "staff": ("staff", "add"),
    "register": ("offender", "register"),
    "acknowledge": ("acknowledge",),
    "transfer": ("transfer",),
    "share": ("share",),
    "correct": ("correct",),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_options_of_a_command_are_its_models_fields(name):
    model = COMMANDS[name]
    path = PATHS.get(name, ("record", name))
    (command,) = [c for p, c in leaf_commands() if p == path]
    options = {
        opt
        for param in command.params
        if param.param_type_name == "option"
        for opt in param.opts
        if opt.startswith("--")
    } - {"--json"}
    fields = {f.name for f in dataclasses.fields(model)}
    assert options == {option_for(f) for f in fields if f not in ARGUMENTS}
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    assert len(arguments) == len(fields & set(ARGUMENTS))


def test_an_import_key_is_a_field_without_its_guard_underscore():
    share = COMMANDS["share"]
    assert share.import_keys()["with"] == "with_"
    assert "with_" not in share.import_keys()


def test_a_command_once_made_cannot_be_changed_and_compares_by_its_values():
    from ledger.commands import RecordEntry

    entry = RecordEntry.build(ref="WMP-000123", summary="Notified a new address", by="7702")
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.summary = "something else"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del entry.summary
    assert entry.summary == "Notified a new address"
    same = RecordEntry.build(ref="WMP-000123", summary="Notified a new address", by="7702")
    assert entry == same and hash(entry) == hash(same)
    assert entry != RecordEntry.build(ref="WMP-000123", summary="Other", by="7702")
    assert repr(entry).startswith("RecordEntry(ref='WMP-000123', ")
    assert "summary='Notified a new address'" in repr(entry)
