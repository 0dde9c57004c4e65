"""One export produced in the background: what was asked (kind, format, filters), by whom, and the
file it gave, with its row count and hash so a copy can be checked against the portal's."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


def export_path(instance: ExportRun, filename: str) -> str:
    return f"oversight/exports/{instance.requested_at:%Y/%m}/{filename}"


class ExportRun(models.Model):
    """An export asked for on the exports page; its work is a `Job` (task `TASK`, target the id)."""

    TASK = "incentives.oversight.tasks.produce_export"

    class Kind(models.TextChoices):
        REGISTER = "register", "Disbursement register"
        WORKING = "working", "Claim working sheets"
        AUDIT = "audit", "Audit trail"
        GUARANTEES = "guarantees", "Bank guarantee register"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    format = models.CharField(max_length=4, choices=Format.choices)
    filters = models.JSONField(default=dict, blank=True, help_text="The filters, as asked")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    file = models.FileField(upload_to=export_path, max_length=300, blank=True)
    row_count = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["register", "working", "audit", "guarantees"])
                & Q(format__in=["csv", "xlsx"]),
                name="export_run_kind_and_format_known",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True)
                | (~Q(file="") & Q(sha256__regex=r"^[0-9a-f]{64}$", row_count__isnull=False)),
                name="export_run_finished_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_format_display()}) #{self.pk}"
