"""Gestation arithmetic on plain values: the schedule, lateness and the delay penalty, rounded once.

The delay penalty counts *days of delay*: every calendar day after the last day of gestation
(`gestation_ends_on`) up to and including the day of commissioning (or, while the plant is not
commissioned, up to and including today). A plant commissioned on or before the last day of
gestation owes nothing. Each day of delay costs `pct_per_day` % of the PBG amount; the product is
rounded half up to the paisa once, at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from repm_portal.fiscal import add_months
from repm_portal.money import to_money

HUNDRED = Decimal(100)

# Where each milestone falls by default, as a share of the gestation period (24 months: 3, 12,
# 18, 22 and 24 months after the award); commissioning is planned for the last day of gestation.
DEFAULT_PLAN = (
    ("land", Decimal("0.125")),
    ("building", Decimal("0.5")),
    ("equipment", Decimal("0.75")),
    ("trial", Decimal("0.9167")),
    ("commissioning", Decimal(1)),
)


def gestation_end(award_date: dt.date, gestation_months: int) -> dt.date:
    """The last day of gestation: the award date moved on by the rule set's months."""
    return add_months(award_date, gestation_months)


def planned_dates(award_date: dt.date, gestation_months: int) -> list[tuple[str, dt.date]]:
    """Each milestone's default planned date, spread over the gestation period."""
    plan = []
    for kind, share in DEFAULT_PLAN:
        months = int((share * gestation_months).to_integral_value())
        plan.append((kind, add_months(award_date, max(1, months))))
    return plan


def delay_days(gestation_ends_on: dt.date, until: dt.date) -> int:
    """Days of delay up to and including `until`; 0 if `until` is within gestation."""
    return max(0, (until - gestation_ends_on).days)


def days_late(planned_on: dt.date, done_on: dt.date | None, today: dt.date) -> int:
    """How late a milestone is (or was): done after its planned date, or still open past it."""
    reference = done_on if done_on is not None else today
    return max(0, (reference - planned_on).days)


@dataclass(frozen=True)
class DelayPenalty:
    """A delay penalty worked out, with everything needed to explain it."""

    gestation_ends_on: dt.date
    until: dt.date
    days: int
    pbg_amount: Decimal
    pct_per_day: Decimal
    amount: Decimal

    @property
    def first_day(self) -> dt.date:
        return self.gestation_ends_on + dt.timedelta(days=1)

    @property
    def per_day(self) -> Decimal:
        """One day's penalty, rounded for display only (the total is rounded once, not per day)."""
        return to_money(self.pbg_amount * self.pct_per_day / HUNDRED)


def delay_penalty(
    *, gestation_ends_on: dt.date, until: dt.date, pbg_amount: Decimal, pct_per_day: Decimal
) -> DelayPenalty:
    """The penalty for the days of delay up to and including `until`."""
    if pbg_amount < 0 or pct_per_day < 0:
        raise ValueError("The PBG amount and the penalty rate cannot be negative.")
    days = delay_days(gestation_ends_on, until)
    amount = to_money(Decimal(days) * pct_per_day * pbg_amount / HUNDRED)
    return DelayPenalty(
        gestation_ends_on=gestation_ends_on,
        until=until,
        days=days,
        pbg_amount=pbg_amount,
        pct_per_day=pct_per_day,
        amount=amount,
    )
