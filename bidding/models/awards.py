"""Awards, their Letters of Award and the performance bank guarantees that secure them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bidding.models.bids import Bid
from bidding.models.tenders import OXIDE, RATE, Tender
from repm_portal.models import MONEY, IssuedDocument, RuleSet


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


class AwardLetter(IssuedDocument):
    """The Letter of Award: figures copied at issue, rendered once to a PDF kept with its hash."""

    DOCUMENT_DIR = "bidding/letters"
    RENDER_TASK = "bidding.tasks.render_award_letter"

    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="letter")
    number = models.CharField(max_length=60, unique=True)
    content = models.JSONField(help_text="The figures as issued; the PDF is rendered from these")
    created_at = models.DateTimeField()

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


class PbgClosure(models.Model):
    """A proposal to invoke or release a guarantee: one official proposes, a second confirms.

    Invoking (or releasing) a guarantee cannot be undone, so it is never one person's act: the
    guarantee moves only when an official other than the proposer confirms. A proposal is
    confirmed or cancelled, never edited; at most one waits per guarantee.
    """

    class Action(models.TextChoices):
        INVOKE = "invoke", "Invoke"
        RELEASE = "release", "Release"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Awaiting a second official"
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    guarantee = models.ForeignKey(
        PerformanceBankGuarantee, on_delete=models.PROTECT, related_name="closures"
    )
    action = models.CharField(max_length=8, choices=Action.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    amount = models.DecimalField(null=True, blank=True, **MONEY)
    reason = models.TextField()
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["guarantee", "-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["guarantee"],
                condition=Q(status="proposed"),
                name="pbg_one_open_closure",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True)
                | ~Q(decided_by=F("proposed_by"))
                | Q(status="cancelled"),
                name="pbg_closure_confirmed_by_another",
            ),
            models.CheckConstraint(
                condition=(Q(action="invoke") & Q(amount__gt=0))
                | (Q(action="release") & Q(amount__isnull=True)),
                name="pbg_closure_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.guarantee} ({self.get_status_display().lower()})"
