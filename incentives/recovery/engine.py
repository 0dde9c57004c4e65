"""What a recovery asks back: each payment with interest compounded annually from its date.

Pure: plain values in, plain values out (no ORM), so a stored working can be replayed from its
inputs (each payment's date and amount, the date interest runs to, the rate).

The convention, for a payment of P on `paid_on` and interest at r % a year up to `as_of`:

- Whole years: the number of anniversaries of `paid_on` that fall on or before `as_of`. The
  anniversary of a payment made on 29 February falls on 28 February in a common year.
- Part year: the days from the last anniversary (or from `paid_on` when there is none) to
  `as_of`, charged at simple interest on the amount already compounded, over a 365-day year
  (actual/365 fixed, even across a 29 February; a part year is at most 365 days).
- Due = P x (1 + r/100)^years x (1 + r/100 x days/365), computed exactly (one division, at the
  end) and rounded once, half up to the paisa; interest = due - P. Totals are the sums of the
  rounded lines, so the lines always add up to the totals shown.
- Interest runs from the day after payment: a payment on `as_of` itself owes nothing yet. A
  payment after `as_of` is refused (interest cannot run backwards).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Context, Decimal
from typing import Any

from repm_portal.money import ROUNDING, to_money

DAYS_IN_YEAR = 365
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
# Exact enough for any real figure: 1.08^40 x 12 digits of rupees stays far inside 60 digits.
_CONTEXT = Context(prec=60, rounding=ROUNDING)
# The factor as shown and stored for reading; the amounts are computed from the exact factor.
FACTOR_PLACES = Decimal("1e-10")


def anniversary(paid_on: dt.date, years: int) -> dt.date:
    """The date `years` after `paid_on`; 29 February falls on 28 February in a common year."""
    year = paid_on.year + years
    try:
        return paid_on.replace(year=year)
    except ValueError:  # 29 February into a common year
        return dt.date(year, 2, 28)


def whole_years_and_days(paid_on: dt.date, as_of: dt.date) -> tuple[int, int]:
    """Anniversaries of `paid_on` on or before `as_of`, and the days left over after the last."""
    if as_of < paid_on:
        raise ValueError(f"A payment of {paid_on:%d %b %Y} is after {as_of:%d %b %Y}.")
    years = as_of.year - paid_on.year
    if anniversary(paid_on, years) > as_of:
        years -= 1
    return years, (as_of - anniversary(paid_on, years)).days


@dataclass(frozen=True)
class Line:
    """One payment's working: what was paid, for how long, the factor and the interest on it."""

    paid_on: dt.date
    principal: Decimal
    years: int
    days: int
    factor: Decimal  # shown to ten places; `due` comes from the exact factor
    interest: Decimal
    due: Decimal
    reference: str = ""  # the payment's UTR, or whatever names it for the reader

    def as_dict(self) -> dict[str, Any]:
        return {
            "paid_on": self.paid_on.isoformat(),
            "reference": self.reference,
            "principal": str(self.principal),
            "years": self.years,
            "days": self.days,
            "factor": str(self.factor),
            "interest": str(self.interest),
            "due": str(self.due),
        }


@dataclass(frozen=True)
class RecoveryWorking:
    """Every payment's line and the totals, with the inputs that replay them."""

    as_of: dt.date
    rate_pct: Decimal
    lines: list[Line] = field(default_factory=list)

    @property
    def principal(self) -> Decimal:
        return sum((line.principal for line in self.lines), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((line.interest for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return sum((line.due for line in self.lines), ZERO)

    def as_dict(self) -> dict[str, Any]:
        return {
            "convention": (
                "Whole years compounded annually from each payment's date; the part year at "
                "simple interest on the compounded amount, over 365 days; each line rounded "
                "half up to the paisa once."
            ),
            "as_of": self.as_of.isoformat(),
            "rate_pct": str(self.rate_pct),
            "lines": [line.as_dict() for line in self.lines],
            "principal": str(self.principal),
            "interest": str(self.interest),
            "total": str(self.total),
        }


def line_for(
    paid_on: dt.date, amount: Decimal, *, as_of: dt.date, rate_pct: Decimal, reference: str = ""
) -> Line:
    """One payment brought forward to `as_of` with its interest, rounded once."""
    principal = to_money(amount)
    if principal <= 0:
        raise ValueError(f"A payment of {principal} on {paid_on:%d %b %Y} is not positive.")
    years, days = whole_years_and_days(paid_on, as_of)
    rate = Decimal(rate_pct)
    compounded = _CONTEXT.power(_CONTEXT.add(1, _CONTEXT.divide(rate, HUNDRED)), years)
    # (1 + r/100 x d/365) = (36500 + r x d) / 36500: the one division comes last.
    part_numerator = _CONTEXT.add(HUNDRED * DAYS_IN_YEAR, _CONTEXT.multiply(rate, days))
    exact_due = _CONTEXT.divide(
        _CONTEXT.multiply(_CONTEXT.multiply(principal, compounded), part_numerator),
        HUNDRED * DAYS_IN_YEAR,
    )
    factor = _CONTEXT.divide(_CONTEXT.multiply(compounded, part_numerator), HUNDRED * DAYS_IN_YEAR)
    due = to_money(exact_due)
    return Line(
        paid_on=paid_on,
        principal=principal,
        years=years,
        days=days,
        factor=factor.quantize(FACTOR_PLACES, rounding=ROUNDING, context=_CONTEXT),
        interest=due - principal,
        due=due,
        reference=reference,
    )


def interest_due(
    payments: Iterable[tuple[dt.date, Decimal]] | Iterable[tuple[dt.date, Decimal, str]],
    as_of: dt.date,
    rate_pct: Decimal,
) -> RecoveryWorking:
    """What the payments owe back on `as_of` at `rate_pct` % a year: a line each, in date order.

    A payment is (paid_on, amount) or (paid_on, amount, reference). No payments owe nothing.
    Raises ValueError for a payment after `as_of`, an amount that is not positive, or a negative rate.
    """
    rate = Decimal(rate_pct)
    if not rate.is_finite() or rate < 0:
        raise ValueError(f"The interest rate must be zero or more, not {rate_pct}.")
    lines = []
    for payment in payments:
        paid_on, amount, *rest = payment
        reference = str(rest[0]) if rest else ""
        lines.append(line_for(paid_on, amount, as_of=as_of, rate_pct=rate, reference=reference))
    lines.sort(key=lambda line: (line.paid_on, line.reference))
    return RecoveryWorking(as_of=as_of, rate_pct=rate, lines=lines)


__all__ = [
    "DAYS_IN_YEAR",
    "Line",
    "RecoveryWorking",
    "anniversary",
    "interest_due",
    "line_for",
    "whole_years_and_days",
]
