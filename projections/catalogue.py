"""Every projection the ledger maintains, in the order they are applied to each page."""

from __future__ import annotations

from typing import Any

from projections.builtin import OffenderRegister, StaffDirectory, TimelineProjection
from projections.runner import Projection


def all_projections(settings: Any = None) -> list[Projection]:
    return [TimelineProjection(), OffenderRegister(), StaffDirectory()]
