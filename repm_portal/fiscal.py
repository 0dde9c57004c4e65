"""Indian financial years (1 April - 31 March) and their claim quarters, on plain dates."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# The first month of the financial year; quarter n starts 3 * (n - 1) months after it.
_FY_FIRST_MONTH = 4


def _require_date(value: object, name: str) -> date:
    # A datetime is a date too, but its calendar day depends on the time zone it is
    # read in; the caller must pick the Indian local date before asking.
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a datetime.date, not {type(value).__name__}")
    return value


def add_months(d: date, months: int) -> date:
    """Move `d` by whole months, clamping to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    _require_date(d, "d")
    if isinstance(months, bool) or not isinstance(months, int):
        raise TypeError(f"months must be an int, not {type(months).__name__}")
    year, month_index = divmod(d.year * 12 + (d.month - 1) + months, 12)
    if not date.min.year <= year <= date.max.year:
        raise ValueError(f"{d} moved by {months} months falls outside the calendar")
    month = month_index + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def days_inclusive(start: date, end: date) -> int:
    """Count the days from `start` to `end`, both included."""
    _require_date(start, "start")
    _require_date(end, "end")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return (end - start).days + 1


@dataclass(frozen=True, order=True)
class FinancialYear:
    """The financial year that begins on 1 April of `start_year`."""

    start_year: int

    def __post_init__(self) -> None:
        if isinstance(self.start_year, bool) or not isinstance(self.start_year, int):
            raise TypeError(f"start_year must be an int, not {type(self.start_year).__name__}")
        # The year ends in start_year + 1, which must still be a real calendar year.
        if not date.min.year <= self.start_year < date.max.year:
            raise ValueError(f"start_year {self.start_year} is outside the calendar")

    @classmethod
    def for_date(cls, d: date) -> FinancialYear:
        _require_date(d, "d")
        return cls(d.year if d.month >= _FY_FIRST_MONTH else d.year - 1)

    @property
    def start(self) -> date:
        return date(self.start_year, _FY_FIRST_MONTH, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, _FY_FIRST_MONTH, 1) - timedelta(days=1)

    @property
    def days(self) -> int:
        return days_inclusive(self.start, self.end)

    @property
    def label(self) -> str:
        return f"FY {self.start_year}-{(self.start_year + 1) % 100:02d}"

    def next(self) -> FinancialYear:
        return FinancialYear(self.start_year + 1)

    def previous(self) -> FinancialYear:
        return FinancialYear(self.start_year - 1)

    def quarters(self) -> tuple[Quarter, Quarter, Quarter, Quarter]:
        return (Quarter(self, 1), Quarter(self, 2), Quarter(self, 3), Quarter(self, 4))

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and not isinstance(d, datetime) and self.start <= d <= self.end

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True, order=True)
class Quarter:
    """Quarter `number` of a financial year: Q1 Apr-Jun, Q2 Jul-Sep, Q3 Oct-Dec, Q4 Jan-Mar."""

    fy: FinancialYear
    number: int

    def __post_init__(self) -> None:
        if not isinstance(self.fy, FinancialYear):
            raise TypeError(f"fy must be a FinancialYear, not {type(self.fy).__name__}")
        if isinstance(self.number, bool) or not isinstance(self.number, int):
            raise TypeError(f"quarter number must be an int, not {type(self.number).__name__}")
        if not 1 <= self.number <= 4:
            raise ValueError(f"quarter number must be 1 to 4, got {self.number}")

    @classmethod
    def for_date(cls, d: date) -> Quarter:
        fy = FinancialYear.for_date(d)
        months_into_year = (d.month - _FY_FIRST_MONTH) % 12
        return cls(fy, months_into_year // 3 + 1)

    @property
    def start(self) -> date:
        return add_months(self.fy.start, 3 * (self.number - 1))

    @property
    def end(self) -> date:
        return add_months(self.start, 3) - timedelta(days=1)

    @property
    def days(self) -> int:
        return days_inclusive(self.start, self.end)

    @property
    def label(self) -> str:
        return f"Q{self.number} {self.fy.label}"

    def next(self) -> Quarter:
        return Quarter(self.fy, self.number + 1) if self.number < 4 else Quarter(self.fy.next(), 1)

    def previous(self) -> Quarter:
        return (
            Quarter(self.fy, self.number - 1) if self.number > 1 else Quarter(self.fy.previous(), 4)
        )

    def __contains__(self, d: object) -> bool:
        return isinstance(d, date) and not isinstance(d, datetime) and self.start <= d <= self.end

    def __str__(self) -> str:
        return self.label


def quarters_between(start: date, end: date) -> list[Quarter]:
    """Every quarter that overlaps the days from `start` to `end`, both included, in order."""
    _require_date(start, "start")
    _require_date(end, "end")
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    quarter = Quarter.for_date(start)
    found = []
    while quarter.start <= end:
        found.append(quarter)
        quarter = quarter.next()
    return found
