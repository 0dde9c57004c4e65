"""Recoveries: what an award that exits or is found ineligible refunds, with interest, and its repayments.

A recovery is proposed by one official with its working frozen (every payment's line), confirmed
by a second (never the proposer: the service checks, and so does the database), and only then
posted to the ledger as one RECOVERY entry, which later payouts net and repayments settle.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual

from bidding.models import Award, PerformanceBankGuarantee
from incentives.models import LedgerEntry, Pool
from repm_portal.models import MONEY, RuleSet

# What a reason may not hold: control characters other than the line feed (a form's CRLF is
# folded to LF before it is stored). PostgreSQL text cannot hold NUL, so the class starts at 1.
CONTROL_CHARACTERS = r"[\x01-\x09\x0b-\x1f\x7f-\x9f]"
REASON_MIN_CHARS = 20
REASON_MIN_WORDS = 4
# At least REASON_MIN_WORDS words: a word, then the rest each after whitespace.
REASON_WORDS_REGEX = rf"^\s*\S+(\s+\S+){{{REASON_MIN_WORDS - 1}}}"
UTR_REGEX = r"^[A-Z0-9]{12,22}$"


class Grounds(models.TextChoices):
    EXIT = "exit", "The beneficiary exits the scheme"
    INELIGIBLE = "ineligible", "The award is found ineligible"


class Recovery(models.Model):
    """What an award must refund: its payments in the pools covered, with interest to `as_of`."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed, awaiting a second official"
        CONFIRMED = "confirmed", "Confirmed, outstanding"
        SETTLED = "settled", "Settled"
        WITHDRAWN = "withdrawn", "Withdrawn"

    LIVE_STATUSES = ("proposed", "confirmed", "settled")

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="recoveries")
    grounds = models.CharField(max_length=12, choices=Grounds.choices)
    reason = models.TextField(help_text="Why the award refunds what it was paid")
    pools = ArrayField(
        models.CharField(max_length=20, choices=Pool.choices),
        help_text="The pools whose payments are recovered",
    )
    as_of = models.DateField(help_text="Interest runs from each payment's date to this date")
    working = models.JSONField(help_text="Every payment's line and the totals, as proposed")
    principal = models.DecimalField(**MONEY)
    interest = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", help_text="In force on `as_of`"
    )
    interest_pct = models.DecimalField(
        max_digits=7, decimal_places=4, help_text="The rule set's rate, as applied"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    invoke_guarantee = models.BooleanField(
        help_text="Invoke the award's performance bank guarantee on confirmation"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        LedgerEntry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recovery",
        help_text="The RECOVERY entry posted on confirmation",
    )
    guarantee = models.ForeignKey(
        PerformanceBankGuarantee,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recoveries",
        help_text="The guarantee invoked on confirmation",
    )
    guarantee_invoked = models.DecimalField(**MONEY, null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name_plural = "recoveries"
        constraints = [
            # The same payments are never asked back twice: one live recovery per award.
            models.UniqueConstraint(
                fields=["award"],
                condition=Q(status__in=["proposed", "confirmed", "settled"]),
                name="recovery_one_live_per_award",
            ),
            models.CheckConstraint(
                condition=Q(
                    principal__gt=0,
                    interest__gte=0,
                    total=F("principal") + F("interest"),
                    interest_pct__gte=0,
                ),
                name="recovery_amounts_sane",
            ),
            models.CheckConstraint(
                condition=Q(pools__len__gte=1, pools__contained_by=list(Pool.values)),
                name="recovery_pools_known",
            ),
            models.CheckConstraint(
                condition=~Q(reason__regex=CONTROL_CHARACTERS)
                & Q(reason__regex=REASON_WORDS_REGEX)
                & Q(GreaterThanOrEqual(Length(Trim("reason")), REASON_MIN_CHARS)),
                name="recovery_reason_a_sentence",
            ),
            # Maker-checker: a second official confirms, and the entry is posted as it is.
            models.CheckConstraint(
                condition=~Q(status__in=["confirmed", "settled"])
                | (
                    Q(confirmed_by__isnull=False, confirmed_at__isnull=False, entry__isnull=False)
                    & ~Q(confirmed_by=F("proposed_by"))
                ),
                name="recovery_maker_checker",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["proposed", "withdrawn"])
                | Q(confirmed_by__isnull=True, entry__isnull=True, guarantee__isnull=True),
                name="recovery_unconfirmed_posts_nothing",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="withdrawn", withdrawn_by__isnull=False, withdrawn_at__isnull=False)
                    & ~Q(withdrawal_reason__regex=r"^\s*$")
                )
                | (~Q(status="withdrawn") & Q(withdrawn_by__isnull=True, withdrawal_reason="")),
                name="recovery_withdrawal_explained",
            ),
            models.CheckConstraint(
                condition=Q(status="settled", settled_at__isnull=False)
                | (~Q(status="settled") & Q(settled_at__isnull=True)),
                name="recovery_settled_when",
            ),
            models.CheckConstraint(
                condition=Q(guarantee__isnull=True, guarantee_invoked__isnull=True)
                | Q(
                    guarantee__isnull=False,
                    invoke_guarantee=True,
                    guarantee_invoked__gt=0,
                    guarantee_invoked__lte=F("total"),
                ),
                name="recovery_guarantee_invoked_within_total",
            ),
        ]
        indexes = [models.Index(fields=["status", "proposed_at"])]

    def __str__(self) -> str:
        return f"Recovery {self.pk}"

    @property
    def ledger_pool(self) -> str:
        """The pool its RECOVERY entry is posted to: SLI when SLI payments are covered, so SLI payouts net it."""
        return Pool.SLI if Pool.SLI in self.pools else Pool.CAPITAL_SUBSIDY

    @property
    def pool_labels(self) -> list[str]:
        return [Pool(pool).label for pool in self.pools]

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES


class Repayment(models.Model):
    """Money the firm paid back against a recovery, named by the bank's UTR; netted in the ledger."""

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="repayments")
    entry = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, related_name="repayment", help_text="Its netting"
    )
    amount = models.DecimalField(**MONEY)
    paid_on = models.DateField()
    utr = models.CharField("UTR reference", max_length=22, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, utr__regex=UTR_REGEX), name="repayment_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"Repayment {self.utr}"


__all__ = ["Grounds", "Recovery", "Repayment"]
