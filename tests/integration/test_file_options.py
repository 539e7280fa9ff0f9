"""Every option that names a file takes only a regular file and says in one line why it cannot
use one, with nothing written: `verify --digest-out`, as `export --out` does (test_export_targets).

`verify --digest-out` once ended in `unexpected failure (FileNotFoundError ...)` for a folder that
does not exist, and `OSError` for /dev/full. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.integration.test_export_targets import refused_one_line, unwritable_folder

REF = "WMP-000123"


# A command that waits on a named pipe fails its test instead of hanging the suite.
pytestmark = pytest.mark.usefixtures("no_hang")


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    made = tmp_path / "pipe"
    os.mkfifo(made)
    return made


needs_dev_full = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")


# ---------------------------------------------------------------------- verify --digest-out


def digest_out(cli, target: Path | str):
    return cli("verify", "--digest-out", str(target))


def test_a_digest_for_a_folder_that_does_not_exist_is_a_usage_error(registered, tmp_path):
    target = tmp_path / "absent" / "d.json"

    line = refused_one_line(digest_out(registered, target))

    assert line == (
        f"error: cannot write {target}: folder {target.parent} does not exist; choose another "
        "--digest-out (nothing was written)"
    )
    assert not target.parent.exists()


def test_a_digest_in_an_unwritable_folder_is_a_usage_error(registered, tmp_path):
    folder = unwritable_folder(tmp_path)
    target = folder / "ledger-digest-test.json"
    try:
        line = refused_one_line(digest_out(registered, target))
    finally:
        if folder.is_relative_to(tmp_path):
            folder.chmod(0o700)

    assert line.startswith(f"error: cannot write {target}: ") and str(folder) in line
    assert "--digest-out" in line
    assert not target.exists()


@needs_dev_full
def test_a_digest_to_a_device_is_refused(registered):
    line = refused_one_line(digest_out(registered, "/dev/full"))

    assert "/dev/full is a character device, not a regular file" in line
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_digest_to_a_named_pipe_or_a_folder_is_refused(registered, fifo, tmp_path):
    for target, kind in ((fifo, "a named pipe (FIFO)"), (tmp_path, "a folder")):
        line = refused_one_line(digest_out(registered, target))

        assert f"{target} is {kind}, not a regular file; --digest-out must name" in line
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_digest_replaces_a_regular_file_whole(registered, tmp_path):
    target = tmp_path / "kept" / "d.json"
    target.parent.mkdir()
    target.write_text("an older digest\n")

    registered.ok("verify", "--digest-out", str(target))

    digest = json.loads(target.read_text())
    assert set(digest) == {"position", "hash"}
    assert [p.name for p in target.parent.iterdir()] == ["d.json"]  # no temporary file left
    assert registered.ok("verify", "--against", str(target)).exit_code == 0
