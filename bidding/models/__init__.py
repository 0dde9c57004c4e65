"""Tenders, their versions and documents, sealed two-cover bids, openings, evaluation and awards."""

# Models register in the order they are imported: the order they had in the one models.py.
# isort: off
from bidding.models.tenders import (
    TIMELINE_FIELDS,
    TIMELINE_LABELS,
    CommitteeMember,
    PreBidQuery,
    Tender,
    TenderDocument,
    TenderVersion,
)
from bidding.models.bids import Bid, BidDocument, BidParticipant, BidVersion, TenderKey
from bidding.models.openings import (
    BidRanking,
    CoverOpening,
    Criterion,
    CriterionResult,
    OpenedCover,
    OpeningConfirmation,
    Stage,
    TechnicalEvaluation,
    TenderAllocation,
)
from bidding.models.awards import (
    Award,
    AwardLetter,
    PbgClosure,
    PbgExtension,
    PbgReminder,
    PerformanceBankGuarantee,
)
from bidding.models.opening_keys import (
    KeyShare,
    MemberOpeningKey,
    PendingShare,
    TenderOpeningKey,
)
# isort: on

__all__ = [
    "TIMELINE_FIELDS",
    "TIMELINE_LABELS",
    "Award",
    "AwardLetter",
    "Bid",
    "BidDocument",
    "BidParticipant",
    "BidRanking",
    "BidVersion",
    "CommitteeMember",
    "CoverOpening",
    "Criterion",
    "CriterionResult",
    "KeyShare",
    "MemberOpeningKey",
    "OpenedCover",
    "OpeningConfirmation",
    "PbgClosure",
    "PbgExtension",
    "PbgReminder",
    "PendingShare",
    "PerformanceBankGuarantee",
    "PreBidQuery",
    "Stage",
    "TechnicalEvaluation",
    "Tender",
    "TenderAllocation",
    "TenderDocument",
    "TenderKey",
    "TenderOpeningKey",
    "TenderVersion",
]
