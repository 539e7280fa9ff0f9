"""Messages between the rebuild and its child processes arrive whole, or not at all."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from projections import pipes

# A child that answers with `count` messages of about 3 MB each, each carrying its own digest,
# and prints to stdout between them as a careless library might.
CHILD = """
import hashlib, os, sys
from projections import pipes
requests, answers = pipes.child_ends()
count = pipes.receive(requests)
for number in range(count):
    payload = os.urandom(1000) * 3000
    print("a stray line on stdout", flush=True)
    pipes.send(answers, (number, hashlib.sha256(payload).hexdigest(), payload))
pipes.send(answers, None)
"""


def _start_child() -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        bufsize=0,
    )


def _receive_all(process: subprocess.Popen[bytes], count: int) -> list[int]:
    assert process.stdin is not None and process.stdout is not None
    pipes.send(process.stdin, count)
    numbers = []
    while (message := pipes.receive(process.stdout)) is not None:
        number, digest, payload = message
        assert hashlib.sha256(payload).hexdigest() == digest
        numbers.append(number)
    return numbers


def test_messages_arrive_whole_and_in_order_past_stray_prints() -> None:
    process = _start_child()
    try:
        assert _receive_all(process, 5) == list(range(5))
    finally:
        pipes.stop(process)


@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="needs POSIX job control signals")
def test_a_child_stopped_and_continued_mid_write_loses_nothing() -> None:
    """Ctrl-Z then `fg` stops and continues the rebuild's children with it. A buffered write of a
    large message to a full pipe, interrupted so, used to return having written part of it, and
    the reader then took the next message's bytes for the rest (seen as an UnpicklingError)."""
    process = _start_child()
    done = threading.Event()

    def stop_and_continue() -> None:
        while not done.is_set() and process.poll() is None:
            time.sleep(0.003)
            try:
                os.kill(process.pid, signal.SIGSTOP)
                time.sleep(0.001)
                os.kill(process.pid, signal.SIGCONT)
            except ProcessLookupError:
                return

    pester = threading.Thread(target=stop_and_continue, daemon=True)
    pester.start()
    try:
        assert _receive_all(process, 40) == list(range(40))
    finally:
        done.set()
        pester.join()
        if process.poll() is None:
            os.kill(process.pid, signal.SIGCONT)
        pipes.stop(process)


def test_a_child_that_ends_mid_message_is_an_end_of_file() -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'\\0' * 7 + b'\\x09abc')"],
        stdout=subprocess.PIPE,
        bufsize=0,
    )
    try:
        assert process.stdout is not None
        with pytest.raises(EOFError, match="mid-message"):
            pipes.receive(process.stdout)
    finally:
        pipes.stop(process)
