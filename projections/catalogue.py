"""Every projection the ledger maintains, in the order they are applied to each page."""

from __future__ import annotations

from typing import Any

from projections.alerts.projection import AlertsProjection
from projections.builtin import OffenderRegister, StaffDirectory, TimelineProjection
from projections.runner import Projection


def all_projections(settings: Any = None) -> list[Projection]:
    # Alerts come last: they re-read the entry rows the timeline wrote earlier in the same page.
    policy_path = getattr(settings, "policy_path", None)
    return [
        TimelineProjection(),
        OffenderRegister(),
        StaffDirectory(),
        AlertsProjection(policy_path),
    ]
