"""Scheme, its versioned rule sets (every number of SCHEME.md as data) and the audit trail."""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Mod
from django.db.models.lookups import Exact

MONEY: dict[str, Any] = {"max_digits": 18, "decimal_places": 2}
PCT: dict[str, Any] = {"max_digits": 7, "decimal_places": 4}

TIE_BREAK_KEYS = ("capacity_desc", "net_worth_desc", "submitted_at_asc")

# SCHEME.md section 7: domestic demand of 4,010 t a year now, 8,220 t expected by 2030. [default]
# The years between are our linear interpolation (FY 2025-26 to FY 2029-30), held flat after.
DEMAND_NOW = (2025, 4010)
DEMAND_2030 = (2029, 8220)
DEMAND_LAST_YEAR = 2035
_FY_KEY = re.compile(r"^(\d{4})-(\d{2})$")


def default_domestic_demand() -> dict[str, int]:
    """{financial year "2025-26": tonnes of magnets a year}: context data for the monitor."""
    (first, low), (last, high) = DEMAND_NOW, DEMAND_2030
    demand = {}
    for year in range(first, DEMAND_LAST_YEAR + 1):
        step = min(year, last) - first
        tonnes = Decimal(low) + (Decimal(high - low) * step) / (last - first)
        demand[f"{year}-{(year + 1) % 100:02d}"] = int(
            tonnes.to_integral_value(rounding=ROUND_HALF_UP)
        )
    return demand


def validate_domestic_demand(value: Any) -> None:
    """Keys are financial years ("2028-29"), values tonnes a year, a whole number >= 0."""
    if not isinstance(value, dict) or not value:
        raise ValidationError(
            'Give the domestic demand as {financial year: tonnes}, e.g. {"2028-29": 6115}.'
        )
    for key, tonnes in value.items():
        match = _FY_KEY.match(str(key))
        if not match or (int(match[1]) + 1) % 100 != int(match[2]):
            raise ValidationError(f"{key!r} is not a financial year written as 2028-29.")
        try:
            number = Decimal(str(tonnes))
        except InvalidOperation:
            number = Decimal(-1)
        if isinstance(tonnes, bool) or not number.is_finite() or number < 0:
            raise ValidationError(
                f"The demand of {key} must be tonnes, a number >= 0, not {tonnes!r}."
            )


class Scheme(models.Model):
    code = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    ministry = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.name


class RuleSet(models.Model):
    """One version of the scheme's rules. Never edited: an amendment is a new version."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="rule_sets")
    version = models.PositiveIntegerField()
    effective_from = models.DateField()
    notification = models.CharField(
        max_length=100, help_text="Gazette reference, e.g. S.O. 5800(E)"
    )
    notified_on = models.DateField()
    summary = models.TextField(help_text="What this version changes and why")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # 1. Money and size
    total_outlay = models.DecimalField(**MONEY)
    sli_pool = models.DecimalField("SLI pool", **MONEY)
    capital_subsidy_pool = models.DecimalField(**MONEY)
    admin_pool = models.DecimalField("administration pool", **MONEY)
    target_capacity_mtpa = models.PositiveIntegerField("target capacity (MTPA)")
    max_beneficiaries = models.PositiveIntegerField()
    min_capacity_mtpa = models.PositiveIntegerField("minimum capacity per beneficiary (MTPA)")
    max_capacity_mtpa = models.PositiveIntegerField("maximum capacity per beneficiary (MTPA)")
    capacity_step_mtpa = models.PositiveIntegerField("capacity step (MTPA)")
    gestation_months = models.PositiveIntegerField()
    sli_months = models.PositiveIntegerField("SLI months")

    # 2. Bidding
    consortium_lead_min_pct = models.DecimalField("consortium lead's minimum share (%)", **PCT)
    sli_ceiling_rate = models.DecimalField(
        "SLI ceiling rate (Rs/kg)", max_digits=10, decimal_places=2
    )
    tie_break = ArrayField(models.CharField(max_length=30), size=3)
    irel_oxide_mtpa = models.DecimalField("IREL NdPr oxide (MTPA)", max_digits=10, decimal_places=3)
    irel_oxide_winners = models.PositiveIntegerField("winners sharing IREL oxide (L1..Ln)")
    oxide_split = models.CharField(max_length=20, default="pro_rata")
    magnet_per_tonne_oxide = models.DecimalField(max_digits=6, decimal_places=2)
    pbg_per_100_mtpa = models.DecimalField("PBG per 100 MTPA", **MONEY)
    pbg_validity_extra_months = models.PositiveIntegerField(
        "PBG validity beyond the scheme term (months)"
    )

    # 3. Gestation and capital subsidy
    delay_penalty_pct_per_day = models.DecimalField("delay penalty (% of PBG per day)", **PCT)
    capital_subsidy_pct = models.DecimalField("capital subsidy (% of eligible investment)", **PCT)
    capital_investment_from = models.DateField("eligible investment made on or after")

    # 4. Sales-linked incentive
    turnover_cap_pct = models.DecimalField("turnover cap (% of net sales value)", **PCT)
    taper = ArrayField(models.DecimalField(max_digits=6, decimal_places=4), size=10)
    provisional_share_pct = models.DecimalField("provisional share of a quarterly claim (%)", **PCT)
    unit_value_min = models.DecimalField("sane unit value, low (Rs/kg)", **MONEY)
    unit_value_max = models.DecimalField("sane unit value, high (Rs/kg)", **MONEY)
    claim_window_days = models.PositiveIntegerField(
        "claim submission window after period end (days)"
    )

    # 5. Claims, verification, disbursement
    verification_sla_days = models.PositiveIntegerField("verification service level (days)")
    payment_sla_days = models.PositiveIntegerField("payment service level (days)")
    recovery_interest_pct = models.DecimalField("recovery interest (% a year, compounded)", **PCT)

    # 7. Context for dashboards (not a rule any figure is computed by)
    domestic_demand_tonnes = models.JSONField(
        "domestic demand (tonnes of magnets a year, by financial year)",
        default=default_domestic_demand,
        validators=[validate_domestic_demand],
        help_text="4,010 t now rising to 8,220 t by 2030 (SCHEME.md); the years between are our "
        "linear interpolation, held flat after FY 2029-30 [default].",
    )

    class Meta:
        ordering = ["scheme", "version"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "version"], name="ruleset_unique_version"),
            models.UniqueConstraint(
                fields=["scheme", "effective_from"], name="ruleset_unique_effective_date"
            ),
            models.CheckConstraint(
                condition=Q(sli_pool__gte=0, capital_subsidy_pool__gte=0, admin_pool__gte=0)
                & Q(total_outlay__gte=F("sli_pool") + F("capital_subsidy_pool") + F("admin_pool")),
                name="ruleset_pools_within_outlay",
            ),
            models.CheckConstraint(
                condition=Q(min_capacity_mtpa__gt=0, capacity_step_mtpa__gt=0)
                & Q(min_capacity_mtpa__lte=F("max_capacity_mtpa"))
                & Q(max_capacity_mtpa__lte=F("target_capacity_mtpa")),
                name="ruleset_capacity_bounds_ordered",
            ),
            models.CheckConstraint(
                condition=Exact(Mod(F("min_capacity_mtpa"), F("capacity_step_mtpa")), 0)
                & Exact(Mod(F("max_capacity_mtpa"), F("capacity_step_mtpa")), 0),
                name="ruleset_capacity_bounds_on_step",
            ),
            models.CheckConstraint(
                condition=Q(
                    max_beneficiaries__gt=0, sli_ceiling_rate__gt=0, pbg_per_100_mtpa__gt=0
                ),
                name="ruleset_positive_limits",
            ),
            models.CheckConstraint(
                condition=Q(
                    turnover_cap_pct__gt=0,
                    turnover_cap_pct__lte=100,
                    provisional_share_pct__gt=0,
                    provisional_share_pct__lte=100,
                    capital_subsidy_pct__gte=0,
                    capital_subsidy_pct__lte=100,
                    delay_penalty_pct_per_day__gte=0,
                    delay_penalty_pct_per_day__lte=100,
                    recovery_interest_pct__gte=0,
                    recovery_interest_pct__lte=100,
                    consortium_lead_min_pct__gt=0,
                    consortium_lead_min_pct__lte=100,
                ),
                name="ruleset_percentages_in_range",
            ),
            models.CheckConstraint(
                condition=Q(unit_value_min__gt=0, unit_value_max__gt=F("unit_value_min")),
                name="ruleset_unit_value_band_ordered",
            ),
            models.CheckConstraint(
                condition=Q(irel_oxide_mtpa__gte=0, magnet_per_tonne_oxide__gt=0),
                name="ruleset_oxide_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(sli_months__gt=0, gestation_months__gt=0, taper__len__gte=1),
                name="ruleset_term_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} rules v{self.version} (from {self.effective_from:%d %b %Y})"

    @property
    def sli_years(self) -> int:
        return -(-self.sli_months // 12)

    def taper_for_year(self, year: int) -> Decimal:
        if not 1 <= year <= len(self.taper):
            raise ValueError(f"Scheme year {year} is outside 1..{len(self.taper)}")
        return self.taper[year - 1]

    def demand_tonnes(self, financial_year: str) -> Decimal | None:
        """The domestic demand of a financial year ("2028-29") in tonnes, or None if not given."""
        value = (self.domestic_demand_tonnes or {}).get(financial_year)
        return None if value is None else Decimal(str(value))

    def slab_for_capacity(self, capacity_mtpa: int) -> CapacitySlab:
        for slab in self.slabs.all():
            if slab.min_capacity_mtpa <= capacity_mtpa <= slab.max_capacity_mtpa:
                return slab
        raise ValueError(f"No slab of rule set v{self.version} covers {capacity_mtpa} MTPA")


class CapacitySlab(models.Model):
    """Per-capacity thresholds: minimum net worth to bid, capital subsidy cap, minimum investment."""

    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="slabs")
    min_capacity_mtpa = models.PositiveIntegerField()
    max_capacity_mtpa = models.PositiveIntegerField()
    min_net_worth = models.DecimalField(**MONEY)
    capital_subsidy_cap = models.DecimalField(**MONEY)
    min_investment = models.DecimalField("minimum eligible investment", **MONEY)

    class Meta:
        ordering = ["rule_set", "min_capacity_mtpa"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_set", "min_capacity_mtpa"], name="slab_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(min_capacity_mtpa__gt=0, min_capacity_mtpa__lte=F("max_capacity_mtpa")),
                name="slab_bounds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(min_net_worth__gt=0, capital_subsidy_cap__gt=0, min_investment__gt=0),
                name="slab_amounts_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.min_capacity_mtpa}-{self.max_capacity_mtpa} MTPA"


class AuditEvent(models.Model):
    """One recorded state change. Append-only (a trigger refuses UPDATE and DELETE) and hash-chained."""

    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=200, help_text="Username and role at the time")
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_repr = models.CharField(max_length=300)
    old_values = models.JSONField(null=True, blank=True)
    new_values = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]

    def __str__(self) -> str:
        return (
            f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"
        )


class Job(models.Model):
    """One unit of background work: written in the transaction that decides it, run by a worker.

    `(task, target)` names the work (a Celery task and the id it takes) and `key` is its business
    key; both are unique, so deciding the same work twice enqueues it once. The state is the
    job's own (queued, running, waiting to retry, done, failed), kept apart from the lifecycle
    of the row it works on. `repm_portal.jobs` moves it; a sweeper re-sends silent jobs.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Waiting to retry"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=160, unique=True, help_text="The business key of the work")
    task = models.CharField(max_length=120, help_text="The Celery task that runs it, by name")
    target = models.CharField(max_length=64, help_text="The id the task takes")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    last_error = models.TextField(blank=True)
    phase = models.CharField(max_length=40, blank=True, help_text="What the worker is doing")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "target"], name="job_once_per_task_target"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_percent"),
            models.CheckConstraint(
                condition=~Q(state="retrying") | Q(retry_at__isnull=False),
                name="job_retry_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.task}({self.target}) {self.state}"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING, self.State.RETRYING)


def issued_document_path(instance: IssuedDocument, filename: str) -> str:
    return (
        f"{instance.DOCUMENT_DIR}/{instance.rendered_at or dt.datetime.now(dt.UTC):%Y}/{filename}"
    )


class IssuedDocument(models.Model):
    """A document issued once: its figures fixed when it is written, its PDF rendered once and hashed.

    The status is the document's lifecycle (waiting for its PDF, then issued); the rendering is
    a `Job` of its own, with its attempts and errors.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Being rendered"
        ISSUED = "issued", "Issued"

    DOCUMENT_DIR = "documents"
    RENDER_TASK = ""  # the Celery task that renders it: its Job holds the attempts and errors

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to=issued_document_path, max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def render_job(self) -> Job | None:
        return Job.objects.filter(task=self.RENDER_TASK, target=str(self.pk)).first()


DOCUMENT_PIPELINE: dict[str, set[str]] = {
    IssuedDocument.Status.PENDING: {IssuedDocument.Status.ISSUED}
}
