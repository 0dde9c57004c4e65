"""Reads of the sales-linked incentive: a claim period's engine inputs from the database, and what is due.

The inputs are read from the ledger as it stands, or as it stood up to a ledger entry id
(`as_of`), so a replay can rebuild what a sanction saw. Called under the SLI pool's lock when
the figure is to be spent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Q, QuerySet, Sum

from bidding.models import Award
from incentives.claims.models import Claim
from incentives.claims.selectors import periods_of, rule_set_for, verified_totals
from incentives.gestation.models import Plant
from incentives.models import EntryKind, LedgerEntry, Pool
from incentives.sli.engine import PeriodKind, SliPeriod, SliRules, scheme_year_of
from incentives.sli.models import QUARTER_CLAIM_TYPE, TRUE_UP_CLAIM_TYPE, TrueUp
from repm_portal.fiscal import FinancialYear
from repm_portal.models import RuleSet
from repm_portal.money import to_money

ZERO = Decimal("0.00")
S = Claim.Status
# A claim whose outcome is final: the year it ends in can be trued up once all of its are.
SETTLED = (S.SANCTIONED, S.PAID, S.NIL, S.REJECTED, S.LAPSED)
# The claims whose verified sales count in the year's totals: approved, whatever they released.
COUNTED = (S.SANCTIONED, S.PAID, S.NIL)
_FY_LABEL = re.compile(r"([0-9]{4})-([0-9]{2})")


# --- the ledger, as it stands or as it stood --------------------------------------------------


def ledger_mark() -> int:
    """The last ledger entry id: what a computation read up to."""
    return LedgerEntry.objects.aggregate(mark=Max("id"))["mark"] or 0


def _entries(as_of: int | None) -> QuerySet[LedgerEntry]:
    query = LedgerEntry.objects.all()
    return query if as_of is None else query.filter(id__lte=as_of)


def _sum(query: QuerySet[LedgerEntry]) -> Decimal:
    return to_money(query.aggregate(total=Sum("amount"))["total"] or ZERO)


def _sli_sanctioned(as_of: int | None) -> QuerySet[LedgerEntry]:
    """SLI sanctions, net of their reversals."""
    return _entries(as_of).filter(pool=Pool.SLI, account=EntryKind.SANCTION)


def _own(claim_type: str, claim_id: int) -> Q:
    return Q(claim_type=claim_type, claim_id=str(claim_id))


def pending_deductions(award: Award, *, as_of: int | None = None) -> Decimal:
    """The award's penalties and recoveries still to be netted (as `ledger.outstanding_deductions`)."""
    return _sum(
        _entries(as_of).filter(award=award, account__in=[EntryKind.PENALTY, EntryKind.RECOVERY])
    )


def sli_sanctioned(award: Award | None = None, *, as_of: int | None = None) -> Decimal:
    query = _sli_sanctioned(as_of)
    return _sum(query if award is None else query.filter(award=award))


# --- rules and awards --------------------------------------------------------------------------


def rules_of(rule_set: RuleSet) -> SliRules:
    return SliRules(
        turnover_cap_pct=rule_set.turnover_cap_pct,
        taper=tuple(rule_set.taper),
        provisional_share_pct=rule_set.provisional_share_pct,
        sli_pool=rule_set.sli_pool,
        award_cap_years=rule_set.sli_years,
    )


def award_cap(award: Award, rule_set: RuleSet) -> Decimal:
    """r x C x 1000 x the rule set's SLI years: the award's cumulative SLI cap."""
    return to_money(award.quoted_rate * award.allocated_mtpa * 1000 * rule_set.sli_years)


def plant_of(award: Award) -> Plant:
    plant = Plant.objects.filter(award=award).first()
    if plant is None:
        raise LookupError(f"{award} has no plant; its SLI cannot be computed.")
    return plant


# --- a quarter ---------------------------------------------------------------------------------


def period_input(
    claim: Claim, *, as_of: int | None = None, rule_set: RuleSet | None = None
) -> SliPeriod:
    """The engine's input for a quarter claim, from the database (or the ledger up to `as_of`).

    The rules are the claim's rule set (in force on its period end) unless `rule_set` names
    the version a replay recorded. What was sanctioned "before" is everyone's SLI but this
    claim's own (a correcting letter recomputes the claim while its first sanction stands).
    """
    award = claim.award
    rule_set = rule_set or claim.rule_set
    plant = plant_of(award)
    eligible_kg, net_sales_value = verified_totals(claim)
    others = _sli_sanctioned(as_of).exclude(_own(QUARTER_CLAIM_TYPE, claim.pk))
    return SliPeriod(
        kind=PeriodKind.QUARTER,
        period_start=claim.period_start,
        period_end=claim.period_end,
        scheme_year=scheme_year_of(claim.period_end, plant.gestation_ends_on, rule_set.sli_months),
        rate=award.quoted_rate,
        capacity_mtpa=award.allocated_mtpa,
        eligible_kg=eligible_kg,
        net_sales_value=net_sales_value,
        award_sanctioned_before=_sum(others.filter(award=award)),
        pool_sanctioned_before=_sum(others),
        pending_deductions=pending_deductions(award, as_of=as_of),
        rules=rules_of(rule_set),
    )


def verified_claims_of_quarter(period_end: dt.date) -> QuerySet[Claim]:
    """The quarter's verified claims (waiting for approval), in the order they came in."""
    return (
        Claim.objects.filter(period_end=period_end, status=S.VERIFIED)
        .select_related("award__plant", "award__tender", "award__bid", "rule_set")
        .order_by("pk")
    )


def quarters_with_verified_claims() -> list[dt.date]:
    return sorted(
        Claim.objects.filter(status=S.VERIFIED).values_list("period_end", flat=True).distinct()
    )


# --- the annual true-up ------------------------------------------------------------------------


def financial_year(label: str) -> FinancialYear:
    """The financial year a label such as "2029-30" names; ValueError otherwise."""
    match = _FY_LABEL.fullmatch(label)
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValueError(f'{label!r} is not a financial year such as "2029-30"')
    return FinancialYear(int(match[1]))


def year_label(year: FinancialYear) -> str:
    return f"{year.start_year}-{(year.start_year + 1) % 100:02d}"


def year_claims(award: Award, year: FinancialYear) -> list[Claim]:
    return list(
        Claim.objects.filter(
            award=award, period_end__gte=year.start, period_end__lte=year.end
        ).select_related("award__plant", "rule_set")
    )


def unsettled(award: Award, year: FinancialYear, *, today: dt.date) -> list[str]:
    """Why the award's year cannot be trued up yet: empty once every period ending in it is settled.

    A period is settled when its claim is (sanctioned, paid, nil, rejected, lapsed), or when it
    has no claim and its window has closed.
    """
    claims = {claim.period_start: claim for claim in year_claims(award, year)}
    reasons = []
    for period in periods_of(award):
        if period.ends_on not in year:
            continue
        claim = claims.get(period.starts_on)
        if claim is not None:
            if claim.status not in SETTLED:
                reasons.append(
                    f"the claim for {claim.quarter_label} is {claim.get_status_display().lower()}"
                )
            continue
        closes = period.window_closes_on(rule_set_for(period, award=award).claim_window_days)
        if today <= closes:
            reasons.append(f"the window for {period.label} is open until {closes:%d %b %Y}")
    return reasons


@dataclass(frozen=True)
class TrueUpScope:
    """What a true-up covers: the year's counted claims and the rule set in force on its last day."""

    award: Award
    year: FinancialYear
    claims: list[Claim]
    rule_set: RuleSet

    @property
    def period_start(self) -> dt.date:
        return self.claims[0].period_start

    @property
    def period_end(self) -> dt.date:
        return self.claims[-1].period_end


def true_up_scope(award: Award, year: FinancialYear) -> TrueUpScope | None:
    """None when no claim of the year was approved: there is nothing to true up."""
    counted = sorted(
        (claim for claim in year_claims(award, year) if claim.status in COUNTED),
        key=lambda claim: claim.period_start,
    )
    if not counted:
        return None
    return TrueUpScope(award=award, year=year, claims=counted, rule_set=counted[-1].rule_set)


def released_in_year(scope: TrueUpScope, *, as_of: int | None = None) -> Decimal:
    """What the year's quarters released (their SLI sanctions, net of reversals), before deductions."""
    return _sum(_year_releases(scope, as_of))


def _year_releases(scope: TrueUpScope, as_of: int | None) -> QuerySet[LedgerEntry]:
    return _sli_sanctioned(as_of).filter(
        claim_type=QUARTER_CLAIM_TYPE, claim_id__in=[str(claim.pk) for claim in scope.claims]
    )


def true_up_input(
    scope: TrueUpScope, *, true_up_id: int | None = None, as_of: int | None = None
) -> SliPeriod:
    """The engine's input for the annual true-up of `scope` (SCHEME.md section 4, last paragraph).

    The year's totals are the sums of its counted claims' verified totals; what was sanctioned
    "before" leaves out the year's own quarters (they come in as `released_in_year`) and any
    earlier letter of this true-up itself.
    """
    award, rule_set = scope.award, scope.rule_set
    plant = plant_of(award)
    kg, value = ZERO, ZERO
    for claim in scope.claims:
        eligible_kg, net_sales_value = verified_totals(claim)
        kg += eligible_kg
        value += net_sales_value
    releases = _year_releases(scope, as_of)
    others = _sli_sanctioned(as_of).exclude(pk__in=releases.values("pk"))
    if true_up_id is not None:
        others = others.exclude(_own(TRUE_UP_CLAIM_TYPE, true_up_id))
    return SliPeriod(
        kind=PeriodKind.TRUE_UP,
        period_start=scope.period_start,
        period_end=scope.period_end,
        scheme_year=scheme_year_of(scope.period_end, plant.gestation_ends_on, rule_set.sli_months),
        rate=award.quoted_rate,
        capacity_mtpa=award.allocated_mtpa,
        eligible_kg=kg,
        net_sales_value=value,
        award_sanctioned_before=_sum(others.filter(award=award)),
        pool_sanctioned_before=_sum(others),
        pending_deductions=pending_deductions(award, as_of=as_of),
        released_in_year=_sum(releases),
        rules=rules_of(rule_set),
    )


def due_true_ups(*, today: dt.date, limit: int = 100) -> list[tuple[Award, FinancialYear]]:
    """Award-years ended, settled and approved at least once, with no true-up yet: at most `limit`."""
    done = set(TrueUp.objects.values_list("award_id", "financial_year"))
    pairs = sorted(
        {
            (award_id, FinancialYear.for_date(period_end))
            for award_id, period_end in Claim.objects.filter(status__in=COUNTED).values_list(
                "award_id", "period_end"
            )
        }
    )
    awards = Award.objects.in_bulk({award_id for award_id, _ in pairs})
    due = []
    for award_id, year in pairs:
        if (award_id, year_label(year)) in done or year.end >= today:
            continue
        award = awards[award_id]
        if not unsettled(award, year, today=today):
            due.append((award, year))
            if len(due) >= limit:
                break
    return due


__all__ = [
    "COUNTED",
    "SETTLED",
    "TrueUpScope",
    "award_cap",
    "due_true_ups",
    "financial_year",
    "ledger_mark",
    "pending_deductions",
    "period_input",
    "plant_of",
    "quarters_with_verified_claims",
    "released_in_year",
    "rules_of",
    "sli_sanctioned",
    "true_up_input",
    "true_up_scope",
    "unsettled",
    "verified_claims_of_quarter",
    "year_claims",
    "year_label",
]
