"""Sales claims: one claim per award and claim period, the files uploaded for it, and its invoice lines."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.functional import cached_property

from bidding.models import Award
from repm_portal.models import Job, RuleSet

KG = {"max_digits": 15, "decimal_places": 3}
MONEY = {"max_digits": 18, "decimal_places": 2}
OXIDE_TONNES = {"max_digits": 12, "decimal_places": 3}


class FeedstockConclusion(models.TextChoices):
    """The verifier's word on a claim's feedstock check."""

    CONSISTENT = "consistent", "Consistent with the sales, within the tolerance"
    MISMATCH_ACCEPTED = "mismatch_accepted", "Outside the tolerance: accepted with a reason"


class Claim(models.Model):
    """The sales claim of one award for one claim period; its lines are those of its current upload."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        UNDER_VERIFICATION = "under_verification", "Under verification"
        RETURNED = "returned", "Returned for correction"
        VERIFIED = "verified", "Verified"
        APPROVED = "approved", "Approved"
        SANCTIONED = "sanctioned", "Sanctioned"
        PAID = "paid", "Paid"
        NIL = "nil", "Nothing payable"
        REJECTED = "rejected", "Rejected"
        LAPSED = "lapsed", "Lapsed: not submitted in its window"

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="sales_claims")
    period_start = models.DateField(help_text="First eligible day (commissioning, in the first)")
    period_end = models.DateField(help_text="Last eligible day")
    quarter_label = models.CharField(max_length=20, help_text="e.g. Q2 FY 2028-29")
    is_early = models.BooleanField(help_text="Ends before gestation ends (early sales)")
    window_closes_on = models.DateField(help_text="Last day to upload and submit")
    rule_set = models.ForeignKey(
        RuleSet, on_delete=models.PROTECT, related_name="+", help_text="In force on period_end"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    current_upload = models.OneToOneField(
        "ClaimUpload", on_delete=models.PROTECT, related_name="current_of"
    )
    # Copied from the current upload, ready for the incentive engine.
    line_count = models.PositiveIntegerField()
    eligible_kg = models.DecimalField("eligible net kg", **KG)
    net_sales_value = models.DecimalField(**MONEY)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    # The firm's submission: its CA certificate and declaration (the latest, if resubmitted).
    certificate = models.ForeignKey(
        "ClaimDocument",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The chartered accountant's certificate of the latest submission",
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The latest submission: the verification clock runs from it",
    )
    # Lapse and the one reopening an official may grant.
    lapsed_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)
    # Verification (the project management agency) and approval (the ministry).
    verification_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verification_started_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_remarks = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, help_text="Why it was last returned or rejected")
    # The verifier's conclusion on the feedstock check (declared oxide x the rule set's ratio
    # against the verified sales), given with the verification and kept with its figures.
    feedstock_conclusion = models.CharField(
        max_length=20, choices=FeedstockConclusion.choices, blank=True, default=""
    )
    feedstock_check = models.JSONField(
        default=dict, blank=True, help_text="The feedstock check's figures when it was verified"
    )
    feedstock_note = models.TextField(
        blank=True, help_text="Why the verifier accepted a feedstock mismatch"
    )

    SUBMITTED_STATUSES = (
        "submitted", "under_verification", "verified", "approved", "sanctioned", "paid", "nil",
    )  # fmt: skip
    VERIFIED_STATUSES = ("verified", "approved", "sanctioned", "paid", "nil")
    APPROVED_STATUSES = ("approved", "sanctioned", "paid", "nil")
    # Statuses in which the lines may be replaced by a new upload.
    OPEN_FOR_UPLOAD = ("draft", "returned")

    class Meta:
        ordering = ["award", "period_start"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(
                    status__in=[
                        "submitted",
                        "under_verification",
                        "verified",
                        "approved",
                        "sanctioned",
                        "paid",
                        "nil",
                    ]
                )
                | Q(
                    certificate__isnull=False,
                    declared_by__isnull=False,
                    declared_at__isnull=False,
                    submitted_by__isnull=False,
                    submitted_at__isnull=False,
                ),
                name="claim_submitted_complete",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["verified", "approved", "sanctioned", "paid", "nil"])
                | Q(verified_by__isnull=False, verified_at__isnull=False),
                name="claim_verified_has_verifier",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "sanctioned", "paid", "nil"])
                | (
                    Q(approved_by__isnull=False, approved_at__isnull=False)
                    & ~Q(approved_by=F("verified_by"))
                ),
                name="claim_maker_checker",
            ),
            models.CheckConstraint(
                condition=Q(reopened_at__isnull=True, reopened_by__isnull=True, reopen_reason="")
                | (Q(reopened_at__isnull=False, reopened_by__isnull=False) & ~Q(reopen_reason="")),
                name="claim_reopen_explained",
            ),
            models.CheckConstraint(
                condition=~Q(status="lapsed") | Q(lapsed_at__isnull=False),
                name="claim_lapsed_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(feedstock_conclusion="mismatch_accepted") | ~Q(feedstock_note=""),
                name="claim_feedstock_mismatch_explained",
            ),
            models.UniqueConstraint(fields=["award", "period_start"], name="claim_once_per_period"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start"))
                & Q(window_closes_on__gt=F("period_end")),
                name="claim_period_ordered",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "draft",
                        "submitted",
                        "under_verification",
                        "returned",
                        "verified",
                        "approved",
                        "sanctioned",
                        "paid",
                        "nil",
                        "rejected",
                        "lapsed",
                    ]
                ),
                name="claim_status_known",
            ),
        ]

    def __str__(self) -> str:
        return f"Sales claim {self.quarter_label} of {self.award}"


def upload_path(instance: ClaimUpload, filename: str) -> str:
    return f"claims/uploads/{instance.award_id}/{instance.period_start:%Y-%m-%d}/{filename}"


def report_path(instance: ClaimUpload, filename: str) -> str:
    return f"claims/reports/{instance.award_id}/{filename}"


class ClaimUpload(models.Model):
    """One file a firm sent for a claim period: kept for good with its SHA-256, checked, then stored or refused.

    `status` is the file's lifecycle only: received (waiting for or under its check), then
    accepted, rejected or failed (its check could not be done). How far the check has got is
    the state of its job (`repm_portal.models.Job`, task `TASK`, target the upload's id).
    """

    TASK = "incentives.claims.tasks.process_upload"

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Refused: errors to fix"
        FAILED = "failed", "Could not be processed"
        SUPERSEDED = "superseded", "Replaced by a later upload"

    class ReportedStatus(models.TextChoices):
        """The status pages and the API show: a received file is told apart by its job's state."""

        QUEUED = "queued", "Waiting to be checked"
        PROCESSING = "processing", "Being checked"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Refused: errors to fix"
        FAILED = "failed", "Could not be processed"
        SUPERSEDED = "superseded", "Replaced by a later upload"

    class Phase(models.TextChoices):
        """The labels of the job's phase (`Job.phase`) while it checks the file."""

        WAITING = "waiting", "Waiting for a worker"
        READING = "reading", "Reading the file"
        CHECKING = "checking", "Checking every line"
        STORING = "storing", "Storing the lines"
        DONE = "done", "Done"

    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="sales_uploads")
    period_start = models.DateField(help_text="The claim period's first eligible day")
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="uploads"
    )
    file = models.FileField(upload_to=upload_path, max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    finished_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was accepted, rejected or failed"
    )

    message = models.TextField(blank=True, help_text="Why the file could not be read or stored")
    line_count = models.PositiveIntegerField(null=True, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    summary_by_rule = models.JSONField(default=dict, blank=True)
    flag_summary = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(
        default=list, blank=True, help_text="The first errors: row, column, value, rule, message"
    )
    annotated_file = models.FileField(
        upload_to=report_path,
        max_length=300,
        blank=True,
        help_text="The firm's lines with an errors column, to fix and upload again",
    )
    totals = models.JSONField(default=dict, blank=True)
    eligible_kg = models.DecimalField("eligible net kg", null=True, blank=True, **KG)
    net_sales_value = models.DecimalField(null=True, blank=True, **MONEY)
    superseded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["award", "period_start"],
                condition=Q(status="received"),
                name="claim_upload_one_active_per_period",
            ),
            models.UniqueConstraint(
                fields=["award", "period_start", "sha256"],
                condition=Q(status__in=["received", "accepted"]),
                name="claim_upload_same_bytes_once",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted")
                | Q(claim__isnull=False, line_count__gt=0, eligible_kg__isnull=False),
                name="claim_upload_accepted_has_claim",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="claim_upload_sha256"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display().lower()})"

    @property
    def is_active(self) -> bool:
        """Waiting for or under its check: a page keeps polling it."""
        return self.status == self.Status.RECEIVED

    @cached_property
    def job(self) -> Job | None:
        """The job that checks this file; `selectors.with_jobs` fetches them for many uploads at once."""
        return Job.objects.filter(task=self.TASK, target=str(self.pk)).first()

    @cached_property
    def progress(self) -> CheckProgress:
        return CheckProgress.of(self, self.job)


@dataclass(frozen=True)
class CheckProgress:
    """How far an upload's check has got, from its lifecycle status and its job: what pages and the API show."""

    status: str  # a ClaimUpload.ReportedStatus
    phase: str  # a ClaimUpload.Phase
    percent: int
    attempts: int
    started_at: dt.datetime | None

    @classmethod
    def of(cls, upload: ClaimUpload, job: Job | None) -> CheckProgress:
        attempts, started_at = (job.attempts, job.started_at) if job else (0, None)
        if upload.status != ClaimUpload.Status.RECEIVED:
            return cls(upload.status, ClaimUpload.Phase.DONE, 100, attempts, started_at)
        if job is None or job.state in (Job.State.QUEUED, Job.State.RETRYING):
            status, phase, percent = ClaimUpload.ReportedStatus.QUEUED, ClaimUpload.Phase.WAITING, 0
        else:  # running, or just finished and its outcome not yet written
            status = ClaimUpload.ReportedStatus.PROCESSING
            phase = (
                job.phase if job.phase in ClaimUpload.Phase.values else ClaimUpload.Phase.READING
            )
            percent = job.progress
        return cls(status, phase, percent, attempts, started_at)

    @property
    def status_label(self) -> str:
        return ClaimUpload.ReportedStatus(self.status).label

    @property
    def phase_label(self) -> str:
        return ClaimUpload.Phase(self.phase).label


class ClaimLine(models.Model):
    """One invoice or credit-note line of a claim's current upload, as validated.

    Written only by PostgreSQL COPY (see storing.py). An invoice number is claimed once per
    award, ever: the database refuses a second line with the same number, compared in
    capitals. Lines of a superseded upload are deleted when the new one is stored (its raw
    file stays), so their numbers may be used again.
    """

    pk = models.CompositePrimaryKey("claim_id", "row")
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="lines", db_index=False, db_constraint=False
    )
    row = models.PositiveIntegerField(help_text="The row in the uploaded file (header = 1)")
    # One composite foreign key (claim, award) -> claim(id, award), added by the migration,
    # stands for both: a line's award is always its claim's, at one check per row.
    award = models.ForeignKey(
        Award, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    invoice_number = models.TextField()
    invoice_date = models.DateField()
    buyer_name = models.TextField()
    buyer_gstin = models.CharField(max_length=15, blank=True)
    export_country = models.CharField(max_length=2, blank=True)
    is_export = models.BooleanField()
    hsn_code = models.CharField(max_length=8)
    magnet_grade = models.TextField()
    quantity_kg = models.DecimalField(**KG)
    net_sales_value = models.DecimalField(**MONEY)
    credit_note_ref = models.TextField(blank=True)
    is_credit_note = models.BooleanField()
    related_party = models.BooleanField()
    unit_value_outlier = models.BooleanField()
    plant = models.TextField()

    class Meta:
        ordering = ["claim", "row"]
        constraints = [
            models.UniqueConstraint(
                F("award"), Upper("invoice_number"), name="claim_line_invoice_once_per_award"
            ),
            models.CheckConstraint(
                condition=Q(is_credit_note=True, quantity_kg__lt=0, net_sales_value__lt=0)
                | Q(is_credit_note=False, quantity_kg__gt=0, net_sales_value__gt=0),
                name="claim_line_sign",
            ),
            models.CheckConstraint(
                condition=Q(is_export=True, buyer_gstin="") | Q(is_export=False, export_country=""),
                name="claim_line_domestic_or_export",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number} (row {self.row})"


def certificate_path(instance: ClaimDocument, filename: str) -> str:
    return f"claims/certificates/{instance.claim.award_id}/{instance.claim_id}/{filename}"


class ClaimDocument(models.Model):
    """A document a firm submitted with a sales claim (its CA certificate); kept for good with its SHA-256."""

    class Kind(models.TextChoices):
        CA_CERTIFICATE = "ca_certificate", "Chartered accountant's certificate"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(upload_to=certificate_path, max_length=300)
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
                name="claim_document_hashed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class LineAdjustment(models.Model):
    """The verifier's word on one line of a claim's upload: exclude it, correct it, or restore it.

    Append-only (a database trigger refuses updates and deletes): the latest adjustment of a
    line (by id) is the one that counts, and an earlier one is undone by a later `restore`.
    An adjustment belongs to the upload whose lines it judged, so a re-upload starts afresh.
    """

    class Kind(models.TextChoices):
        EXCLUDE = "exclude", "Excluded"
        CORRECT = "correct", "Corrected"
        RESTORE = "restore", "Restored as filed"

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="adjustments")
    upload = models.ForeignKey(ClaimUpload, on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField(help_text="The line's row in the uploaded file")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    quantity_kg = models.DecimalField(
        "corrected kg", null=True, blank=True, help_text="The kg the line counts for", **KG
    )
    net_sales_value = models.DecimalField(
        "corrected net value", null=True, blank=True, help_text="The value it counts for", **MONEY
    )
    reason = models.TextField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField()

    class Meta:
        ordering = ["claim", "row", "id"]
        indexes = [
            models.Index(fields=["claim", "upload", "row", "id"], name="line_adjustment_latest")
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="line_adjustment_has_reason"),
            models.CheckConstraint(
                condition=Q(kind="correct")
                & (Q(quantity_kg__isnull=False) | Q(net_sales_value__isnull=False))
                | Q(kind__in=["exclude", "restore"], quantity_kg__isnull=True)
                & Q(net_sales_value__isnull=True),
                name="line_adjustment_kind_fits",
            ),
        ]

    def __str__(self) -> str:
        return f"Row {self.row}: {self.get_kind_display().lower()}"


class FeedstockDeclaration(models.Model):
    """One row of a claim's feedstock declaration: the NdPr oxide used in its period from one source.

    Declared by the firm while the claim is a draft (or returned), replaced whole, never edited
    row by row; a claim is not submitted without one. An import names its country (ISO 3166
    alpha-2), one row per country; every other source has one row and no country.
    """

    class Source(models.TextChoices):
        IREL = "irel", "IREL (India) Ltd"
        DOMESTIC = "domestic", "Other domestic"
        IMPORTED = "imported", "Imported"
        RECYCLED = "recycled", "Recycled"

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="feedstock")
    source = models.CharField(max_length=10, choices=Source.choices)
    country = models.CharField(
        max_length=2, blank=True, help_text="Where an import came from (ISO 3166 alpha-2)"
    )
    tonnes = models.DecimalField("NdPr oxide (t)", **OXIDE_TONNES)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField()

    class Meta:
        ordering = ["claim", "source", "country", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "source", "country"], name="feedstock_one_row_per_source"
            ),
            models.CheckConstraint(
                condition=Q(tonnes__gte=0), name="feedstock_tonnes_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(source__in=["irel", "domestic", "recycled"], country="")
                | Q(source="imported", country__regex=r"^[A-Z]{2}$") & ~Q(country="IN"),
                name="feedstock_import_has_country",
            ),
        ]

    def __str__(self) -> str:
        where = f" from {self.country}" if self.country else ""
        return f"{self.get_source_display()}{where}: {self.tonnes} t"
