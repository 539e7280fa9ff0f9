"""The name under which each class of offender event is stored: the `type` column of `entries`,
and `type` in the views' JSON. Folds over stored rows compare that column with these, never with
a literal of their own.

They are written out rather than read from the classes, because importing the aggregate builds
the classes of all its events, which a read that applies no event has no use for.
tests/unit/test_event_dispatch.py holds each equal to its class's name, so that renaming a class
fails there rather than by matching nothing."""

from __future__ import annotations

REGISTERED = "Registered"
RELEASED_ON_LICENCE = "ReleasedOnLicence"
DISCLOSURE_RECORDED = "DisclosureRecorded"
ENTRY_RECORDED = "EntryRecorded"
CONCERN_RECORDED = "ConcernRecorded"
REVIEW_RECORDED = "ReviewRecorded"
VISIT_RECORDED = "VisitRecorded"
ASSESSMENT_RECORDED = "AssessmentRecorded"
DECISION_RECORDED = "DecisionRecorded"
DISAGREEMENT_RECORDED = "DisagreementRecorded"
ESCALATION_RECORDED = "EscalationRecorded"
MAPPA_REFERRAL_RECORDED = "MappaReferralRecorded"
MAPPA_MEETING_RECORDED = "MappaMeetingRecorded"
RECALL_DECISION_RECORDED = "RecallDecisionRecorded"
ENTRIES_ACKNOWLEDGED = "EntriesAcknowledged"
OWNERSHIP_TRANSFERRED = "OwnershipTransferred"
ENTRIES_SHARED = "EntriesShared"
ENTRY_CORRECTED = "EntryCorrected"
TAKEN_INTO_CUSTODY = "TakenIntoCustody"
RELEASED_WITHOUT_LICENCE = "ReleasedWithoutLicence"
REGISTRATION_ENDED = "RegistrationEnded"
