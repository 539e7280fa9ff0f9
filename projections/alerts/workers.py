"""Evaluating offenders in worker processes: the rules are pure Python, and one process uses one
core. Each worker is this module run as `python -m projections.alerts.workers`, so nothing of the
caller (its main module, its threads, its open connections) is copied or re-imported into it.

A worker reads the offenders' entry rows through connections of its own, evaluates them and
writes their alert rows (see `serve`); the caller only hands out chunks and waits for each to be
done. Requests and answers are pickled, each preceded by its length, over the worker's stdin and
stdout; the caller trusts them as it trusts itself: they are its own child processes.
"""

from __future__ import annotations

import subprocess
from collections import deque
from collections.abc import Sequence
from typing import IO, Any
from uuid import UUID

from projections.alerts.policy import Policy
from projections.pipes import child_ends
from projections.pipes import receive as _receive
from projections.pipes import send as _send
from projections.pipes import start as _start


class WorkerError(RuntimeError):
    """A worker failed or ended; what it said is in the message."""


class Evaluators:
    """Worker processes evaluating and writing chunks of offenders, answers taken in the order
    asked.

    `submit` hands a chunk to the next worker in turn; `next_result` waits for the oldest chunk
    not yet collected to be written. Each worker answers its chunks in the order given, so taking
    them round-robin gives them back in the order submitted."""

    def __init__(
        self,
        count: int,
        url: str,
        search_path: str | None,
        policy: Policy,
        stamp: Any,
        cipher_key: str | None = None,
    ) -> None:
        self._processes: list[subprocess.Popen[bytes]] = []
        self._order: deque[int] = deque()
        self._turn = 0
        try:
            for _ in range(count):
                process = _start("projections.alerts.workers")
                self._processes.append(process)
                assert process.stdin is not None
                # The key the read models are sealed under, if any (`projections.sealing`).
                _send(process.stdin, (url, search_path, policy, stamp, cipher_key))
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

    def next_result(self) -> Any:
        process = self._processes[self._order.popleft()]
        assert process.stdout is not None
        ok, answer = _receive(process.stdout)
        if not ok:
            raise WorkerError(answer)
        return answer

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
    """The worker's loop: set up from the first message, then one answer per chunk until None.

    Each chunk is read and evaluated outside any transaction, then written in a transaction of
    its own, which takes the alerts' lock first (on SQLite, the database's write lock): so the
    two workers evaluate at once and only take turns to write. A chunk is written as evaluated
    only if the stamp (the alerts' position and rules' digest) is the one the settle began with:
    otherwise something was marked pending meanwhile, and the chunk is evaluated again inside
    the writing transaction."""
    from projections.alerts.evaluation import (
        alert_driver_rows,
        load_histories,
        lock,
        reevaluate,
        replace_alerts,
        staff_directory,
        stamp_of,
    )
    from projections.alerts.rules import evaluate
    from projections.db import make_engine
    from projections.sealing import seal_dialect

    url, search_path, policy, stamp, cipher_key = _receive(requests)
    reader = _engine(url, search_path)
    seal_dialect(reader.dialect, cipher_key)
    writer = make_engine(url, cipher_key=cipher_key) if search_path is None else reader
    dialect = writer.dialect
    try:
        while True:
            offenders = _receive(requests)
            if offenders is None:
                return
            try:
                rows: list[Any] = []
                with reader.connect() as conn:
                    staff = staff_directory(conn)
                    for offender_id, records in load_histories(conn, offenders):
                        breaches = evaluate(
                            records, policy, agencies=staff.agencies, names=staff.names
                        )
                        rows.extend(alert_driver_rows(dialect, offender_id, records, breaches))
                    conn.rollback()
                with writer.begin() as conn:
                    lock(conn)
                    if stamp_of(conn) != stamp:
                        reevaluate(conn, policy, offenders)
                    else:
                        replace_alerts(conn, offenders, rows)
                answer: tuple[bool, Any] = (True, len(offenders))
            except Exception as error:
                reason = " ".join(str(error).split())[:300]
                answer = (False, f"{type(error).__name__}: {reason}")
            _send(answers, answer)
    finally:
        reader.dispose()
        writer.dispose()


if __name__ == "__main__":
    import signal

    # Ctrl-C is the rebuilding process's to handle: it stops its children itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(*child_ends())
