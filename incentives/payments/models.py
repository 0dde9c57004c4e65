"""Payment runs: instructions to the bank over sanctioned and unpaid amounts, and the bank's return files.

One official prepares a run (one instruction per beneficiary and letter, the bank details copied
at preparation); a second releases it, and only then is the advice file handed to the bank. The
bank's return file is checked whole and applied at once: a success records the `Payment` through
the money core's service (which posts the ledger entry), a failure keeps the bank's reason. A final
instruction never changes; a failed one is re-issued as a new instruction that names it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from beneficiaries.models import BankAccount
from incentives.models import LetterSeries, Payment, SanctionLetter
from repm_portal.models import MONEY

# Prefix of the runs' gap-free numbering series (one per financial year), in LetterSeries.
RUN_SERIES_PREFIX = "REPM/PAY"


class PaymentRun(models.Model):
    """A batch of instructions prepared by one official and released to the bank by another."""

    class Status(models.TextChoices):
        PREPARED = "prepared", "Prepared, awaiting release"
        RELEASED = "released", "Released to the bank"
        CLOSED = "closed", "Closed: every instruction returned"
        CANCELLED = "cancelled", "Cancelled before release"

    reference = models.CharField(max_length=40, unique=True)
    series = models.ForeignKey(LetterSeries, on_delete=models.PROTECT, related_name="+")
    serial = models.PositiveIntegerField()
    financial_year = models.CharField(max_length=7)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARED)
    total = models.DecimalField(**MONEY, help_text="The instructions' sum, fixed at preparation")
    instruction_count = models.PositiveIntegerField()
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-prepared_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "serial"], name="payment_run_serial_unique"),
            models.CheckConstraint(
                condition=Q(total__gt=0, instruction_count__gt=0, serial__gt=0),
                name="payment_run_sane",
            ),
            # The four-eyes rule, kept by the database as well as the service.
            models.CheckConstraint(
                condition=Q(released_by__isnull=True) | ~Q(released_by=F("prepared_by")),
                name="payment_run_released_by_another",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["released", "closed"])
                | Q(released_by__isnull=False, released_at__isnull=False),
                name="payment_run_released_has_releaser",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment run {self.reference}"

    @property
    def advice_ready(self) -> bool:
        return self.status in (self.Status.RELEASED, self.Status.CLOSED)


class BankReturnFile(models.Model):
    """A return file the bank sent for a run, stored as received with its hash once it was applied."""

    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="return_files")
    file = models.FileField(upload_to="payments/returns/%Y/%m/", max_length=300)
    original_name = models.CharField(max_length=300)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    succeeded = models.PositiveIntegerField()
    failed = models.PositiveIntegerField()
    amount_succeeded = models.DecimalField(**MONEY)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="bank_return_file_hash"
            ),
            models.CheckConstraint(
                condition=Q(rows=F("succeeded") + F("failed"), rows__gt=0),
                name="bank_return_file_counts",
            ),
        ]

    def __str__(self) -> str:
        return f"Return file {self.original_name} for {self.run.reference}"


class PaymentInstruction(models.Model):
    """One transfer the bank is asked to make: a beneficiary, a letter, an amount, the account on record."""

    class Status(models.TextChoices):
        PENDING = "pending", "In a run awaiting release"
        SENT = "sent", "Sent to the bank"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed at the bank"
        CANCELLED = "cancelled", "Cancelled with its run"

    LIVE_STATUSES = ("pending", "sent")
    FINAL_STATUSES = ("paid", "failed", "cancelled")

    instruction_id = models.CharField(max_length=20, unique=True)
    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="instructions")
    position = models.PositiveIntegerField(help_text="Its line in the run's advice file")
    letter = models.ForeignKey(
        SanctionLetter, on_delete=models.PROTECT, related_name="payment_instructions"
    )
    bank_account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="payment_instructions"
    )
    # The beneficiary's details as they stood when the run was prepared: the advice never changes.
    beneficiary_name = models.CharField(max_length=300)
    account_holder = models.CharField(max_length=300)
    account_number = models.CharField(max_length=18)
    ifsc = models.CharField("IFSC", max_length=11)
    bank_name = models.CharField(max_length=200)
    amount = models.DecimalField(**MONEY)
    narration = models.CharField(max_length=140)
    reissues = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissued_as",
        help_text="The failed instruction this one re-issues",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="instruction"
    )
    utr = models.CharField("UTR reference", max_length=22, blank=True)
    bank_date = models.DateField(null=True, blank=True, help_text="The date the bank reports")
    failure_reason = models.TextField(blank=True, help_text="The bank's reason, as given")
    return_file = models.ForeignKey(
        BankReturnFile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="instructions",
    )
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "position"], name="payment_instruction_position_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_instruction_positive"),
            # A letter is in at most one instruction the bank may still act on.
            models.UniqueConstraint(
                fields=["letter"],
                condition=Q(status__in=["pending", "sent"]),
                name="payment_instruction_one_live_per_letter",
            ),
            # A failed instruction is re-issued once (a cancelled re-issue frees it again).
            models.UniqueConstraint(
                fields=["reissues"],
                condition=~Q(status="cancelled"),
                name="payment_instruction_reissued_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid")
                | Q(payment__isnull=False, return_file__isnull=False, bank_date__isnull=False)
                & ~Q(utr=""),
                name="payment_instruction_paid_has_payment",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed")
                | Q(return_file__isnull=False, payment__isnull=True) & ~Q(failure_reason=""),
                name="payment_instruction_failed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Instruction {self.instruction_id}"

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL_STATUSES


__all__ = ["RUN_SERIES_PREFIX", "BankReturnFile", "PaymentInstruction", "PaymentRun"]
