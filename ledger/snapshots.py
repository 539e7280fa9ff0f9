"""The snapshot store the ledger reads through: only snapshots it can bring to the current shape."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic


class CurrentSnapshots:
    """A snapshot store that hides snapshots of an older shape of their aggregate.

    A snapshot is a cache of the state its events give. One taken before the aggregate kept
    something it keeps now (the dates of licences, of changes of owner, corrected times: see the
    offender's `class_version`) cannot be brought up to date without the events it stands for,
    so it is passed over and the aggregate is replayed from its events instead; the next
    snapshot, at the next multiple of the interval, is of the current shape. One that differs
    only in how it holds the same facts is brought up to date by the aggregate's upcasters
    (`upcast_vN_vM`, applied by the library as it loads the snapshot), so it is used. Writes
    and every other use go to the store itself."""

    def __init__(self, store: Any) -> None:
        self._store = store

    def get(self, originator_id: UUID, **options: Any) -> Iterator[Any]:
        for snapshot in self._store.get(originator_id, **options):
            made_by = resolve_topic(snapshot.topic)
            stored = snapshot.state.get("class_version", 1)
            current = getattr(made_by, "class_version", 1)
            # A snapshot of a newer shape (written by newer code) is passed over too.
            upcasts = (f"upcast_v{v}_v{v + 1}" for v in range(stored, current))
            if stored <= current and all(hasattr(made_by, name) for name in upcasts):
                yield snapshot

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)
