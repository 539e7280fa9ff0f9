"""Reading, decoding and preparing the log's pages in a process of its own, during a rebuild.

Decoding an event and making the rows it gives are pure Python, and one process uses one core:
while the rebuilding process writes one page, children read and decode the next pages through the
ledger's own `read_events` (each event decoded once, in one child) and have each projection
`prepare` them. What goes back per page is the events' positions and each projection's prepared
result (rows ready for the driver, offenders touched), never the events themselves.

A child is `python -m projections.reading`; it opens the event store from the application's own
settings (`env`) and only reads. Each runs at most one page ahead of the rebuilding process:
writing a page back blocks until that process takes it.
"""

from __future__ import annotations

import contextlib
import subprocess
import warnings
from collections.abc import Sequence
from typing import IO, Any

from projections import pipes

# Events decoded at once within a page: the page's prepared rows are kept, its events are not.
PART = 2500


class PreparedPages:
    """The parent's end: pages handed over in order, starting after position `start`.

    Pages are ranges of `page_size` positions, shared round-robin among `children` processes,
    each reading and preparing its own ranges; they are taken back in order."""

    def __init__(
        self,
        source: Any,
        projections: Sequence[Any],
        url: str,
        page_size: int,
        start: int,
        target: int,
        children: int = 2,
        cipher_key: str | None = None,
    ) -> None:
        spec = f"{type(source).__module__}:{type(source).__qualname__}"
        self._expected = start
        self._turn = 0
        self._processes: list[subprocess.Popen[bytes]] = []
        try:
            for index in range(children):
                process = pipes.start("projections.reading")
                self._processes.append(process)
                assert process.stdin is not None
                setup = (spec, dict(source.env), list(projections), url, page_size, start, target)
                pipes.send(process.stdin, (*setup, index, children, PART, cipher_key))
        except BaseException:
            self.close()
            raise

    def next_page(self, after: int) -> tuple[list[tuple[int, Any]], list[dict[str, Any]]] | None:
        """The prepared page after `after`, or None: the children have finished, failed, or are
        not reading from there (then they are stopped, and the caller reads for itself)."""
        if not self._processes or after != self._expected:
            self.close()
            return None
        while True:
            process = self._processes[self._turn % len(self._processes)]
            try:
                assert process.stdout is not None
                ok, positions, prepared = pipes.receive(process.stdout)
            except (OSError, EOFError) as error:
                ok, positions, prepared = False, None, f"{type(error).__name__}: {error}"
            if not ok:
                warnings.warn(
                    f"rebuild: reading in a child process failed ({prepared}); reading here",
                    RuntimeWarning,
                    stacklevel=2,
                )
            if not ok or positions is None:
                self.close()
                return None
            self._turn += 1
            if positions:  # a range with no events in it (ids can be skipped) gives nothing
                self._expected = positions[-1]
                return [(position, None) for position in positions], prepared

    def close(self) -> None:
        for process in self._processes:
            pipes.stop(process)
        self._processes = []


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """The child's loop: its share of the ranges from `start` to `target`, then None."""
    from eventsourcing.utils import resolve_topic
    from sqlalchemy import create_engine

    from projections.sealing import seal_dialect

    setup = pipes.receive(requests)
    spec, env, projections, url, page_size, start, target, index, children, part_size, key = setup
    source = resolve_topic(spec)(env=env)
    # The dialect only says how values are bound, and (with the read models' key) seals them as
    # the rebuilding process's would; no connection is made.
    dialect = create_engine(url).dialect
    seal_dialect(dialect, key)
    try:
        low = start + index * page_size
        while low < target:
            high = min(low + page_size, target)
            # Decoded a part at a time, so that only a part's events are held at once.
            positions: list[int] = []
            parts: list[dict[str, Any]] = []
            after = low
            while after < high:
                part = source.read_events(after, part_size, stop=high)
                if not part:
                    break
                parts.append({p.name: p.prepare(part, dialect) for p in projections})
                positions.extend(position for position, _ in part)
                after = part[-1][0]
                del part
            pipes.send(answers, (True, positions, parts))
            low += children * page_size
        pipes.send(answers, (True, None, None))
    except BrokenPipeError:
        pass  # the parent stopped reading: it is done, or reads for itself now
    except Exception as error:
        reason = " ".join(str(error).split())[:300]
        with contextlib.suppress(BrokenPipeError):
            pipes.send(answers, (False, None, f"{type(error).__name__}: {reason}"))
    finally:
        source.close()


if __name__ == "__main__":
    import signal

    # Ctrl-C is the rebuilding process's to handle: it stops its children itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(*pipes.child_ends())
