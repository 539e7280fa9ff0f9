"""Every option that names a file takes only a regular file, reads a bounded amount of it, and
says in one line why it cannot use one, with nothing written: `verify --digest-out`, `verify
--against`, `import PATH` and `LEDGER_POLICY`, as `export --out` does (test_export_targets).

Each of these once read /dev/zero until the memory ran out, waited for ever on a named pipe, or
ended in `unexpected failure (...)`. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.integration.helpers import count_events, refused_one_line, unwritable_folder

REF = "WMP-000123"
ZERO = "/dev/zero"


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


# -------------------------------------------------------------------------- verify --against


def test_a_digest_read_from_a_named_pipe_or_a_device_is_refused(registered, fifo):
    sources = [(fifo, "a named pipe (FIFO)")]
    if os.path.exists(ZERO):
        sources.append((Path(ZERO), "a character device"))
    for source, kind in sources:
        line = refused_one_line(registered("verify", "--against", str(source)))

        assert line.startswith(f"error: cannot read the digest {source}: it is {kind}")
        assert "POSITION:HASH" in line


def test_a_digest_file_larger_than_any_export_is_refused(registered, tmp_path, monkeypatch):
    import ledger.verification

    monkeypatch.setattr(ledger.verification, "DIGEST_FILE_LIMIT", 1024)
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"position": 1, "hash": "a" * 64, "padding": "x" * 2000}))

    line = refused_one_line(registered("verify", "--against", str(big)))

    assert "is larger than 1 KiB, the most read from a digest file or JSON export" in line


def test_the_digest_size_limit_is_stated(registered, tmp_path):
    from ledger.verification import DIGEST_FILE_LIMIT

    assert DIGEST_FILE_LIMIT == 256 * 1024 * 1024


# ------------------------------------------------------------------------------------- import


def test_an_import_from_a_named_pipe_a_device_or_a_folder_is_refused(registered, fifo, tmp_path):
    before = count_events(registered)
    sources = [(fifo, "a named pipe (FIFO)"), (tmp_path, "a folder")]
    if os.path.exists(ZERO):
        sources.append((Path(ZERO), "a character device"))
    for source, kind in sources:
        line = refused_one_line(registered("import", str(source)))

        assert line == (
            f"error: cannot read {source}: it is {kind}, not a regular file; give the path of a "
            "JSON Lines file"
        )
    assert count_events(registered) == before


def test_a_line_longer_than_a_mebibyte_is_refused_without_reading_it_all(registered, tmp_path):
    before = count_events(registered)
    entry = {"command": "entry", "ref": REF, "summary": "Seen", "occurred_at": "2016-10-20"}
    path = tmp_path / "long.jsonl"
    with path.open("wb") as stream:
        stream.write(json.dumps(entry).encode() + b"\n")
        stream.write(b"x" * (3 * 1024 * 1024))  # no newline at all

    line = refused_one_line(registered("import", str(path)))

    assert line == (
        f"error: cannot read {path}: line 2 is longer than 1 MiB, the most one record may take; "
        "check that the file is JSON Lines, one record a line"
    )
    assert count_events(registered) == before


def test_a_line_within_the_limit_is_read(registered, tmp_path):
    # The longest summary the ledger takes, every character escaped in six bytes (120,000).
    summary = "\u2603" * 20_000
    record = {"command": "entry", "ref": REF, "summary": summary, "occurred_at": "2016-10-20"}
    path = tmp_path / "wide.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=True) + "\n", encoding="utf-8")

    out = registered.ok("import", str(path), "--json")

    assert out.json()["records"] == 1


# ----------------------------------------------------------------------------- LEDGER_POLICY


def with_policy(cli, policy: Path | str, *args: str):
    return cli(*args, env={"LEDGER_POLICY": str(policy)})


@pytest.mark.parametrize("command", [("alerts", "--json"), ("show", REF)])
def test_a_policy_that_is_a_named_pipe_or_a_device_is_refused(registered, fifo, command):
    sources = [(fifo, "a named pipe (FIFO)")]
    if os.path.exists(ZERO):
        sources.append((Path(ZERO), "a character device"))
    for source, kind in sources:
        line = refused_one_line(with_policy(registered, source, *command))

        assert line == (
            f"error: policy file {source} cannot be read: it is {kind}, not a regular file; "
            "fix LEDGER_POLICY or unset it"
        )


def test_a_policy_larger_than_a_mebibyte_is_refused(registered, tmp_path):
    policy = tmp_path / "large.toml"
    policy.write_text("# padding\n" * 110_000)

    line = refused_one_line(with_policy(registered, policy, "alerts"))

    assert "is larger than 1 MiB, the most read from a policy file" in line


def test_a_policy_that_is_not_utf8_is_refused(registered, tmp_path):
    policy = tmp_path / "p.toml"
    policy.write_bytes(b"\xff\xfe")

    line = refused_one_line(with_policy(registered, policy, "alerts"))

    assert line == (
        f"error: policy file {policy} is not UTF-8 text (line 1); save it as UTF-8, or unset "
        "LEDGER_POLICY"
    )
