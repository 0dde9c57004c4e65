"""Properties of the SLI engine over generated periods: the caps hold, whatever the order of claims."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from incentives.sli import inputs
from incentives.sli.engine import PeriodKind, SliPeriod, SliRules, compute
from repm_portal.fiscal import FinancialYear
from repm_portal.money import to_money

D = Decimal
# Bounded so the file runs in a few seconds; no example database left behind.
FEW = settings(max_examples=100, deadline=None, database=None)
SEQUENCES = settings(max_examples=50, deadline=None, database=None)


def paise(low: int = 0, high: int = 10**13) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: D(n).scaleb(-2))


def grams(high: int = 10**10) -> st.SearchStrategy[Decimal]:
    return st.integers(0, high).map(lambda n: D(n).scaleb(-3))


percentages = st.integers(0, 10_000).map(lambda n: D(n).scaleb(-2))
tapers = st.lists(st.integers(0, 20_000).map(lambda n: D(n).scaleb(-4)), min_size=5, max_size=5)
rates = paise(1, 500_000)  # up to Rs 5,000.00/kg
capacities = st.sampled_from([0, 600, 700, 1200])


@st.composite
def sli_rules(draw, *, pool: st.SearchStrategy[Decimal] | None = None, years=None) -> SliRules:
    return SliRules(
        turnover_cap_pct=draw(percentages),
        taper=tuple(draw(tapers)),
        provisional_share_pct=draw(percentages),
        sli_pool=draw(paise() if pool is None else pool),
        award_cap_years=draw(st.integers(0, 5) if years is None else years),
    )


@st.composite
def spans(draw) -> tuple[dt.date, dt.date]:
    """Any run of days within one financial year (leap years included)."""
    fy = FinancialYear(draw(st.integers(2026, 2034)))
    first = draw(st.integers(0, fy.days - 1))
    last = draw(st.integers(first, fy.days - 1))
    return fy.start + dt.timedelta(days=first), fy.start + dt.timedelta(days=last)


@st.composite
def periods(draw, *, net_sales: st.SearchStrategy[Decimal] | None = None) -> SliPeriod:
    """Any period the engine accepts; net sales may be negative (returns) unless told."""
    kind = draw(st.sampled_from(PeriodKind))
    start, end = draw(spans())
    return SliPeriod(
        kind=kind,
        period_start=start,
        period_end=end,
        scheme_year=draw(st.integers(1, 5)),
        rate=draw(rates),
        capacity_mtpa=draw(capacities),
        eligible_kg=draw(grams()),
        net_sales_value=draw(paise(-(10**9)) if net_sales is None else net_sales),
        award_sanctioned_before=draw(paise()),
        pool_sanctioned_before=draw(paise()),
        pending_deductions=draw(paise(0, 10**10)),
        released_in_year=draw(paise()) if kind is PeriodKind.TRUE_UP else D(0),
        rules=draw(sli_rules()),
    )


@FEW
@given(periods())
def test_no_figure_is_negative_and_each_step_only_cuts(p):
    r = compute(p)

    exact = [r.capped_kg, r.gross, r.after_turnover_cap, r.after_award_cap, r.after_pool]
    assert min([*exact, r.release, r.after_deductions]) >= 0
    assert min(r.payable, r.released, r.recovery, r.deduction_applied, r.deduction_carried) >= 0
    assert r.capped_kg <= min(Fraction(p.eligible_kg), r.capacity_cap_kg)
    assert r.release <= r.after_pool <= r.after_award_cap <= r.after_turnover_cap
    assert r.after_turnover_cap <= min(r.gross, r.turnover_cap)
    assert r.after_award_cap <= r.award_cap_left
    assert r.after_pool <= r.pool_left
    # rounded once: payable never above the release as posted
    assert r.payable <= r.released <= D(r.as_dict()["after_pool"])
    assert not (r.released and r.recovery)


@FEW
@given(periods())
def test_payable_and_the_deduction_applied_make_up_the_release(p):
    r = compute(p)

    assert r.payable + r.deduction_applied == r.released == to_money(r.as_dict()["release"])
    assert r.deduction_applied + r.deduction_carried == p.pending_deductions
    assert r.steps[-1].value == f"{r.payable:f}"


# Hypothesis favours small numbers; a busy plant's quarters are what reach the caps.
busy_kg = st.one_of(grams(10**9), st.integers(100_000, 1_000_000).map(D))


@st.composite
def claim_runs(draw, *, awards: int):
    """Quarterly claims by `awards` awards in any order, (award, kg, net sales), and each
    award's (rate, capacity)."""
    claims = draw(
        st.lists(
            st.tuples(st.integers(0, awards - 1), busy_kg, paise(10**10, 10**12)),
            min_size=4,
            max_size=16,
        )
    )
    terms = [(draw(rates), draw(st.sampled_from([600, 1200]))) for _ in range(awards)]
    return claims, terms


def quarter(n: int, *, rate, capacity, kg, net_sales, award_before, pool_before, rules):
    q = FinancialYear(2029 + n // 4).quarters()[n % 4]
    return SliPeriod(
        kind=PeriodKind.QUARTER,
        period_start=q.start,
        period_end=q.end,
        scheme_year=1 + (n // 4) % 5,
        rate=rate,
        capacity_mtpa=capacity,
        eligible_kg=kg,
        net_sales_value=net_sales,
        award_sanctioned_before=award_before,
        pool_sanctioned_before=pool_before,
        pending_deductions=D(0),
        rules=rules,
    )


# Rules under which a busy plant's quarters soon reach a one-year award cap.
generous_rules = st.builds(
    SliRules,
    turnover_cap_pct=st.integers(20, 100).map(D),
    taper=st.lists(st.integers(5, 20).map(lambda n: D(n) / 10), min_size=5, max_size=5),
    provisional_share_pct=st.integers(50, 100).map(D),
    sli_pool=st.just(D(10**15)),
    award_cap_years=st.just(1),
)


@SEQUENCES
@given(claim_runs(awards=1), generous_rules)
def test_an_awards_releases_never_pass_its_cap(run, rules):
    claims, terms = run
    (rate, capacity), sanctioned = terms[0], D(0)
    for n, (_, kg, net_sales) in enumerate(claims):
        r = compute(
            quarter(
                n,
                rate=rate,
                capacity=capacity,
                kg=kg,
                net_sales=net_sales,
                award_before=sanctioned,
                pool_before=D(0),
                rules=rules,
            )
        )
        sanctioned += r.released
    assert sanctioned <= rate * capacity * 1000 * rules.award_cap_years


@SEQUENCES
@given(claim_runs(awards=4), sli_rules(pool=paise(0, 10**10)))
def test_the_pool_is_never_exceeded_across_awards(run, rules):
    claims, terms = run
    by_award = [D(0)] * 4
    seen = [0] * 4
    for award, kg, net_sales in claims:
        rate, capacity = terms[award]
        r = compute(
            quarter(
                seen[award],
                rate=rate,
                capacity=capacity,
                kg=kg,
                net_sales=net_sales,
                award_before=by_award[award],
                pool_before=sum(by_award),
                rules=rules,
            )
        )
        by_award[award] += r.released
        seen[award] += 1
        assert sum(by_award) <= rules.sli_pool
    for (rate, capacity), total in zip(terms, by_award, strict=True):
        assert total <= rate * capacity * 1000 * rules.award_cap_years


@FEW
@given(
    fy=st.integers(2026, 2034).map(FinancialYear),
    year=st.integers(1, 5),
    rate=rates,
    capacity=st.sampled_from([600, 1200]),
    # up to 10,00,000 kg a quarter: over a 600 MTPA plant's capacity, often
    sales=st.lists(st.tuples(busy_kg, paise(0, 10**12)), min_size=4, max_size=4),
    rules=sli_rules(years=st.just(5), pool=st.just(D(10**15))),
)
def test_quarters_and_the_true_up_add_up_to_the_year_computed_whole(
    fy, year, rate, capacity, sales, rules
):
    common = {
        "scheme_year": year,
        "rate": rate,
        "capacity_mtpa": capacity,
        "award_sanctioned_before": D(0),
        "pool_sanctioned_before": D(0),
        "pending_deductions": D(0),
        "rules": rules,
    }
    released = D(0)
    for q, (kg, net_sales) in zip(fy.quarters(), sales, strict=True):
        r = compute(
            SliPeriod(
                kind=PeriodKind.QUARTER,
                period_start=q.start,
                period_end=q.end,
                eligible_kg=kg,
                net_sales_value=net_sales,
                **common,
            )
        )
        released += r.released
    year_kg = sum((kg for kg, _ in sales), D(0))
    year_sales = sum((net for _, net in sales), D(0))
    true_up = compute(
        SliPeriod(
            kind=PeriodKind.TRUE_UP,
            period_start=fy.start,
            period_end=fy.end,
            eligible_kg=year_kg,
            net_sales_value=year_sales,
            released_in_year=released,
            **common,
        )
    )

    # The year whole: the capacity cap over all the year's days is C x 1,000 kg.
    whole = min(
        Fraction(rate) * Fraction(rules.taper[year - 1]) * min(Fraction(year_kg), capacity * 1000),
        Fraction(rules.turnover_cap_pct) / 100 * Fraction(year_sales),
    )
    assert true_up.after_pool == whole  # neither the award cap nor the pool binds here
    year_rounded = D(true_up.as_dict()["after_pool"])
    assert released + true_up.released - true_up.recovery == year_rounded


@FEW
@given(periods(net_sales=paise()))
def test_the_printed_inputs_read_back_to_the_same_period(p):
    assert inputs.parse(inputs.as_json_dict(p)) == p
