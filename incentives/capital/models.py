"""Capital subsidy claims: the investment ledger a commissioned beneficiary uploads, judged line by line."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bidding.models import Award
from incentives.models import SanctionLetter
from repm_portal.models import MONEY, RuleSet


class Head(models.TextChoices):
    """The investment heads of the ledger; the first three are eligible (SCHEME.md section 3)."""

    PLANT_MACHINERY = "plant_machinery", "Plant and machinery"
    RND = "rnd", "R&D"
    TECHNOLOGY_TRANSFER = "technology_transfer", "Technology transfer"
    OTHER = "other", "Other"


class CapitalSubsidyClaim(models.Model):
    """One claim on the capital subsidy pool by an award, from upload to sanction (or nil)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for verification"
        RETURNED = "returned", "Returned for correction"
        VERIFIED = "verified", "Verified"
        APPROVED = "approved", "Approved, sanction pending"
        SANCTIONED = "sanctioned", "Sanctioned"
        NIL = "nil", "Nothing payable"
        REJECTED = "rejected", "Rejected"

    OPEN_STATUSES = ("draft", "submitted", "returned", "verified", "approved")
    # Claims whose lines count when judging a later claim's invoices as duplicates.
    COUNTED_STATUSES = ("submitted", "verified", "approved", "sanctioned", "nil")

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="capital_claims")
    sequence = models.PositiveSmallIntegerField(help_text="The award's first, second... claim")
    reference = models.CharField(max_length=100, unique=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    allocated_mtpa = models.PositiveIntegerField(
        "allocated capacity (MTPA)", help_text="The award's capacity, which picks the slab"
    )
    ledger = models.ForeignKey(
        "ClaimDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The investment ledger the lines come from (the latest upload)",
    )
    certificate = models.ForeignKey(
        "ClaimDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The chartered accountant's certificate",
    )
    line_count = models.PositiveIntegerField(default=0)
    claimed_total = models.DecimalField(**MONEY, default=0, help_text="Every line of the ledger")
    eligible_total = models.DecimalField(**MONEY, default=0, help_text="Lines judged eligible")
    verified_eligible = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Eligible after the verifier's exclusions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_remarks = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(
        blank=True, help_text="Why it was last returned, sent back or rejected"
    )
    sanctioned_amount = models.DecimalField(**MONEY, null=True, blank=True)
    letter = models.ForeignKey(
        SanctionLetter, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["award", "sequence"], name="capital_claim_sequence"),
            models.UniqueConstraint(
                fields=["award"],
                condition=Q(status__in=["draft", "submitted", "returned", "verified", "approved"]),
                name="capital_claim_one_open_per_award",
            ),
            models.CheckConstraint(
                condition=Q(
                    line_count__gte=0,
                    claimed_total__gte=0,
                    eligible_total__gte=0,
                    eligible_total__lte=F("claimed_total"),
                )
                & (Q(verified_eligible__isnull=True) | Q(verified_eligible__gte=0))
                & (
                    Q(verified_eligible__isnull=True)
                    | Q(verified_eligible__lte=F("eligible_total"))
                )
                & (Q(sanctioned_amount__isnull=True) | Q(sanctioned_amount__gte=0)),
                name="capital_claim_amounts_sane",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "verified", "approved", "sanctioned", "nil"])
                | Q(ledger__isnull=False, certificate__isnull=False, submitted_at__isnull=False),
                name="capital_claim_submitted_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["verified", "approved", "sanctioned", "nil"])
                | Q(verified_by__isnull=False, verified_eligible__isnull=False),
                name="capital_claim_verified_has_verifier",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "sanctioned", "nil"])
                | (Q(approved_by__isnull=False) & ~Q(approved_by=F("verified_by"))),
                name="capital_claim_maker_checker",
            ),
            models.CheckConstraint(
                condition=~Q(status="sanctioned")
                | Q(letter__isnull=False, sanctioned_amount__gt=0),
                name="capital_claim_sanctioned_has_letter",
            ),
        ]

    def __str__(self) -> str:
        return f"Capital subsidy claim {self.reference}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ClaimDocument(models.Model):
    """A file behind a claim (the investment ledger as uploaded, or the CA certificate); kept for good."""

    class Kind(models.TextChoices):
        LEDGER = "ledger", "Investment ledger"
        CA_CERTIFICATE = "ca_certificate", "Chartered accountant's certificate"

    claim = models.ForeignKey(
        CapitalSubsidyClaim, on_delete=models.PROTECT, related_name="documents"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to="capital/%Y/", max_length=300)
    original_name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["claim", "uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(size__gt=0, sha256__regex=r"^[0-9a-f]{64}$"),
                name="capital_document_hashed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class InvestmentLine(models.Model):
    """One row of an uploaded investment ledger, judged eligible or not, with the reason."""

    claim = models.ForeignKey(CapitalSubsidyClaim, on_delete=models.PROTECT, related_name="lines")
    document = models.ForeignKey(ClaimDocument, on_delete=models.PROTECT, related_name="lines")
    row_number = models.PositiveIntegerField(help_text="The row in the file (the header is row 1)")
    item = models.CharField(max_length=300)
    head = models.CharField(max_length=20, choices=Head.choices)
    vendor = models.CharField(max_length=200)
    invoice_number = models.CharField(max_length=60)
    invoice_date = models.DateField()
    amount = models.DecimalField(**MONEY)
    duplicate_key = models.CharField(
        max_length=270, help_text="Vendor and invoice number as compared for duplicates"
    )
    eligible = models.BooleanField()
    reason = models.TextField(blank=True, help_text="Why the line is not eligible")
    excluded = models.BooleanField(default=False, help_text="Excluded by the verifier")
    exclusion_reason = models.TextField(blank=True)
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    excluded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["document", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "row_number"], name="investment_line_row"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="investment_line_positive"),
            models.CheckConstraint(
                condition=Q(eligible=True, reason="") | (Q(eligible=False) & ~Q(reason="")),
                name="investment_line_reason_iff_ineligible",
            ),
            models.CheckConstraint(
                condition=Q(excluded=False, exclusion_reason="", excluded_by__isnull=True)
                | (
                    Q(excluded=True, eligible=True, excluded_by__isnull=False)
                    & ~Q(exclusion_reason="")
                ),
                name="investment_line_exclusion_explained",
            ),
        ]
        indexes = [models.Index(fields=["claim", "duplicate_key"])]

    def __str__(self) -> str:
        return f"Row {self.row_number}: {self.item}"

    @property
    def counts(self) -> bool:
        """Counts in the eligible investment the subsidy is computed on."""
        return self.eligible and not self.excluded
