"""Keeping the read models up to date as the ledger grows, until asked to stop.

The follower catches up, then waits for news of new events: on PostgreSQL from a LISTEN/NOTIFY
subscription (the event store's own), elsewhere by polling the head of the log. A database that goes
away is waited for, with growing pauses, and the follower says so; a projection that fails on an
event stops the follower (`ProjectionFailedError`), since retrying would fail the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine

from projections.runner import EventSource, Projection, catch_up, is_transient, positions

Say = Callable[[str], None]


class Waiter(Protocol):
    """Blocks until events after `after` may exist, or until stopped."""

    def wait(self, after: int) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class PollingWaiter:
    """Asks for the head of the log every `interval` seconds (SQLite has no notifications)."""

    def __init__(self, source: EventSource, interval: float = 0.5) -> None:
        self._source = source
        self._interval = interval
        self._stopped = threading.Event()

    def wait(self, after: int) -> None:
        while not self._stopped.is_set():
            if self._source.head() > after:
                return
            self._stopped.wait(self._interval)

    def stop(self) -> None:
        self._stopped.set()

    def close(self) -> None:
        self.stop()


class Subscription(Protocol):
    def __iter__(self) -> Iterator[Any]: ...

    def stop(self) -> None: ...


class SubscriptionWaiter:
    """Wakes on the event store's notifications (LISTEN/NOTIFY on PostgreSQL).

    `subscribe(gt)` is the recorder's `subscribe`: a context manager yielding notifications after
    position `gt`. It holds one pooled connection while it lives (and a second briefly to read), so
    the event store's pool must have room for it beside the reads of catching up.
    """

    def __init__(self, subscribe: Callable[[int], AbstractContextManager[Subscription]]) -> None:
        self._subscribe = subscribe
        self._context: AbstractContextManager[Subscription] | None = None
        self._subscription: Subscription | None = None
        self._stopped = threading.Event()

    def wait(self, after: int) -> None:
        if self._stopped.is_set():
            return
        if self._subscription is None:
            self._context = self._subscribe(after)
            self._subscription = self._context.__enter__()
            if self._stopped.is_set():
                self._subscription.stop()
        for notification in self._subscription:
            if notification.id > after:
                return
        # The iteration ends only when the subscription was stopped.

    def stop(self) -> None:
        self._stopped.set()
        if self._subscription is not None:
            self._subscription.stop()

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.stop()
        if self._context is not None:
            context, self._context, self._subscription = self._context, None, None
            # A subscription whose thread failed re-raises on exit; it is being discarded.
            try:
                context.__exit__(None, None, None)
            except Exception as error:
                if not is_transient(error):
                    raise


@dataclass
class Link:
    """What following needs from one connection to the ledger; `close` releases it all."""

    engine: Engine
    source: EventSource
    waiter: Waiter
    close: Callable[[], None]


class Follower:
    """Catches up, then (with `follow`) keeps catching up as events arrive, until `stop()`."""

    def __init__(
        self,
        connect: Callable[[], Link],
        projections: Sequence[Projection],
        say: Say,
        *,
        first_delay: float = 0.5,
        longest_delay: float = 30.0,
        transient: Callable[[BaseException], bool] = is_transient,
    ) -> None:
        self._connect = connect
        self._transient = transient
        self._projections = projections
        self._say = say
        self._first_delay = first_delay
        self._longest_delay = longest_delay
        self._stopping = threading.Event()
        self._link: Link | None = None
        self.applied = 0
        self.position = 0
        self.head = 0
        # The seconds of each step of the last catch-up that took the rebuild's path (`_bulk`);
        # empty when none did.
        self.steps: dict[str, float] = {}

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        """Asks the follower to stop after the page in hand; safe from a signal handler."""
        self._stopping.set()
        link = self._link
        if link is not None:
            # Stopping a subscription takes locks; never do that inside the handler itself.
            threading.Thread(target=link.waiter.stop, daemon=True).start()

    def run(self, follow: bool) -> int:
        """Returns the position every projection has reached."""
        delay = self._first_delay
        failing = False
        try:
            while not self._stopping.is_set():
                try:
                    link = self._link or self._open()
                    before = self.applied
                    self._catch_up(link)
                    if self._stopping.is_set():
                        break  # stopped part-way through the backlog: not caught up
                    if follow and self.applied > before and not failing:
                        self._say(f"caught up to position {self.position}")
                    if failing:
                        self._say(f"the database is back; caught up to position {self.position}")
                        failing, delay = False, self._first_delay
                    if not follow or self._stopping.is_set():
                        break
                    link.waiter.wait(self.position)
                except Exception as error:
                    if not (follow and self._transient(error)):
                        raise
                    failing = True
                    self._say(
                        f"the database is unavailable ({_first_line(error)}); "
                        f"retrying in {delay:g} s"
                    )
                    self._close()
                    self._stopping.wait(delay)
                    delay = min(delay * 2, self._longest_delay)
        finally:
            self._close()
        return self.position

    def _open(self) -> Link:
        self._link = self._connect()
        if self._stopping.is_set():
            self._link.waiter.stop()
        return self._link

    def _catch_up(self, link: Link) -> None:
        self.head = link.source.head()
        steps: dict[str, float] = {}
        self.applied += catch_up(
            link.engine,
            link.source,
            self._projections,
            stop=self.head,
            should_stop=self._stopping.is_set,
            steps=steps,
        )
        if steps:
            self.steps = steps
        reached = positions(link.engine)
        self.position = min(reached.get(p.name, 0) for p in self._projections)

    def _close(self) -> None:
        link, self._link = self._link, None
        if link is None:
            return
        for release in (link.waiter.close, link.close):
            try:
                release()
            except Exception as error:
                # Closing what a vanished database left behind may fail too; it is gone anyway.
                if not self._transient(error):
                    raise


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return " ".join(text.splitlines()[0].split())[:200] if text else type(error).__name__
