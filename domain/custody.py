"""The order of moves into and out of custody: one pure rule, which recording a custody or a
release and correcting the time of one both apply, so that the two never disagree.

A move is a time key (`domain.clock.chronological_key`: London day, a timed move before the
untimed ones that day, then its time, then its entry number) and its kind. Moves alternate: a
custody while already held (after a custody, or after a recall, which took the person into
custody), or a release while free (after another release), breaks the order. The first move may
be a release: the ledger may not know where the person was held before it. A recall after a
custody keeps the person held, which is no breach.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from itertools import pairwise

from domain.frozen import frozen

# A move's place in time: `chronological_key(occurred_at, entry)`.
MoveKey = tuple[date, int, datetime, int]


class MoveKind(Enum):
    CUSTODY = "custody"  # taken into custody (`TakenIntoCustody`)
    RECALL = "recall"  # a recall decision that recalled a licence: into custody as well
    RELEASE = "release"  # released, on licence or without one

    @property
    def into(self) -> bool:
        return self is not MoveKind.RELEASE


@frozen
class Move:
    key: MoveKey
    kind: MoveKind

    @property
    def entry(self) -> int:
        return self.key[3]


@frozen
class CustodyOrderBreach:
    """Two moves next to each other in time that cannot follow one another: `later` the same way
    as `earlier` (a custody after a custody or a recall; a release after a release)."""

    earlier: Move
    later: Move

    @property
    def entries(self) -> tuple[int, int]:
        return (self.earlier.entry, self.later.entry)


def follows(earlier: MoveKind, later: MoveKind) -> bool:
    """Whether a move of kind `later` may come right after one of kind `earlier`."""
    if later is MoveKind.CUSTODY:
        return earlier is MoveKind.RELEASE
    if later is MoveKind.RELEASE:
        return earlier is not MoveKind.RELEASE
    return True


def in_order(moves: Iterable[tuple[MoveKey, MoveKind]]) -> list[Move]:
    """The moves as `Move`s, in the order they occurred."""
    return sorted((Move(key, kind) for key, kind in moves), key=lambda move: move.key)


def custody_order_breaches(moves: Iterable[tuple[MoveKey, MoveKind]]) -> list[CustodyOrderBreach]:
    """Every pair of moves, next to each other in the order they occurred, that breaks the
    alternation of custody and release; none when the moves alternate."""
    ordered = in_order(moves)
    return [
        CustodyOrderBreach(earlier, later)
        for earlier, later in pairwise(ordered)
        if not follows(earlier.kind, later.kind)
    ]


def new_breaches(
    before: Iterable[tuple[MoveKey, MoveKind]], after: Iterable[tuple[MoveKey, MoveKind]]
) -> list[CustodyOrderBreach]:
    """The breaches of the moves `after` a change (a new move, a moved one) that the moves
    `before` it did not already have, each known by the entries of its two moves: a change is
    judged by what it breaks, not by what history entered under older rules already held."""
    held = {breach.entries for breach in custody_order_breaches(before)}
    return [breach for breach in custody_order_breaches(after) if breach.entries not in held]
