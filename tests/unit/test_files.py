"""The checks every option that writes a file goes through (`ledger.files`)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from domain.errors import InvalidValueError
from ledger.files import check_target, database_files, output_path
from ledger.settings import parse_database_url


def test_the_files_of_a_sqlite_ledger_are_the_database_and_its_companions(tmp_path):
    database = parse_database_url(f"sqlite:///{tmp_path}/l.db")
    assert [path.name for path, _ in database_files(database)] == [
        "l.db",
        "l.db-wal",
        "l.db-shm",
        "l.db-journal",
    ]
    assert database_files(parse_database_url("postgresql://u@h/db")) == []
    assert database_files(None) == []


def test_a_link_to_the_database_names_its_real_file_too(tmp_path):
    (tmp_path / "real.db").write_bytes(b"")
    (tmp_path / "l.db").symlink_to(tmp_path / "real.db")
    database = parse_database_url(f"sqlite:///{tmp_path}/l.db")
    names = {path.name for path, _ in database_files(database)}
    assert {"l.db", "l.db-wal", "real.db", "real.db-wal", "real.db-journal"} <= names


@pytest.mark.parametrize("name", ["l.db", "l.db-wal", "l.db-shm", "l.db-journal"])
def test_no_output_is_written_over_a_file_of_the_database(tmp_path, monkeypatch, name):
    (tmp_path / "l.db").write_bytes(b"SQLite format 3\x00")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path)
    database = parse_database_url("sqlite:///l.db")  # relative, as a URL may give it
    for given in (name, tmp_path / name, Path("sub") / ".." / name):
        with pytest.raises(InvalidValueError) as refused:
            output_path(given, "--out", database)
        assert str(refused.value).startswith(f"cannot write {given}: {tmp_path / name} is ")
        assert "choose another --out (nothing was written)" in str(refused.value)
    assert (tmp_path / "l.db").read_bytes() == b"SQLite format 3\x00"


def test_a_hard_link_to_the_database_is_the_database(tmp_path):
    database_path = tmp_path / "l.db"
    database_path.write_bytes(b"SQLite format 3\x00")
    os.link(database_path, tmp_path / "other.json")
    database = parse_database_url(f"sqlite:///{database_path}")
    with pytest.raises(InvalidValueError, match="is the ledger's own database file"):
        check_target(tmp_path / "other.json", "other.json", "--out", database)


def test_other_files_and_postgresql_ledgers_are_written(tmp_path):
    (tmp_path / "l.db").write_bytes(b"")
    sqlite = parse_database_url(f"sqlite:///{tmp_path}/l.db")
    postgres = parse_database_url("postgresql://u@h/db")
    for database in (sqlite, postgres, None):
        for name in ("l.db.json", "l.db-wal.json", "digest.json"):
            assert output_path(tmp_path / name, "--out", database) == tmp_path / name
    assert output_path(tmp_path / "l.db", "--out", postgres) == tmp_path / "l.db"


def test_a_symbolic_link_loop_is_a_usage_error(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(InvalidValueError) as refused:
        output_path(loop, "--digest-out", None)
    assert "symbolic link that leads round in a loop" in str(refused.value)
