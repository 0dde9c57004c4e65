"""The sales-linked incentive of one claim period (SCHEME.md section 4), in its fixed eight steps.

Pure: plain values in, frozen dataclasses out (no Django, no ORM), so any figure can be replayed
from its inputs (`python manage.py sli_compute`).

Exact arithmetic: steps 1-7 are carried as `fractions.Fraction` (C x 1000 x days / 365 does not
terminate, so Decimal would round on the way); the only rounding that changes a figure is
step 8, payable to the paisa, half up, by `repm_portal.money.to_money`. The release, the
deduction applied and the recovery are whole paise because they are what the ledger posts,
and they are rounded by the same rule. Every other figure in the working (`SliStep.value`,
`SliResult.as_dict`, the notes) is shown rounded, kg to 3 places and money to 2, half up:
display only, never fed back into the computation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from enum import StrEnum
from fractions import Fraction

from repm_portal.fiscal import FinancialYear, add_months, days_inclusive
from repm_portal.money import ROUNDING, format_indian_number, format_inr, to_money

SCHEME_YEARS = 5
_KG_PER_TONNE = 1000
_HUNDRED = Fraction(100)
_ZERO = Fraction(0)
# Enough places that truncating an exact value before the half-up quantize cannot move it
# across a rounding threshold (thresholds sit at 3 places at most): see _truncated.
_SHOWN_PLACES = 12
_KG = Decimal("0.001")
_CONTEXT = Context(prec=40, rounding=ROUNDING)
# As large as the database holds (MONEY 18 digits with 2 of paise, KG 15 with 3 of grams,
# PositiveIntegerField), so no figure grows past what to_money's 34 digits round exactly.
_MONEY_LIMIT = Decimal(10) ** 16
_KG_LIMIT = Decimal(10) ** 12
_WHOLE_LIMIT = 2**31 - 1
_TAPER_LIMIT = Decimal(100)


class SliInputError(ValueError):
    """An input the engine refuses, naming its key as the JSON input spells it ("rules.taper")."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"{key}: {reason}")
        self.key = key
        self.reason = reason


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    TRUE_UP = "true_up"


# --- inputs ------------------------------------------------------------------------------------


def _decimal(value: object, key: str) -> Decimal:
    # bool is an int: True would pass as 1. A float cannot hold 0.1 exactly.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        extra = " (a float is not exact)" if isinstance(value, float) else ""
        raise SliInputError(key, f"must be a Decimal or int, not {type(value).__name__}{extra}")
    number = Decimal(value)
    if not number.is_finite():
        raise SliInputError(key, f"must be a finite number, not {value}")
    return number


def _whole(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SliInputError(key, f"must be a whole number, not {type(value).__name__}")
    return value


def _not_negative(number: Decimal | int, key: str) -> None:
    if number < 0:
        raise SliInputError(key, "must not be negative")


def _below(number: Decimal | int, limit: Decimal | int, key: str) -> None:
    if number >= limit or number <= -limit:
        raise SliInputError(key, f"must be under {limit:,}")


def _to_places(number: Decimal, key: str, places: int, unit: str) -> None:
    if (Fraction(number) * 10**places).denominator != 1:
        raise SliInputError(key, f"must be whole {unit} (at most {places} decimal places)")


def _money(value: object, key: str, *, signed: bool = False) -> Decimal:
    number = _decimal(value, key)
    if not signed:
        _not_negative(number, key)
    _below(number, _MONEY_LIMIT, key)
    _to_places(number, key, 2, "paise")
    return number


def _percentage(value: object, key: str) -> Decimal:
    number = _decimal(value, key)
    if not 0 <= number <= 100:
        raise SliInputError(key, f"must be a percentage from 0 to 100, not {number}")
    return number


@dataclass(frozen=True, kw_only=True)
class SliRules:
    """The fields of the rule-set version in force on the period end that the SLI steps read."""

    turnover_cap_pct: Decimal
    taper: tuple[Decimal, ...]  # one multiplier a scheme year, year 1 first
    provisional_share_pct: Decimal
    sli_pool: Decimal
    award_cap_years: int

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "turnover_cap_pct", _percentage(self.turnover_cap_pct, "rules.turnover_cap_pct"))
        put(
            self,
            "provisional_share_pct",
            _percentage(self.provisional_share_pct, "rules.provisional_share_pct"),
        )
        if isinstance(self.taper, str | bytes) or not isinstance(self.taper, Sequence):
            raise SliInputError("rules.taper", "must be a list of multipliers")
        if len(self.taper) != SCHEME_YEARS:
            raise SliInputError(
                "rules.taper",
                f"must list {SCHEME_YEARS} multipliers, one a scheme year, not {len(self.taper)}",
            )
        taper = tuple(_decimal(t, f"rules.taper[{i}]") for i, t in enumerate(self.taper))
        for i, t in enumerate(taper):
            _not_negative(t, f"rules.taper[{i}]")
            _below(t, _TAPER_LIMIT, f"rules.taper[{i}]")
        put(self, "taper", taper)
        put(self, "sli_pool", _money(self.sli_pool, "rules.sli_pool"))
        years = _whole(self.award_cap_years, "rules.award_cap_years")
        _not_negative(years, "rules.award_cap_years")
        _below(years, 100, "rules.award_cap_years")


@dataclass(frozen=True, kw_only=True)
class SliPeriod:
    """One claim period's frozen inputs: a quarter, or the annual true-up of a financial year.

    For a true-up the quantities are the year's totals over its eligible days (period_start to
    period_end), `released_in_year` is what the year's quarters released before deductions,
    and `award_sanctioned_before` / `pool_sanctioned_before` are what was sanctioned before
    the year's own quarters (they come in through `released_in_year`, not twice).
    `net_sales_value` may be negative (returns exceeding sales): the turnover cap is then 0.
    """

    kind: PeriodKind
    period_start: dt.date
    period_end: dt.date
    scheme_year: int
    rate: Decimal  # the beneficiary's quoted Rs/kg
    capacity_mtpa: int  # allocated capacity C
    eligible_kg: Decimal
    net_sales_value: Decimal
    award_sanctioned_before: Decimal
    pool_sanctioned_before: Decimal
    pending_deductions: Decimal  # penalties and recoveries waiting to be netted, whole paise
    rules: SliRules
    released_in_year: Decimal = Decimal(0)

    def __post_init__(self) -> None:
        put = object.__setattr__
        try:
            put(self, "kind", PeriodKind(self.kind))
        except ValueError:
            raise SliInputError(
                "kind", f'must be "quarter" or "true_up", not {self.kind!r}'
            ) from None
        for key in ("period_start", "period_end"):
            value = getattr(self, key)
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                raise SliInputError(key, f"must be a date, not {type(value).__name__}")
        if self.period_end < self.period_start:
            raise SliInputError(
                "period_end", f"{self.period_end} is before period_start {self.period_start}"
            )
        start_fy = FinancialYear.for_date(self.period_start)
        end_fy = FinancialYear.for_date(self.period_end)
        if start_fy != end_fy:
            raise SliInputError(
                "period_end",
                f"{self.period_end} is in {end_fy} but period_start {self.period_start} is in "
                f"{start_fy}: a claim period lies within one financial year",
            )
        year = _whole(self.scheme_year, "scheme_year")
        if not 1 <= year <= SCHEME_YEARS:
            raise SliInputError("scheme_year", f"must be 1 to {SCHEME_YEARS}, not {year}")
        capacity = _whole(self.capacity_mtpa, "capacity_mtpa")
        _not_negative(capacity, "capacity_mtpa")
        _below(capacity, _WHOLE_LIMIT, "capacity_mtpa")
        put(self, "rate", _money(self.rate, "rate"))
        kg = _decimal(self.eligible_kg, "eligible_kg")
        _not_negative(kg, "eligible_kg")
        _below(kg, _KG_LIMIT, "eligible_kg")
        _to_places(kg, "eligible_kg", 3, "grams")
        put(self, "eligible_kg", kg)
        put(self, "net_sales_value", _money(self.net_sales_value, "net_sales_value", signed=True))
        for key in (
            "award_sanctioned_before",
            "pool_sanctioned_before",
            "pending_deductions",
            "released_in_year",
        ):
            put(self, key, _money(getattr(self, key), key))
        if self.kind is PeriodKind.QUARTER and self.released_in_year:
            raise SliInputError("released_in_year", "applies to a true_up only; a quarter has 0")
        if not isinstance(self.rules, SliRules):
            raise SliInputError("rules", f"must be SliRules, not {type(self.rules).__name__}")

    @property
    def days(self) -> int:
        return days_inclusive(self.period_start, self.period_end)

    @property
    def financial_year(self) -> FinancialYear:
        return FinancialYear.for_date(self.period_end)


# --- the working -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SliStep:
    step: int
    name: str  # the figure the step gives, as SliResult names it
    value: str  # shown: kg to 3 places, money to 2, half up
    binding: bool  # did this step reduce the figure (did the cap bite)
    note: str  # the step in words, with its numbers
    rule: str  # the rule-set field the step read, "" if none

    def as_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "name": self.name,
            "value": self.value,
            "binding": self.binding,
            "note": self.note,
            "rule": self.rule,
        }


@dataclass(frozen=True, kw_only=True)
class SliResult:
    """The figure and its working. Fractions are exact; Decimals are whole paise."""

    period: SliPeriod
    capacity_cap_kg: Fraction
    capped_kg: Fraction  # step 1
    gross: Fraction  # step 2
    turnover_cap: Fraction
    after_turnover_cap: Fraction  # step 3
    award_cap: Fraction
    award_cap_left: Fraction
    after_award_cap: Fraction  # step 4
    pool_left: Fraction
    after_pool: Fraction  # step 5
    release: Fraction  # step 6, exact
    released: Decimal  # the release to the paisa, as the ledger posts it
    recovery: Decimal  # a true-up's excess, whole paise; 0 otherwise
    after_deductions: Fraction  # step 7, exact
    deduction_applied: Decimal
    deduction_carried: Decimal
    payable: Decimal  # step 8
    steps: tuple[SliStep, ...]

    def as_dict(self) -> dict[str, object]:
        """The working as `sli_compute` prints it: every figure a display string."""
        return {
            "capped_kg": _kg_text(self.capped_kg),
            "gross": _money_text(self.gross),
            "after_turnover_cap": _money_text(self.after_turnover_cap),
            "after_award_cap": _money_text(self.after_award_cap),
            "after_pool": _money_text(self.after_pool),
            "release": f"{self.released:f}",
            "deduction_applied": f"{self.deduction_applied:f}",
            "deduction_carried": f"{self.deduction_carried:f}",
            "payable": f"{self.payable:f}",
            "recovery": f"{self.recovery:f}",
            "steps": [step.as_dict() for step in self.steps],
            "kind": self.period.kind.value,
        }


def _truncated(value: Fraction) -> Decimal:
    """`value` cut toward zero to 12 places: exact enough to round once.

    Every half-up threshold at 2 or 3 places is a multiple of 10**-12, so cutting toward zero
    never carries a value across one: rounding the cut value half up gives what rounding the
    exact value would.
    """
    scaled = abs(value.numerator) * 10**_SHOWN_PLACES // value.denominator
    # Built from its digits, so no context precision can round it.
    return Decimal((int(value < 0), tuple(map(int, str(scaled))), -_SHOWN_PLACES))


def _round_money(value: Fraction) -> Decimal:
    return to_money(_truncated(value))


def _round_kg(value: Fraction) -> Decimal:
    return _truncated(value).quantize(_KG, context=_CONTEXT)


def _kg_text(value: Fraction) -> str:
    return f"{_round_kg(value):f}"


def _money_text(value: Fraction) -> str:
    return f"{_round_money(value):f}"


def _kg(value: Fraction | Decimal | int) -> str:
    number = value if isinstance(value, Decimal | int) else _round_kg(value)
    return f"{format_indian_number(number, places=3)} kg"


def _rs(value: Fraction | Decimal) -> str:
    return format_inr(value if isinstance(value, Decimal) else _round_money(value))


def _pct(value: Decimal) -> str:
    return f"{value.normalize():f} %"


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"


def compute(period: SliPeriod) -> SliResult:
    """Steps 1-8 of SCHEME.md section 4 for one claim period, in their fixed order.

    `binding` on each step says whether that step made the figure smaller: step 1 the capacity
    cap, 2 a taper below 1, 3-5 the caps, 6 the provisional share (or, for a true-up, what the
    quarters already released), 7 a deduction, 8 rounding payable down.
    """
    p, rules = period, period.rules
    rate = Fraction(p.rate)
    steps: list[SliStep] = []

    # 1 The capacity cap, pro rata to the period's days in its financial year.
    fy = p.financial_year
    capacity_cap_kg = Fraction(p.capacity_mtpa * _KG_PER_TONNE * p.days, fy.days)
    eligible_kg = Fraction(p.eligible_kg)
    capped_kg = min(eligible_kg, capacity_cap_kg)
    cap_bites = capacity_cap_kg < eligible_kg
    steps.append(
        SliStep(
            step=1,
            name="capped_kg",
            value=_kg_text(capped_kg),
            binding=cap_bites,
            note=(
                f"capacity cap {format_indian_number(p.capacity_mtpa)} MTPA x 1,000 x {p.days}/{fy.days} days "
                f"({fy.label}) = {_kg(capacity_cap_kg)}; eligible {_kg(p.eligible_kg)} "
                + ("is cut to the cap" if cap_bites else "is within it")
            ),
            rule="",
        )
    )

    # 2 The quoted rate, tapered by the scheme year of the period end.
    taper = Fraction(rules.taper[p.scheme_year - 1])
    gross = rate * taper * capped_kg
    steps.append(
        SliStep(
            step=2,
            name="gross",
            value=_money_text(gross),
            binding=gross < rate * capped_kg,
            note=(
                f"rate {_rs(p.rate)}/kg x taper {_plain(rules.taper[p.scheme_year - 1])} "
                f"(scheme year {p.scheme_year}) x {_kg(capped_kg)} = {_rs(gross)}"
            ),
            rule="taper",
        )
    )

    # 3 The turnover cap: a share of the period's net sales value (nothing if it is not positive).
    net_sales = Fraction(p.net_sales_value)
    turnover_cap = Fraction(rules.turnover_cap_pct) / _HUNDRED * max(_ZERO, net_sales)
    after_turnover_cap = min(gross, turnover_cap)
    steps.append(
        SliStep(
            step=3,
            name="after_turnover_cap",
            value=_money_text(after_turnover_cap),
            binding=turnover_cap < gross,
            note=(
                f"turnover cap {_pct(rules.turnover_cap_pct)} of net sales value "
                f"{_rs(p.net_sales_value)} = {_rs(turnover_cap)}; gross {_rs(gross)} "
                + ("is cut to the cap" if turnover_cap < gross else "is within it")
            ),
            rule="turnover_cap_pct",
        )
    )

    # 4 The award's cumulative cap, less what the award was sanctioned before.
    award_cap = rate * p.capacity_mtpa * _KG_PER_TONNE * rules.award_cap_years
    award_cap_left = max(_ZERO, award_cap - Fraction(p.award_sanctioned_before))
    after_award_cap = min(after_turnover_cap, award_cap_left)
    steps.append(
        SliStep(
            step=4,
            name="after_award_cap",
            value=_money_text(after_award_cap),
            binding=award_cap_left < after_turnover_cap,
            note=(
                f"award cap {_rs(p.rate)}/kg x {format_indian_number(p.capacity_mtpa)} MTPA x 1,000 x "
                f"{rules.award_cap_years} years = {_rs(award_cap)}, less "
                f"{_rs(p.award_sanctioned_before)} sanctioned to the award before, leaves "
                f"{_rs(award_cap_left)}; "
                + (
                    "the figure is cut to it"
                    if award_cap_left < after_turnover_cap
                    else "the figure is within it"
                )
            ),
            rule="award_cap_years",
        )
    )

    # 5 The SLI pool, less what all awards were sanctioned before.
    pool_left = max(_ZERO, Fraction(rules.sli_pool) - Fraction(p.pool_sanctioned_before))
    after_pool = min(after_award_cap, pool_left)
    steps.append(
        SliStep(
            step=5,
            name="after_pool",
            value=_money_text(after_pool),
            binding=pool_left < after_award_cap,
            note=(
                f"SLI pool {_rs(rules.sli_pool)} less {_rs(p.pool_sanctioned_before)} "
                f"sanctioned to all awards before leaves {_rs(pool_left)}; "
                + (
                    "the figure is cut to it"
                    if pool_left < after_award_cap
                    else "the figure is within it"
                )
            ),
            rule="sli_pool",
        )
    )

    # 6 A quarter releases the provisional share; a true-up the year's figure less the quarters'.
    year_rounded = _round_money(after_pool)
    if p.kind is PeriodKind.QUARTER:
        release = Fraction(rules.provisional_share_pct) / _HUNDRED * after_pool
        recovery = Decimal("0.00")
        note = (
            f"provisional share {_pct(rules.provisional_share_pct)} of {_rs(after_pool)} = "
            f"{_rs(release)}; the rest waits for the true-up"
        )
        rule = "provisional_share_pct"
    else:
        difference = after_pool - Fraction(p.released_in_year)
        release = max(_ZERO, difference)
        # The year's figure is rounded once and the quarters' releases are whole paise, so
        # quarters + balance - recovery always sums to it (at an exact half paisa this is a
        # paisa less than rounding the excess on its own would recover).
        recovery = to_money(max(Decimal(0), p.released_in_year - year_rounded))
        if difference >= 0:
            tail = f"balance {_rs(release)} to release"
        else:
            tail = f"an excess: nothing to release, {_rs(recovery)} to recover"
        note = (
            f"year's figure {_rs(after_pool)} less {_rs(p.released_in_year)} released in the "
            f"year's quarters: {tail}"
        )
        rule = ""
    released = _round_money(release)
    steps.append(
        SliStep(
            step=6,
            name="release",
            value=f"{released:f}",
            binding=release < after_pool,
            note=note,
            rule=rule,
        )
    )

    # 7 Pending deductions (whole paise) come off the release; what they cannot take carries.
    pending = p.pending_deductions
    after_deductions = max(_ZERO, release - Fraction(pending))
    deduction_applied = to_money(min(pending, released))
    deduction_carried = to_money(pending - deduction_applied)
    steps.append(
        SliStep(
            step=7,
            name="after_deductions",
            value=_money_text(after_deductions),
            binding=deduction_applied > 0,
            note=(
                f"release {_rs(released)} less pending deductions {_rs(pending)}: "
                f"{_rs(deduction_applied)} applied, {_rs(deduction_carried)} carried forward"
            ),
            rule="",
        )
    )

    # 8 Payable, rounded to the paisa half up, once.
    payable = _round_money(after_deductions)
    steps.append(
        SliStep(
            step=8,
            name="payable",
            value=f"{payable:f}",
            binding=Fraction(payable) < after_deductions,
            note=f"payable rounded half up to the paisa: {_rs(payable)}",
            rule="",
        )
    )

    return SliResult(
        period=p,
        capacity_cap_kg=capacity_cap_kg,
        capped_kg=capped_kg,
        gross=gross,
        turnover_cap=turnover_cap,
        after_turnover_cap=after_turnover_cap,
        award_cap=award_cap,
        award_cap_left=award_cap_left,
        after_award_cap=after_award_cap,
        pool_left=pool_left,
        after_pool=after_pool,
        release=release,
        released=released,
        recovery=recovery,
        after_deductions=after_deductions,
        deduction_applied=deduction_applied,
        deduction_carried=deduction_carried,
        payable=payable,
        steps=tuple(steps),
    )


def scheme_year_of(period_end: dt.date, gestation_end: dt.date, sli_months: int = 60) -> int:
    """The scheme year (1, 2, ...) of a period ending on `period_end`.

    A period ending on or before the last day of gestation holds early sales: year 1. After
    that, year n runs to the n-th anniversary of the gestation end (anniversaries counted from
    the gestation end itself, so a 29 February end has its anniversaries on 28 February), so a
    period that straddles the gestation end is year 1 too. A period ending past the SLI term
    (`sli_months` after the gestation end, as `incentives.claims.periods` counts it) raises
    ValueError.
    """
    if isinstance(sli_months, bool) or not isinstance(sli_months, int) or sli_months < 1:
        raise ValueError(f"sli_months must be a positive whole number, not {sli_months!r}")
    term_end = add_months(gestation_end, sli_months)
    if period_end > term_end:
        raise ValueError(
            f"period ending {period_end} is past the SLI term, which ends on {term_end} "
            f"({sli_months} months after gestation ends on {gestation_end})"
        )
    year = 1
    while period_end > add_months(gestation_end, 12 * year):
        year += 1
    return year


__all__ = [
    "SCHEME_YEARS",
    "PeriodKind",
    "SliInputError",
    "SliPeriod",
    "SliResult",
    "SliRules",
    "SliStep",
    "compute",
    "scheme_year_of",
]
