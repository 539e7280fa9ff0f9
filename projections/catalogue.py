"""Every projection the ledger maintains, in the order they are applied to each page.

Their names, and the indexes each one's rebuild defers, are known here without importing them: a
read that finds every read model up to date (`LedgerContext.catch_up`) then builds none of them.
tests/unit/test_catalogue.py holds these equal to the projections' own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from projections.runner import Projection

# Each projection's name and its deferred indexes' names, in the order `all_projections` gives.
PROJECTIONS: dict[str, tuple[str, ...]] = {
    "timeline": ("ix_entries_offender_type",),
    "offenders": (),
    "staff": (),
    "alerts": ("ix_alerts_area_standing", "ix_alerts_offender_standing", "ix_alerts_standing"),
}


def all_projections(settings: Any = None) -> list[Projection]:
    from projections.alerts.projection import AlertsProjection
    from projections.builtin import OffenderRegister, StaffDirectory, TimelineProjection

    # Alerts come last: they re-read the entry rows the timeline wrote earlier in the same page.
    policy_path = getattr(settings, "policy_path", None)
    return [
        TimelineProjection(),
        OffenderRegister(),
        StaffDirectory(),
        AlertsProjection(policy_path),
    ]
