"""The money core: an append-only ledger, sanction requests and letters, and payments.

Every rupee is a `LedgerEntry`. A balance is a sum of entries; a correction is a reversing entry.
Any kind of claim (capital subsidy now, the sales-linked incentive next) is sanctioned through
`SanctionRequest` -> `SanctionLetter` -> `LedgerEntry`, and paid through `Payment`.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bidding.models import Award
from repm_portal.models import MONEY, IssuedDocument, RuleSet
from repm_portal.money import format_inr


class Pool(models.TextChoices):
    SLI = "sli", "Sales-linked incentive"
    CAPITAL_SUBSIDY = "capital_subsidy", "Capital subsidy"


# The rule-set field that holds each pool's limit.
POOL_LIMIT_FIELD = {Pool.SLI: "sli_pool", Pool.CAPITAL_SUBSIDY: "capital_subsidy_pool"}


class EntryKind(models.TextChoices):
    SANCTION = "sanction", "Sanction"
    PAYMENT = "payment", "Payment"
    PENALTY = "penalty", "Penalty"
    RECOVERY = "recovery", "Recovery"
    REVERSAL = "reversal", "Reversal"
    # A penalty or recovery settled: netted from a sanction letter's payout, or repaid by the firm.
    NETTING = "netting", "Deduction netted"


class LetterSeries(models.Model):
    """One gap-free numbering series per prefix and financial year; its row is locked to take a number."""

    prefix = models.CharField(max_length=40)
    financial_year = models.CharField(max_length=7, help_text="e.g. 2027-28")
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["prefix", "financial_year"]
        verbose_name_plural = "letter series"
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "financial_year"], name="letter_series_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}/{self.financial_year} (last {self.last_serial})"


class SanctionRequest(models.Model):
    """An approved claim waiting for its letter: written in the approval's transaction, so never lost.

    Its status is the request's outcome; the work of issuing is its `Job` (attempts, errors).
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", "Waiting for its letter"
        SANCTIONED = "sanctioned", "Sanctioned"
        NIL = "nil", "Nothing payable"
        REFUSED = "refused", "Refused by the ledger"

    key = models.CharField(
        max_length=120, unique=True, help_text="claim type:claim id[:correction n]"
    )
    claim_type = models.CharField(max_length=40)
    claim_id = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    corrects = models.ForeignKey(
        "SanctionLetter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="correction_requests",
        help_text="The letter a correction reverses",
    )
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    refusal = models.TextField(blank=True, help_text="Why the ledger refused it (a pool or cap)")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["claim_type", "claim_id"])]

    def __str__(self) -> str:
        return f"Sanction request {self.key}"


def new_verify_token() -> str:
    """A key no one can guess or count through: the public check of a letter is reached by it."""
    return secrets.token_urlsafe(24)


class SanctionLetter(IssuedDocument):
    """A sanction letter: its figures copied at issue, rendered once, immutable; a correction reverses it."""

    DOCUMENT_DIR = "incentives/letters"
    RENDER_TASK = "incentives.tasks.render_sanction_letter"

    request = models.OneToOneField(SanctionRequest, on_delete=models.PROTECT, related_name="letter")
    series = models.ForeignKey(LetterSeries, on_delete=models.PROTECT, related_name="letters")
    serial = models.PositiveIntegerField()
    number = models.CharField(max_length=80, unique=True)
    financial_year = models.CharField(max_length=7)
    dated = models.DateField()
    claim_type = models.CharField(max_length=40)
    claim_id = models.CharField(max_length=40)
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="sanction_letters")
    pool = models.CharField(max_length=20, choices=Pool.choices)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(
        **MONEY, help_text="Sanctioned by this letter (net of what it reverses)"
    )
    deducted = models.DecimalField(
        **MONEY,
        default=0,
        help_text="Penalties and recoveries netted from this letter's payout, fixed at issue",
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text="The earlier letter this one corrects",
    )
    content = models.JSONField(help_text="The figures as issued; the PDF is rendered from these")
    verify_token = models.CharField(
        max_length=64,
        unique=True,
        default=new_verify_token,
        editable=False,
        help_text="The unguessable key of the public check (printed in the QR); not the number",
    )
    signatory = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-financial_year", "-serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "serial"], name="sanction_letter_serial_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0, serial__gt=0), name="sanction_letter_sane"
            ),
            models.CheckConstraint(
                condition=Q(deducted__gte=0, deducted__lte=F("amount")),
                name="sanction_letter_deducted_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status="issued")
                | (~Q(file="") & Q(sha256__regex=r"^[0-9a-f]{64}$", rendered_at__isnull=False)),
                name="sanction_letter_issued_has_file",
            ),
        ]
        indexes = [models.Index(fields=["claim_type", "claim_id"])]

    def __str__(self) -> str:
        return f"Sanction letter {self.number}"

    @property
    def is_reversed(self) -> bool:
        return hasattr(self, "reversed_by")

    @property
    def payable(self) -> Decimal:
        """What is paid to the beneficiary against this letter: sanctioned less deductions netted."""
        return self.amount - self.deducted


class LedgerEntry(models.Model):
    """One movement of money. Never updated or deleted (a trigger refuses); corrected by a reversal."""

    kind = models.CharField(max_length=10, choices=EntryKind.choices)
    account = models.CharField(
        max_length=10,
        choices=EntryKind.choices,
        help_text="The balance this entry counts in: its kind, or for a reversal the kind it reverses",
    )
    pool = models.CharField(max_length=20, choices=Pool.choices)
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="ledger_entries")
    amount = models.DecimalField(**MONEY, help_text="Signed: a reversal carries the opposite sign")
    claim_type = models.CharField(max_length=40, blank=True)
    claim_id = models.CharField(max_length=40, blank=True)
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="+")
    letter = models.ForeignKey(
        SanctionLetter, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    document_ref = models.CharField(max_length=200, help_text="The document behind the entry")
    source_key = models.CharField(
        max_length=160, unique=True, help_text="One key per source event: a repeat posts nothing"
    )
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    award_cap = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="The award's limit in this pool, as applied"
    )
    narration = models.TextField()
    posted_at = models.DateTimeField(db_index=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["posted_at", "id"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_amount_nonzero"),
            models.CheckConstraint(
                condition=Q(kind="reversal", amount__lt=0, reverses__isnull=False)
                & ~Q(account="reversal")
                | Q(
                    kind="netting",
                    amount__lt=0,
                    reverses__isnull=True,
                    account__in=["penalty", "recovery"],
                )
                | (
                    ~Q(kind__in=["reversal", "netting"])
                    & Q(amount__gt=0, reverses__isnull=True, account=F("kind"))
                ),
                name="ledger_sign_and_account",
            ),
            models.CheckConstraint(
                condition=~Q(kind="payment") | Q(letter__isnull=False),
                name="ledger_payment_names_letter",
            ),
        ]
        indexes = [
            models.Index(fields=["pool", "account"]),
            models.Index(fields=["award", "pool", "account"]),
            models.Index(fields=["claim_type", "claim_id"]),
        ]

    def __str__(self) -> str:
        # The audit trail keeps this as the event's object: rupees the Indian way, as shown elsewhere.
        return f"{self.get_kind_display()} {format_inr(self.amount)} ({self.source_key})"


class Payment(models.Model):
    """Money released against a sanction letter, with the bank's UTR; posted to the ledger as it is recorded."""

    letter = models.ForeignKey(SanctionLetter, on_delete=models.PROTECT, related_name="payments")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="payment")
    amount = models.DecimalField(**MONEY)
    paid_on = models.DateField()
    utr = models.CharField("UTR reference", max_length=22, unique=True)
    remarks = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
        ]

    def __str__(self) -> str:
        return f"Payment {self.utr}"


__all__ = [
    "POOL_LIMIT_FIELD",
    "EntryKind",
    "LedgerEntry",
    "LetterSeries",
    "Payment",
    "Pool",
    "SanctionLetter",
    "SanctionRequest",
]
