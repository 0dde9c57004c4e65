"""Reads for the budget forecast: the engine's input from the awards, plants, claims and ledger.

The finance wing's view of the whole scheme, so only the read-all (staff) roles may ask; a firm
never sees it. The rule set is the version in force on the as-of date: the forecast cannot know
a later amendment, and says which version it used.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from bidding.models import Award
from incentives.capital import selectors as capital_selectors
from incentives.capital.engine import slab_for
from incentives.capital.models import CapitalSubsidyClaim
from incentives.claims.models import Claim
from incentives.forecast.engine import ActualYear, AwardInput, ForecastInput, Scenario
from incentives.gestation.engine import gestation_end
from incentives.gestation.models import Milestone, Plant
from incentives.models import EntryKind, LedgerEntry, Pool
from incentives.recovery.models import Grounds, Recovery
from incentives.sli.models import QUARTER_CLAIM_TYPE, TrueUp
from incentives.sli.selectors import rules_of
from repm_portal.fiscal import FinancialYear
from repm_portal.models import RuleSet
from repm_portal.money import to_money
from repm_portal.roles import READ_ALL_ROLES, AnyUser, require_role
from repm_portal.selectors import rule_set_in_force

ZERO = Decimal("0.00")
# An SLI claim in one of these is in the ledger (or settled with nothing): not projected again.
_SLI_SETTLED = (Claim.Status.SANCTIONED, Claim.Status.PAID, Claim.Status.NIL)
_EXITED = (Recovery.Status.CONFIRMED, Recovery.Status.SETTLED)
# A year whose true-up is in the ledger (or settled with nothing): its held-back share is spent.
_TRUED_UP = (TrueUp.Status.SANCTIONED, TrueUp.Status.RECOVERED, TrueUp.Status.NIL)


def require_forecast_reader(user: AnyUser) -> None:
    require_role(user, *READ_ALL_ROLES, action="see the budget forecast")


@dataclass(frozen=True)
class ForecastSource:
    """The engine's input and where it came from, for the page to name."""

    data: ForecastInput
    rule_set: RuleSet


def actual_years() -> tuple[ActualYear, ...]:
    """The ledger's sanctioned and paid per pool and financial year, by posting date (IST), in one query."""
    rows = (
        LedgerEntry.objects.filter(account__in=[EntryKind.SANCTION, EntryKind.PAYMENT])
        .annotate(year=ExtractYear("posted_at"), month=ExtractMonth("posted_at"))
        .values("pool", "account", "year", "month")
        .annotate(total=Sum("amount"))
    )
    sums: dict[FinancialYear, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in rows:
        fy = FinancialYear.for_date(dt.date(row["year"], row["month"], 1))
        pool = "sli" if row["pool"] == Pool.SLI else "capital"
        paid = "paid" if row["account"] == EntryKind.PAYMENT else "sanctioned"
        sums[fy][f"{pool}_{paid}"] += row["total"]
    return tuple(
        ActualYear(financial_year=fy, **{k: to_money(v) for k, v in figures.items()})
        for fy, figures in sorted(sums.items())
    )


def _expected_commissioning(
    plant: Plant | None, planned: dt.date | None, award: Award, rule_set: RuleSet, today: dt.date
) -> tuple[dt.date, bool]:
    """The certificate's date, else the commissioning milestone's plan (or the end of gestation),
    never before tomorrow."""
    if plant is not None and plant.commissioned_on is not None:
        return plant.commissioned_on, True
    if plant is not None:
        expected = planned or plant.gestation_ends_on
    else:
        expected = gestation_end(award.awarded_at.date(), rule_set.gestation_months)
    return max(expected, today + dt.timedelta(days=1)), False


def _capital(
    award: Award, claims: list[CapitalSubsidyClaim], rule_set: RuleSet, sanctioned: Decimal
) -> tuple[Decimal, Decimal]:
    """(open claims' figure as the capital engine gives it now, the slab cap for an award yet to claim)."""
    pending = ZERO
    for claim in claims:
        if claim.status in CapitalSubsidyClaim.OPEN_STATUSES:
            estimate = capital_selectors.estimate(claim)
            if estimate is not None:
                pending += estimate.amount
    if claims:
        return pending, ZERO
    slab = slab_for(award.allocated_mtpa, capital_selectors.slabs_of(rule_set))
    return ZERO, max(ZERO, slab.cap - sanctioned)


def _sums_by_award(pool: str) -> dict[int, Decimal]:
    return dict(
        LedgerEntry.objects.filter(pool=pool, account=EntryKind.SANCTION)
        .values("award")
        .annotate(total=Sum("amount"))
        .values_list("award", "total")
    )


def true_up_due(rule_set: RuleSet) -> dict[int, tuple[tuple[dt.date, Decimal], ...]]:
    """Per award, the share its sanctioned quarters held back, for each year not yet trued up.

    A quarter releases the provisional share p of its figure, so the year's true-up has about
    release x (100 - p) / p still to release (it recomputes the year, so this is an estimate).
    The true-up falls due when the year's last claim window closes.
    """
    settled = {
        (award_id, year)
        for award_id, year in TrueUp.objects.filter(status__in=_TRUED_UP).values_list(
            "award_id", "financial_year"
        )
    }
    ends = dict(Claim.objects.filter(status__in=_SLI_SETTLED).values_list("pk", "period_end"))
    released = (
        LedgerEntry.objects.filter(
            pool=Pool.SLI, account=EntryKind.SANCTION, claim_type=QUARTER_CLAIM_TYPE
        )
        .values("award", "claim_id")
        .annotate(total=Sum("amount"))
    )
    share = rule_set.provisional_share_pct
    held: dict[int, dict[FinancialYear, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for row in released:
        period_end = ends.get(int(row["claim_id"]))
        if period_end is None or not share:
            continue
        fy = FinancialYear.for_date(period_end)
        if (row["award"], fy.label.removeprefix("FY ")) in settled:
            continue
        held[row["award"]][fy] += row["total"] * (100 - share) / share
    window = dt.timedelta(days=rule_set.claim_window_days)
    return {
        award_id: tuple(
            (fy.end + window, to_money(amount))
            for fy, amount in sorted(years.items())
            if amount > 0
        )
        for award_id, years in held.items()
    }


def award_inputs(rule_set: RuleSet, today: dt.date) -> tuple[AwardInput, ...]:
    awards = list(
        Award.objects.select_related("bid", "tender").order_by("tender__reference", "rank")
    )
    plants = {p.award_id: p for p in Plant.objects.filter(award__in=awards)}
    planned = dict(
        Milestone.objects.filter(
            plant__award__in=awards, kind=Milestone.Kind.COMMISSIONING
        ).values_list("plant__award_id", "planned_on")
    )
    capital_claims: dict[int, list[CapitalSubsidyClaim]] = defaultdict(list)
    for claim in CapitalSubsidyClaim.objects.filter(award__in=awards).select_related(
        "rule_set", "award"
    ):
        capital_claims[claim.award_id].append(claim)
    sanctioned = _sums_by_award(Pool.SLI)
    capital_sanctioned = _sums_by_award(Pool.CAPITAL_SUBSIDY)
    settled_to = dict(
        Claim.objects.filter(status__in=_SLI_SETTLED)
        .values("award")
        .annotate(last=Max("period_end"))
        .values_list("award", "last")
    )
    exited = set(
        Recovery.objects.filter(grounds=Grounds.EXIT, status__in=_EXITED).values_list(
            "award_id", flat=True
        )
    )
    due = true_up_due(rule_set)
    out = []
    for award in awards:
        plant = plants.get(award.pk)
        commissioning_on, commissioned = _expected_commissioning(
            plant, planned.get(award.pk), award, rule_set, today
        )
        pending, unclaimed = _capital(
            award,
            capital_claims[award.pk],
            rule_set,
            to_money(capital_sanctioned.get(award.pk) or ZERO),
        )
        last = settled_to.get(award.pk)
        out.append(
            AwardInput(
                award_id=award.pk,
                label=f"{award.label} {award.bid.bidder_name}",
                capacity_mtpa=award.allocated_mtpa,
                plant_mtpa=plant.commissioned_mtpa if plant else None,
                rate=award.quoted_rate,
                gestation_ends_on=(
                    plant.gestation_ends_on
                    if plant
                    else gestation_end(award.awarded_at.date(), rule_set.gestation_months)
                ),
                commissioning_on=commissioning_on,
                commissioned=commissioned,
                sli_sanctioned=to_money(sanctioned.get(award.pk) or ZERO),
                sli_from=last + dt.timedelta(days=1) if last else None,
                capital_pending=pending,
                capital_unclaimed=unclaimed,
                exited=award.pk in exited,
                true_up_due=due.get(award.pk, ()),
            )
        )
    return tuple(out)


def forecast_input(user: AnyUser, *, scenario: Scenario, today: dt.date) -> ForecastSource:
    """The forecast's input as the database stands on `today`, for a staff user."""
    require_forecast_reader(user)
    rule_set = rule_set_in_force(on=today)
    data = ForecastInput(
        as_of=today,
        rules=rules_of(rule_set),
        sli_months=rule_set.sli_months,
        capital_pool=rule_set.capital_subsidy_pool,
        awards=award_inputs(rule_set, today),
        actuals=actual_years(),
        scenario=scenario,
    )
    return ForecastSource(data=data, rule_set=rule_set)


__all__ = [
    "ForecastSource",
    "actual_years",
    "award_inputs",
    "forecast_input",
    "require_forecast_reader",
]
