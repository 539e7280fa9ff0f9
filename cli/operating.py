"""Operating the read models: where each stands, rebuilding them, and following the ledger."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from cli.options import JSON
from cli.render import emit_json, local_time, say, table, warn
from cli.session import Session, session

if TYPE_CHECKING:
    from projections.following import Link
    from projections.runner import Projection

projections_app = typer.Typer(
    help="The read models: their positions, rebuilding and following.\n\n"
    "Example: ledger projections status"
)


def register(app: typer.Typer) -> None:
    app.add_typer(projections_app, name="projections")


@projections_app.command("status")
def status(ctx: typer.Context, as_json: bool = JSON) -> None:
    """Each projection's position, the ledger's head, and how far behind each one is.

    Example: ledger projections status --json
    """
    from ledger import reading

    found = reading.projection_status(session(ctx))
    head, rows = found["head"], found["projections"]
    if as_json:
        emit_json(found)
        return
    behind = sum(1 for r in rows if r["lag"])
    table(
        f"Projections (ledger head {head})",
        ["Projection", "Position", "Behind by", "Last written"],
        [
            [r["name"], r["position"], r["lag"], local_time(r["updated_at"]) or "never"]
            for r in rows
        ],
        caption="all up to date" if not behind else f"{behind} behind: 'ledger projections run'",
    )


@projections_app.command("rebuild")
def rebuild(
    ctx: typer.Context,
    name: str = typer.Argument(None, metavar="[NAME]", help="One projection (default: all)."),
    as_json: bool = JSON,
) -> None:
    """Drop a projection's rows (or every projection's) and rebuild them from the first event.

    The result is the same as the one built event by event. Readers see the projection fill up
    again while it runs; a rebuild interrupted with Ctrl-C resumes with 'ledger projections run'.

    Example: ledger projections rebuild timeline
    """
    from projections.runner import rebuild as rebuild_projections

    s = session(ctx)
    chosen = _chosen(s, name)
    ledger = s.ledger()
    head = ledger.head()
    started = time.perf_counter()
    steps: dict[str, float] = {}
    with _progress_bar(head, enabled=not as_json) as advance:
        rebuild_projections(s.engine(), ledger, chosen, progress=advance, steps=steps)
    seconds = time.perf_counter() - started
    rate = head / seconds if seconds > 0 else 0.0
    names = [p.name for p in chosen]
    if as_json:
        emit_json(
            {
                "rebuilt": names,
                "events": head,
                "position": head,
                "seconds": round(seconds, 3),
                "events_per_second": round(rate),
                "steps": _steps_json(steps),
            }
        )
        return
    say(f"rebuilt {', '.join(names)} from {head} events in {seconds:.1f} s ({rate:,.0f} events/s)")
    _say_steps(steps)


def _steps_json(steps: dict[str, float]) -> dict[str, float]:
    return {step: round(taken, 3) for step, taken in steps.items()}


def _say_steps(steps: dict[str, float]) -> None:
    """The steps of a rebuild (or a long catch-up) a person waited on: applying the events, a
    projection's finishing work (the alerts' settling of every offender) and the indexes made
    again, each of a tenth of a second or more."""
    labels = {"pages": "applying the events", "indexes": "making the indexes"}
    shown = ", ".join(
        f"{labels.get(step, step)} {taken:.1f} s" for step, taken in steps.items() if taken >= 0.1
    )
    if shown:
        say(f"  of which: {shown}")


MIN_POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 3600


@projections_app.command("run")
def run(
    ctx: typer.Context,
    follow: bool = typer.Option(
        False, "--follow", help="Keep following new events until Ctrl-C (SIGINT) or SIGTERM."
    ),
    poll_interval: float = typer.Option(
        0.5, "--poll-interval", metavar="SECONDS", help="How often SQLite is polled when following."
    ),
    as_json: bool = JSON,
) -> None:
    """Bring every projection up to date once, or keep following the ledger with --follow.

    On PostgreSQL the follower wakes on the event store's notifications (LISTEN/NOTIFY); on SQLite
    it polls. If the database goes away it waits and retries, saying so on stderr.

    Example: ledger projections run --follow
    """
    from domain.errors import InvalidValueError
    from projections.following import Follower

    s = session(ctx)
    # The chained comparison also refuses nan; a huge interval would overflow the sleep.
    if not MIN_POLL_SECONDS <= poll_interval <= MAX_POLL_SECONDS:
        raise InvalidValueError(
            f"--poll-interval must be from {MIN_POLL_SECONDS} to {MAX_POLL_SECONDS} seconds, "
            f"not {poll_interval}"
        )
    # The session's ledger and read models refuse an uninitialised ledger (or a key that does not
    # match) before anything starts, and are the follower's first connection: opening a second
    # pair would cost the catch-up a connection to PostgreSQL and a check of every table's seal.
    # The session closes them itself; a reconnection after an outage opens a fresh pair.
    first = [_link(s.ledger(), s.engine(), s, poll_interval, close=lambda: None)]

    def connect() -> Link:
        return first.pop() if first else _connect(s, poll_interval)

    follower = Follower(connect, s.projections(), warn, transient=_transient)
    if follow:
        warn(f"following {s.settings.database.describe()}; Ctrl-C stops")
    with _stop_on_signals(follower.stop):
        position = follower.run(follow)
    if follower.stopping:
        warn(
            f"stopped at position {position} (ledger head {follower.head}); "
            "'ledger projections run' carries on from there"
        )
    if as_json:
        emit_json(
            {
                "position": position,
                "head": follower.head,
                "applied": follower.applied,
                "stopped": follower.stopping,
                # A catch-up that took the rebuild's path: its steps, as a rebuild gives them.
                "steps": _steps_json(follower.steps),
            }
        )
        return
    if follower.stopping:
        return
    say(f"caught up to position {position}: {follower.applied} event applications")
    _say_steps(follower.steps)


def _chosen(s: Session, name: str | None) -> list[Projection]:
    from domain.errors import InvalidValueError

    every = s.projections()
    if name is None:
        return every
    for projection in every:
        if projection.name == name.strip():
            return [projection]
    names = ", ".join(p.name for p in every)
    raise InvalidValueError(f"there is no projection called {name!r}; choose one of: {names}")


def _transient(error: BaseException) -> bool:
    """Worth waiting for: the database is down or unreachable, whichever layer noticed."""
    from ledger.errors import DatabaseUnavailableError
    from projections.runner import is_transient

    return isinstance(error, DatabaseUnavailableError) or is_transient(error)


def _connect(s: Session, poll_interval: float) -> Link:
    """A fresh ledger application and engine: after the database went away, the old connections
    are of no use."""
    from ledger.bootstrap import open_ledger
    from projections.db import make_engine
    from projections.seal_check import check_seal

    ledger = open_ledger(s.settings)
    db = s.settings.database
    engine = make_engine(db.sqlalchemy_url(), db.schema, s.settings.cipher_key)
    try:
        check_seal(engine)
    except BaseException:
        engine.dispose()
        ledger.close()
        raise

    def close() -> None:
        try:
            engine.dispose()
        finally:
            ledger.close()

    return _link(ledger, engine, s, poll_interval, close=close)


def _link(
    ledger: Any, engine: Any, s: Session, poll_interval: float, *, close: Callable[[], None]
) -> Link:
    from projections.following import Link, PollingWaiter, SubscriptionWaiter

    waiter: Any
    if s.settings.database.is_sqlite:
        waiter = PollingWaiter(ledger, poll_interval)
    else:
        waiter = SubscriptionWaiter(lambda after: ledger.recorder.subscribe(gt=after))
    return Link(engine=engine, source=ledger, waiter=waiter, close=close)


class _stop_on_signals:
    """Turns SIGINT and SIGTERM into a clean stop while following; a second signal interrupts."""

    def __init__(self, stop: Any) -> None:
        self._stop = stop
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> None:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            return

        def handle(signum: int, frame: Any) -> None:
            for number, previous in self._previous.items():
                signal.signal(number, previous)
            self._stop()

        for number in (signal.SIGINT, signal.SIGTERM):
            self._previous[number] = signal.signal(number, handle)

    def __exit__(self, *exc: object) -> None:
        import signal

        for number, previous in self._previous.items():
            signal.signal(number, previous)
        self._previous.clear()


class _progress_bar:
    """A rich progress bar on stderr; `advance(position, head)` moves it."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._total = total
        self._enabled = enabled
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Any:
        if not self._enabled:
            return lambda position, head: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("rebuilding"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=Console(file=sys.stderr),
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("rebuild", total=max(self._total, 1))
        return self._advance

    def _advance(self, position: int, head: int) -> None:
        self._progress.update(self._task, completed=position, total=max(head, 1))

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
