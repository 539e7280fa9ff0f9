"""The checks every file option goes through (`ledger.files`)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from domain.errors import InvalidValueError
from ledger.files import (
    LineTooLongError,
    bounded_lines,
    check_target,
    database_files,
    output_path,
    read_regular,
    size_text,
)
from ledger.settings import parse_database_url


class Endless(io.RawIOBase):
    """A stream of one byte for ever, counting what was read of it."""

    def __init__(self) -> None:
        self.given = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"x" * len(buffer)
        self.given += len(buffer)
        return len(buffer)


def test_lines_are_split_at_newlines_only_and_numbered():
    stream = io.BytesIO(b"one\r\ntwo\xe2\x80\xa8still two\n\nlast")
    assert list(bounded_lines(stream, 100)) == [
        (1, b"one\r"),
        (2, b"two\xe2\x80\xa8still two"),
        (3, b""),
        (4, b"last"),
    ]


def test_a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_refused():
    assert list(bounded_lines(io.BytesIO(b"x" * 10 + b"\nyy"), 10)) == [(1, b"x" * 10), (2, b"yy")]
    with pytest.raises(LineTooLongError) as refused:
        list(bounded_lines(io.BytesIO(b"ok\n" + b"x" * 11), 10))
    assert (refused.value.line, refused.value.limit) == (2, 10)


def test_a_line_without_end_is_refused_having_read_little_more_than_the_limit():
    source = Endless()
    with pytest.raises(LineTooLongError):
        list(bounded_lines(io.BufferedReader(source), 1024 * 1024))
    assert source.given < 2 * 1024 * 1024


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (1024 * 1024, "1 MiB"),
        (256 * 1024 * 1024, "256 MiB"),
        (2048, "2 KiB"),
        (1000, "1,000 bytes"),
    ],
)
def test_sizes_are_said_as_people_read_them(size, text):
    assert size_text(size) == text


def test_reading_refuses_what_is_not_a_regular_file_without_waiting(tmp_path, no_hang):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    for path, kind in ((pipe, "a named pipe (FIFO)"), (tmp_path, "a folder")):
        with pytest.raises(InvalidValueError) as refused:
            read_regular(path, 100, f"cannot read {path}", "give a file", "a test file")
        assert str(refused.value) == (
            f"cannot read {path}: it is {kind}, not a regular file; give a file"
        )


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_reading_refuses_a_device():
    with pytest.raises(InvalidValueError, match="it is a character device"):
        read_regular("/dev/zero", 100, "cannot read /dev/zero", "give a file", "a test file")


def test_reading_stops_at_the_limit(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_regular(path, 100, "cannot read f", "fix", "a test file") == b"x" * 100
    path.write_bytes(b"x" * 101)
    with pytest.raises(InvalidValueError) as refused:
        read_regular(path, 100, "cannot read f", "fix", "a test file")
    assert str(refused.value) == (
        "cannot read f: it is larger than 100 bytes, the most read from a test file; fix"
    )


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
