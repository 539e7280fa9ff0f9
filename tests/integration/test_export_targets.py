"""`ledger export` writes only a regular file, says plainly why it cannot write one, leaves no
temporary file behind, and logs a disclosure only when one happened. On SQLite and on PostgreSQL."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from tests.integration.helpers import log, refused_one_line, unwritable_folder

REF = "WMP-000123"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder for exports (the SQLite database lives in `tmp_path`)."""
    made = tmp_path / "exports"
    made.mkdir()
    return made


def export(cli, out: Path | str, *args: str, ref: str = REF):
    return cli("export", ref, "--format", "csv", "--out", str(out), *args)


def logged_after(cli, before: int) -> list[dict]:
    return log(cli)[before:]


def assert_logged_as_refused(rows: list[dict], code: int = 2, offender: str | None = REF) -> dict:
    """One refused `export` row, and no disclosure."""
    assert [r["outcome"] for r in rows] == ["refused"], rows
    row = rows[0]
    assert (row["command"], row["offender"], row["actor"]) == ("export", offender, "1001")
    assert row["details"]["exit_code"] == code
    return row


def test_a_named_pipe_is_refused_and_left_as_it_was(registered, folder):
    fifo = folder / "pipe.csv"
    os.mkfifo(fifo)
    before = len(log(registered))

    line = refused_one_line(export(registered, fifo))

    assert str(fifo) in line and "not a regular file" in line
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in folder.iterdir()) == ["pipe.csv"]
    assert_logged_as_refused(logged_after(registered, before))


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_device_is_refused_and_left_as_it_was(registered):
    before = len(log(registered))

    line = refused_one_line(export(registered, "/dev/full"))

    assert "/dev/full" in line and "character device" in line
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert_logged_as_refused(logged_after(registered, before))


def test_a_link_to_a_named_pipe_is_refused_too(registered, folder):
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    link = folder / "r.csv"
    link.symlink_to(fifo)

    refused_one_line(export(registered, link))

    assert link.is_symlink() and stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in folder.iterdir()) == ["pipe", "r.csv"]


def test_an_unwritable_folder_is_a_usage_error_naming_the_path(registered, tmp_path):
    folder = unwritable_folder(tmp_path)
    target = folder / "ledger-export-test.html"
    before = len(log(registered))
    try:
        line = refused_one_line(registered("export", REF, "--format", "html", "--out", str(target)))
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o700)

    assert line.startswith(f"error: cannot write {target}: ")
    assert str(folder) in line
    assert not target.exists()
    if folder.is_relative_to(tmp_path):
        assert list(folder.iterdir()) == []
    assert_logged_as_refused(logged_after(registered, before))


def test_an_unknown_offender_is_not_logged_as_disclosed(registered, folder):
    before = len(log(registered))

    out = export(registered, folder / "r.csv", ref="WMP-404")

    assert out.exit_code == 1 and "WMP-404" in out.stderr
    assert list(folder.iterdir()) == []  # the temporary file is gone too
    row = assert_logged_as_refused(logged_after(registered, before), code=1, offender="WMP-404")
    assert "WMP-404" in row["error"]


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (errno.ENOSPC, "no space left"),
        (errno.EROFS, "read-only file system"),
        (errno.EACCES, "permission denied"),
    ],
)
def test_a_write_that_fails_after_the_ledger_was_read_leaves_nothing_and_discloses_nothing(
    registered, folder, monkeypatch, code, words
):
    target = folder / "r.csv"
    target.write_text("the previous export\n")

    def failing_fsync(fd: int) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, "fsync", failing_fsync)
    before = len(log(registered))

    line = refused_one_line(export(registered, target))

    assert line.startswith(f"error: cannot write {target}: ") and words in line
    assert target.read_text() == "the previous export\n"
    assert sorted(p.name for p in folder.iterdir()) == ["r.csv"]
    assert_logged_as_refused(logged_after(registered, before))


def test_a_read_only_file_system_is_a_usage_error_naming_the_path(registered, folder, monkeypatch):
    import tempfile

    def read_only(*args: object, **kwargs: object):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(folder / ".r.csv.x"))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    before = len(log(registered))

    line = refused_one_line(export(registered, folder / "r.csv"))

    assert f"cannot write {folder / 'r.csv'}" in line
    assert f"folder {folder} is on a read-only file system" in line
    assert list(folder.iterdir()) == []
    assert_logged_as_refused(logged_after(registered, before))


def test_a_successful_export_replaces_a_regular_file_and_is_disclosed_once(registered, folder):
    target = folder / "r.csv"
    target.write_text("the previous export\n")
    before = len(log(registered))

    out = export(registered, target, "--to", "HM Coroner")

    assert out.exit_code == 0, out.stderr
    assert target.read_text().startswith("entry,")
    assert sorted(p.name for p in folder.iterdir()) == ["r.csv"]
    rows = logged_after(registered, before)
    assert [(r["command"], r["outcome"]) for r in rows] == [("export", "disclosed")]
    assert rows[0]["details"]["recipients"] == ["HM Coroner"]


def test_a_folder_is_refused_and_logged_against_the_offender(registered, folder):
    """Refused by the option parser, a folder was logged with no offender; '--out ""' said "file
    '' is a directory"."""
    for target in (folder, ""):
        before = len(log(registered))

        line = refused_one_line(export(registered, target))

        assert "is a folder, not a regular file" in line
        assert_logged_as_refused(logged_after(registered, before))
    assert list(folder.iterdir()) == []
