"""Reads of the scheme monitor: capacity, sales against demand, the pools by financial year, service
levels and guarantees, each from the records that hold it (awards and plants, verified sales claims,
the ledger, sanction letters and payments, bank guarantees).

Two readers: `official_monitor` (every staff role; per-award figures included) and `public_monitor`
(anyone; aggregates only, see its docstring). Both build on the same figures, so the public page can
never show a total the official page does not.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Max, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from bidding import selectors as bidding_selectors
from bidding.models import Award, PerformanceBankGuarantee
from incentives.claims import feedstock as feedstock_reads
from incentives.claims.feedstock import QuarterShares
from incentives.claims.models import Claim
from incentives.claims.selectors import verification_sla
from incentives.models import EntryKind, LedgerEntry, Pool, SanctionLetter
from incentives.monitor.sales import QuarterSales, Sales, pct, sales
from incentives.selectors import payment_position
from incentives.sli.selectors import award_cap
from repm_portal import clock
from repm_portal.fiscal import FinancialYear
from repm_portal.models import RuleSet
from repm_portal.roles import READ_ALL_ROLES, AnyUser, require_role
from repm_portal.selectors import rule_set_in_force

ZERO = Decimal("0.00")
GUARANTEE_WINDOW_DAYS = 90
# A quarter's sales total is published only when at least this many beneficiaries make it up:
# below it, the total would be one firm's (or two firms' known to each other) sales.
PUBLIC_MIN_BENEFICIARIES = 3


# --- capacity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwardCapacity:
    award_id: int
    label: str
    bidder: str
    awarded_mtpa: int
    commissioned_mtpa: int
    stage: str  # "commissioned", "under construction", "awarded" (no plant yet)
    gestation_ends_on: dt.date | None
    commissioned_on: dt.date | None


@dataclass(frozen=True)
class Capacity:
    target_mtpa: int
    awards: list[AwardCapacity]

    def _sum(self, stage: str | None, attr: str = "awarded_mtpa") -> int:
        return sum(getattr(a, attr) for a in self.awards if stage is None or a.stage == stage)

    @property
    def awarded(self) -> int:
        return self._sum(None)

    @property
    def under_construction(self) -> int:
        return self._sum("under construction")

    @property
    def not_started(self) -> int:
        return self._sum("awarded")

    @property
    def commissioned(self) -> int:
        return self._sum("commissioned", "commissioned_mtpa")

    @property
    def awarded_pct(self) -> Decimal:
        return pct(Decimal(self.awarded), Decimal(self.target_mtpa))

    @property
    def commissioned_pct(self) -> Decimal:
        return pct(Decimal(self.commissioned), Decimal(self.target_mtpa))


def _local(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


def _awards(as_of: dt.date) -> list[Award]:
    awards = (
        Award.objects.select_related("tender", "bid__firm", "bid__consortium", "rule_set", "plant")
        .prefetch_related("rule_set__slabs")
        .order_by("tender_id", "rank")
    )
    return [a for a in awards if _local(a.awarded_at) <= as_of]


def _plant(award: Award) -> Any:
    return getattr(award, "plant", None)


def capacity(*, as_of: dt.date, rule_set: RuleSet) -> Capacity:
    """Each award's capacity and where its plant stands on `as_of`, against the target."""
    rows = []
    for award in _awards(as_of):
        plant = _plant(award)
        commissioned = (
            plant is not None and plant.commissioned_on and plant.commissioned_on <= as_of
        )
        rows.append(
            AwardCapacity(
                award_id=award.pk,
                label=award.label,
                bidder=award.bid.bidder_name,
                awarded_mtpa=award.allocated_mtpa,
                commissioned_mtpa=(plant.commissioned_mtpa or 0) if commissioned else 0,
                stage="commissioned"
                if commissioned
                else ("under construction" if plant is not None else "awarded"),
                gestation_ends_on=plant.gestation_ends_on if plant is not None else None,
                commissioned_on=plant.commissioned_on if commissioned else None,
            )
        )
    return Capacity(target_mtpa=rule_set.target_capacity_mtpa, awards=rows)


# --- the pools by financial year -----------------------------------------------------------------


@dataclass(frozen=True)
class PoolYear:
    financial_year: FinancialYear
    committed_to_date: Decimal  # the caps of the awards made by the year's end
    sanctioned: Decimal
    paid: Decimal
    sanctioned_to_date: Decimal
    paid_to_date: Decimal

    @property
    def label(self) -> str:
        return self.financial_year.label


@dataclass(frozen=True)
class AwardInPool:
    award_id: int
    label: str
    bidder: str
    committed: Decimal
    sanctioned: Decimal
    paid: Decimal


@dataclass(frozen=True)
class PoolView:
    pool: str
    label: str
    limit: Decimal
    years: list[PoolYear]
    awards: list[AwardInPool] = field(default_factory=list)

    @property
    def committed(self) -> Decimal:
        return self.years[-1].committed_to_date if self.years else ZERO

    @property
    def sanctioned(self) -> Decimal:
        return self.years[-1].sanctioned_to_date if self.years else ZERO

    @property
    def paid(self) -> Decimal:
        return self.years[-1].paid_to_date if self.years else ZERO

    @property
    def left(self) -> Decimal:
        return self.limit - self.sanctioned


def commitment(award: Award, pool: str) -> Decimal:
    """What the award may draw from the pool over the scheme, under the rules it was awarded by."""
    if pool == Pool.SLI:
        return award_cap(award, award.rule_set)
    return award.rule_set.slab_for_capacity(award.allocated_mtpa).capital_subsidy_cap


def _ledger_by_year(as_of: dt.date) -> dict[tuple[str, str, int, int], Decimal]:
    """{(pool, account, award id, FY start year): sum} of sanctions and payments posted by `as_of`."""
    rows = (
        LedgerEntry.objects.filter(account__in=[EntryKind.SANCTION, EntryKind.PAYMENT])
        .annotate(day=TruncDate("posted_at", tzinfo=timezone.get_current_timezone()))
        .filter(day__lte=as_of)
        .values_list("pool", "account", "award_id", "day")
        .annotate(total=Sum("amount"))
    )
    sums: dict[tuple[str, str, int, int], Decimal] = defaultdict(lambda: ZERO)
    for pool, account, award_id, day, amount in rows:
        sums[(pool, account, award_id, FinancialYear.for_date(day).start_year)] += amount
    return sums


def financial_years(awards: list[Award], as_of: dt.date) -> list[FinancialYear]:
    """From the year of the first award to the year of `as_of`."""
    last = FinancialYear.for_date(as_of)
    first = min((FinancialYear.for_date(_local(a.awarded_at)) for a in awards), default=last)
    years = [first]
    while years[-1] < last:
        years.append(years[-1].next())
    return years


def pools(*, as_of: dt.date, rule_set: RuleSet, awards: list[Award]) -> list[PoolView]:
    """Each pool: committed (awards' caps), sanctioned and paid per financial year, and to date."""
    sums = _ledger_by_year(as_of)
    years = financial_years(awards, as_of)
    views = []
    for pool in Pool:
        caps = {a.pk: commitment(a, pool) for a in awards}
        rows = []
        sanctioned_to_date = paid_to_date = ZERO
        for fy in years:
            in_year = {
                account: sum(
                    (
                        v
                        for (p, acc, _, y), v in sums.items()
                        if p == pool and acc == account and y == fy.start_year
                    ),
                    ZERO,
                )
                for account in (EntryKind.SANCTION, EntryKind.PAYMENT)
            }
            sanctioned_to_date += in_year[EntryKind.SANCTION]
            paid_to_date += in_year[EntryKind.PAYMENT]
            rows.append(
                PoolYear(
                    financial_year=fy,
                    committed_to_date=sum(
                        (caps[a.pk] for a in awards if _local(a.awarded_at) <= fy.end), ZERO
                    ),
                    sanctioned=in_year[EntryKind.SANCTION],
                    paid=in_year[EntryKind.PAYMENT],
                    sanctioned_to_date=sanctioned_to_date,
                    paid_to_date=paid_to_date,
                )
            )
        per_award = [
            AwardInPool(
                award_id=a.pk,
                label=a.label,
                bidder=a.bid.bidder_name,
                committed=caps[a.pk],
                sanctioned=sum(
                    (
                        v
                        for (p, acc, aid, _), v in sums.items()
                        if p == pool and acc == EntryKind.SANCTION and aid == a.pk
                    ),
                    ZERO,
                ),
                paid=sum(
                    (
                        v
                        for (p, acc, aid, _), v in sums.items()
                        if p == pool and acc == EntryKind.PAYMENT and aid == a.pk
                    ),
                    ZERO,
                ),
            )
            for a in awards
        ]
        limit = getattr(
            rule_set, {Pool.SLI: "sli_pool", Pool.CAPITAL_SUBSIDY: "capital_subsidy_pool"}[pool]
        )
        views.append(
            PoolView(pool=pool.value, label=pool.label, limit=limit, years=rows, awards=per_award)
        )
    return views


# --- service levels ----------------------------------------------------------------------------


@dataclass
class ServiceYear:
    financial_year: FinancialYear
    verification_met: int = 0
    verification_missed: int = 0
    verification_open: int = 0  # waiting, still within the service level
    verification_overdue: int = 0  # waiting, past it
    payment_met: int = 0
    payment_missed: int = 0
    payment_open: int = 0
    payment_overdue: int = 0

    @property
    def label(self) -> str:
        return self.financial_year.label


@dataclass(frozen=True)
class ServiceLevels:
    verification_days: int
    payment_days: int
    years: list[ServiceYear]
    overdue_letters: list[tuple[str, str, int]]  # (letter number, bidder, days) for officials


def _letters(as_of: dt.date) -> list[SanctionLetter]:
    """Letters dated by `as_of` that neither reverse nor were reversed, with what was paid by then."""
    paid_by = Q(payments__paid_on__lte=as_of)
    return list(
        SanctionLetter.objects.filter(
            reverses__isnull=True, reversed_by__isnull=True, amount__gt=0, dated__lte=as_of
        )
        .select_related("award__bid__firm", "award__bid__consortium", "rule_set")
        .annotate(
            paid=Coalesce(Sum("payments__amount", filter=paid_by), Value(ZERO)),
            last_paid_on=Max("payments__paid_on", filter=paid_by),
        )
        .order_by("dated", "pk")
    )


def service_levels(
    *, as_of: dt.date, rule_set: RuleSet, years: list[FinancialYear]
) -> ServiceLevels:
    """Sales claims verified within their service level (days from submission to verification) and
    sanction letters paid within theirs (days from the letter to full payment), by financial year of
    the submission or the letter; the waiting ones counted as open or overdue on `as_of`."""
    table = {fy.start_year: ServiceYear(fy) for fy in years}

    def row(day: dt.date) -> ServiceYear:
        fy = FinancialYear.for_date(day)
        return table.setdefault(fy.start_year, ServiceYear(fy))

    moment = dt.datetime.combine(as_of, dt.time(23, 59), tzinfo=timezone.get_current_timezone())
    claims = Claim.objects.filter(submitted_at__isnull=False).select_related("rule_set")
    for claim in claims:
        if claim.submitted_at is None or _local(claim.submitted_at) > as_of:
            continue
        sla = verification_sla(claim, now=moment)
        if sla is None:
            continue
        target = row(sla.submitted_on)
        if sla.pending or (claim.verified_at and _local(claim.verified_at) > as_of):
            if sla.overdue:
                target.verification_overdue += 1
            else:
                target.verification_open += 1
        elif sla.overdue:
            target.verification_missed += 1
        else:
            target.verification_met += 1
    overdue = []
    for letter in _letters(as_of):
        position = payment_position(letter, today=as_of)
        target = row(letter.dated)
        if position.pending <= 0:
            if position.days > position.sla_days:
                target.payment_missed += 1
            else:
                target.payment_met += 1
        elif position.overdue:
            target.payment_overdue += 1
            overdue.append((letter.number, letter.award.bid.bidder_name, position.days))
        else:
            target.payment_open += 1
    return ServiceLevels(
        verification_days=rule_set.verification_sla_days,
        payment_days=rule_set.payment_sla_days,
        years=[table[k] for k in sorted(table)],
        overdue_letters=overdue,
    )


# --- guarantees --------------------------------------------------------------------------------


@dataclass(frozen=True)
class GuaranteeDue:
    label: str
    bidder: str
    bank_name: str
    guarantee_number: str
    amount: Decimal
    valid_until: dt.date
    days_left: int


def guarantees_expiring(*, as_of: dt.date) -> list[GuaranteeDue]:
    moment = dt.datetime.combine(as_of, dt.time(12, 0), tzinfo=timezone.get_current_timezone())
    found: list[PerformanceBankGuarantee] = list(
        bidding_selectors.guarantees_expiring(within_days=GUARANTEE_WINDOW_DAYS, now=moment)
    )
    return [
        GuaranteeDue(
            label=g.award.label,
            bidder=g.award.bid.bidder_name,
            bank_name=g.bank_name,
            guarantee_number=g.guarantee_number,
            amount=g.amount,
            valid_until=g.valid_until,
            days_left=(g.valid_until - as_of).days,
        )
        for g in found
    ]


# --- feedstock ---------------------------------------------------------------------------------


def feedstock_shares(*, as_of: dt.date, public: bool) -> list[QuarterShares]:
    """Share of magnets by NdPr oxide source per claim quarter, of the verified claims
    (`incentives.claims.feedstock.source_shares_by_quarter`), quarters begun by `as_of`.

    Officials see every quarter with a declaration; the public only quarters whose verified claims
    come from at least PUBLIC_MIN_BENEFICIARIES awards, the rule the sales per quarter follow (the
    feedstock reads count awards, as the sales do), so a quarter one firm (or two) makes up is left
    out. The declarations are read as they stand today: a claim verified after `as_of` counts in
    the quarter it claims for.
    """
    found = feedstock_reads.source_shares_by_quarter(
        min_awards=PUBLIC_MIN_BENEFICIARIES if public else 1
    )
    return [q for q in found if q.start <= as_of]


# --- the two readers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Monitor:
    as_of: dt.date
    rule_set: RuleSet
    capacity: Capacity
    sales: Sales
    pools: list[PoolView]
    service: ServiceLevels
    guarantees: list[GuaranteeDue]
    feedstock: list[QuarterShares]
    public: bool = False


def _build(as_of: dt.date, *, public: bool) -> Monitor:
    rule_set = rule_set_in_force(on=as_of)
    awards = _awards(as_of)
    years = financial_years(awards, as_of)
    return Monitor(
        as_of=as_of,
        rule_set=rule_set,
        capacity=capacity(as_of=as_of, rule_set=rule_set),
        sales=sales(as_of=as_of, rule_set=rule_set, awards=awards),
        pools=pools(as_of=as_of, rule_set=rule_set, awards=awards),
        service=service_levels(as_of=as_of, rule_set=rule_set, years=years),
        guarantees=guarantees_expiring(as_of=as_of),
        feedstock=feedstock_shares(as_of=as_of, public=public),
        public=public,
    )


def official_monitor(user: AnyUser, *, as_of: dt.date | None = None) -> Monitor:
    """The whole monitor with per-award figures: every staff role, no firm."""
    require_role(user, *READ_ALL_ROLES, action="see the scheme monitor")
    return _build(as_of or clock.today(), public=False)


def public_monitor(*, as_of: dt.date | None = None) -> Monitor:
    """The monitor for anyone, without a firm-confidential figure. The rule:

    - aggregates only, summed over every award: no row, label or name of a single firm;
    - no quoted rate (before or after award), hence no award's SLI cap either; the pools show
      their limit, sanctioned and paid, and the sum of every award's commitment;
    - no claim line, invoice or buyer; a quarter's sales total only where at least
      PUBLIC_MIN_BENEFICIARIES beneficiaries make it up (else it is withheld, as one firm's
      sales would be);
    - no bank detail: guarantees expiring as a count and a total, no bank, number or firm;
    - service levels as counts, without the letters behind them;
    - the feedstock shares only of quarters of at least PUBLIC_MIN_BENEFICIARIES awards (the
      sales' rule), and imports by country not at all.
    The templates for the public page and its CSVs read only the aggregate fields; this function
    also strips the per-award lists, so nothing confidential reaches them at all.
    """
    full = _build(as_of or clock.today(), public=True)
    return Monitor(
        as_of=full.as_of,
        rule_set=full.rule_set,
        capacity=Capacity(
            target_mtpa=full.capacity.target_mtpa,
            awards=[_anonymous(a) for a in full.capacity.awards],
        ),
        sales=Sales(
            quarters=[_published(q) for q in full.sales.quarters],
            per_award=[],
            demand_rule_set=full.sales.demand_rule_set,
        ),
        pools=[
            PoolView(pool=p.pool, label=p.label, limit=p.limit, years=p.years, awards=[])
            for p in full.pools
        ],
        service=ServiceLevels(
            verification_days=full.service.verification_days,
            payment_days=full.service.payment_days,
            years=full.service.years,
            overdue_letters=[],
        ),
        guarantees=[
            GuaranteeDue(
                label="",
                bidder="",
                bank_name="",
                guarantee_number="",
                amount=g.amount,
                valid_until=g.valid_until,
                days_left=g.days_left,
            )
            for g in full.guarantees
        ],
        feedstock=full.feedstock,
        public=True,
    )


def _anonymous(row: AwardCapacity) -> AwardCapacity:
    return AwardCapacity(
        award_id=0,
        label="",
        bidder="",
        awarded_mtpa=row.awarded_mtpa,
        commissioned_mtpa=row.commissioned_mtpa,
        stage=row.stage,
        gestation_ends_on=None,
        commissioned_on=None,
    )


def _published(row: QuarterSales) -> QuarterSales:
    """The quarter as published: withheld (None figures) below the minimum number of firms."""
    if row.beneficiaries >= PUBLIC_MIN_BENEFICIARIES or row.beneficiaries == 0:
        return row
    return QuarterSales(
        quarter=row.quarter,
        kg=None,
        value=None,
        beneficiaries=row.beneficiaries,
        demand_tonnes=row.demand_tonnes,
    )
