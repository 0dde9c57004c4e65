"""Tenders, their versions and documents, sealed two-cover bids, openings, evaluation and awards."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from beneficiaries.models import Consortium, Firm
from repm_portal.models import MONEY, RuleSet

SHA256_HEX = {"max_length": 64}
RATE = {"max_digits": 8, "decimal_places": 2}
OXIDE = {"max_digits": 10, "decimal_places": 3}

# The dates of a tender that a corrigendum may move, in the order they must fall.
TIMELINE_FIELDS = (
    "queries_due",
    "prebid_meeting_at",
    "replies_due",
    "bids_due",
    "technical_opening_at",
    "financial_opening_at",
)
TIMELINE_LABELS = {
    "queries_due": "Pre-bid queries due",
    "prebid_meeting_at": "Pre-bid meeting",
    "replies_due": "Replies and corrigenda by",
    "bids_due": "Bids due",
    "technical_opening_at": "Technical opening",
    "financial_opening_at": "Financial opening",
}


def _shown(value) -> str:
    """A stored change value for people: an ISO time becomes local time, anything else stays."""
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return timezone.localtime(moment).strftime("%d %b %Y, %H:%M IST")
    return "" if value is None else str(value)


def _timeline_ordered() -> Q:
    return (
        Q(queries_due__lte=F("prebid_meeting_at"))
        & Q(prebid_meeting_at__lte=F("replies_due"))
        & Q(replies_due__lte=F("bids_due"))
        & Q(bids_due__lte=F("technical_opening_at"))
        & Q(technical_opening_at__lt=F("financial_opening_at"))
    )


class Tender(models.Model):
    """A Global Tender Enquiry for capacity under the scheme; its dates are those of its latest version."""

    class Kind(models.TextChoices):
        MAIN = "main", "Main tender"
        RETENDER = "retender", "Re-tender of forfeited capacity"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        TECHNICAL_OPENED = "technical_opened", "Technical covers opened"
        TECHNICAL_EVALUATED = "technical_evaluated", "Technical evaluation approved"
        FINANCIAL_OPENED = "financial_opened", "Financial covers opened and ranked"
        AWARDED = "awarded", "Awarded"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=60, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MAIN)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retenders",
        help_text="The tender whose forfeited capacity this re-tender offers",
    )
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="tenders")
    capacity_mtpa = models.PositiveIntegerField("capacity on offer (MTPA)")
    slots = models.PositiveIntegerField("beneficiary slots on offer")
    oxide_mtpa = models.DecimalField("IREL NdPr oxide on offer (MTPA)", **OXIDE)
    opening_quorum = models.PositiveSmallIntegerField(default=2)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.DRAFT)

    queries_due = models.DateTimeField()
    prebid_meeting_at = models.DateTimeField("pre-bid meeting")
    prebid_meeting_place = models.CharField(max_length=300, blank=True)
    replies_due = models.DateTimeField("replies and corrigenda by")
    bids_due = models.DateTimeField()
    technical_opening_at = models.DateTimeField()
    financial_opening_at = models.DateTimeField()

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    technical_opened_at = models.DateTimeField(null=True, blank=True)
    technical_evaluated_at = models.DateTimeField(null=True, blank=True)
    financial_opened_at = models.DateTimeField(null=True, blank=True)
    awarded_at = models.DateTimeField(null=True, blank=True)
    committee = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="CommitteeMember", related_name="opening_committees"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_mtpa__gt=0, slots__gt=0, oxide_mtpa__gte=0),
                name="tender_offer_positive",
            ),
            models.CheckConstraint(condition=Q(opening_quorum__gte=2), name="tender_quorum_two"),
            models.CheckConstraint(condition=_timeline_ordered(), name="tender_timeline_ordered"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(status="cancelled") | Q(published_at__isnull=False),
                name="tender_published_has_date",
            ),
            models.CheckConstraint(
                condition=Q(financial_opened_at__isnull=True)
                | Q(
                    technical_opened_at__isnull=False,
                    technical_evaluated_at__isnull=False,
                    financial_opened_at__gte=F("technical_opened_at"),
                ),
                name="tender_financial_after_technical",
            ),
            models.CheckConstraint(
                condition=Q(kind="main", parent__isnull=True) | Q(kind="retender"),
                name="tender_main_has_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.title}"

    @property
    def timeline(self) -> list[tuple[str, str, object]]:
        return [(name, TIMELINE_LABELS[name], getattr(self, name)) for name in TIMELINE_FIELDS]


class CommitteeMember(models.Model):
    """A member of a tender's bid-opening committee."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="committee_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["tender", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "user"], name="committee_member_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.tender.reference}"


class TenderVersion(models.Model):
    """The timeline as published (number 1) or as changed by a corrigendum (2, 3, ...). Append-only."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField()
    changes = models.JSONField(default=dict, blank=True, help_text="Changed dates, old and new")
    queries_due = models.DateTimeField()
    prebid_meeting_at = models.DateTimeField()
    prebid_meeting_place = models.CharField(max_length=300, blank=True)
    replies_due = models.DateTimeField()
    bids_due = models.DateTimeField()
    technical_opening_at = models.DateTimeField()
    financial_opening_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "number"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "number"], name="tender_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="tender_version_from_one"),
            models.CheckConstraint(
                condition=_timeline_ordered(), name="tender_version_timeline_ordered"
            ),
        ]

    def __str__(self) -> str:
        if self.number == 1:
            return f"{self.tender.reference} as published"
        return f"{self.tender.reference} corrigendum {self.number - 1}"

    @property
    def is_corrigendum(self) -> bool:
        return self.number > 1

    @property
    def change_list(self) -> list[tuple[str, str, str]]:
        """(what, was, now) for each change, times shown in Indian Standard Time."""
        return [
            (
                TIMELINE_LABELS.get(name, name.replace("_", " ").capitalize()),
                _shown(change.get("old")),
                _shown(change.get("new")),
            )
            for name, change in sorted(self.changes.items())
        ]

    @property
    def timeline(self) -> list[tuple[str, str, object]]:
        return [(name, TIMELINE_LABELS[name], getattr(self, name)) for name in TIMELINE_FIELDS]


class TenderDocument(models.Model):
    """An RFP document; a revision is a new row that supersedes the old one, never an overwrite."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="documents")
    version = models.ForeignKey(
        TenderVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        help_text="The corrigendum that issued it; empty for documents issued with the tender",
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    title = models.CharField(max_length=300)
    file = models.FileField(upload_to="bidding/tenders/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(**SHA256_HEX)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="tender_document_sha256_hex"
            ),
            models.CheckConstraint(
                condition=~Q(supersedes=F("id")), name="tender_document_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.tender.reference})"


class PreBidQuery(models.Model):
    """A firm's question before the pre-bid deadline; the answer is published to all, the asker never."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="queries")
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField()
    question = models.TextField()
    answer = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "asked_at", "id"]
        verbose_name_plural = "pre-bid queries"
        constraints = [
            models.CheckConstraint(
                condition=Q(answer="", answered_by__isnull=True, answered_at__isnull=True)
                | (~Q(answer="") & Q(answered_by__isnull=False, answered_at__isnull=False)),
                name="query_answer_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Query {self.pk} on {self.tender.reference}"


class Bid(models.Model):
    """One bidder's bid on one tender: a firm alone, or a consortium through its lead."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        WITHDRAWN = "withdrawn", "Withdrawn"
        QUALIFIED = "qualified", "Technically qualified"
        DISQUALIFIED = "disqualified", "Technically disqualified"
        EXCLUDED = "excluded", "Excluded (cover did not match its commitment)"
        AWARDED = "awarded", "Awarded"
        WAITLISTED = "waitlisted", "Waitlisted"

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="bids")
    firm = models.ForeignKey(
        Firm, on_delete=models.PROTECT, related_name="bids", help_text="The bidder or its lead"
    )
    consortium = models.ForeignKey(
        Consortium, null=True, blank=True, on_delete=models.PROTECT, related_name="bids"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    created_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tender", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "firm"], name="bid_once_per_firm"),
            models.CheckConstraint(
                condition=Q(status="withdrawn", withdrawn_at__isnull=False)
                | (~Q(status="withdrawn") & Q(withdrawn_at__isnull=True)),
                name="bid_withdrawn_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Bid {self.pk} on {self.tender.reference}"

    @property
    def bidder_name(self) -> str:
        return self.consortium.name if self.consortium_id else self.firm.legal_name


class BidParticipant(models.Model):
    """Every firm in a bid; a firm takes part in at most one bid per tender, alone or in a consortium."""

    class Role(models.TextChoices):
        SOLE = "sole", "Sole bidder"
        LEAD = "lead", "Consortium lead"
        MEMBER = "member", "Consortium member"

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="+")
    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="participants")
    firm = models.ForeignKey(Firm, on_delete=models.PROTECT, related_name="bid_participations")
    role = models.CharField(max_length=10, choices=Role.choices)
    equity_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["bid", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "firm"], name="bid_participant_once"),
        ]

    def __str__(self) -> str:
        return f"{self.firm} ({self.get_role_display()})"


class BidDocument(models.Model):
    """A file of a technical cover (eligibility document or DPR); never overwritten."""

    class Kind(models.TextChoices):
        ELIGIBILITY = "eligibility", "Eligibility document"
        DPR = "dpr", "Detailed project report"

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to="bidding/bids/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(**SHA256_HEX)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["bid", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="bid_document_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"


class BidVersion(models.Model):
    """One submission of a bid: the technical cover in clear, the financial cover sealed. Append-only.

    The quoted rate exists here only inside `sealed_financial` (AES-GCM under the tender's key);
    `commitment` binds both covers and a secret nonce, and is what the bidder's receipt carries.
    """

    bid = models.ForeignKey(Bid, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    capacity_mtpa = models.PositiveIntegerField("bid capacity (MTPA)")
    accepts_partial = models.BooleanField("accepts a partial award")
    net_worth = models.DecimalField("audited net worth (Rs)", **MONEY)
    net_worth_as_of = models.DateField("net worth audited as of")
    documents = models.ManyToManyField(BidDocument, related_name="versions")
    technical_digest = models.CharField(**SHA256_HEX)
    financial_digest = models.CharField(**SHA256_HEX)
    commitment = models.CharField(max_length=64, unique=True)
    sealed_financial = models.BinaryField()

    class Meta:
        ordering = ["bid", "number"]
        constraints = [
            models.UniqueConstraint(fields=["bid", "number"], name="bid_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="bid_version_from_one"),
            models.CheckConstraint(
                condition=Q(capacity_mtpa__gt=0, net_worth__gt=0),
                name="bid_version_positive",
            ),
            models.CheckConstraint(
                condition=Q(
                    technical_digest__regex=r"^[0-9a-f]{64}$",
                    financial_digest__regex=r"^[0-9a-f]{64}$",
                    commitment__regex=r"^[0-9a-f]{64}$",
                ),
                name="bid_version_digests_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"Bid {self.bid_id} version {self.number}"

    @property
    def receipt_number(self) -> str:
        return f"RCPT-{self.bid.tender_id:03d}-{self.bid_id:04d}-{self.number:02d}"


class TenderKey(models.Model):
    """The tender's data key, wrapped by the master key; it unseals financial covers, nothing else."""

    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="sealing_key")
    wrapped_key = models.BinaryField()
    master_key_id = models.CharField(max_length=16, help_text="Fingerprint of the wrapping key")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Sealing key of {self.tender.reference}"


class Stage(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    FINANCIAL = "financial", "Financial"


class OpeningConfirmation(models.Model):
    """A committee member's confirmation that an opening may go ahead. Append-only."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="confirmations")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "stage", "confirmed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tender", "stage", "member"], name="confirmation_once_per_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} confirms {self.stage} opening of {self.tender.reference}"


class CoverOpening(models.Model):
    """An opening of one stage's covers, done once a quorum confirmed it. Append-only."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="openings")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    opened_at = models.DateTimeField()
    confirmations = models.ManyToManyField(OpeningConfirmation, related_name="+")

    class Meta:
        ordering = ["tender", "opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "stage"], name="opening_once_per_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} opening of {self.tender.reference}"


class OpenedCover(models.Model):
    """One cover opened, and whether it matched the commitment published at the due date."""

    opening = models.ForeignKey(CoverOpening, on_delete=models.PROTECT, related_name="covers")
    bid_version = models.ForeignKey(BidVersion, on_delete=models.PROTECT, related_name="openings")
    matches_commitment = models.BooleanField()
    detail = models.CharField(max_length=300)
    # Financial covers only: the rate and the nonce, published so anyone can recompute the hash.
    quoted_rate = models.DecimalField("quoted SLI rate (Rs/kg)", null=True, blank=True, **RATE)
    nonce = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["opening", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["opening", "bid_version"], name="opened_cover_once_per_opening"
            ),
            models.CheckConstraint(
                condition=Q(quoted_rate__isnull=True) | Q(quoted_rate__gt=0),
                name="opened_cover_rate_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.opening} of {self.bid_version}"


class Criterion(models.TextChoices):
    ELIGIBILITY = "eligibility", "Eligibility documents"
    NET_WORTH = "net_worth", "Audited net worth against the slab minimum"
    CONSORTIUM = "consortium", "Bidder and consortium structure"
    DPR = "dpr", "Detailed project report (technical committee)"


class TechnicalEvaluation(models.Model):
    """The evaluators' pass or fail per criterion on a bid's final technical cover."""

    class Status(models.TextChoices):
        RECORDED = "recorded", "Recorded, awaiting approval"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned to the evaluator"

    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="evaluation")
    bid_version = models.ForeignKey(BidVersion, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECORDED)
    qualified = models.BooleanField()
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["bid"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("evaluated_by")),
                name="evaluation_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status="approved", approved_by__isnull=False, approved_at__isnull=False)
                | (~Q(status="approved") & Q(approved_by__isnull=True, approved_at__isnull=True)),
                name="evaluation_approval_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Technical evaluation of bid {self.bid_id}"


class CriterionResult(models.Model):
    evaluation = models.ForeignKey(
        TechnicalEvaluation, on_delete=models.CASCADE, related_name="results"
    )
    criterion = models.CharField(max_length=20, choices=Criterion.choices)
    passed = models.BooleanField()
    reason = models.TextField()

    class Meta:
        ordering = ["evaluation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "criterion"], name="criterion_once_per_evaluation"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="criterion_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_criterion_display()}: {'pass' if self.passed else 'fail'}"


class BidRanking(models.Model):
    """Where a qualified bid stands after the financial opening: its rank and its allocation."""

    class Outcome(models.TextChoices):
        ALLOCATED = "allocated", "Allocated"
        WAITLISTED = "waitlisted", "Waitlisted"

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="rankings")
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="ranking")
    rank = models.PositiveIntegerField()
    quoted_rate = models.DecimalField(**RATE)
    tie_note = models.TextField(blank=True)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    allocated_mtpa = models.PositiveIntegerField(default=0)
    is_partial = models.BooleanField(default=False)
    oxide_mtpa = models.DecimalField(default=0, **OXIDE)
    waitlist_reason_code = models.CharField(max_length=40, blank=True)
    waitlist_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["tender", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "rank"], name="ranking_rank_unique"),
            models.CheckConstraint(
                condition=Q(outcome="allocated", allocated_mtpa__gt=0)
                | Q(outcome="waitlisted", allocated_mtpa=0, oxide_mtpa=0),
                name="ranking_outcome_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"L{self.rank} on {self.tender.reference}"

    @property
    def label(self) -> str:
        return f"L{self.rank}"


class TenderAllocation(models.Model):
    """The allocation computed at the financial opening, with the engine's step-by-step account."""

    tender = models.OneToOneField(Tender, on_delete=models.PROTECT, related_name="allocation")
    computed_at = models.DateTimeField()
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    total_allocated_mtpa = models.PositiveIntegerField()
    unallocated_mtpa = models.PositiveIntegerField()
    explanation = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"Allocation of {self.tender.reference}"


class Award(models.Model):
    """Capacity awarded to a winning bid, its figures copied from the ranking at award."""

    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="awards")
    bid = models.OneToOneField(Bid, on_delete=models.PROTECT, related_name="award")
    rank = models.PositiveIntegerField()
    quoted_rate = models.DecimalField(**RATE)
    allocated_mtpa = models.PositiveIntegerField()
    is_partial = models.BooleanField()
    oxide_mtpa = models.DecimalField(**OXIDE)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    awarded_at = models.DateTimeField()
    awarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    pbg_amount_required = models.DecimalField(**MONEY)
    pbg_valid_until_required = models.DateField()

    class Meta:
        ordering = ["tender", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["tender", "rank"], name="award_rank_unique"),
            models.CheckConstraint(
                condition=Q(allocated_mtpa__gt=0, quoted_rate__gt=0, pbg_amount_required__gt=0),
                name="award_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Award L{self.rank} on {self.tender.reference}"

    @property
    def label(self) -> str:
        return f"L{self.rank}"


class AwardLetter(models.Model):
    """The Letter of Award: figures copied at issue, rendered once to a PDF kept with its hash."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being rendered"
        ISSUED = "issued", "Issued"
        FAILED = "failed", "Rendering failed"

    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="letter")
    number = models.CharField(max_length=60, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    content = models.JSONField(help_text="The figures as issued; the PDF is rendered from these")
    created_at = models.DateTimeField()
    file = models.FileField(upload_to="bidding/letters/%Y/", max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["award"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="issued")
                | (~Q(file="") & Q(sha256__regex=r"^[0-9a-f]{64}$", rendered_at__isnull=False)),
                name="letter_issued_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"Letter of Award {self.number}"


class PerformanceBankGuarantee(models.Model):
    """A winner's performance bank guarantee: recorded, extended, then released or invoked.

    A replacement is a new row and the old one is superseded; an extension moves `valid_until`
    on and leaves a `PbgExtension` row behind, so the history of the expiry date is kept.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUPERSEDED = "superseded", "Superseded"
        RELEASED = "released", "Released"
        INVOKED = "invoked", "Invoked"

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="guarantees")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    amount = models.DecimalField(**MONEY)
    bank_name = models.CharField(max_length=200)
    guarantee_number = models.CharField(max_length=60)
    issued_on = models.DateField()
    valid_until = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The official who released or invoked it",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_reason = models.TextField(blank=True)
    invoked_amount = models.DecimalField(null=True, blank=True, **MONEY)

    class Meta:
        ordering = ["award", "-recorded_at"]
        verbose_name = "performance bank guarantee"
        constraints = [
            models.UniqueConstraint(
                fields=["award"], condition=Q(status="active"), name="pbg_one_active_per_award"
            ),
            models.UniqueConstraint(
                fields=["bank_name", "guarantee_number"], name="pbg_number_unique_per_bank"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0, valid_until__gt=F("issued_on")), name="pbg_sane"
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=["released", "invoked"])
                    & Q(closed_by__isnull=False, closed_at__isnull=False)
                    & ~Q(closing_reason="")
                )
                | (
                    ~Q(status__in=["released", "invoked"])
                    & Q(closed_by__isnull=True, closed_at__isnull=True)
                ),
                name="pbg_closing_complete",
            ),
            models.CheckConstraint(
                condition=Q(status="invoked", invoked_amount__gt=0, invoked_amount__lte=F("amount"))
                | (~Q(status="invoked") & Q(invoked_amount__isnull=True)),
                name="pbg_invoked_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"PBG {self.guarantee_number} ({self.bank_name})"


class PbgExtension(models.Model):
    """One extension of a guarantee's validity, as the bank's amendment records it. Append-only."""

    guarantee = models.ForeignKey(
        PerformanceBankGuarantee, on_delete=models.PROTECT, related_name="extensions"
    )
    previous_valid_until = models.DateField()
    valid_until = models.DateField()
    amendment_reference = models.CharField(max_length=100)
    extended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    extended_at = models.DateTimeField()

    class Meta:
        ordering = ["guarantee", "extended_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("previous_valid_until")),
                name="pbg_extension_moves_on",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guarantee}: extended to {self.valid_until:%d %b %Y}"


class PbgReminder(models.Model):
    """One reminder sent for a guarantee's expiry date (0 days before: the notice that it expired).

    Keyed by the expiry date it was about, so an extended guarantee is reminded again before its
    new expiry; the unique key makes the beat tasks idempotent.
    """

    guarantee = models.ForeignKey(
        PerformanceBankGuarantee, on_delete=models.PROTECT, related_name="reminders"
    )
    days_before = models.PositiveIntegerField()
    valid_until = models.DateField(
        null=True,
        blank=True,
        help_text="The expiry reminded about (empty on rows from before extensions)",
    )
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["guarantee", "-days_before"]
        constraints = [
            models.UniqueConstraint(
                fields=["guarantee", "valid_until", "days_before"],
                name="pbg_reminder_once_per_expiry",
                nulls_distinct=False,
            ),
        ]

    def __str__(self) -> str:
        if self.days_before == 0:
            return f"{self.guarantee}: expiry notice"
        return f"{self.guarantee}: {self.days_before}-day reminder"
