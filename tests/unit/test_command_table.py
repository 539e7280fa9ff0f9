"""The root command's table names every command each module defines, and nothing else."""

from __future__ import annotations

import importlib
from collections import defaultdict

import typer

from cli.main import COMMANDS


def registered_names(module_name: str) -> set[str]:
    app = typer.Typer()
    importlib.import_module(module_name).register(app)
    commands = {
        info.name or info.callback.__name__.replace("_", "-") for info in app.registered_commands
    }
    return commands | {info.name for info in app.registered_groups}


def test_each_module_defines_exactly_the_commands_the_table_gives_it():
    by_module: dict[str, set[str]] = defaultdict(set)
    for name, module in COMMANDS.items():
        by_module[module].add(name)
    for module, names in by_module.items():
        assert registered_names(module) == names, module


def test_the_command_modules_are_not_imported_with_the_root():
    import subprocess
    import sys

    code = "import sys, cli.main; print(sorted(set(cli.main.COMMANDS.values()) & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
