"""The gestation arithmetic on plain values: schedule, lateness, the delay penalty."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from incentives.gestation import engine

PBG = Decimal("400000000.00")  # Rs 40 crore
RATE = Decimal("0.1")


def test_gestation_ends_the_rule_sets_months_after_the_award_clamped_to_month_end():
    assert engine.gestation_end(dt.date(2026, 7, 21), 24) == dt.date(2028, 7, 21)
    assert engine.gestation_end(dt.date(2026, 8, 31), 18) == dt.date(2028, 2, 29)


def test_milestones_are_planned_across_the_gestation():
    plan = engine.planned_dates(dt.date(2026, 7, 21), 24)
    assert plan == [
        ("land", dt.date(2026, 10, 21)),
        ("building", dt.date(2027, 7, 21)),
        ("equipment", dt.date(2028, 1, 21)),
        ("trial", dt.date(2028, 5, 21)),
        ("commissioning", dt.date(2028, 7, 21)),
    ]


@pytest.mark.parametrize(
    ("until", "days"),
    [
        (dt.date(2028, 7, 20), 0),  # commissioned before gestation ends
        (dt.date(2028, 7, 21), 0),  # on its last day: still on time
        (dt.date(2028, 7, 22), 1),  # the first day of delay counts
        (dt.date(2028, 8, 1), 11),  # across a month end: 22-31 Jul, 1 Aug
    ],
)
def test_days_of_delay_run_from_the_day_after_gestation_to_commissioning_inclusive(until, days):
    assert engine.delay_days(dt.date(2028, 7, 21), until) == days


def test_a_leap_day_is_a_day_of_delay():
    # Gestation ends 15 Feb 2028; 16-29 Feb is 14 days (29 Feb included), then 1 Mar.
    assert engine.delay_days(dt.date(2028, 2, 15), dt.date(2028, 3, 1)) == 15
    assert engine.delay_days(dt.date(2027, 2, 15), dt.date(2027, 3, 1)) == 14


def test_the_penalty_is_days_times_the_rate_times_the_pbg():
    penalty = engine.delay_penalty(
        gestation_ends_on=dt.date(2028, 7, 21), until=dt.date(2028, 10, 5), pbg_amount=PBG,
        pct_per_day=RATE,
    )  # fmt: skip
    assert penalty.days == 76
    assert penalty.per_day == Decimal("400000.00")
    assert penalty.amount == Decimal("30400000.00")  # Rs 3.04 crore
    assert penalty.first_day == dt.date(2028, 7, 22)


def test_the_penalty_is_rounded_once_at_the_end_not_per_day():
    # 0.1 % of Rs 1,234.57 is Rs 1.23457 a day: 3 days are Rs 3.70371 -> Rs 3.70, whereas
    # rounding each day first (Rs 1.23) would give Rs 3.69.
    penalty = engine.delay_penalty(
        gestation_ends_on=dt.date(2028, 1, 1), until=dt.date(2028, 1, 4),
        pbg_amount=Decimal("1234.57"), pct_per_day=RATE,
    )  # fmt: skip
    assert penalty.amount == Decimal("3.70")
    assert penalty.per_day == Decimal("1.23")


def test_no_delay_no_penalty_and_negative_inputs_are_refused():
    on_time = engine.delay_penalty(
        gestation_ends_on=dt.date(2028, 7, 21), until=dt.date(2028, 5, 1), pbg_amount=PBG,
        pct_per_day=RATE,
    )  # fmt: skip
    assert (on_time.days, on_time.amount) == (0, Decimal("0.00"))
    with pytest.raises(ValueError, match="cannot be negative"):
        engine.delay_penalty(
            gestation_ends_on=dt.date(2028, 7, 21), until=dt.date(2028, 8, 1), pbg_amount=-PBG,
            pct_per_day=RATE,
        )  # fmt: skip


def test_a_milestone_is_late_when_done_after_plan_or_still_open_past_it():
    planned = dt.date(2027, 7, 21)
    assert engine.days_late(planned, dt.date(2027, 7, 21), dt.date(2027, 9, 1)) == 0
    assert engine.days_late(planned, dt.date(2027, 7, 31), dt.date(2027, 9, 1)) == 10
    assert engine.days_late(planned, None, dt.date(2027, 8, 1)) == 11
    assert engine.days_late(planned, None, dt.date(2027, 7, 1)) == 0
