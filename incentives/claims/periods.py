"""Claim periods of an award: quarters of the financial year from commissioning to the end of the SLI term."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from repm_portal.fiscal import Quarter, add_months, days_inclusive


@dataclass(frozen=True)
class ClaimPeriod:
    """One claim period: a quarter, cut to the eligible days where the scheme starts or ends inside it."""

    quarter: Quarter
    starts_on: dt.date  # the first eligible day
    ends_on: dt.date  # the last eligible day
    is_early: bool  # ends on or before the last day of gestation: early sales, scheme year 1

    @property
    def days(self) -> int:
        return days_inclusive(self.starts_on, self.ends_on)

    @property
    def is_partial(self) -> bool:
        return self.starts_on != self.quarter.start or self.ends_on != self.quarter.end

    @property
    def label(self) -> str:
        return self.quarter.label

    def window_closes_on(self, claim_window_days: int) -> dt.date:
        """The last day a claim for the period may be uploaded: window_days after the period ends."""
        return self.ends_on + dt.timedelta(days=claim_window_days)


def sli_term_ends_on(*, gestation_ends_on: dt.date, sli_months: int) -> dt.date:
    """The SLI term's last day: sli_months after gestation ends (gestation's last day starts the count)."""
    return add_months(gestation_ends_on, sli_months)


def claim_periods(
    *, commissioned_on: dt.date, gestation_ends_on: dt.date, sli_months: int
) -> list[ClaimPeriod]:
    """Every claim period of a plant commissioned on `commissioned_on`, in order.

    The first period runs from the commissioning day to the end of its quarter (sales
    before commissioning earn nothing); the last ends on the SLI term's last day. A
    period that ends by the end of gestation holds early sales, which earn SLI too
    (SCHEME.md section 1) and count as scheme year 1.
    """
    term_end = sli_term_ends_on(gestation_ends_on=gestation_ends_on, sli_months=sli_months)
    periods = []
    quarter = Quarter.for_date(commissioned_on)
    while quarter.start <= term_end:
        starts_on = max(quarter.start, commissioned_on)
        ends_on = min(quarter.end, term_end)
        if starts_on <= ends_on:
            periods.append(
                ClaimPeriod(
                    quarter=quarter,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    is_early=ends_on <= gestation_ends_on,
                )
            )
        quarter = quarter.next()
    return periods
