"""Talking to the project's own child processes: pickled messages, each preceded by its length,
over the child's stdin and stdout. The parent trusts what comes back as it trusts itself: the
children are this code, started by it (`python -m <module>`), so nothing of the parent (its main
module, its threads, its open connections) is copied or re-imported into them."""

from __future__ import annotations

import contextlib
import pickle
import struct
import subprocess
import sys
from typing import IO, Any

_LENGTH = struct.Struct("!Q")


def send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the child process ended")
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the child process ended mid-message")
    return pickle.loads(data)


def start(module: str) -> subprocess.Popen[bytes]:
    """`python -m module` with pipes to talk to it; its stderr is the parent's."""
    return subprocess.Popen(
        [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.PIPE
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
