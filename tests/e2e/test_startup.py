"""Recording an entry starts quickly: it never imports the heavy libraries it does not need."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.helpers import Shell, imported_modules, registered_in_process

HEAVY = ("sqlalchemy", "psycopg", "rich", "pydantic", "alembic")


def loaded_command_modules(shell: Shell, *args: str) -> set[str]:
    """The `cli` modules in memory when the command, run in-process, exits."""
    script = Path(shell.command)
    python = script.read_text().splitlines()[0].removeprefix("#!")
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(*sorted(m for m in sys.modules if m.startswith('cli.'))))\n"
        f"sys.argv = ['ledger', *{list(args)!r}]\n"
        "from cli.main import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [python, "-c", code], cwd=shell.folder, env=shell.env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {word for word in done.stdout.split() if word.startswith("cli.")}


def test_recording_an_entry_on_sqlite_imports_no_heavy_library(tmp_path: Path):
    shell = registered_in_process(tmp_path)  # only the recording's own start-up is looked at
    modules = imported_modules(shell, "record", "entry", "WMP-000123", "--summary", "Seen")
    assert {"cli", "ledger", "domain", "eventsourcing", "typer"} <= modules
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))

    # Only the module that defines `record` is loaded of the command modules.
    from cli.main import COMMANDS

    loaded = loaded_command_modules(shell, "record", "entry", "WMP-000123", "--summary", "Again")
    assert "cli.recording" in loaded
    assert loaded.isdisjoint(set(COMMANDS.values()) - {"cli.recording"})
