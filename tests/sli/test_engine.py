"""The SLI engine against figures worked by hand, one cap or rule at a time, and the inputs it refuses."""

from __future__ import annotations

import ast
import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from incentives.sli import engine, inputs
from incentives.sli.engine import SliInputError, SliPeriod, SliRules, compute, scheme_year_of

D = Decimal
Q1_FY2029 = (dt.date(2029, 4, 1), dt.date(2029, 6, 30))  # 91 days of FY 2029-30's 365


def rules(**changes) -> SliRules:
    values = {
        "turnover_cap_pct": D("40"),
        "taper": (D("1"),) * 5,
        "provisional_share_pct": D("85"),
        "sli_pool": D("64500000000.00"),
        "award_cap_years": 5,
    }
    return SliRules(**{**values, **changes})


def period(rule_changes: dict | None = None, **changes) -> SliPeriod:
    """The brief's example quarter: Q1 FY 2029-30, Rs 2,000/kg, 1,200 MTPA, 2,50,000 kg."""
    values = {
        "kind": "quarter",
        "period_start": Q1_FY2029[0],
        "period_end": Q1_FY2029[1],
        "scheme_year": 1,
        "rate": D("2000.00"),
        "capacity_mtpa": 1200,
        "eligible_kg": D("250000.000"),
        "net_sales_value": D("1500000000.00"),
        "award_sanctioned_before": D("0"),
        "pool_sanctioned_before": D("0"),
        "pending_deductions": D("0"),
        "rules": rules(**(rule_changes or {})),
    }
    return SliPeriod(**{**values, **changes})


def bindings(result) -> list[int]:
    return [step.step for step in result.steps if step.binding]


# --- one cap at a time ---------------------------------------------------------------------------


def test_no_cap_biting_releases_the_provisional_share():
    # capacity cap 1,200 x 1,000 x 91/365 = 2,99,178.082 kg > 2,50,000 kg
    # gross 2,000 x 1 x 2,50,000 = 50,00,00,000; 40 % of 1,50,00,00,000 = 60,00,00,000 > gross
    # award cap 2,000 x 1,200 x 1,000 x 5 = 12,00,00,00,000; pool 64,50,00,00,000: both far off
    # release 85 % x 50,00,00,000 = 42,50,00,000.00
    result = compute(period())

    assert result.as_dict()["capped_kg"] == "250000.000"
    assert result.gross == 500_000_000
    assert result.after_pool == 500_000_000
    assert result.payable == D("425000000.00")
    assert bindings(result) == [6]  # only the provisional share holds part back


def test_capacity_cap_alone():
    # cap 1,200 x 1,000 x 91/365 = 10,92,00,000/365 = 2,99,178.0821917... kg < 3,00,000 kg
    # gross 2,000 x 10,92,00,000/365 = 21,84,00,00,00,000/365 = 59,83,56,164.38356...
    # (under the turnover cap of 60,00,00,000)
    # release 0.85 x that = 1,85,64,00,00,000/365 = 50,86,02,739.726027... -> 50,86,02,739.73
    result = compute(period(eligible_kg=D("300000")))

    assert result.as_dict()["capped_kg"] == "299178.082"
    assert result.as_dict()["gross"] == "598356164.38"
    assert result.payable == D("508602739.73")
    assert bindings(result) == [1, 6]
    assert "91/365 days" in result.steps[0].note


def test_turnover_cap_alone():
    # gross 50,00,00,000; 40 % of 1,00,00,00,000 = 40,00,00,000 bites
    # release 85 % x 40,00,00,000 = 34,00,00,000.00
    result = compute(period(net_sales_value=D("1000000000.00")))

    assert result.after_turnover_cap == 400_000_000
    assert result.payable == D("340000000.00")
    assert bindings(result) == [3, 6]
    assert result.steps[2].rule == "turnover_cap_pct"


def test_award_cap_alone():
    # award cap 2,000 x 1,200 x 1,000 x 5 = 12,00,00,00,000; 11,80,00,00,000 sanctioned before
    # leaves 20,00,00,000 < 50,00,00,000; release 85 % x 20,00,00,000 = 17,00,00,000.00
    result = compute(period(award_sanctioned_before=D("11800000000.00")))

    assert result.award_cap == 12_000_000_000
    assert result.after_award_cap == 200_000_000
    assert result.payable == D("170000000.00")
    assert bindings(result) == [4, 6]


def test_pool_alone():
    # pool 64,50,00,00,000 less 64,40,00,00,000 sanctioned to all awards leaves 10,00,00,000
    # release 85 % x 10,00,00,000 = 8,50,00,000.00
    result = compute(period(pool_sanctioned_before=D("64400000000.00")))

    assert result.after_pool == 100_000_000
    assert result.payable == D("85000000.00")
    assert bindings(result) == [5, 6]


def test_every_cap_in_one_quarter_each_cutting_further():
    # 1: 3,00,000 kg cut to 2,99,178.082 kg; 2: gross 59,83,56,164.38
    # 3: 40 % of 1,40,00,00,000 = 56,00,00,000; 4: 12,00,00,00,000 - 11,55,00,00,000 = 45,00,00,000
    # 5: 64,50,00,00,000 - 64,20,00,00,000 = 30,00,00,000; 6: 85 % of it = 25,50,00,000.00
    result = compute(
        period(
            eligible_kg=D("300000.000"),
            net_sales_value=D("1400000000.00"),
            award_sanctioned_before=D("11550000000.00"),
            pool_sanctioned_before=D("64200000000.00"),
        )
    )

    values = result.as_dict()
    assert [values[k] for k in ("after_turnover_cap", "after_award_cap", "after_pool")] == [
        "560000000.00",
        "450000000.00",
        "300000000.00",
    ]
    assert result.payable == D("255000000.00")
    assert bindings(result) == [1, 3, 4, 5, 6]


# --- deductions, dates, rounding ------------------------------------------------------------------


def test_deduction_larger_than_the_release_takes_it_all_and_carries_the_rest():
    # release 42,50,00,000.00; pending 50,00,00,000.00: all of it applied, 7,50,00,000.00 carried
    result = compute(period(pending_deductions=D("500000000.00")))

    assert result.payable == D("0.00")
    assert result.deduction_applied == D("425000000.00")
    assert result.deduction_carried == D("75000000.00")
    assert result.steps[6].binding
    assert result.as_dict()["release"] == "425000000.00"  # the release is before deductions


def test_deduction_smaller_than_the_release_is_taken_whole():
    # 42,50,00,000.00 - 1,234.56 = 42,49,98,765.44
    result = compute(period(pending_deductions=D("1234.56")))

    assert (result.payable, result.deduction_applied, result.deduction_carried) == (
        D("424998765.44"),
        D("1234.56"),
        D("0.00"),
    )


def test_leap_year_quarter_counts_366_days_in_its_financial_year():
    # Q4 FY 2027-28 (Jan-Mar 2028): 91 days; FY 2027-28 holds 29 Feb 2028, so 366 days
    # cap 1,200 x 1,000 x 91/366 = 10,92,00,000/366 = 2,98,360.6557377... kg < 3,00,000 kg
    # gross 2,000 x that = 21,84,00,00,00,000/366 = 59,67,21,311.475409...
    # release 0.85 x that = 1,85,64,00,00,000/366 = 50,72,13,114.754098... -> 50,72,13,114.75
    # (with 365 days it would be 50,86,02,739.73, as in the capacity cap case)
    result = compute(
        period(
            period_start=dt.date(2028, 1, 1),
            period_end=dt.date(2028, 3, 31),
            eligible_kg=D("300000.000"),
        )
    )

    assert result.as_dict()["capped_kg"] == "298360.656"
    assert result.payable == D("507213114.75")
    assert "91/366 days (FY 2027-28)" in result.steps[0].note


def test_half_a_paisa_rounds_up():
    # gross 2,000.01 x 10 kg = 20,000.10; release 0.85 x 20,000.10 = 17,000.085 -> 17,000.09
    # (half-even would give 17,000.08; truncation 17,000.08)
    result = compute(period(rate=D("2000.01"), eligible_kg=D("10.000")))

    assert result.release == D("17000.085")
    assert result.payable == D("17000.09")
    assert result.released == D("17000.09")


def test_taper_below_one_in_year_three():
    # taper 1.4, 1.2, 0.9, 0.8, 0.6: year 3 reads 0.9 (not 1.2, not 0.8)
    # gross 2,000 x 0.9 x 2,50,000 = 45,00,00,000; release 85 % = 38,25,00,000.00
    taper = tuple(D(t) for t in ("1.4", "1.2", "0.9", "0.8", "0.6"))
    result = compute(period({"taper": taper}, scheme_year=3))

    assert result.gross == 450_000_000
    assert result.payable == D("382500000.00")
    assert result.steps[1].binding
    assert "taper 0.9 (scheme year 3)" in result.steps[1].note


# --- the annual true-up ---------------------------------------------------------------------------

FY_2029 = (dt.date(2029, 4, 1), dt.date(2030, 3, 31))  # 365 days: the cap is C x 1,000 whole


def test_true_up_releases_the_balance_of_the_year():
    # quarters: Q1 at 2,50,000 kg but net sales 1,00,00,00,000, so the turnover cap gave
    # 34,00,00,000 released; Q2-Q4 2,50,000 kg each on 1,50,00,00,000: 42,50,00,000 each
    # released in the year 34,00,00,000 + 3 x 42,50,00,000 = 1,61,50,00,000
    # year: 10,00,000 kg (cap 12,00,000), gross 2,00,00,00,000; 40 % of 5,50,00,00,000 =
    # 2,20,00,00,000 does not bite; balance 2,00,00,00,000 - 1,61,50,00,000 = 38,50,00,000.00
    result = compute(
        period(
            kind="true_up",
            period_start=FY_2029[0],
            period_end=FY_2029[1],
            eligible_kg=D("1000000.000"),
            net_sales_value=D("5500000000.00"),
            released_in_year=D("1615000000.00"),
        )
    )

    assert result.after_pool == 2_000_000_000
    assert result.payable == D("385000000.00")
    assert result.recovery == D("0.00")
    assert result.steps[5].binding
    assert result.steps[5].rule == ""


def test_true_up_with_an_excess_posts_a_recovery():
    # released in the year 4 x 42,50,00,000 = 1,70,00,00,000; returns leave the year at
    # 8,00,000 kg on 5,00,00,00,000: gross 1,60,00,00,000 (turnover cap 2,00,00,00,000)
    # difference 1,60,00,00,000 - 1,70,00,00,000 = -10,00,00,000: release 0, recover 10,00,00,000.00
    result = compute(
        period(
            kind="true_up",
            period_start=FY_2029[0],
            period_end=FY_2029[1],
            eligible_kg=D("800000.000"),
            net_sales_value=D("5000000000.00"),
            released_in_year=D("1700000000.00"),
            pending_deductions=D("1000.00"),
        )
    )

    assert result.payable == D("0.00")
    assert result.recovery == D("100000000.00")
    assert (result.deduction_applied, result.deduction_carried) == (D("0.00"), D("1000.00"))
    assert "10,00,00,000.00 to recover" in result.steps[5].note


def test_true_up_at_half_a_paisa_nets_against_the_year_rounded_once():
    # year 2,000.01 x 0.5 kg = 1,000.005 -> 1,000.01; released 1,200.00 in the quarters
    # recovery 1,200.00 - 1,000.01 = 199.99, so quarters less recovery = the year's 1,000.01
    # (rounding the excess 199.995 on its own would recover 200.00 and leave 1,000.00)
    result = compute(
        period(
            kind="true_up",
            period_start=FY_2029[0],
            period_end=FY_2029[1],
            rate=D("2000.01"),
            eligible_kg=D("0.500"),
            released_in_year=D("1200.00"),
        )
    )

    assert result.recovery == D("199.99")
    assert result.payable == D("0.00")


def test_a_part_year_true_up_caps_capacity_pro_rata_to_its_eligible_days():
    # eligible days 1 Jul 2029 - 31 Mar 2030: 274 of 365; cap 1,200 x 1,000 x 274/365 =
    # 32,88,00,000/365 = 9,00,821.9178... kg < 10,00,000 kg; gross 2,000 x that =
    # 6,57,60,00,00,000/365 = 1,80,16,43,835.6164... (40 % of 5,50,00,00,000 = 2,20,00,00,000
    # does not bite); nothing released in the year: release 1,80,16,43,835.62
    result = compute(
        period(
            kind="true_up",
            period_start=dt.date(2029, 7, 1),
            period_end=FY_2029[1],
            eligible_kg=D("1000000.000"),
            net_sales_value=D("5500000000.00"),
            released_in_year=D("0"),
        )
    )

    assert result.as_dict()["capped_kg"] == "900821.918"
    assert result.payable == D("1801643835.62")


# --- scheme years ----------------------------------------------------------------------------------

GESTATION_END = dt.date(2029, 5, 15)


@pytest.mark.parametrize(
    ("period_end", "year"),
    [
        (dt.date(2029, 3, 31), 1),  # early: ends before gestation ends
        (dt.date(2029, 5, 15), 1),  # ends on the last day of gestation
        (dt.date(2029, 6, 30), 1),  # straddles the gestation end
        (dt.date(2030, 5, 15), 1),  # the last day of year 1
        (dt.date(2030, 5, 16), 2),
        (dt.date(2032, 6, 30), 4),
        (dt.date(2034, 5, 15), 5),  # the SLI term's last day
    ],
)
def test_scheme_year_of_counts_from_the_day_after_gestation(period_end, year):
    assert scheme_year_of(period_end, GESTATION_END) == year


def test_scheme_year_of_refuses_a_period_past_the_term():
    with pytest.raises(ValueError, match="past the SLI term, which ends on 2034-05-15"):
        scheme_year_of(dt.date(2034, 5, 16), GESTATION_END)
    assert scheme_year_of(dt.date(2031, 5, 15), GESTATION_END, sli_months=24) == 2
    with pytest.raises(ValueError, match="past the SLI term"):
        scheme_year_of(dt.date(2031, 5, 16), GESTATION_END, sli_months=24)


def test_scheme_year_of_a_leap_day_gestation_end():
    assert scheme_year_of(dt.date(2029, 2, 28), dt.date(2028, 2, 29)) == 1
    assert scheme_year_of(dt.date(2029, 3, 1), dt.date(2028, 2, 29)) == 2


def test_a_quarter_straddling_gestation_end_is_year_one_with_its_taper():
    # Q1 FY 2029-30 straddles gestation ending 15 May 2029: year 1, taper 1.4
    # gross 2,000 x 1.4 x 2,50,000 = 70,00,00,000 (40 % of 2,00,00,00,000 = 80,00,00,000)
    # release 85 % = 59,50,00,000.00
    year = scheme_year_of(Q1_FY2029[1], GESTATION_END)
    taper = tuple(D(t) for t in ("1.4", "1.2", "1.0", "0.8", "0.6"))
    result = compute(period({"taper": taper}, scheme_year=year, net_sales_value=D("2000000000.00")))

    assert year == 1
    assert result.payable == D("595000000.00")


# --- the working's form ---------------------------------------------------------------------------


def test_every_step_names_itself_its_rule_and_its_numbers():
    result = compute(period())

    assert [(s.step, s.name, s.rule) for s in result.steps] == [
        (1, "capped_kg", ""),
        (2, "gross", "taper"),
        (3, "after_turnover_cap", "turnover_cap_pct"),
        (4, "after_award_cap", "award_cap_years"),
        (5, "after_pool", "sli_pool"),
        (6, "release", "provisional_share_pct"),
        (7, "after_deductions", ""),
        (8, "payable", ""),
    ]
    assert result.steps[0].note == (
        "capacity cap 1,200 MTPA x 1,000 x 91/365 days (FY 2029-30) = 2,99,178.082 kg; "
        "eligible 2,50,000.000 kg is within it"
    )
    assert result.steps[2].note == (
        "turnover cap 40 % of net sales value Rs 1,50,00,00,000.00 = Rs 60,00,00,000.00; "
        "gross Rs 50,00,00,000.00 is within it"
    )
    assert result.steps[-1].value == "425000000.00"


def test_displayed_figures_are_rounded_but_the_exact_ones_carry_on():
    # cap 2,99,178.0821917... is shown 299178.082, yet gross uses the exact kg: 2,000 x
    # 299178.082 would be 59,83,56,164.00, not 59,83,56,164.38
    result = compute(period(eligible_kg=D("300000")))

    assert result.steps[0].value == "299178.082"
    assert result.steps[1].value == "598356164.38"


def test_the_engine_imports_no_django():
    for module in (engine, inputs):
        tree = ast.parse(Path(module.__file__).read_text())
        imported = [
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [name for name in imported if name.startswith("django") or "models" in name]


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "rule_changes", "key", "reason"),
    [
        ({"eligible_kg": D("-1")}, None, "eligible_kg", "must not be negative"),
        ({"rate": D("-0.01")}, None, "rate", "must not be negative"),
        ({"rate": 2000.0}, None, "rate", r"not float \(a float is not exact\)"),
        ({"rate": D("2000.001")}, None, "rate", "whole paise"),
        ({"eligible_kg": D("1.0001")}, None, "eligible_kg", "whole grams"),
        ({"pending_deductions": D("0.005")}, None, "pending_deductions", "whole paise"),
        ({"scheme_year": 6}, None, "scheme_year", "must be 1 to 5"),
        ({"scheme_year": 0}, None, "scheme_year", "must be 1 to 5"),
        ({"capacity_mtpa": -600}, None, "capacity_mtpa", "must not be negative"),
        ({"kind": "annual"}, None, "kind", 'must be "quarter" or "true_up"'),
        ({"released_in_year": D("1")}, None, "released_in_year", "true_up only"),
        ({"period_end": dt.date(2029, 3, 31)}, None, "period_end", "before period_start"),
        (
            {"period_end": dt.date(2029, 4, 1), "period_start": dt.date(2029, 3, 1)},
            None,
            "period_end",
            "within one financial year",
        ),
        ({}, {"taper": (D(1),) * 4}, "rules.taper", "must list 5 multipliers"),
        ({}, {"taper": (D(1),) * 4 + (D(-1),)}, "rules.taper[4]", "must not be negative"),
        ({}, {"turnover_cap_pct": D("140")}, "rules.turnover_cap_pct", "0 to 100"),
        ({}, {"provisional_share_pct": D("101")}, "rules.provisional_share_pct", "0 to 100"),
        ({}, {"award_cap_years": -1}, "rules.award_cap_years", "must not be negative"),
        ({"net_sales_value": D(10) ** 16}, None, "net_sales_value", "must be under 10,000,"),
        ({"eligible_kg": D(10) ** 12}, None, "eligible_kg", "must be under 1,000,000,000,000"),
        ({}, {"award_cap_years": 100}, "rules.award_cap_years", "must be under 100"),
    ],
)
def test_refuses_bad_inputs_naming_the_key(changes, rule_changes, key, reason):
    with pytest.raises(SliInputError, match=reason) as caught:
        period(rule_changes, **changes)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ")


def test_negative_net_sales_leave_nothing_under_the_turnover_cap():
    # returns exceeding sales: 40 % of max(0, -5,00,000) = 0
    result = compute(period(net_sales_value=D("-500000.00")))

    assert result.turnover_cap == 0
    assert result.payable == D("0.00")


def test_the_largest_inputs_accepted_still_round_exactly():
    # Every figure over 28 digits once it carries 12 places: the thread's decimal context
    # (28 digits) must play no part. Half up checked independently: floor(100 x + 1/2).
    rate, taper = D("9999999999999999.99"), D("99.9999")
    p = period(
        {
            "taper": (taper,) * 5,
            "turnover_cap_pct": D(100),
            "award_cap_years": 99,
            "sli_pool": D("9999999999999999.99"),
        },
        rate=rate,
        capacity_mtpa=2**31 - 2,
        eligible_kg=D("999999999999.999"),
        net_sales_value=D("9999999999999999.99"),
    )

    result = compute(p)

    cap_kg = Fraction((2**31 - 2) * 1000 * 91, 365)
    gross = Fraction(rate) * Fraction(taper) * cap_kg
    half_up = math.floor(gross * 100 + Fraction(1, 2))
    assert result.as_dict()["gross"] == f"{half_up // 100}.{half_up % 100:02d}"
    # the turnover cap and the pool both 9,999...9.99; 85 % = 8,499...9.9915
    assert result.payable == D("8499999999999999.99")
