"""Sealed two-cover bids: the bid, its participants, documents and versions, and the tender's sealing key."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from beneficiaries.models import Consortium, Firm
from bidding.models.tenders import SHA256_HEX, Tender
from repm_portal.models import MONEY


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
