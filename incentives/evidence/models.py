"""One evidence bundle asked for: who asked, for which financial year and pool, and the zip it gave."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


def bundle_path(instance: BundleRun, filename: str) -> str:
    return f"evidence/bundles/{instance.financial_year}/{filename}"


class BundleRun(models.Model):
    """An evidence bundle for a financial year. Its work is a `Job` (task `TASK`, target the run's id);
    the run keeps what was asked and, once built, the file with its SHA-256 and size."""

    TASK = "incentives.evidence.tasks.build_bundle"

    class Pool(models.TextChoices):
        ALL = "", "Both pools"
        SLI = "sli", "Sales-linked incentive"
        CAPITAL_SUBSIDY = "capital_subsidy", "Capital subsidy"

    financial_year = models.CharField(max_length=7, help_text="e.g. 2030-31")
    pool = models.CharField(max_length=20, choices=Pool.choices, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    file = models.FileField(upload_to=bundle_path, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    letter_count = models.PositiveIntegerField(default=0)
    built_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(financial_year__regex=r"^[0-9]{4}-[0-9]{2}$"),
                name="bundle_run_year_label",
            ),
            models.CheckConstraint(
                condition=Q(built_at__isnull=True)
                | (~Q(file="") & Q(sha256__regex=r"^[0-9a-f]{64}$", size__gt=0)),
                name="bundle_run_built_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"Evidence bundle FY {self.financial_year} #{self.pk}"

    @property
    def is_built(self) -> bool:
        return self.built_at is not None


__all__ = ["BundleRun"]
