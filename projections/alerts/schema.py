"""The alerts read model's tables (Alembic revision 0100 creates them)."""

from __future__ import annotations

from sqlalchemy import Index, Integer, String, Text, Uuid

from projections.db import UTCDateTime
from projections.schema import Rows, column, optional
from projections.sealing import SealedText

# One breach of one rule for one offender, open or closed, with the offender's area and ref copied
# in so that an area's morning check reads this table alone.
AlertRow = Rows(
    "alerts",
    column("offender_id", Uuid, primary_key=True),
    column("seq", Integer, primary_key=True),
    column("ref", Text),
    optional("area", Text),
    column("rule", String(40)),
    optional("entry", Integer),
    column("due_at", UTCDateTime),
    optional("satisfied_at", UTCDateTime),
    column("detail", SealedText),
    optional("resolution", SealedText),
    # Detail, resolution, document and lapse are sealed under LEDGER_CIPHER_KEY when one is set.
    # The alert as `ledger alerts --json` prints it, made once when the breach is evaluated: an
    # area's check then joins stored text rather than rebuilding tens of thousands of objects.
    column("document", SealedText),
    # When its remedy stopped being possible, and why (revision 0400); None while it had not.
    optional("lapsed_at", UTCDateTime),
    optional("lapse", SealedText),
)

# Offenders whose alert rows may be out of date: written in the same transaction as the events'
# position, so a crash or a deferred evaluation loses nothing.
AlertPendingRow = Rows("alerts_pending", column("offender_id", Uuid, primary_key=True))

# The digest of the policy whose figures made the stored alerts.
AlertPolicyRow = Rows(
    "alerts_policy", column("name", String(16), primary_key=True), column("digest", String(64))
)


# "Standing at T" is three range scans: open rows (neither satisfied nor lapsed) due by T, rows
# closed after T and rows lapsed after T; most rows are closed or lapsed long before, and these
# indexes let each scan skip them.
Index(
    "ix_alerts_area_standing",
    AlertRow.area,
    AlertRow.satisfied_at,
    AlertRow.lapsed_at,
    AlertRow.due_at,
)
Index("ix_alerts_standing", AlertRow.satisfied_at, AlertRow.lapsed_at, AlertRow.due_at)
# One offender's: without it, planners take the index above and scan every open alert.
Index(
    "ix_alerts_offender_standing",
    AlertRow.offender_id,
    AlertRow.satisfied_at,
    AlertRow.lapsed_at,
    AlertRow.due_at,
)
