"""The budget forecast: SLI and capital subsidy outflow per financial year to the scheme's end.

Pure: plain values in, frozen dataclasses out (no Django, no ORM). Every projected quarter is run
through the real SLI engine (`incentives.sli.engine.compute`), so the capacity cap, the taper, the
turnover cap, the award's cumulative cap and the pool apply exactly as they do to a claim; the
claim periods are the claims app's own (`incentives.claims.periods.claim_periods`).

What the forecast assumes, per award still in the scheme:
- production and sales in each claim period = capacity x 1,000 kg x days / days of its financial
  year x utilisation x ramp, where the ramp is n / ramp_quarters in the n-th period from
  commissioning (1 from then on; 1 at once for a ramp of 0 quarters), rounded half up to the gram;
- net sales value = that kg x the scenario's price, to the paisa;
- a period's SLI (the engine's figure before the pool, the whole year's worth: the provisional
  share and the true-up's balance together) goes out `payment_lag_months` after the period ends,
  or at once if that date has passed;
- the share held back from quarters already sanctioned, in years not yet trued up, goes out the
  lag after that year's true-up falls due, and counts against the caps before any projection;
- capital subsidy still to come (open claims, and what the slab cap leaves) goes out the lag after
  commissioning, or after the as-of date if that is later.
Financial years up to the current one hold the ledger's actuals (sanctioned and paid); what is
projected to go out after the as-of date is added to the year it falls in.

A pool's exhaustion compares the cumulative outflow (sanctioned, then projected demand) with the
pool: the demand a pool cannot meet is what the real engine would refuse to sanction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from incentives.claims.periods import claim_periods, sli_term_ends_on
from incentives.sli.engine import PeriodKind, SliPeriod, SliRules, compute, scheme_year_of
from repm_portal.fiscal import FinancialYear, add_months

ZERO = Decimal("0.00")
_KG_PER_TONNE = 1000
_MONEY_LIMIT = Decimal(10) ** 16
MAX_RAMP_QUARTERS = 20
MAX_LAG_MONTHS = 24

SLI = "sli"
CAPITAL = "capital_subsidy"


class ScenarioError(ValueError):
    """A scenario input the forecast refuses, naming the field as the form spells it."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


def _paise(value: Fraction) -> Decimal:
    """An exact non-negative amount rounded half up to the paisa, in integers (nothing rounds on the way)."""
    scaled = value * 100
    whole = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(whole).scaleb(-2)


def _grams(value: Fraction) -> Decimal:
    scaled = value * 1000
    whole = (2 * scaled.numerator + scaled.denominator) // (2 * scaled.denominator)
    return Decimal(whole).scaleb(-3)


def _whole(value: object, key: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(key, f"must be a whole number, not {type(value).__name__}")
    if not low <= value <= high:
        raise ScenarioError(key, f"must be from {low} to {high}, not {value}")
    return value


def _amount(value: object, key: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        extra = " (a float is not exact)" if isinstance(value, float) else ""
        raise ScenarioError(key, f"must be a Decimal or int, not {type(value).__name__}{extra}")
    number = Decimal(value)
    if not number.is_finite():
        raise ScenarioError(key, f"must be a finite number, not {value}")
    return number


@dataclass(frozen=True, kw_only=True)
class Scenario:
    """What an official changes on the page: how fast and how full the plants run, and at what price."""

    ramp_quarters: int = 4
    utilisation_pct: Decimal = Decimal(80)
    price_per_kg: Decimal = Decimal(7000)
    payment_lag_months: int = 2

    def __post_init__(self) -> None:
        put = object.__setattr__
        _whole(self.ramp_quarters, "ramp_quarters", 0, MAX_RAMP_QUARTERS)
        _whole(self.payment_lag_months, "payment_lag_months", 0, MAX_LAG_MONTHS)
        utilisation = _amount(self.utilisation_pct, "utilisation_pct")
        if not 0 < utilisation <= 100:
            raise ScenarioError(
                "utilisation_pct",
                f"must be a percentage above 0 and at most 100, not {utilisation}",
            )
        put(self, "utilisation_pct", utilisation)
        price = _amount(self.price_per_kg, "price_per_kg")
        if price <= 0:
            raise ScenarioError("price_per_kg", f"must be above Rs 0/kg, not {price}")
        if price >= _MONEY_LIMIT:
            raise ScenarioError("price_per_kg", f"must be under {_MONEY_LIMIT:,}")
        if (Fraction(price) * 100).denominator != 1:
            raise ScenarioError("price_per_kg", "must be whole paise (at most 2 decimal places)")
        put(self, "price_per_kg", price)


@dataclass(frozen=True, kw_only=True)
class AwardInput:
    """One award as the forecast sees it: its plant's dates, and what the ledger already holds."""

    award_id: int
    label: str
    capacity_mtpa: int  # allocated: the capacity and award caps read it
    rate: Decimal  # the quoted SLI rate, Rs/kg
    gestation_ends_on: dt.date
    commissioning_on: dt.date  # the commissioning date, or the one expected
    commissioned: bool  # whether commissioning_on is the certificate's date
    sli_sanctioned: Decimal  # to date, net of reversals: what the award's cap has used
    sli_from: dt.date | None = None  # the first day not in the ledger; None: all of the term
    capital_pending: Decimal = ZERO  # open capital claims, as the capital engine would figure them
    capital_unclaimed: Decimal = ZERO  # the slab cap left after what is sanctioned and pending
    exited: bool = False  # out of the scheme: nothing more is projected
    plant_mtpa: int | None = None  # what the plant was commissioned at, if less: what it can make
    # The share of sanctioned quarters held back for years not yet trued up: (the day the year's
    # true-up falls due, the amount). It goes out the lag after that day.
    true_up_due: tuple[tuple[dt.date, Decimal], ...] = ()

    @property
    def producing_mtpa(self) -> int:
        return self.capacity_mtpa if self.plant_mtpa is None else self.plant_mtpa


@dataclass(frozen=True, kw_only=True)
class ActualYear:
    """The ledger's sums for one financial year, by the day each entry was posted."""

    financial_year: FinancialYear
    sli_sanctioned: Decimal = ZERO
    sli_paid: Decimal = ZERO
    capital_sanctioned: Decimal = ZERO
    capital_paid: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class ForecastInput:
    as_of: dt.date
    rules: SliRules
    sli_months: int
    capital_pool: Decimal
    awards: tuple[AwardInput, ...]
    actuals: tuple[ActualYear, ...]
    scenario: Scenario

    @property
    def sli_pool(self) -> Decimal:
        return self.rules.sli_pool


# --- output ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProjectedPeriod:
    """One award's claim period as projected, with what the engine made of it."""

    award_id: int
    label: str
    starts_on: dt.date
    ends_on: dt.date
    paid_on: dt.date
    ramp_pct: Decimal
    kg: Decimal
    net_sales_value: Decimal
    gross: Decimal
    sli: Decimal  # the engine's figure before the pool: what the period would call on
    within_pool: Decimal  # what the pool could still meet
    turnover_cap_binds: bool
    award_cap_binds: bool


@dataclass(frozen=True, kw_only=True)
class YearRow:
    financial_year: FinancialYear
    actual: bool  # the year has begun: its ledger figures are actuals
    current: bool  # the year of the as-of date: actuals to date, projections after
    sli_sanctioned: Decimal
    sli_paid: Decimal
    sli_projected: Decimal
    capital_sanctioned: Decimal
    capital_paid: Decimal
    capital_projected: Decimal
    sli_cumulative: Decimal
    capital_cumulative: Decimal
    sli_headroom: Decimal  # the pool less the cumulative: negative once it is exceeded
    capital_headroom: Decimal

    @property
    def label(self) -> str:
        return self.financial_year.label

    @property
    def basis(self) -> str:
        if self.current:
            return "actual to date and projected"
        return "actual" if self.actual else "projected"

    @property
    def sli_total(self) -> Decimal:
        return self.sli_sanctioned + self.sli_projected

    @property
    def capital_total(self) -> Decimal:
        return self.capital_sanctioned + self.capital_projected


@dataclass(frozen=True, kw_only=True)
class PoolRisk:
    pool: str
    limit: Decimal
    total: Decimal  # cumulative to the scheme's end
    exhausted_in: FinancialYear | None  # the first year whose cumulative exceeds the limit
    excess_in_year: Decimal  # by how much, at the end of that year
    excess: Decimal  # by how much at the scheme's end (0 if never)
    headroom: Decimal  # what is left at the scheme's end (0 if exhausted)

    @property
    def exhausted(self) -> bool:
        return self.exhausted_in is not None

    @property
    def used_pct(self) -> Decimal:
        if not self.limit:
            return ZERO
        return _paise(Fraction(self.total) * 100 / Fraction(self.limit))


@dataclass(frozen=True, kw_only=True)
class Forecast:
    scenario: Scenario
    as_of: dt.date
    rows: tuple[YearRow, ...]
    periods: tuple[ProjectedPeriod, ...]
    sli: PoolRisk
    capital: PoolRisk
    scheme_ends_on: dt.date | None

    true_up_due: Decimal  # the held-back shares of sanctioned quarters still to be trued up

    @property
    def turnover_cap_periods(self) -> int:
        return sum(p.turnover_cap_binds for p in self.periods)

    @property
    def projected_years(self) -> tuple[FinancialYear, ...]:
        """The years projected quarters are paid in."""
        return tuple(sorted({FinancialYear.for_date(p.paid_on) for p in self.periods}))

    def by_award(self) -> tuple[AwardYears, ...]:
        """Each award's projected quarters summed by the year they are paid in (true-ups aside)."""
        years = self.projected_years
        found: dict[int, AwardYears] = {}
        for period in self.periods:
            entry = found.setdefault(
                period.award_id,
                AwardYears(label=period.label, amounts=dict.fromkeys(years, ZERO)),
            )
            fy = FinancialYear.for_date(period.paid_on)
            entry.amounts[fy] += period.sli
        return tuple(found.values())


@dataclass(frozen=True)
class AwardYears:
    label: str
    amounts: dict[FinancialYear, Decimal]

    @property
    def cells(self) -> list[Decimal]:
        return list(self.amounts.values())

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), start=ZERO)


# --- the projection ----------------------------------------------------------------------------


def _ramp(n: int, ramp_quarters: int) -> Fraction:
    if ramp_quarters == 0:
        return Fraction(1)
    return min(Fraction(1), Fraction(n, ramp_quarters))


def _paid_on(day: dt.date, lag_months: int, as_of: dt.date) -> dt.date:
    """When money due `day` goes out: the lag after it, and never before the day after the as-of date."""
    return max(add_months(day, lag_months), as_of + dt.timedelta(days=1))


def _held_back(award: AwardInput) -> Decimal:
    if award.exited:
        return ZERO
    return sum((amount for _, amount in award.true_up_due), start=ZERO)


def _sli_periods(data: ForecastInput) -> list[ProjectedPeriod]:
    """Every award's claim periods not yet in the ledger, through the SLI engine in order of period end.

    Each period sees what the ones before it would take from its award's cap and from the pool, as
    the SLI selectors' figures_in_order does for claims waiting together.
    """
    s = data.scenario
    candidates: list[tuple[dt.date, int, int, AwardInput, dt.date, dt.date]] = []
    for award in data.awards:
        if award.exited:
            continue
        periods = claim_periods(
            commissioned_on=award.commissioning_on,
            gestation_ends_on=award.gestation_ends_on,
            sli_months=data.sli_months,
        )
        for n, period in enumerate(periods, start=1):
            if award.sli_from is not None and period.starts_on < award.sli_from:
                continue
            candidates.append(
                (period.ends_on, award.award_id, n, award, period.starts_on, period.ends_on)
            )
    candidates.sort(key=lambda c: (c[0], c[1]))

    # What is sanctioned, and the true-up balances still to come, count against the caps first.
    pool_before = sum((a.sli_sanctioned + _held_back(a) for a in data.awards), start=ZERO)
    award_before: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for a in data.awards:
        award_before[a.award_id] = _held_back(a)
    out = []
    for _, award_id, n, award, starts_on, ends_on in candidates:
        fy = FinancialYear.for_date(ends_on)
        ramp = _ramp(n, s.ramp_quarters)
        days = (ends_on - starts_on).days + 1
        kg = _grams(
            Fraction(award.producing_mtpa * _KG_PER_TONNE * days, fy.days)
            * Fraction(s.utilisation_pct)
            / 100
            * ramp
        )
        net_sales_value = _paise(Fraction(kg) * Fraction(s.price_per_kg))
        result = compute(
            SliPeriod(
                kind=PeriodKind.QUARTER,
                period_start=starts_on,
                period_end=ends_on,
                scheme_year=scheme_year_of(ends_on, award.gestation_ends_on, data.sli_months),
                rate=award.rate,
                capacity_mtpa=award.capacity_mtpa,
                eligible_kg=kg,
                net_sales_value=net_sales_value,
                award_sanctioned_before=award.sli_sanctioned + award_before[award_id],
                pool_sanctioned_before=min(pool_before, _MONEY_LIMIT - 1),
                pending_deductions=ZERO,
                rules=data.rules,
            )
        )
        demand = _paise(result.after_award_cap)
        within = _paise(result.after_pool)
        award_before[award_id] += demand
        pool_before += demand
        out.append(
            ProjectedPeriod(
                award_id=award_id,
                label=award.label,
                starts_on=starts_on,
                ends_on=ends_on,
                paid_on=_paid_on(ends_on, s.payment_lag_months, data.as_of),
                ramp_pct=_paise(ramp * 100),
                kg=kg,
                net_sales_value=net_sales_value,
                gross=_paise(result.gross),
                sli=demand,
                within_pool=within,
                turnover_cap_binds=result.turnover_cap < result.gross,
                award_cap_binds=result.award_cap_left < result.after_turnover_cap,
            )
        )
    return out


def _capital_outflows(data: ForecastInput) -> list[tuple[dt.date, Decimal]]:
    lag = data.scenario.payment_lag_months
    out = []
    for award in data.awards:
        if award.exited:
            continue
        amount = award.capital_pending + award.capital_unclaimed
        if amount > 0:
            out.append((_paid_on(award.commissioning_on, lag, data.as_of), amount))
    return out


def _risk(pool: str, limit: Decimal, rows: list[YearRow]) -> PoolRisk:
    cumulative = "sli_cumulative" if pool == SLI else "capital_cumulative"
    total = getattr(rows[-1], cumulative) if rows else ZERO
    first = next((row for row in rows if getattr(row, cumulative) > limit), None)
    return PoolRisk(
        pool=pool,
        limit=limit,
        total=total,
        exhausted_in=first.financial_year if first else None,
        excess_in_year=getattr(first, cumulative) - limit if first else ZERO,
        excess=max(ZERO, total - limit),
        headroom=max(ZERO, limit - total),
    )


def forecast(data: ForecastInput) -> Forecast:
    """Actuals to the current year, projections after, cumulative against each pool, and the risk."""
    periods = _sli_periods(data)
    capital = _capital_outflows(data)
    current = FinancialYear.for_date(data.as_of)
    actuals = {a.financial_year: a for a in data.actuals}

    sli_by_year: dict[FinancialYear, Decimal] = defaultdict(lambda: ZERO)
    for period in periods:
        sli_by_year[FinancialYear.for_date(period.paid_on)] += period.sli
    lag = data.scenario.payment_lag_months
    for award in data.awards:
        if award.exited:
            continue
        for due_on, amount in award.true_up_due:
            sli_by_year[FinancialYear.for_date(_paid_on(due_on, lag, data.as_of))] += amount
    capital_by_year: dict[FinancialYear, Decimal] = defaultdict(lambda: ZERO)
    for day, amount in capital:
        capital_by_year[FinancialYear.for_date(day)] += amount

    years = set(actuals) | set(sli_by_year) | set(capital_by_year)
    ends = [
        sli_term_ends_on(gestation_ends_on=a.gestation_ends_on, sli_months=data.sli_months)
        for a in data.awards
        if not a.exited
    ]
    scheme_ends_on = max(ends) if ends else None
    if scheme_ends_on is not None:
        years.add(FinancialYear.for_date(scheme_ends_on))
    rows: list[YearRow] = []
    if years:
        year, last = min(years), max(years)
        sli_cumulative = capital_cumulative = ZERO
        while year <= last:
            actual = actuals.get(year, ActualYear(financial_year=year))
            sli_cumulative += actual.sli_sanctioned + sli_by_year[year]
            capital_cumulative += actual.capital_sanctioned + capital_by_year[year]
            rows.append(
                YearRow(
                    financial_year=year,
                    actual=year <= current,
                    current=year == current,
                    sli_sanctioned=actual.sli_sanctioned,
                    sli_paid=actual.sli_paid,
                    sli_projected=sli_by_year[year],
                    capital_sanctioned=actual.capital_sanctioned,
                    capital_paid=actual.capital_paid,
                    capital_projected=capital_by_year[year],
                    sli_cumulative=sli_cumulative,
                    capital_cumulative=capital_cumulative,
                    sli_headroom=data.sli_pool - sli_cumulative,
                    capital_headroom=data.capital_pool - capital_cumulative,
                )
            )
            year = year.next()
    return Forecast(
        scenario=data.scenario,
        as_of=data.as_of,
        rows=tuple(rows),
        periods=tuple(periods),
        sli=_risk(SLI, data.sli_pool, rows),
        capital=_risk(CAPITAL, data.capital_pool, rows),
        scheme_ends_on=scheme_ends_on,
        true_up_due=sum((_held_back(a) for a in data.awards), start=ZERO),
    )


__all__ = [
    "ActualYear",
    "AwardInput",
    "AwardYears",
    "Forecast",
    "ForecastInput",
    "PoolRisk",
    "ProjectedPeriod",
    "Scenario",
    "ScenarioError",
    "YearRow",
    "forecast",
]
