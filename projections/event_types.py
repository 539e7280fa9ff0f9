"""The name under which each class of offender event is stored: the `type` column of `entries`,
and `type` in the views' JSON. Folds over stored rows compare that column with these, never with
a literal, so that renaming a class fails here, at import, rather than by matching nothing."""

from __future__ import annotations

from domain.offender import Offender

REGISTERED = Offender.Registered.__name__
RELEASED_ON_LICENCE = Offender.ReleasedOnLicence.__name__
DISCLOSURE_RECORDED = Offender.DisclosureRecorded.__name__
ENTRY_RECORDED = Offender.EntryRecorded.__name__
CONCERN_RECORDED = Offender.ConcernRecorded.__name__
REVIEW_RECORDED = Offender.ReviewRecorded.__name__
VISIT_RECORDED = Offender.VisitRecorded.__name__
ASSESSMENT_RECORDED = Offender.AssessmentRecorded.__name__
DECISION_RECORDED = Offender.DecisionRecorded.__name__
DISAGREEMENT_RECORDED = Offender.DisagreementRecorded.__name__
ESCALATION_RECORDED = Offender.EscalationRecorded.__name__
MAPPA_REFERRAL_RECORDED = Offender.MappaReferralRecorded.__name__
MAPPA_MEETING_RECORDED = Offender.MappaMeetingRecorded.__name__
RECALL_DECISION_RECORDED = Offender.RecallDecisionRecorded.__name__
ENTRIES_ACKNOWLEDGED = Offender.EntriesAcknowledged.__name__
OWNERSHIP_TRANSFERRED = Offender.OwnershipTransferred.__name__
ENTRIES_SHARED = Offender.EntriesShared.__name__
ENTRY_CORRECTED = Offender.EntryCorrected.__name__
TAKEN_INTO_CUSTODY = Offender.TakenIntoCustody.__name__
RELEASED_WITHOUT_LICENCE = Offender.ReleasedWithoutLicence.__name__
REGISTRATION_ENDED = Offender.RegistrationEnded.__name__
