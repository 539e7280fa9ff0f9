"""Evaluating offenders in worker processes: the rules are pure Python, and one process uses one
core. Each worker is this module run as `python -m projections.alerts.workers`, so nothing of the
caller (its main module, its threads, its open connections) is copied or re-imported into it.

A worker reads the offenders' entry rows through a connection of its own (it only reads: on
SQLite it never takes the write lock, so the caller can write meanwhile), evaluates them and
answers with their alert rows, ready for the driver. Requests and answers are pickled, each
preceded by its length, over the worker's stdin and stdout; the caller trusts them as it trusts
itself: they are its own child processes.
"""

from __future__ import annotations

import pickle
import struct
import subprocess
import sys
from collections import deque
from collections.abc import Sequence
from typing import IO, Any
from uuid import UUID

from projections.alerts.policy import Policy

_LENGTH = struct.Struct("!Q")


def _send(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the worker process ended")
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the worker process ended mid-answer")
    return pickle.loads(data)


class WorkerError(RuntimeError):
    """A worker failed or ended; what it said is in the message."""


class Evaluators:
    """Worker processes evaluating chunks of offenders, answers taken in the order asked.

    `submit` hands a chunk to the next worker in turn; `next_result` returns the rows of the
    oldest chunk not yet collected. Each worker answers its chunks in the order given, so taking
    them round-robin gives them back in the order submitted."""

    def __init__(self, count: int, url: str, search_path: str | None, policy: Policy) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []
        self._order: deque[int] = deque()
        self._turn = 0
        try:
            for _ in range(count):
                process = subprocess.Popen(
                    [sys.executable, "-m", "projections.alerts.workers"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
                self._processes.append(process)
                assert process.stdin is not None
                _send(process.stdin, (url, search_path, policy))
        except BaseException:
            self.close()
            raise

    def submit(self, offenders: Sequence[UUID]) -> None:
        index = self._turn
        self._turn = (self._turn + 1) % len(self._processes)
        stdin = self._processes[index].stdin
        assert stdin is not None
        _send(stdin, list(offenders))
        self._order.append(index)

    def next_result(self) -> list[Any]:
        process = self._processes[self._order.popleft()]
        assert process.stdout is not None
        ok, answer = _receive(process.stdout)
        if not ok:
            raise WorkerError(answer)
        return answer  # type: ignore[no-any-return]

    def close(self) -> None:
        for process in self._processes:
            try:
                if process.stdin is not None:
                    _send(process.stdin, None)
                    process.stdin.close()
            except OSError:
                pass
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        self._processes = []


def _engine(url: str, search_path: str | None) -> Any:
    from sqlalchemy import create_engine, event

    # A plain engine: it only reads, and must not take SQLite's write lock at BEGIN as the read
    # models' engine does (the caller is writing).
    engine = create_engine(url)
    if search_path is not None:

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_connection: Any, _: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f"SET search_path TO {search_path}")
            dbapi_connection.commit()

    return engine


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The worker's loop: set up from the first message, then one answer per chunk until None."""
    from projections.alerts.projection import alert_rows, insert_alerts, load_histories
    from projections.alerts.rules import evaluate

    url, search_path, policy = _receive(requests)
    engine = _engine(url, search_path)
    try:
        while True:
            offenders = _receive(requests)
            if offenders is None:
                return
            try:
                rows: list[dict[str, Any]] = []
                with engine.connect() as conn:
                    for offender_id, records in load_histories(conn, offenders):
                        rows.extend(alert_rows(offender_id, records, evaluate(records, policy)))
                    conn.rollback()
                answer: tuple[bool, Any] = (True, insert_alerts.driver_rows(engine.dialect, rows))
            except Exception as error:
                answer = (False, f"{type(error).__name__}: {error}")
            _send(answers, answer)
    finally:
        engine.dispose()


if __name__ == "__main__":
    serve(sys.stdin.buffer, sys.stdout.buffer)
