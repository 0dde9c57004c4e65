"""Post-payment samples of paid claims for field checks, and the auditors' findings on them.

A sample is drawn once (`engine.draw`) and never changes: its seed, the population's definition,
the population itself and its hash, the floor and the rationale are stored with it, so the draw
can be replayed. Findings are added against its claims, each kept for good; a finding that
recommends recovery can open one through the recovery path, by an official.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Length, Trim
from django.db.models.lookups import GreaterThanOrEqual

from bidding.models import Award
from incentives.recovery.models import Recovery
from repm_portal.models import MONEY

RATIONALE_MIN_CHARS = 20
SEED_REGEX = r"^[A-Za-z0-9._:/-]{1,64}$"
FLOOR_MIN_PCT = 10  # the scheme's floor: at least 10 % of the value paid in each stratum


class SeedSource(models.TextChoices):
    AUDITOR = "auditor", "Given by the auditor"
    SECRETS = "secrets", "Drawn by the portal (secrets module)"


class Sample(models.Model):
    """One draw: what it was drawn from, how, by whom and why. Immutable (a trigger refuses changes)."""

    financial_year = models.CharField(max_length=7, help_text="Of the payments, e.g. 2030-31")
    kinds = ArrayField(models.CharField(max_length=40), help_text="Claim kinds in the population")
    floor_pct = models.DecimalField(
        max_digits=5, decimal_places=2, help_text="Share of each stratum's value paid to cover"
    )
    seed = models.CharField(max_length=64)
    seed_source = models.CharField(max_length=10, choices=SeedSource.choices)
    rationale = models.TextField(help_text="Why this sample, this floor, these kinds")
    algorithm = models.CharField(max_length=80)
    definition = models.JSONField(help_text="The population's definition, as hashed")
    population = models.JSONField(help_text="Every claim of the population, as drawn from")
    population_hash = models.CharField(max_length=64)
    population_count = models.PositiveIntegerField()
    population_value = models.DecimalField(**MONEY)
    sampled_count = models.PositiveIntegerField()
    sampled_value = models.DecimalField(**MONEY)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField()

    class Meta:
        ordering = ["-drawn_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(floor_pct__gte=FLOOR_MIN_PCT, floor_pct__lte=100),
                name="sample_floor_at_least_ten_pct",
            ),
            models.CheckConstraint(
                condition=Q(seed__regex=SEED_REGEX), name="sample_seed_printable"
            ),
            models.CheckConstraint(
                condition=Q(population_hash__regex=r"^[0-9a-f]{64}$"), name="sample_hash_sha256"
            ),
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length(Trim("rationale")), RATIONALE_MIN_CHARS)),
                name="sample_rationale_given",
            ),
            models.CheckConstraint(
                condition=Q(
                    population_count__gt=0,
                    sampled_count__gt=0,
                    sampled_count__lte=F("population_count"),
                    sampled_value__gt=0,
                    sampled_value__lte=F("population_value"),
                ),
                name="sample_counts_sane",
            ),
            models.CheckConstraint(condition=Q(kinds__len__gte=1), name="sample_kinds_given"),
        ]

    def __str__(self) -> str:
        return f"Sample {self.pk} (FY {self.financial_year})"

    @property
    def sampled_pct(self) -> float:
        # For display only: the figures themselves stay in Decimal.
        return float(self.sampled_value * 100 / self.population_value)


class SampleStratum(models.Model):
    """One award's part of a sample: its population's value and what the draw covered of it."""

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="strata")
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=120)
    position = models.PositiveIntegerField()
    population_count = models.PositiveIntegerField()
    population_value = models.DecimalField(**MONEY)
    target_value = models.DecimalField(**MONEY, help_text="The floor's share of the value paid")
    sampled_count = models.PositiveIntegerField()
    sampled_value = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["sample", "position"]
        verbose_name_plural = "sample strata"
        constraints = [
            models.UniqueConstraint(fields=["sample", "award"], name="sample_stratum_per_award"),
            models.UniqueConstraint(
                fields=["sample", "position"], name="sample_stratum_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    sampled_count__gte=1,
                    sampled_count__lte=F("population_count"),
                    sampled_value__gte=F("target_value"),
                    sampled_value__lte=F("population_value"),
                ),
                name="sample_stratum_floor_met",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} in {self.sample}"

    @property
    def sampled_pct(self) -> float:
        return float(self.sampled_value * 100 / self.population_value)


class SampledClaim(models.Model):
    """A claim the draw picked, with what was paid against it in the sample's year."""

    sample = models.ForeignKey(Sample, on_delete=models.PROTECT, related_name="claims")
    stratum = models.ForeignKey(SampleStratum, on_delete=models.PROTECT, related_name="claims")
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="+")
    claim_type = models.CharField(max_length=40)
    claim_id = models.CharField(max_length=40)
    value_paid = models.DecimalField(**MONEY)
    draw_order = models.PositiveIntegerField(help_text="1 for the stratum's first claim drawn")
    letters = models.JSONField(default=list, help_text="Sanction letter numbers paid against")

    class Meta:
        ordering = ["sample", "stratum__position", "draw_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["sample", "claim_type", "claim_id"], name="sampled_claim_once"
            ),
            models.UniqueConstraint(
                fields=["stratum", "draw_order"], name="sampled_claim_draw_order_unique"
            ),
            models.CheckConstraint(
                condition=Q(value_paid__gt=0, draw_order__gte=1), name="sampled_claim_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_type} {self.claim_id} in {self.sample}"


class Outcome(models.TextChoices):
    NO_ISSUE = "no_issue", "No issue"
    DISCREPANCY = "discrepancy", "Discrepancy"
    RECOVERY = "recovery_recommended", "Recovery recommended"


class Finding(models.Model):
    """What the field check found on a sampled claim. Kept for good; a later finding adds to it."""

    claim = models.ForeignKey(SampledClaim, on_delete=models.PROTECT, related_name="findings")
    outcome = models.CharField(max_length=24, choices=Outcome.choices)
    text = models.TextField()
    amount_at_issue = models.DecimalField(**MONEY, default=0)
    evidence = models.FileField(upload_to="sampling/evidence/%Y/", max_length=300, blank=True)
    evidence_name = models.CharField(max_length=300, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True)
    evidence_size = models.PositiveBigIntegerField(null=True, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["claim", "recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="no_issue", amount_at_issue=0)
                | Q(outcome="discrepancy", amount_at_issue__gte=0)
                | Q(outcome="recovery_recommended", amount_at_issue__gt=0),
                name="finding_amount_fits_outcome",
            ),
            models.CheckConstraint(
                condition=Q(outcome="no_issue") | ~Q(evidence=""),
                name="finding_issue_has_evidence",
            ),
            models.CheckConstraint(
                condition=Q(evidence="", evidence_sha256="")
                | (~Q(evidence="") & Q(evidence_sha256__regex=r"^[0-9a-f]{64}$")),
                name="finding_evidence_hashed",
            ),
            models.CheckConstraint(
                condition=Q(GreaterThanOrEqual(Length(Trim("text")), RATIONALE_MIN_CHARS)),
                name="finding_text_given",
            ),
        ]

    def __str__(self) -> str:
        return f"Finding {self.pk}"


class FindingRecovery(models.Model):
    """A recovery an official opened from a finding (the recovery path proposes it; a second confirms)."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="recoveries")
    recovery = models.OneToOneField(
        Recovery, on_delete=models.PROTECT, related_name="sampling_finding"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()

    class Meta:
        ordering = ["opened_at", "id"]

    def __str__(self) -> str:
        return f"Recovery {self.recovery_id} from finding {self.finding_id}"


__all__ = [
    "FLOOR_MIN_PCT",
    "RATIONALE_MIN_CHARS",
    "SEED_REGEX",
    "Finding",
    "FindingRecovery",
    "Outcome",
    "Sample",
    "SampleStratum",
    "SampledClaim",
    "SeedSource",
]
