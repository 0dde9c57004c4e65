"""The pure engine, by hand: whole years compounded, the part year simple on the compounded amount."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from incentives.recovery import engine

RATE = Decimal("8.0000")  # rule set v1
LAKH_10 = Decimal("1000000.00")


def test_exactly_two_years_is_compounded_twice():
    working = engine.interest_due([(dt.date(2026, 6, 1), LAKH_10)], dt.date(2028, 6, 1), RATE)

    (line,) = working.lines
    # 10,00,000 x 1.08^2 = 11,66,400
    assert (line.years, line.days, line.factor) == (2, 0, Decimal("1.1664000000"))
    assert (line.principal, line.interest, line.due) == (
        LAKH_10,
        Decimal("166400.00"),
        Decimal("1166400.00"),
    )
    assert (working.principal, working.interest, working.total) == (
        LAKH_10, Decimal("166400.00"), Decimal("1166400.00"),
    )  # fmt: skip


def test_one_year_and_73_days_takes_the_part_year_simple_on_the_compounded_amount():
    working = engine.interest_due([(dt.date(2027, 3, 20), LAKH_10)], dt.date(2028, 6, 1), RATE)

    (line,) = working.lines
    # 10,00,000 x 1.08 x (1 + 0.08 x 73/365) = 10,80,000 x 1.016 = 10,97,280
    assert (line.years, line.days) == (1, 73)
    assert line.due == Decimal("1097280.00") and line.interest == Decimal("97280.00")


def test_a_line_is_rounded_once_half_up_at_its_end():
    # 333.33 x 1.08 x (1 + 0.08 x 1/365) = 360.07530...: rounded once, to 360.08
    line = engine.line_for(dt.date(2027, 5, 31), Decimal("333.33"), as_of=dt.date(2028, 6, 1),
                           rate_pct=RATE)  # fmt: skip
    assert (line.years, line.days, line.due, line.interest) == (
        1, 1, Decimal("360.08"), Decimal("26.75"),
    )  # fmt: skip


def test_a_payment_of_29_february_has_its_anniversary_on_28_february():
    paid_on = dt.date(2028, 2, 29)

    assert engine.whole_years_and_days(paid_on, dt.date(2029, 2, 27)) == (0, 364)
    assert engine.whole_years_and_days(paid_on, dt.date(2029, 2, 28)) == (1, 0)
    assert engine.whole_years_and_days(paid_on, dt.date(2029, 3, 1)) == (1, 1)
    assert engine.whole_years_and_days(paid_on, dt.date(2032, 2, 29)) == (4, 0)
    working = engine.interest_due([(paid_on, LAKH_10)], dt.date(2029, 2, 28), RATE)
    assert working.total == Decimal("1080000.00")


def test_a_part_year_across_29_february_counts_its_days_over_365():
    # 1 Mar 2027 to 29 Feb 2028: no anniversary yet, 365 days, so 1 + 0.08 x 365/365
    working = engine.interest_due([(dt.date(2027, 3, 1), LAKH_10)], dt.date(2028, 2, 29), RATE)
    assert (working.lines[0].years, working.lines[0].days) == (0, 365)
    assert working.total == Decimal("1080000.00")


def test_lines_come_in_date_order_and_add_up_to_the_totals():
    working = engine.interest_due(
        [(dt.date(2027, 3, 20), LAKH_10, "B"), (dt.date(2026, 6, 1), LAKH_10, "A")],
        dt.date(2028, 6, 1),
        RATE,
    )
    assert [line.reference for line in working.lines] == ["A", "B"]
    assert working.total == Decimal("2263680.00") == working.principal + working.interest
    assert working.as_dict()["lines"][1] == {
        "paid_on": "2027-03-20", "reference": "B", "principal": "1000000.00", "years": 1,
        "days": 73, "factor": "1.0972800000", "interest": "97280.00", "due": "1097280.00",
    }  # fmt: skip


def test_a_payment_on_the_day_owes_no_interest():
    working = engine.interest_due([(dt.date(2028, 6, 1), LAKH_10)], dt.date(2028, 6, 1), RATE)
    assert working.interest == 0 and working.total == LAKH_10


def test_a_payment_after_the_date_interest_runs_to_is_refused():
    with pytest.raises(ValueError, match="after 01 Jun 2028"):
        engine.interest_due([(dt.date(2028, 6, 2), LAKH_10)], dt.date(2028, 6, 1), RATE)


def test_no_payments_owe_nothing():
    working = engine.interest_due([], dt.date(2028, 6, 1), RATE)
    assert (working.lines, working.principal, working.interest, working.total) == ([], 0, 0, 0)


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1.00")])
def test_a_payment_that_is_not_positive_is_refused(amount):
    with pytest.raises(ValueError, match="not positive"):
        engine.interest_due([(dt.date(2027, 1, 1), amount)], dt.date(2028, 6, 1), RATE)


def test_a_negative_rate_is_refused():
    with pytest.raises(ValueError, match="zero or more"):
        engine.interest_due([(dt.date(2027, 1, 1), LAKH_10)], dt.date(2028, 6, 1), Decimal("-1"))
