"""The capital subsidy, computed: which ledger lines are eligible and why not, and the figure payable.

Pure: plain values in, plain values out (no ORM), so every figure can be replayed from its inputs.
Money stays exact in Decimal through every step and is rounded once, at the end, by to_money.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from repm_portal.money import format_crore, format_inr, to_money

ELIGIBLE_HEADS = ("plant_machinery", "rnd", "technology_transfer")
HEAD_NAMES = {
    "plant_machinery": "plant and machinery",
    "rnd": "R&D",
    "technology_transfer": "technology transfer",
    "other": "other",
}
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%b %Y}"


# --- eligibility of lines --------------------------------------------------------------------


def judge_lines(
    lines: pd.DataFrame, *, eligible_from: dt.date, claimed_before: Mapping[str, str]
) -> pd.DataFrame:
    """Judge every line at once: a frame of `eligible` and `reason`, on the lines' index (file rows).

    `lines` needs head, invoice_date and duplicate_key; `claimed_before` maps the duplicate key
    of each invoice in an earlier claim of the award to that claim's reference. A repeat within
    the file leaves the first row eligible and judges the later ones; every reason that applies
    is given, joined by "; ".
    """
    rows = pd.Series(lines.index.to_numpy(), index=lines.index)
    reasons = pd.Series("", index=lines.index, dtype=object)

    def add(mask: pd.Series, text: pd.Series | str) -> None:
        text = text if isinstance(text, pd.Series) else pd.Series(text, index=lines.index)
        joined = reasons.where(reasons == "", reasons + "; ") + text
        reasons.loc[mask] = joined.loc[mask]

    other_head = ~lines["head"].isin(ELIGIBLE_HEADS)
    add(
        other_head,
        lines["head"].map(
            lambda head: (
                f"Head '{HEAD_NAMES.get(head, head)}' is not eligible "
                "(only plant and machinery, R&D and technology transfer are)"
            )
        ),
    )
    dates = pd.to_datetime(lines["invoice_date"])
    early = dates < pd.Timestamp(eligible_from)
    add(early, f"Dated before {_day(eligible_from)}, the date eligible investment runs from")

    first_row = rows.groupby(lines["duplicate_key"]).transform("min")
    repeat = rows != first_row
    add(repeat, first_row.map(lambda row: f"Repeats the vendor and invoice number of row {row}"))

    earlier = lines["duplicate_key"].map(claimed_before)
    in_earlier = earlier.notna()
    add(in_earlier, earlier.map(lambda ref: f"Already claimed in claim {ref}", na_action="ignore"))
    return pd.DataFrame({"eligible": reasons == "", "reason": reasons}, index=lines.index)


def eligible_total(amounts: Iterable[Decimal], eligible: Iterable[bool]) -> Decimal:
    """The exact sum of the eligible amounts (Decimal; no float on the way)."""
    return sum(
        (amount for amount, ok in zip(amounts, eligible, strict=True) if ok), start=Decimal("0")
    )


# --- the figure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Slab:
    min_capacity_mtpa: int
    max_capacity_mtpa: int
    cap: Decimal
    min_investment: Decimal

    @property
    def label(self) -> str:
        if self.min_capacity_mtpa == self.max_capacity_mtpa:
            return f"{self.min_capacity_mtpa:,} MTPA"
        return f"{self.min_capacity_mtpa:,}-{self.max_capacity_mtpa:,} MTPA"


def slab_for(capacity_mtpa: int, slabs: Sequence[Slab]) -> Slab:
    """The slab whose bounds hold the capacity, bounds included (as RuleSet.slab_for_capacity picks
    the net-worth slab in bidding).

    A rule set's slabs run on without gaps over the capacity steps, so an award always falls in
    one. Should a capacity ever fall between two slabs (off the step), the lower slab applies:
    the firm has not reached the next slab's capacity, so not its cap either.
    """
    ordered = sorted(slabs, key=lambda s: s.min_capacity_mtpa)
    for slab in ordered:
        if slab.min_capacity_mtpa <= capacity_mtpa <= slab.max_capacity_mtpa:
            return slab
    below = [s for s in ordered if s.max_capacity_mtpa < capacity_mtpa]
    if below and capacity_mtpa <= ordered[-1].max_capacity_mtpa:
        return below[-1]
    raise ValueError(f"No capital subsidy slab covers {capacity_mtpa:,} MTPA.")


BELOW_MINIMUM = "below_minimum"
RATE = "rate"
SLAB_CAP = "slab_cap"
POOL = "pool"
NOTHING_ELIGIBLE = "nothing_eligible"


@dataclass(frozen=True)
class Subsidy:
    eligible: Decimal  # this claim's
    earlier_eligible: Decimal  # the award's earlier claims'
    pct: Decimal
    at_rate: Decimal  # pct of all the award's eligible investment, unrounded
    capacity_mtpa: int
    slab: Slab
    already_sanctioned: Decimal
    rate_left: Decimal
    cap_left: Decimal
    pool_left: Decimal
    amount: Decimal  # rounded to the paisa, once
    binding: str  # which limit gave the figure

    @property
    def cumulative(self) -> Decimal:
        return self.eligible + self.earlier_eligible

    @property
    def below_minimum(self) -> bool:
        return self.binding == BELOW_MINIMUM

    def lines(self) -> list[tuple[str, str, str]]:
        """The working, line by line, as (label, value, note) for the letter and the claim page."""
        slab, pct = self.slab, f"{self.pct.normalize():f} %"
        out = [
            ("Allocated capacity", f"{self.capacity_mtpa:,} MTPA", f"slab {slab.label}"),
            (
                "Eligible investment in this claim",
                format_inr(self.eligible),
                format_crore(self.eligible),
            ),
        ]
        if self.earlier_eligible:
            out += [
                (
                    "Eligible investment in earlier claims of the award",
                    format_inr(self.earlier_eligible),
                    format_crore(self.earlier_eligible),
                ),
                (
                    "Eligible investment, all claims",
                    format_inr(self.cumulative),
                    format_crore(self.cumulative),
                ),
            ]
        out += [
            (
                "Minimum eligible investment for the slab",
                format_inr(slab.min_investment),
                "not met: nothing is payable" if self.below_minimum else "met",
            ),
            ("Rate", pct, "of eligible investment"),
            (f"{pct} of eligible investment", format_inr(to_money(self.at_rate)), ""),
            (
                "Already sanctioned to the award from the capital subsidy pool",
                format_inr(self.already_sanctioned),
                "",
            ),
            ("Due at the rate", format_inr(to_money(self.rate_left)), "less what is sanctioned"),
            ("Slab cap", format_inr(slab.cap), format_crore(slab.cap)),
            ("Slab cap left", format_inr(self.cap_left), "slab cap less what is sanctioned"),
            ("Left in the capital subsidy pool", format_inr(self.pool_left), ""),
        ]
        applied = {
            RATE: f"{pct} of eligible investment",
            SLAB_CAP: "the slab cap left",
            POOL: "what is left in the pool",
            BELOW_MINIMUM: "nil: eligible investment is below the slab's minimum",
            NOTHING_ELIGIBLE: "nil: no eligible investment",
        }[self.binding]
        out.append(("Capital subsidy payable", format_inr(self.amount), applied))
        return out


def subsidy(
    *,
    eligible: Decimal,
    pct: Decimal,
    capacity_mtpa: int,
    slabs: Sequence[Slab],
    already_sanctioned: Decimal,
    pool_left: Decimal,
    earlier_eligible: Decimal = ZERO,
) -> Subsidy:
    """min(pct x eligible, slab cap less what the award already has, pool left); nil below the minimum.

    With earlier claims of the award, the rate and the minimum apply to all its eligible
    investment (a firm that tops up past the slab's minimum gets the rate on the whole), less
    what was sanctioned before; for a first claim this is the plain formula.
    """
    if min(eligible, earlier_eligible, already_sanctioned, pool_left) < 0:
        raise ValueError("Eligible investment, sanctioned amounts and the pool cannot be negative.")
    slab = slab_for(capacity_mtpa, slabs)
    cumulative = eligible + earlier_eligible
    at_rate = cumulative * pct / HUNDRED
    rate_left = max(ZERO, at_rate - already_sanctioned)
    cap_left = max(ZERO, slab.cap - already_sanctioned)
    if eligible == 0:
        amount, binding = ZERO, NOTHING_ELIGIBLE
    elif cumulative < slab.min_investment:
        amount, binding = ZERO, BELOW_MINIMUM
    else:
        # The first limit named wins a tie: the rate, then the slab cap, then the pool.
        amount, binding = min(
            ((rate_left, RATE), (cap_left, SLAB_CAP), (pool_left, POOL)), key=lambda pair: pair[0]
        )
    return Subsidy(
        eligible=eligible,
        earlier_eligible=earlier_eligible,
        pct=pct,
        at_rate=at_rate,
        capacity_mtpa=capacity_mtpa,
        slab=slab,
        already_sanctioned=already_sanctioned,
        rate_left=rate_left,
        cap_left=cap_left,
        pool_left=pool_left,
        amount=to_money(amount),
        binding=binding,
    )


__all__ = [
    "ELIGIBLE_HEADS",
    "Slab",
    "Subsidy",
    "eligible_total",
    "judge_lines",
    "slab_for",
    "subsidy",
]
