"""The forecast engine on plain values: a scenario computed by hand, exhaustion, the caps, validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from incentives.forecast.engine import (
    ActualYear,
    AwardInput,
    ForecastInput,
    Scenario,
    ScenarioError,
    forecast,
)
from incentives.sli.engine import SliRules
from repm_portal.fiscal import FinancialYear

FY28 = FinancialYear(2028)
FY29 = FinancialYear(2029)
FY30 = FinancialYear(2030)
CRORE = Decimal(10_000_000)


def rules(pool: Decimal) -> SliRules:
    return SliRules(
        turnover_cap_pct=Decimal(40),
        taper=(Decimal(1),) * 5,
        provisional_share_pct=Decimal(85),
        sli_pool=pool,
        award_cap_years=5,
    )


# Award A: 600 MTPA at Rs 2,000/kg; gestation ends 31 Mar 2029; commissioned early, 1 Jan 2029.
AWARD_A = AwardInput(
    award_id=1,
    label="L1 A",
    capacity_mtpa=600,
    rate=Decimal("2000.00"),
    gestation_ends_on=dt.date(2029, 3, 31),
    commissioning_on=dt.date(2029, 1, 1),
    commissioned=True,
    sli_sanctioned=Decimal("0.00"),
    capital_pending=60 * CRORE,
)
# Award B: 1,000 MTPA at Rs 1,500/kg; gestation ends 30 Jun 2029; expected to commission 15 Aug 2029;
# it has not claimed capital subsidy: its slab cap (Rs 100 crore) is expected.
AWARD_B = AwardInput(
    award_id=2,
    label="L2 B",
    capacity_mtpa=1000,
    rate=Decimal("1500.00"),
    gestation_ends_on=dt.date(2029, 6, 30),
    commissioning_on=dt.date(2029, 8, 15),
    commissioned=False,
    sli_sanctioned=Decimal("0.00"),
    capital_unclaimed=100 * CRORE,
)
SCENARIO = Scenario(
    ramp_quarters=2,
    utilisation_pct=Decimal(80),
    price_per_kg=Decimal("6000.00"),
    payment_lag_months=6,
)


def data(**changes) -> ForecastInput:
    base = ForecastInput(
        as_of=dt.date(2029, 2, 1),
        rules=rules(80 * CRORE),
        # A short SLI term keeps the arithmetic by hand: 6 months after gestation ends.
        sli_months=6,
        capital_pool=200 * CRORE,
        awards=(AWARD_A, AWARD_B),
        actuals=(
            ActualYear(
                financial_year=FY28,
                capital_sanctioned=50 * CRORE,
                capital_paid=40 * CRORE,
            ),
        ),
        scenario=SCENARIO,
    )
    return dataclasses.replace(base, **changes)


def test_the_hand_computed_scenario_to_the_paisa():
    # The SLI terms end 6 months after gestation: A's on 30 Sep 2029, B's on 30 Dec 2029
    # (30 Jun + 6 months). FY 2028-29 and FY 2029-30 both have 365 days.
    #
    # kg = capacity x 1,000 x days / 365 x 80 % x ramp (ramp 2 quarters: 1/2, then 1), to the gram;
    # net sales value = kg x Rs 6,000; 40 % of it is Rs 2,400/kg, above both rates: the turnover cap
    # does not bind, so SLI = rate x kg.
    #  A Q4 28-29  1 Jan-31 Mar 2029, 90 days, ramp 1/2: 600,000 x 90/365 x 0.4 = 59,178.082 kg
    #              x Rs 2,000 = Rs 11,83,56,164.00; paid 31 Mar + 6 months = 30 Sep 2029 (FY 29-30)
    #  A Q1 29-30  91 days, ramp 1: 600,000 x 91/365 x 0.8 = 1,19,671.233 kg -> Rs 23,93,42,466.00,
    #              paid 30 Dec 2029 (FY 29-30)
    #  A Q2 29-30  92 days: 600,000 x 92/365 x 0.8 = 1,20,986.301 kg -> Rs 24,19,72,602.00,
    #              paid 30 Mar 2030 (FY 29-30)
    #  B Q2 29-30  15 Aug-30 Sep, 47 days, ramp 1/2: 1,000,000 x 47/365 x 0.4 = 51,506.849 kg
    #              x Rs 1,500 = Rs 7,72,60,273.50, paid 30 Mar 2030 (FY 29-30)
    #  B Q3 29-30  1 Oct-30 Dec, 91 days, ramp 1: 1,000,000 x 91/365 x 0.8 = 1,99,452.055 kg
    #              -> Rs 29,91,78,082.50, paid 30 Jun 2030 (FY 30-31)
    # FY 2029-30 SLI = 11,83,56,164.00 + 23,93,42,466.00 + 24,19,72,602.00 + 7,72,60,273.50
    #                = Rs 67,69,31,505.50; FY 2030-31 = Rs 29,91,78,082.50; in all Rs 97,61,09,588.00.
    # Against a pool of Rs 80 crore: headroom Rs 12,30,68,494.50 after FY 2029-30; exceeded in
    # FY 2030-31 by Rs 17,61,09,588.00.
    # Capital: FY 2028-29's Rs 50 crore sanctioned (ledger); A's open claim Rs 60 crore paid 6 months
    # after commissioning (1 Jul 2029) and B's Rs 100 crore 6 months after 15 Aug 2029 (15 Feb 2030):
    # FY 2029-30 Rs 160 crore, cumulative Rs 210 crore against a pool of Rs 200 crore: exceeded in
    # FY 2029-30 by Rs 10 crore.
    result = forecast(data())

    sli = [(p.label, p.ends_on, p.kg, p.sli, p.paid_on) for p in result.periods]
    assert sli == [
        ("L1 A", dt.date(2029, 3, 31), Decimal("59178.082"), Decimal("118356164.00"), dt.date(2029, 9, 30)),
        ("L1 A", dt.date(2029, 6, 30), Decimal("119671.233"), Decimal("239342466.00"), dt.date(2029, 12, 30)),
        ("L1 A", dt.date(2029, 9, 30), Decimal("120986.301"), Decimal("241972602.00"), dt.date(2030, 3, 30)),
        ("L2 B", dt.date(2029, 9, 30), Decimal("51506.849"), Decimal("77260273.50"), dt.date(2030, 3, 30)),
        ("L2 B", dt.date(2029, 12, 30), Decimal("199452.055"), Decimal("299178082.50"), dt.date(2030, 6, 30)),
    ]  # fmt: skip
    assert not any(p.turnover_cap_binds or p.award_cap_binds for p in result.periods)

    rows = {row.financial_year: row for row in result.rows}
    assert list(rows) == [FY28, FY29, FY30]
    assert rows[FY28].current and rows[FY28].basis == "actual to date and projected"
    assert rows[FY29].basis == "projected"
    assert rows[FY28].sli_projected == Decimal("0.00")
    assert rows[FY29].sli_projected == Decimal("676931505.50")
    assert rows[FY30].sli_projected == Decimal("299178082.50")
    assert rows[FY29].sli_cumulative == Decimal("676931505.50")
    assert rows[FY29].sli_headroom == Decimal("123068494.50")
    assert rows[FY30].sli_cumulative == Decimal("976109588.00")
    assert rows[FY30].sli_headroom == Decimal("-176109588.00")

    assert rows[FY28].capital_sanctioned == 50 * CRORE and rows[FY28].capital_paid == 40 * CRORE
    assert rows[FY29].capital_projected == 160 * CRORE
    assert rows[FY29].capital_cumulative == 210 * CRORE
    assert rows[FY30].capital_cumulative == 210 * CRORE
    assert result.scheme_ends_on == dt.date(2029, 12, 30)


def test_exhaustion_names_the_year_and_by_how_much():
    result = forecast(data())
    # the SLI pool (Rs 80 crore) is passed in FY 2030-31 (see the hand computation above)
    assert result.sli.exhausted and result.sli.exhausted_in == FY30
    assert result.sli.excess_in_year == Decimal("176109588.00")
    assert result.sli.excess == Decimal("176109588.00")
    assert result.sli.headroom == Decimal("0.00")
    # the real engine's pool step leaves B's last quarter only what the pool still holds
    assert result.periods[-1].within_pool == Decimal("123068494.50")
    # the capital pool (Rs 200 crore) is passed in FY 2029-30 by Rs 10 crore
    assert result.capital.exhausted_in == FY29
    assert result.capital.excess_in_year == 10 * CRORE


def test_a_pool_large_enough_is_not_exhausted_and_shows_its_headroom():
    result = forecast(data(rules=rules(100 * CRORE), capital_pool=750 * CRORE))
    assert not result.sli.exhausted and result.sli.exhausted_in is None
    assert result.sli.total == Decimal("976109588.00")
    assert result.sli.headroom == Decimal("23890412.00")  # 100 crore - 97,61,09,588.00
    assert result.sli.excess == Decimal("0.00")
    assert result.sli.used_pct == Decimal("97.61")
    assert result.capital.headroom == 540 * CRORE
    assert all(p.within_pool == p.sli for p in result.periods)


def test_a_low_price_brings_in_the_turnover_cap_as_the_sli_engine_applies_it():
    # At Rs 4,000/kg, 40 % is Rs 1,600/kg: below A's Rs 2,000 and above B's Rs 1,500.
    # A Q1 29-30: 1,19,671.233 kg x Rs 4,000 = Rs 47,86,84,932.00; 40 % = Rs 19,14,73,972.80
    # (not 2,000 x kg = Rs 23,93,42,466.00).
    result = forecast(data(scenario=dataclasses.replace(SCENARIO, price_per_kg=Decimal(4000))))
    a_q1 = result.periods[1]
    assert a_q1.net_sales_value == Decimal("478684932.00")
    assert a_q1.gross == Decimal("239342466.00")
    assert a_q1.sli == Decimal("191473972.80")
    assert a_q1.turnover_cap_binds
    b = [p for p in result.periods if p.award_id == 2]
    assert not any(p.turnover_cap_binds for p in b)
    assert b[-1].sli == Decimal("299178082.50")
    assert result.turnover_cap_periods == 3  # A's three quarters


def test_the_award_cap_stops_an_award_at_its_cap():
    # A's cap: Rs 2,000 x 600 MTPA x 1,000 x 5 years = Rs 600 crore. With Rs 599 crore sanctioned,
    # its first projected quarter gets the Rs 1 crore left and the later ones nothing.
    near_cap = dataclasses.replace(AWARD_A, sli_sanctioned=599 * CRORE)
    result = forecast(data(awards=(near_cap, AWARD_B), rules=rules(6450 * CRORE)))
    a = [p for p in result.periods if p.award_id == 1]
    assert [p.sli for p in a] == [CRORE, Decimal("0.00"), Decimal("0.00")]
    assert all(p.award_cap_binds for p in a)


def test_periods_in_the_ledger_are_not_projected_again_and_an_exited_award_not_at_all():
    in_ledger = dataclasses.replace(AWARD_A, sli_from=dt.date(2029, 7, 1))
    exited = dataclasses.replace(AWARD_B, exited=True)
    result = forecast(data(awards=(in_ledger, exited)))
    assert [(p.award_id, p.ends_on) for p in result.periods] == [(1, dt.date(2029, 9, 30))]
    assert result.rows[-1].capital_cumulative == 110 * CRORE  # 50 sanctioned + A's 60 open


def test_money_due_before_the_as_of_date_goes_out_the_day_after_it():
    result = forecast(data(as_of=dt.date(2029, 10, 5)))
    assert result.periods[0].paid_on == dt.date(2029, 10, 6)  # due 30 Sep 2029


def test_no_ramp_runs_full_from_the_first_quarter():
    result = forecast(data(scenario=dataclasses.replace(SCENARIO, ramp_quarters=0)))
    # A Q4 28-29 at 80 %: 600,000 x 90/365 x 0.8 = 1,18,356.164 kg
    assert result.periods[0].kg == Decimal("118356.164")
    assert result.periods[0].ramp_pct == Decimal("100.00")


@pytest.mark.parametrize(
    ("changes", "key", "reason"),
    [
        ({"ramp_quarters": 21}, "ramp_quarters", "must be from 0 to 20, not 21"),
        ({"ramp_quarters": -1}, "ramp_quarters", "must be from 0 to 20, not -1"),
        ({"ramp_quarters": 1.5}, "ramp_quarters", "must be a whole number, not float"),
        ({"utilisation_pct": Decimal(0)}, "utilisation_pct", "above 0 and at most 100, not 0"),
        ({"utilisation_pct": Decimal(101)}, "utilisation_pct", "above 0 and at most 100, not 101"),
        ({"utilisation_pct": 0.8}, "utilisation_pct", "a float is not exact"),
        ({"price_per_kg": Decimal(0)}, "price_per_kg", "must be above Rs 0/kg, not 0"),
        ({"price_per_kg": Decimal("7000.005")}, "price_per_kg", "at most 2 decimal places"),
        ({"price_per_kg": Decimal("NaN")}, "price_per_kg", "must be a finite number"),
        ({"payment_lag_months": 25}, "payment_lag_months", "must be from 0 to 24, not 25"),
    ],
)
def test_a_bad_scenario_is_refused_naming_its_field(changes, key, reason):
    with pytest.raises(ScenarioError) as refused:
        Scenario(**changes)
    assert refused.value.key == key
    assert reason in refused.value.reason


def test_the_share_held_back_for_a_true_up_goes_out_and_counts_against_the_caps():
    # A has Rs 1 crore held back from sanctioned quarters of a year whose true-up falls due on
    # 29 Jun 2029: it goes out 6 months later (29 Dec 2029, FY 2029-30) and comes off the pool
    # before the projected quarters, so B's last quarter finds Rs 1 crore less left in it.
    held = dataclasses.replace(AWARD_A, true_up_due=((dt.date(2029, 6, 29), CRORE),))
    result = forecast(data(awards=(held, AWARD_B)))
    rows = {row.financial_year: row for row in result.rows}
    assert rows[FY29].sli_projected == Decimal("676931505.50") + CRORE
    assert result.true_up_due == CRORE
    assert result.periods[-1].within_pool == Decimal("113068494.50")
    # an award that has exited gets no true-up balance
    gone = dataclasses.replace(held, exited=True)
    assert forecast(data(awards=(gone, AWARD_B))).true_up_due == Decimal("0.00")


def test_each_awards_projection_by_year_adds_up_to_the_years():
    result = forecast(data())
    by_award = {entry.label: entry for entry in result.by_award()}
    assert result.projected_years == (FY29, FY30)
    # A's three quarters all go out in FY 2029-30; B's first in FY 2029-30, its second in FY 2030-31
    assert by_award["L1 A"].cells == [Decimal("599671232.00"), Decimal("0.00")]
    assert by_award["L2 B"].cells == [Decimal("77260273.50"), Decimal("299178082.50")]
    assert sum(entry.total for entry in by_award.values()) == Decimal("976109588.00")
