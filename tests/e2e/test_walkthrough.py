"""A new user's first session with the installed command: SQLite by default, then PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import REF, InProcessShell, Shell, walkthrough


def test_walkthrough_on_the_default_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Without LEDGER_DATABASE_URL the installed command makes and reads ledger.db in the current
    folder. The walkthrough's own steps run on that file in this process: the README's
    walkthrough (below) drives the installed command through a whole session on SQLite, and a
    process's start-up is the same for every command."""
    shell = Shell(tmp_path, "sqlite:///ledger.db")
    shell.env.pop("LEDGER_DATABASE_URL")  # the default: ledger.db in the current folder
    assert "ledger ready at" in shell.ok("init").stdout
    assert (tmp_path / "ledger.db").is_file()

    monkeypatch.chdir(tmp_path)  # the in-process commands' sqlite:///ledger.db is the same file
    walkthrough(InProcessShell(tmp_path, "sqlite:///ledger.db"))

    shell.env["LEDGER_ACTOR"] = "1001"
    assert shell.ok("show", REF, "--json").json()["owners"] == {
        "police": "4633",
        "probation": "7702",
    }
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".db") == ["ledger.db"]


@pytest.mark.postgres
def test_walkthrough_on_postgresql(tmp_path: Path, postgres_url: str):
    walkthrough(Shell(tmp_path, postgres_url))
    assert list(tmp_path.iterdir()) == []


def readme_walkthrough() -> str:
    """The README's walkthrough, as a user pastes it."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## A five-minute walkthrough", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def quoted_alerts() -> list[str]:
    """The `ledger alerts` table the README's closing note quotes, without its caption."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    note = readme.split("## A five-minute walkthrough", 1)[1].split("## Concepts", 1)[0]
    quoted = note.split("`ledger alerts` above printed", 1)[1].split("```\n", 1)[1]
    lines = quoted.split("```", 1)[0].rstrip("\n").split("\n")
    return [line.rstrip() for line in lines[:-1]]  # the caption is the moment asked about


def test_the_readme_walkthrough_ends_with_what_can_still_be_acted_on(tmp_path: Path):
    """The walkthrough pasted into a shell runs without a failure, and its morning check
    prints what the closing note quotes: only the alert that can still be acted on."""
    import subprocess

    shell = Shell(tmp_path, "sqlite:///walkthrough.db")
    env = {k: v for k, v in shell.env.items() if k != "LEDGER_REASON"} | {"COLUMNS": "80"}
    env["PATH"] = f"{Path(shell.command).parent}:{env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "-e", "-c", readme_walkthrough()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    printed = [line.rstrip() for line in done.stdout.split("\n")]
    quoted = quoted_alerts()
    start = printed.index(quoted[0])
    assert printed[start : start + len(quoted)] == quoted
