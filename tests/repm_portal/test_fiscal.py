"""Tests for Indian financial years, claim quarters and month arithmetic."""

import calendar
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from repm_portal.fiscal import (
    FinancialYear,
    Quarter,
    add_months,
    days_inclusive,
    quarters_between,
)

dates = st.dates(min_value=date(1950, 1, 1), max_value=date(2200, 12, 31))
financial_years = st.integers(min_value=1950, max_value=2200).map(FinancialYear)
quarters = st.builds(Quarter, financial_years, st.integers(min_value=1, max_value=4))


# --- FinancialYear ---------------------------------------------------------------------------


def test_financial_year_runs_april_to_march():
    # given the financial year starting in 2028
    fy = FinancialYear(2028)
    # then it runs from 1 April 2028 to 31 March 2029 and is labelled the Indian way
    assert fy.start == date(2028, 4, 1)
    assert fy.end == date(2029, 3, 31)
    assert fy.label == "FY 2028-29"
    assert str(fy) == "FY 2028-29"
    assert fy.days == 365


def test_financial_year_containing_a_leap_day_has_366_days():
    # 29 Feb 2028 falls in FY 2027-28
    assert FinancialYear(2027).days == 366
    assert FinancialYear(2028).days == 365


def test_financial_year_label_across_a_century():
    assert FinancialYear(1999).label == "FY 1999-00"
    assert FinancialYear(2099).label == "FY 2099-00"


@pytest.mark.parametrize(
    ("d", "start_year"),
    [
        (date(2029, 3, 31), 2028),
        (date(2029, 4, 1), 2029),
        (date(2029, 1, 1), 2028),
        (date(2028, 12, 31), 2028),
        (date(2028, 4, 1), 2028),
    ],
)
def test_financial_year_for_date(d, start_year):
    assert FinancialYear.for_date(d) == FinancialYear(start_year)


def test_financial_year_navigation_and_order():
    fy = FinancialYear(2028)
    assert fy.next() == FinancialYear(2029)
    assert fy.previous() == FinancialYear(2027)
    assert FinancialYear(2027) < fy < FinancialYear(2029)
    assert sorted([FinancialYear(2030), FinancialYear(2026)]) == [
        FinancialYear(2026),
        FinancialYear(2030),
    ]


def test_financial_year_is_hashable_and_frozen():
    fy = FinancialYear(2028)
    assert {fy, FinancialYear(2028)} == {fy}
    with pytest.raises(AttributeError):
        fy.start_year = 2030  # type: ignore[misc]


def test_financial_year_contains_only_its_own_dates():
    fy = FinancialYear(2028)
    assert date(2028, 4, 1) in fy
    assert date(2029, 3, 31) in fy
    assert date(2029, 4, 1) not in fy
    assert "2028-05-01" not in fy


@pytest.mark.parametrize("bad", ["2028", 2028.0, True, None])
def test_financial_year_refuses_a_non_integer_year(bad):
    with pytest.raises(TypeError):
        FinancialYear(bad)


def test_financial_year_refuses_a_year_past_the_calendar():
    with pytest.raises(ValueError, match="outside the calendar"):
        FinancialYear(9999)


@given(dates)
def test_every_date_falls_in_its_financial_year(d):
    fy = FinancialYear.for_date(d)
    assert fy.start <= d <= fy.end
    assert d in fy


@given(financial_years)
def test_financial_years_tile_the_calendar(fy):
    # given any financial year
    # then the next one starts the day after it ends, and next/previous undo each other
    assert fy.next().start == fy.end + timedelta(days=1)
    assert fy.next().previous() == fy
    assert fy.days == (fy.end - fy.start).days + 1
    assert fy.days in (365, 366)


# --- Quarter ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "start", "end", "days"),
    [
        (1, date(2028, 4, 1), date(2028, 6, 30), 91),
        (2, date(2028, 7, 1), date(2028, 9, 30), 92),
        (3, date(2028, 10, 1), date(2028, 12, 31), 92),
        (4, date(2029, 1, 1), date(2029, 3, 31), 90),
    ],
)
def test_quarters_of_fy_2028_29(number, start, end, days):
    # given a quarter of FY 2028-29
    quarter = Quarter(FinancialYear(2028), number)
    # then its dates and length are the calendar's
    assert (quarter.start, quarter.end, quarter.days) == (start, end, days)
    assert quarter.label == f"Q{number} FY 2028-29"
    assert str(quarter) == quarter.label


def test_q4_of_a_leap_financial_year_has_91_days():
    assert Quarter(FinancialYear(2027), 4).days == 91


@pytest.mark.parametrize(
    ("d", "label"),
    [
        (date(2028, 4, 1), "Q1 FY 2028-29"),
        (date(2028, 6, 30), "Q1 FY 2028-29"),
        (date(2028, 7, 1), "Q2 FY 2028-29"),
        (date(2028, 12, 31), "Q3 FY 2028-29"),
        (date(2029, 1, 1), "Q4 FY 2028-29"),
        (date(2029, 3, 31), "Q4 FY 2028-29"),
    ],
)
def test_quarter_for_date(d, label):
    assert Quarter.for_date(d).label == label


def test_quarter_navigation_crosses_financial_years():
    q4 = Quarter(FinancialYear(2028), 4)
    assert q4.next() == Quarter(FinancialYear(2029), 1)
    assert Quarter(FinancialYear(2029), 1).previous() == q4
    assert Quarter(FinancialYear(2028), 2).next() == Quarter(FinancialYear(2028), 3)


def test_quarters_order_by_year_then_number():
    assert Quarter(FinancialYear(2028), 4) < Quarter(FinancialYear(2029), 1)
    assert Quarter(FinancialYear(2028), 1) < Quarter(FinancialYear(2028), 2)


@pytest.mark.parametrize("number", [0, 5, -1])
def test_quarter_number_must_be_one_to_four(number):
    with pytest.raises(ValueError, match="1 to 4"):
        Quarter(FinancialYear(2028), number)


@pytest.mark.parametrize(("fy", "number"), [(2028, 1), (FinancialYear(2028), "1")])
def test_quarter_refuses_wrong_types(fy, number):
    with pytest.raises(TypeError):
        Quarter(fy, number)


def test_financial_year_lists_its_four_quarters():
    fy = FinancialYear(2028)
    assert [q.number for q in fy.quarters()] == [1, 2, 3, 4]
    assert all(q.fy == fy for q in fy.quarters())


@given(financial_years)
def test_quarters_tile_their_financial_year(fy):
    # given any financial year
    qs = fy.quarters()
    # then its quarters start and end with it, follow each other day by day, and add up
    assert qs[0].start == fy.start
    assert qs[-1].end == fy.end
    for earlier, later in pairwise(qs):
        assert later.start == earlier.end + timedelta(days=1)
    assert sum(q.days for q in qs) == fy.days


@given(dates)
def test_every_date_falls_in_its_quarter(d):
    quarter = Quarter.for_date(d)
    assert quarter.start <= d <= quarter.end
    assert d in quarter
    assert quarter.fy == FinancialYear.for_date(d)


@given(quarters)
def test_quarter_navigation_is_consistent_with_dates(quarter):
    assert quarter.next().start == quarter.end + timedelta(days=1)
    assert quarter.next().previous() == quarter
    assert quarter < quarter.next()
    assert 90 <= quarter.days <= 92


@given(quarters, quarters)
def test_quarter_order_matches_date_order(a, b):
    assert (a < b) == (a.start < b.start)


# --- add_months ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2029, 1, 31), 1, date(2029, 2, 28)),
        (date(2028, 3, 31), -1, date(2028, 2, 29)),
        (date(2028, 8, 31), 1, date(2028, 9, 30)),
        (date(2028, 11, 15), 2, date(2029, 1, 15)),
        (date(2029, 1, 15), -2, date(2028, 11, 15)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 4, 1), 24, date(2028, 4, 1)),
        (date(2026, 4, 1), 84, date(2033, 4, 1)),
        (date(2028, 5, 10), 0, date(2028, 5, 10)),
    ],
)
def test_add_months_clamps_to_month_end(d, months, expected):
    assert add_months(d, months) == expected


@given(dates, st.integers(min_value=-1200, max_value=1200))
def test_add_months_moves_the_month_and_keeps_the_day_where_it_can(d, months):
    # given any date and month offset
    moved = add_months(d, months)
    # then the calendar month moves by exactly that much
    assert (moved.year * 12 + moved.month) - (d.year * 12 + d.month) == months
    # and the day is kept, or clamped to the last day of a shorter month
    last_day = calendar.monthrange(moved.year, moved.month)[1]
    assert moved.day == min(d.day, last_day)


@given(dates, st.integers(min_value=-1200, max_value=1200))
def test_add_months_is_reversible_for_days_every_month_has(d, months):
    d = d.replace(day=min(d.day, 28))
    assert add_months(add_months(d, months), -months) == d


def test_add_months_refuses_datetimes_and_non_integer_months():
    with pytest.raises(TypeError, match="date"):
        add_months(datetime(2028, 1, 31, tzinfo=UTC), 1)
    with pytest.raises(TypeError, match="months"):
        add_months(date(2028, 1, 31), 1.0)


def test_add_months_refuses_to_leave_the_calendar():
    with pytest.raises(ValueError, match="outside the calendar"):
        add_months(date(9999, 12, 1), 1)


def test_for_date_refuses_a_datetime_whose_day_depends_on_the_time_zone():
    # given 31 Mar 2029 20:00 UTC, which is already 1 Apr 2029 in India
    moment = datetime(2029, 3, 31, 20, 0, tzinfo=UTC)
    # when / then the caller must choose the local date itself
    with pytest.raises(TypeError, match="date"):
        FinancialYear.for_date(moment)
    with pytest.raises(TypeError, match="date"):
        Quarter.for_date(moment)


# --- days_inclusive and quarters_between -----------------------------------------------------


def test_days_inclusive_counts_both_ends():
    assert days_inclusive(date(2028, 4, 1), date(2028, 4, 1)) == 1
    assert days_inclusive(date(2028, 4, 1), date(2029, 3, 31)) == 365
    with pytest.raises(ValueError, match="before"):
        days_inclusive(date(2028, 4, 2), date(2028, 4, 1))


def test_quarters_between_lists_every_overlapping_quarter():
    # given a gestation period of 24 months from an award on 15 Feb 2027
    award = date(2027, 2, 15)
    gestation_end = add_months(award, 24) - timedelta(days=1)
    # when the quarters it touches are listed
    found = quarters_between(award, gestation_end)
    # then they run from Q4 FY 2026-27 to Q4 FY 2028-29, partial quarters included
    assert found[0].label == "Q4 FY 2026-27"
    assert found[-1].label == "Q4 FY 2028-29"
    assert len(found) == 9


def test_quarters_between_a_single_day_is_its_quarter():
    assert quarters_between(date(2028, 6, 30), date(2028, 6, 30)) == [
        Quarter(FinancialYear(2028), 1)
    ]


def test_quarters_between_refuses_a_reversed_range():
    with pytest.raises(ValueError, match="before"):
        quarters_between(date(2029, 1, 1), date(2028, 1, 1))


@given(dates, dates)
def test_quarters_between_covers_the_range_without_gaps(a, b):
    start, end = min(a, b), max(a, b)
    found = quarters_between(start, end)
    # every quarter overlaps the range, the first holds start and the last holds end
    assert start in found[0]
    assert end in found[-1]
    assert all(q.start <= end and q.end >= start for q in found)
    for earlier, later in pairwise(found):
        assert later == earlier.next()
    # and the quarters cover exactly the days of the range, trimmed to it
    covered = sum(days_inclusive(max(q.start, start), min(q.end, end)) for q in found)
    assert covered == days_inclusive(start, end)
