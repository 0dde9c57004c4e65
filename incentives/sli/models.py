"""The sales-linked incentive's records: every figure computed (frozen inputs and working), the
annual true-ups, and the quarter-close preview runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from bidding.models import Award
from incentives.claims.models import Claim
from incentives.models import LedgerEntry, SanctionLetter
from repm_portal.models import MONEY, RuleSet
from repm_portal.money import format_inr

# The claim types the two SLI claim kinds register with the sanction pipeline.
QUARTER_CLAIM_TYPE = "sli_quarter"
TRUE_UP_CLAIM_TYPE = "sli_true_up"


class PreviewRun(models.Model):
    """One quarter-close preview: the verified claims of a quarter computed, nothing posted.

    Its work is a `Job` (task `TASK`, target the run's id); the run itself only names what was
    asked and when.
    """

    TASK = "incentives.sli.tasks.preview_quarter"

    period_end = models.DateField(help_text="The quarter's last day")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"SLI preview of the quarter ending {self.period_end:%d %b %Y}"


class TrueUp(models.Model):
    """The annual true-up of one award's financial year (SCHEME.md section 4, last paragraph)."""

    class Status(models.TextChoices):
        COMPUTED = "computed", "Computed, waiting for approval"
        APPROVED = "approved", "Approved"
        SANCTIONED = "sanctioned", "Balance sanctioned"
        RECOVERED = "recovered", "Excess posted for recovery"
        NIL = "nil", "Nothing to release or recover"

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="sli_true_ups")
    financial_year = models.CharField(max_length=7, help_text="e.g. 2029-30")
    period_start = models.DateField(help_text="The first eligible day of the year's claims")
    period_end = models.DateField(help_text="The last eligible day of the year's claims")
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", help_text="In force on period_end"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.COMPUTED)
    balance = models.DecimalField(
        **MONEY, help_text="The balance to release, before deductions, as computed"
    )
    recovery = models.DecimalField(**MONEY, help_text="The excess to recover, as computed")
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the daily sweep computed it",
    )
    computed_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    letter = models.ForeignKey(
        SanctionLetter, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recovery_entry = models.ForeignKey(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["award", "financial_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["award", "financial_year"], name="sli_true_up_once_per_year"
            ),
            models.CheckConstraint(
                condition=Q(financial_year__regex=r"^[0-9]{4}-[0-9]{2}$"),
                name="sli_true_up_year_label",
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0, recovery__gte=0) & ~Q(balance__gt=0, recovery__gt=0),
                name="sli_true_up_balance_or_recovery",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["computed", "approved", "sanctioned", "recovered", "nil"]),
                name="sli_true_up_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status="sanctioned") | Q(letter__isnull=False),
                name="sli_true_up_sanctioned_has_letter",
            ),
            models.CheckConstraint(
                condition=~Q(status="recovered") | Q(recovery_entry__isnull=False),
                name="sli_true_up_recovered_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"SLI true-up {self.financial_year} of {self.award}"

    @property
    def computation(self) -> SliComputation | None:
        """The figure of record once settled, else the figure computed for approval."""
        latest = self.computations.order_by("-id")
        record = latest.filter(purpose=SliComputation.Purpose.SANCTION).first()
        return record or latest.first()


class SliComputation(models.Model):
    """One SLI figure: the exact `sli_compute` input and the engine's working. Never changed (a trigger refuses).

    `purpose` sanction: the figure of record, computed under the pool's lock as it was
    sanctioned (or found nil, or posted as a recovery); preview: computed to show, nothing posted.
    `ledger_mark` is the last ledger entry the inputs could see, so a replay can rebuild them
    from the ledger as it then stood.
    """

    class Kind(models.TextChoices):
        QUARTER = "quarter", "Quarter"
        TRUE_UP = "true_up", "Annual true-up"

    class Purpose(models.TextChoices):
        SANCTION = "sanction", "Sanction"
        PREVIEW = "preview", "Preview"

    kind = models.CharField(max_length=8, choices=Kind.choices)
    purpose = models.CharField(max_length=8, choices=Purpose.choices)
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="sli_computations"
    )
    true_up = models.ForeignKey(
        TrueUp, null=True, blank=True, on_delete=models.PROTECT, related_name="computations"
    )
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="sli_computations")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    inputs = models.JSONField(help_text="The input exactly as `sli_compute` reads it")
    working = models.JSONField(help_text="The engine's output, as `sli_compute` prints it")
    release = models.DecimalField(**MONEY, help_text="Released (what is sanctioned)")
    payable = models.DecimalField(**MONEY, help_text="Payable after deductions")
    recovery = models.DecimalField(**MONEY, default=0, help_text="A true-up's excess")
    ledger_mark = models.BigIntegerField(
        default=0, help_text="The last ledger entry id the inputs were read up to"
    )
    letter = models.ForeignKey(
        SanctionLetter,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sli_computations",
    )
    preview_run = models.ForeignKey(
        PreviewRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="computations",
    )
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["computed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="quarter", claim__isnull=False, true_up__isnull=True)
                | Q(kind="true_up", claim__isnull=True, true_up__isnull=False),
                name="sli_computation_names_its_claim",
            ),
            models.CheckConstraint(
                condition=Q(purpose="sanction") | Q(letter__isnull=True),
                name="sli_computation_preview_has_no_letter",
            ),
            models.CheckConstraint(
                condition=Q(release__gte=0, payable__gte=0, recovery__gte=0)
                & Q(payable__lte=models.F("release")),
                name="sli_computation_amounts_sane",
            ),
            models.UniqueConstraint(
                fields=["letter"],
                condition=Q(letter__isnull=False),
                name="sli_computation_once_per_letter",
            ),
        ]
        indexes = [models.Index(fields=["purpose", "kind"])]

    def __str__(self) -> str:
        return f"SLI {self.kind} {self.purpose} {format_inr(self.payable)}"


__all__ = [
    "QUARTER_CLAIM_TYPE",
    "TRUE_UP_CLAIM_TYPE",
    "PreviewRun",
    "SliComputation",
    "TrueUp",
]
