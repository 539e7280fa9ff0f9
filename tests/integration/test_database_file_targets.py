"""No option that writes a file writes over the ledger's own SQLite database, or the files SQLite
keeps beside it, whatever path names them: `export --out l.db` and `verify --digest-out l.db` once
replaced the ledger with an export or a digest and exited 0.

The refusal itself is logged in the access log, which lives in the same file; so the file is
compared table by table (everything but that one new row) and by inode, not byte by byte.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.helpers import LedgerCLI, enrol, register_offender
from tests.integration.helpers import log, refused_one_line

REF = "WMP-000123"


@pytest.fixture
def ledger_file(sqlite_url: str, tmp_path: Path) -> tuple[LedgerCLI, Path]:
    """A SQLite ledger with WMP-000123 registered, and the path of its file."""
    cli = register_offender(enrol(LedgerCLI(sqlite_url)), "--area", "Birmingham", "--by", "4521")
    path = tmp_path / "ledger.db"
    assert path.is_file()
    return cli, path


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table but the access log, read without writing."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if name != "access_log"
        ]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"'), key=repr) for t in tables}


# How each way of naming a database file is made, given the folder and the database's path.
NAMES: dict[str, Callable[[Path, Path], Path]] = {
    "the path itself": lambda folder, db: db,
    "a relative path through ..": lambda folder, db: _made(folder / "sub") / ".." / db.name,
    "a symbolic link": lambda folder, db: _link(folder / "link.json", db),
    "a hard link": lambda folder, db: _hard_link(folder / "hard.json", db),
    "the -wal file": lambda folder, db: db.with_name(db.name + "-wal"),
    "the -shm file": lambda folder, db: db.with_name(db.name + "-shm"),
    "the -journal file": lambda folder, db: db.with_name(db.name + "-journal"),
    "a link to the -wal file": lambda folder, db: _link(
        folder / "wal-link", db.with_name(db.name + "-wal")
    ),
}
COMMANDS = {
    "export --out": lambda target: ("export", REF, "--format", "json", "--out", target),
    "verify --digest-out": lambda target: ("verify", "--digest-out", target),
}


def _made(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    return folder


def _link(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _hard_link(link: Path, target: Path) -> Path:
    os.link(target, link)
    return link


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(NAMES))
def test_a_database_file_is_never_written_over(ledger_file, tmp_path, command, name):
    cli, db = ledger_file
    target = NAMES[name](tmp_path, db)
    existed = {p.name for p in tmp_path.iterdir()}
    inode, before, logged = db.stat().st_ino, contents(db), len(log(cli))

    line = refused_one_line(cli(*COMMANDS[command](str(target))))

    assert line.startswith(f"error: cannot write {target}: ")
    assert "the ledger" in line and "nothing was written" in line
    assert db.stat().st_ino == inode and db.read_bytes().startswith(b"SQLite format 3\x00")
    assert contents(db) == before
    # Nothing new beside the database but what SQLite itself keeps while the ledger is open (this
    # process still holds a connection), and nothing written into those.
    own = {f"{db.name}{suffix}" for suffix in ("-wal", "-shm", "-journal")}
    assert {p.name for p in tmp_path.iterdir()} - own == existed - own
    assert not target.exists() or not target.read_bytes().startswith(b"{")
    rows = log(cli)[logged:]
    assert [(r["outcome"], r["details"]["exit_code"]) for r in rows] == [("refused", 2)]
    cli.ok("verify")
    assert cli.ok("show", REF, "--json").json()["ref"] == REF


def test_a_file_merely_beside_the_database_is_written(ledger_file):
    cli, db = ledger_file
    for target in (db.with_name(f"{db.name}.json"), db.with_name(f"{db.name}-wal.json")):
        cli.ok("export", REF, "--format", "json", "--out", str(target))
        cli.ok("verify", "--digest-out", str(target))
        assert target.read_text().startswith("{")
    cli.ok("verify")
