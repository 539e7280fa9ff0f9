"""Talking to the project's own child processes: pickled messages, each preceded by its length,
over the child's stdin and stdout. The parent trusts what comes back as it trusts itself: the
children are this code, started by it (`python -m <module>`), so nothing of the parent (its main
module, its threads, its open connections) is copied or re-imported into them.

Messages are written with `os.write` on the file descriptor and read with `readinto`, each looping
until every byte has gone or come, as `multiprocessing.connection` does. A buffered stream's
`write` is not safe here: when the writing process is stopped and continued (Ctrl-Z then `fg`,
which stops the whole process group, or a sampling profiler) in the middle of a large write to a
full pipe, the system call returns having written part of it and the rest of that message is
lost, so the reader takes the next message's bytes for this one's."""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
from typing import IO, Any

_LENGTH = struct.Struct("!Q")


def send(stream: IO[bytes], message: Any) -> None:
    """Writes one message, whole, to the pipe behind `stream` (whose buffer must be empty: only
    this module writes to it)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(stream.fileno(), _LENGTH.pack(len(data)))
    _write_all(stream.fileno(), data)


def receive(stream: IO[bytes]) -> Any:
    """Reads one message, whole, from the pipe behind `stream` (only this module reads it)."""
    (size,) = _LENGTH.unpack(_read_exactly(stream, _LENGTH.size, "the child process ended"))
    return pickle.loads(_read_exactly(stream, size, "the child process ended mid-message"))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exactly(stream: IO[bytes], size: int, ended: str) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        count = stream.readinto(view[got:])  # type: ignore[attr-defined]
        if not count:
            raise EOFError(ended)
        got += count
    return buffer


def child_ends() -> tuple[IO[bytes], IO[bytes]]:
    """In a child: where requests come from and where answers go. Answers go to a copy of the
    original stdout, and stdout itself is pointed at stderr, so that anything else the child
    prints (a library's warning, a stray print) cannot land in the middle of a message."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb", buffering=0)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return sys.stdin.buffer, answers


def start(module: str) -> subprocess.Popen[bytes]:
    """`python -m module` with pipes to talk to it, unbuffered; its stderr is the parent's."""
    return subprocess.Popen(
        [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Ends a child that may be blocked writing: it only reads, so it is killed."""
    if process.poll() is None:
        process.kill()
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
