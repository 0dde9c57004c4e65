"""Verified sales of magnets per quarter and per award, against the rule set's domestic demand.

Read from the sales claims the verifier has verified (or later), the verifier's line adjustments
applied, in one statement for every claim.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from bidding.models import Award
from incentives.claims.models import Claim, ClaimLine, LineAdjustment
from repm_portal.fiscal import FinancialYear, Quarter
from repm_portal.models import RuleSet

ZERO = Decimal("0.00")
KG_PER_TONNE = Decimal(1000)


def pct(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole`, to one decimal (0 of nothing)."""
    if not whole:
        return ZERO
    return (part * 100 / whole).quantize(Decimal("0.1"))


def fy_key(fy: FinancialYear) -> str:
    """The financial year as the rule set's demand and the letters write it: "2028-29"."""
    return f"{fy.start_year}-{(fy.start_year + 1) % 100:02d}"


_VERIFIED_SQL = """
    SELECT c.id, c.award_id, c.period_end,
           c.eligible_kg + COALESCE(adj.kg, 0), c.net_sales_value + COALESCE(adj.value, 0)
    FROM {claims} c
    LEFT JOIN (
        SELECT a.claim_id,
          SUM(CASE WHEN a.kind = %(exclude)s THEN -l.quantity_kg
                   WHEN a.kind = %(correct)s AND a.quantity_kg IS NOT NULL
                   THEN a.quantity_kg - l.quantity_kg ELSE 0 END) AS kg,
          SUM(CASE WHEN a.kind = %(exclude)s THEN -l.net_sales_value
                   WHEN a.kind = %(correct)s AND a.net_sales_value IS NOT NULL
                   THEN a.net_sales_value - l.net_sales_value ELSE 0 END) AS value
        FROM {adjustments} a
        JOIN {claims} ac ON ac.id = a.claim_id AND ac.current_upload_id = a.upload_id
        JOIN {lines} l ON l.claim_id = a.claim_id AND l.row = a.row
        WHERE NOT EXISTS (
            SELECT 1 FROM {adjustments} b
            WHERE b.claim_id = a.claim_id AND b.upload_id = a.upload_id AND b.row = a.row
              AND b.id > a.id)
        GROUP BY a.claim_id
    ) adj ON adj.claim_id = c.id
    WHERE c.status = ANY(%(statuses)s) AND c.period_end <= %(as_of)s
    ORDER BY c.period_end, c.award_id
"""


@dataclass(frozen=True)
class VerifiedClaim:
    claim_id: int
    award_id: int
    period_end: dt.date
    kg: Decimal
    value: Decimal


def verified_claims(*, as_of: dt.date) -> list[VerifiedClaim]:
    """Every verified sales claim's eligible kg and sales value, the verifier's adjustments applied.

    The same arithmetic as `incentives.claims.selectors.verified_totals`, for all claims in one
    statement rather than one per claim (tests/monitor check the two agree).
    """
    statement = _VERIFIED_SQL.format(
        claims=Claim._meta.db_table,
        adjustments=LineAdjustment._meta.db_table,
        lines=ClaimLine._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            {
                "exclude": LineAdjustment.Kind.EXCLUDE,
                "correct": LineAdjustment.Kind.CORRECT,
                "statuses": list(Claim.VERIFIED_STATUSES),
                "as_of": as_of,
            },
        )
        rows = cursor.fetchall()
    return [
        VerifiedClaim(
            claim_id=claim_id,
            award_id=award_id,
            period_end=period_end,
            kg=Decimal(kg).quantize(Decimal("0.001")),
            value=Decimal(value).quantize(Decimal("0.01")),
        )
        for claim_id, award_id, period_end, kg, value in rows
    ]


@dataclass(frozen=True)
class QuarterSales:
    quarter: Quarter
    kg: Decimal | None  # None: withheld from the public (too few beneficiaries)
    value: Decimal | None
    beneficiaries: int
    demand_tonnes: Decimal | None  # the quarter's share of the year's domestic demand

    @property
    def withheld(self) -> bool:
        return self.kg is None

    @property
    def tonnes(self) -> Decimal | None:
        return None if self.kg is None else (self.kg / KG_PER_TONNE).quantize(Decimal("0.001"))

    @property
    def share_of_demand_pct(self) -> Decimal | None:
        tonnes = self.tonnes
        if tonnes is None or not self.demand_tonnes:
            return None
        return pct(tonnes, self.demand_tonnes)


@dataclass(frozen=True)
class AwardYearSales:
    award_id: int
    label: str
    bidder: str
    financial_year: str
    kg: Decimal
    value: Decimal


@dataclass(frozen=True)
class Sales:
    quarters: list[QuarterSales]
    per_award: list[AwardYearSales]
    demand_rule_set: int

    @property
    def total_kg(self) -> Decimal:
        """Over the quarters shown (on the public page, the published ones)."""
        return sum((q.kg for q in self.quarters if q.kg is not None), Decimal("0.000"))


def quarter_demand(rule_set: RuleSet, quarter: Quarter) -> Decimal | None:
    """The year's domestic demand pro rata to the quarter's days, in tonnes."""
    year = rule_set.demand_tonnes(fy_key(quarter.fy))
    if year is None:
        return None
    return (year * quarter.days / quarter.fy.days).quantize(Decimal("0.001"))


def sales(*, as_of: dt.date, rule_set: RuleSet, awards: list[Award]) -> Sales:
    """Verified sales per quarter (every quarter from the first claimed to the last), and per award
    per financial year, against the rule set's domestic demand."""
    claims = verified_claims(as_of=as_of)
    by_quarter: dict[Quarter, list[VerifiedClaim]] = defaultdict(list)
    for claim in claims:
        by_quarter[Quarter.for_date(claim.period_end)].append(claim)
    quarters = []
    if by_quarter:
        quarter, last = min(by_quarter), max(by_quarter)
        while quarter <= last:
            found = by_quarter.get(quarter, [])
            quarters.append(
                QuarterSales(
                    quarter=quarter,
                    kg=sum((c.kg for c in found), Decimal("0.000")),
                    value=sum((c.value for c in found), ZERO),
                    beneficiaries=len({c.award_id for c in found}),
                    demand_tonnes=quarter_demand(rule_set, quarter),
                )
            )
            quarter = quarter.next()
    names = {a.pk: (a.label, a.bid.bidder_name) for a in awards}
    per_award: dict[tuple[int, str], list[Decimal]] = defaultdict(lambda: [Decimal("0.000"), ZERO])
    for claim in claims:
        key = (claim.award_id, fy_key(FinancialYear.for_date(claim.period_end)))
        per_award[key][0] += claim.kg
        per_award[key][1] += claim.value
    rows = [
        AwardYearSales(
            award_id=award_id,
            label=names.get(award_id, ("?", "?"))[0],
            bidder=names.get(award_id, ("?", "?"))[1],
            financial_year=year,
            kg=kg,
            value=value,
        )
        for (award_id, year), (kg, value) in sorted(
            per_award.items(), key=lambda i: (i[0][1], i[0][0])
        )
    ]
    return Sales(quarters=quarters, per_award=rows, demand_rule_set=rule_set.version)
