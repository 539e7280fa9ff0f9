"""Files a command reads or writes besides the database, checked in one place.

Every file option (`export --out`, `verify --digest-out`, `verify --against`, `import PATH`,
`LEDGER_POLICY`) goes through here, so that each refuses the same things with the same words:

- Only a regular file is read or written. A folder, a device, a named pipe or a socket is refused
  before it is opened: reading `/dev/zero` never ends, opening a pipe with no writer waits for
  ever, and renaming a file over a device replaces the device.
- A file is written whole or not at all (`FileInPlace`), and never over the ledger's own SQLite
  database or the files SQLite keeps beside it (`-wal`, `-shm`, `-journal`), whatever path,
  symbolic link or hard link names them.
- A file read whole is read only up to a stated size, so a wrong path cannot fill the memory.

Every refusal is an `InvalidValueError` (a usage error, exit 2) that names the path and says what
to do instead; nothing has been written when it is raised.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from domain.errors import InvalidValueError

if TYPE_CHECKING:
    from ledger.settings import Database

KIB = 1024
MIB = 1024 * KIB

# The files SQLite keeps beside a database named PATH, as PATH plus each of these.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str | None:
    """What a file of this `st_mode` is, as a message says it; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def size_text(size: int) -> str:
    """A size limit as people read it: `1 MiB`, `64 KiB`, `100 bytes`."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size:,} bytes"


# ------------------------------------------------------------------------------------- reading


# Opening never waits (for a writer to a named pipe), nor makes a terminal this process's own.
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_READING = (
    os.O_RDONLY
    | _NONBLOCK
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def open_regular(path: str | Path, subject: str, fix: str) -> BinaryIO:
    """`path` opened for reading in binary, refused unless it is a regular file.

    `subject` begins the message ("cannot read x.jsonl", "policy file p cannot be read") and `fix`
    ends it, saying what to give instead. The file is looked at before it is opened and again once
    open (without waiting: a named pipe put in its place meanwhile is refused, not waited on).
    """

    def refused(why: str) -> InvalidValueError:
        return InvalidValueError(f"{subject}: {why}; {fix}")

    try:
        mode = os.stat(path).st_mode
        kind = kind_of(mode)
        if kind is not None:
            raise refused(f"it is {kind}, not a regular file")
        handle = os.open(path, _READING)
    except OSError as error:
        raise refused(error.strerror or type(error).__name__) from None
    try:
        kind = kind_of(os.fstat(handle).st_mode)
        if kind is not None:
            raise refused(f"it is {kind}, not a regular file")
        if _NONBLOCK:
            os.set_blocking(handle, True)
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def read_regular(path: str | Path, limit: int, subject: str, fix: str, holds: str) -> bytes:
    """The whole of the regular file at `path`, refused if it is larger than `limit` bytes.

    `holds` says what such a file is, for the message about its size ("a policy file").
    """
    with open_regular(path, subject, fix) as stream:
        try:
            data = stream.read(limit + 1)
        except OSError as error:
            raise InvalidValueError(
                f"{subject}: {error.strerror or type(error).__name__}; {fix}"
            ) from None
    if len(data) > limit:
        raise InvalidValueError(
            f"{subject}: it is larger than {size_text(limit)}, the most read from {holds}; {fix}"
        )
    return data


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes]]:
    """Each line of `stream` with its number from 1, without its newline (`\\n` only).

    A line longer than `limit` bytes raises `LineTooLongError` as soon as it is seen: no more of
    it than that is ever held in memory.
    """
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        text = line.removesuffix(b"\n")
        if len(text) > limit:
            raise LineTooLongError(number, limit)
        yield number, text


class LineTooLongError(InvalidValueError):
    """A line of a file read line by line is longer than the limit."""

    def __init__(self, line: int, limit: int) -> None:
        super().__init__(f"line {line} is longer than {size_text(limit)}")
        self.line, self.limit = line, limit


# ------------------------------------------------------------------------------------- writing


def output_path(given: str | Path, option: str, database: Database | None) -> Path:
    """The absolute path a file option names, checked before anything is read or written: its
    folder exists, and it is not something other than a regular file, nor the ledger's database
    (`check_target`)."""
    path = Path(given).expanduser()
    # os.path.realpath rather than Path.resolve: on Python 3.11 resolve raises RuntimeError for a
    # symbolic link loop, which check_target reports as the OSError it is.
    destination = Path(os.path.realpath(path))
    if not destination.parent.is_dir():
        raise InvalidValueError(
            f"cannot write {given}: folder {destination.parent} does not exist; "
            f"choose another {option} (nothing was written)"
        )
    check_target(destination, given, option, database)
    return destination


def check_target(path: Path, given: str | Path, option: str, database: Database | None) -> None:
    """Refuses a target that is the ledger's SQLite database or one of its companion files, or
    that exists and is not a regular file: renaming a file over a device, a pipe or a socket would
    replace it, not write to it, and over the database would destroy the ledger."""
    try:
        status: os.stat_result | None = path.stat()
    except FileNotFoundError:
        status = None
    except OSError as error:
        raise unwritable(error, given, path.parent, option) from None
    database_file = _database_file(path, status, database)
    if database_file is not None:
        raise InvalidValueError(
            f"cannot write {given}: {path} is {database_file}, and writing there would destroy "
            f"the ledger; choose another {option} (nothing was written)"
        )
    if status is None:
        return
    kind = kind_of(status.st_mode)
    if kind is not None:
        raise InvalidValueError(
            f"cannot write {given}: {path} is {kind}, not a regular file; "
            f"{option} must name a new file or an ordinary one to replace"
        )


def database_files(database: Database | None) -> list[tuple[Path, str]]:
    """The files of a SQLite ledger, each with what it is: the database as its URL names it and
    as its real path (SQLite names the companions after either), then each companion of both."""
    if database is None or not database.is_sqlite:
        return []
    named = Path(os.path.abspath(database.path))
    real = Path(os.path.realpath(database.path))
    found: list[tuple[Path, str]] = []
    for base in dict.fromkeys((named, real)):
        found.append((base, f"the ledger's own database file ({database.describe()})"))
        for suffix in SQLITE_COMPANIONS:
            found.append(
                (
                    base.with_name(base.name + suffix),
                    f"the {suffix} file SQLite keeps beside the ledger's database "
                    f"({database.describe()})",
                )
            )
    return found


def _database_file(
    path: Path, status: os.stat_result | None, database: Database | None
) -> str | None:
    """What `path` (a real path, `status` its stat or None) is of the ledger's SQLite files, if
    it is one: by its path, or by being the same file under another name (a hard link)."""
    for candidate, what in database_files(database):
        if path == candidate:
            return what
        if status is None:
            continue
        with contextlib.suppress(OSError):
            other = os.stat(candidate)
            if (other.st_dev, other.st_ino) == (status.st_dev, status.st_ino):
                return what
    return None


_WHY = {
    errno.EACCES: "permission denied in folder {folder}",
    errno.EPERM: "permission denied in folder {folder}",
    errno.EROFS: "folder {folder} is on a read-only file system",
    errno.ENOSPC: "no space left on the device holding folder {folder}",
    errno.ENOENT: "files cannot be created in folder {folder}",
    errno.EISDIR: "it is a folder",
    errno.ELOOP: "it is a symbolic link that leads round in a loop",
}
if hasattr(errno, "EDQUOT"):
    _WHY[errno.EDQUOT] = "disk quota exceeded in folder {folder}"


def unwritable(error: OSError, given: str | Path, folder: Path, option: str) -> InvalidValueError:
    """The one-line usage error for a file that cannot be written where `option` says."""
    default = f"{error.strerror or type(error).__name__} (folder {{folder}})"
    why = _WHY.get(error.errno or 0, default).format(folder=folder)
    return InvalidValueError(
        f"cannot write {given}: {why}; choose another {option} (nothing was written)"
    )


class FileInPlace:
    """A file written whole under a temporary name in the target's folder, then renamed over the
    target: the target is complete or as it was, and on any failure the temporary file is
    removed. Failures to write are usage errors naming the path and the option that gave it."""

    def __init__(
        self, path: Path, given: str | Path, option: str, database: Database | None = None
    ) -> None:
        self.path, self.given, self.option, self.database = path, given, option, database
        self._handle: int | None = None
        self._temporary: Path | None = None

    def __enter__(self) -> FileInPlace:
        # Made before anything is read, so that an unwritable folder is found first.
        with self._writing():
            self._handle, name = tempfile.mkstemp(
                prefix=f".{self.path.name}.", dir=self.path.parent
            )
        self._temporary = Path(name)
        return self

    def write(self, content: str | bytes) -> None:
        assert self._handle is not None, "written once"
        handle, self._handle = self._handle, None
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        with self._writing(), os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())

    def put_in_place(self) -> None:
        assert self._temporary is not None and self._handle is None, "written, not yet in place"
        # It may have been replaced meanwhile.
        check_target(self.path, self.given, self.option, self.database)
        with self._writing():
            os.replace(self._temporary, self.path)
        self._temporary = None

    def __exit__(self, *failure: object) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise unwritable(error, self.given, self.path.parent, self.option) from None


def write_whole(
    path: Path, given: str | Path, option: str, content: str | bytes, database: Database | None
) -> None:
    """`content` written to `path` (checked with `output_path`) whole or not at all."""
    with FileInPlace(path, given, option, database) as target:
        target.write(content)
        target.put_in_place()
