"""Cover openings and their confirmations, the technical evaluation, the ranking and the allocation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bidding.models.bids import Bid, BidVersion
from bidding.models.tenders import OXIDE, RATE, Tender
from repm_portal.models import RuleSet


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
