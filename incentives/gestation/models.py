"""Each award's plant, its gestation schedule and milestones, and the evidence behind them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from bidding.models import Award


class Plant(models.Model):
    """The integrated plant an award pays for; gestation ends a rule-set number of months after the award."""

    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="plant")
    name = models.CharField(max_length=200)
    site_address = models.TextField(blank=True)
    state = models.CharField(max_length=60, blank=True)
    gestation_starts_on = models.DateField(help_text="The award date")
    gestation_ends_on = models.DateField()
    commissioned_on = models.DateField(
        null=True, blank=True, help_text="Set when the commissioning milestone is accepted"
    )
    commissioned_mtpa = models.PositiveIntegerField(
        "commissioned capacity (MTPA)", null=True, blank=True
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["award"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gestation_ends_on__gt=F("gestation_starts_on")),
                name="plant_gestation_ordered",
            ),
            models.CheckConstraint(
                condition=Q(commissioned_on__isnull=True, commissioned_mtpa__isnull=True)
                | Q(
                    commissioned_on__isnull=False,
                    commissioned_mtpa__gt=0,
                    commissioned_on__gte=F("gestation_starts_on"),
                ),
                name="plant_commissioning_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_commissioned(self) -> bool:
        return self.commissioned_on is not None


class Milestone(models.Model):
    """One step of the build: planned date, the firm's actual date and evidence, verified then accepted."""

    class Kind(models.TextChoices):
        LAND = "land", "Land acquired"
        BUILDING = "building", "Building completed"
        EQUIPMENT = "equipment", "Equipment installed"
        TRIAL = "trial", "Trial production"
        COMMISSIONING = "commissioning", "Commissioning"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SUBMITTED = "submitted", "Submitted for verification"
        VERIFIED = "verified", "Verified"
        ACCEPTED = "accepted", "Accepted"
        RETURNED = "returned", "Returned for correction"

    plant = models.ForeignKey(Plant, on_delete=models.PROTECT, related_name="milestones")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    planned_on = models.DateField()
    actual_on = models.DateField(null=True, blank=True, help_text="As the firm reports it")
    firm_remarks = models.TextField(blank=True)
    commissioned_mtpa = models.PositiveIntegerField(
        null=True, blank=True, help_text="Commissioning only: the capacity certified"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verification_remarks = models.TextField(blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["plant", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plant", "kind"], name="milestone_once_per_plant"),
            models.CheckConstraint(
                condition=Q(status="accepted", accepted_by__isnull=False, verified_by__isnull=False)
                & ~Q(accepted_by=F("verified_by"))
                | ~Q(status="accepted"),
                name="milestone_maker_checker",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["submitted", "verified", "accepted"])
                | Q(actual_on__isnull=False),
                name="milestone_submitted_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(kind="commissioning", status__in=["submitted", "verified", "accepted"])
                | Q(commissioned_mtpa__gt=0),
                name="milestone_commissioning_has_capacity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.plant})"


class MilestoneEvidence(models.Model):
    """A document the firm uploaded for a milestone; kept for good, with its SHA-256."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="gestation/evidence/%Y/", max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["milestone", "uploaded_at", "id"]
        verbose_name_plural = "milestone evidence"

    def __str__(self) -> str:
        return self.original_name
