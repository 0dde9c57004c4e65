"""Feedstock reads: a claim's oxide declaration checked against its sales, and the share of each source over time.

The check: the oxide a claim declares, times its rule set's `magnet_per_tonne_oxide` (about 3 t
of magnet per t of NdPr oxide), is compared with the claim's verified eligible net kg (the
magnets made in the registered plant and sold in the period, after the verifier's adjustments).
A claim records sales, not production, so the sold tonnes stand in for the production of the
period; stock built or drawn down between quarters is what the tolerance absorbs.

The shares (for the scheme monitor): of verified claims only (verified, approved, sanctioned,
paid, nothing payable), the magnet-equivalent tonnes from each source per quarter and per
financial year, as percentages that sum to exactly 100.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings

from bidding.models import Award
from incentives.claims.models import Claim, FeedstockDeclaration
from repm_portal.fiscal import FinancialYear, Quarter

Source = FeedstockDeclaration.Source
SOURCES: tuple[str, ...] = tuple(Source.values)  # irel, domestic, imported, recycled
# Our default, not the scheme's: how far (in % of the sold tonnes) the magnets the declared
# oxide makes may differ from the magnets sold before the check is flagged. Set
# CLAIM_FEEDSTOCK_TOLERANCE_PCT (env REPM_CLAIM_FEEDSTOCK_TOLERANCE_PCT) to change it.
DEFAULT_TOLERANCE_PCT = Decimal("10.00")
T = Decimal("0.001")
PCT = Decimal("0.01")
HUNDRED = Decimal(100)


def tolerance_pct() -> Decimal:
    return Decimal(str(getattr(settings, "CLAIM_FEEDSTOCK_TOLERANCE_PCT", DEFAULT_TOLERANCE_PCT)))


@dataclass(frozen=True)
class DeclaredRow:
    source: str
    country: str
    tonnes: Decimal

    @property
    def label(self) -> str:
        name = str(Source(self.source).label)
        return f"{name} ({self.country})" if self.country else name


@dataclass(frozen=True)
class FeedstockCheck:
    """A claim's declared oxide against its verified sales, at its rule set's oxide-to-magnet ratio."""

    rows: tuple[DeclaredRow, ...]
    oxide_tonnes: Decimal
    magnet_per_tonne_oxide: Decimal
    rule_set_version: int
    magnet_equivalent_tonnes: Decimal  # oxide x ratio
    sold_tonnes: Decimal  # verified eligible net kg / 1000, exact (6 places)
    deviation_pct: Decimal | None  # (equivalent - sold) / sold x 100; None when nothing was sold
    tolerance_pct: Decimal

    @property
    def declared(self) -> bool:
        return bool(self.rows)

    @property
    def within(self) -> bool:
        """Within the tolerance; a claim with nothing declared never is."""
        if not self.declared:
            return False
        if self.deviation_pct is None:
            return self.magnet_equivalent_tonnes == 0
        return abs(self.deviation_pct) <= self.tolerance_pct

    def as_record(self) -> dict[str, Any]:
        """The figures as plain JSON (Decimals as strings), kept with the verification."""
        return {
            "rows": [
                {"source": r.source, "country": r.country, "tonnes": str(r.tonnes)}
                for r in self.rows
            ],
            "oxide_tonnes": str(self.oxide_tonnes),
            "magnet_per_tonne_oxide": str(self.magnet_per_tonne_oxide),
            "rule_set_version": self.rule_set_version,
            "magnet_equivalent_tonnes": str(self.magnet_equivalent_tonnes),
            "sold_tonnes": str(self.sold_tonnes),
            "deviation_pct": None if self.deviation_pct is None else str(self.deviation_pct),
            "tolerance_pct": str(self.tolerance_pct),
            "within": self.within,
        }


def declared_rows(claim: Claim) -> tuple[DeclaredRow, ...]:
    return tuple(
        DeclaredRow(source, country, tonnes)
        for source, country, tonnes in FeedstockDeclaration.objects.filter(claim=claim)
        .order_by("source", "country", "id")
        .values_list("source", "country", "tonnes")
    )


def check_of(claim: Claim, *, verified_kg: Decimal) -> FeedstockCheck:
    """The check of the claim's declaration against `verified_kg` (its verified eligible net kg)."""
    rows = declared_rows(claim)
    ratio = claim.rule_set.magnet_per_tonne_oxide
    oxide = sum((r.tonnes for r in rows), Decimal(0)).quantize(T)
    equivalent = (oxide * ratio).quantize(T, rounding=ROUND_HALF_UP)
    sold = (verified_kg / 1000).quantize(Decimal("0.000001"))  # exact: kg have 3 places
    deviation = (
        None
        if sold <= 0
        else ((equivalent - sold) / sold * HUNDRED).quantize(PCT, rounding=ROUND_HALF_UP)
    )
    return FeedstockCheck(
        rows=rows, oxide_tonnes=oxide, magnet_per_tonne_oxide=ratio,
        rule_set_version=claim.rule_set.version, magnet_equivalent_tonnes=equivalent,
        sold_tonnes=sold, deviation_pct=deviation, tolerance_pct=tolerance_pct(),
    )  # fmt: skip


# --- shares by source, for the scheme monitor -----------------------------------------------


@dataclass(frozen=True)
class SourceShares:
    """The feedstock of the verified claims of one period (a quarter or a financial year).

    label            "Q2 FY 2028-29" or "FY 2028-29"
    start, end       the period's first and last day (claims are placed by their period start)
    claims, awards   how many verified claims and awards the figures come from (a public page
                     may hide a period with fewer than two awards: one firm's figures)
    oxide_tonnes     NdPr oxide declared per source, t, 3 places: {"irel", "domestic",
                     "imported", "recycled"}, every source present (0 if none)
    magnet_tonnes    the magnets that oxide makes, t (oxide x each claim's rule-set ratio)
    share_pct        share of the magnet-equivalent tonnes per source, %, 2 places, summing to
                     exactly 100.00 (largest remainder)
    imported_by_country  imported oxide per ISO 3166 alpha-2 country, t, largest first
    """

    label: str
    start: dt.date
    end: dt.date
    claims: int
    awards: int
    oxide_tonnes: dict[str, Decimal]
    magnet_tonnes: dict[str, Decimal]
    share_pct: dict[str, Decimal]
    imported_by_country: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total_oxide_tonnes(self) -> Decimal:
        return sum(self.oxide_tonnes.values(), Decimal(0))

    @property
    def total_magnet_tonnes(self) -> Decimal:
        return sum(self.magnet_tonnes.values(), Decimal(0))

    @property
    def import_share_pct(self) -> Decimal:
        return self.share_pct[Source.IMPORTED]


class QuarterShares(SourceShares):
    """SourceShares of a claim quarter (Q1 Apr-Jun ... Q4 Jan-Mar)."""


class YearShares(SourceShares):
    """SourceShares of a financial year (1 April to 31 March)."""


def shares_pct(amounts: dict[str, Decimal]) -> dict[str, Decimal]:
    """Each amount's share of the total in %, 2 places, summing to exactly 100.00 (all 0 if the total is)."""
    total = sum(amounts.values(), Decimal(0))
    if total <= 0:
        return {key: Decimal("0.00") for key in amounts}
    raw = {key: value / total * HUNDRED for key, value in amounts.items()}
    floors = {key: value.quantize(PCT, rounding=ROUND_DOWN) for key, value in raw.items()}
    left = int((HUNDRED - sum(floors.values(), Decimal(0))) / PCT)
    order = sorted(amounts, key=lambda key: (-(raw[key] - floors[key]), SOURCES.index(key)))
    for key in order[:left]:
        floors[key] += PCT
    return floors


def _declared(award: Award | None):
    rows = FeedstockDeclaration.objects.filter(claim__status__in=Claim.VERIFIED_STATUSES)
    if award is not None:
        rows = rows.filter(claim__award=award)
    return rows.values_list(
        "claim_id", "claim__award_id", "claim__period_start", "source", "country", "tonnes",
        "claim__rule_set__magnet_per_tonne_oxide",
    ).order_by("claim__period_start", "claim_id", "source", "country")  # fmt: skip


# A period whose verified claims come from fewer awards than this is left out of the scheme-wide
# shares: with one firm, the "aggregate" would be that firm's own sourcing (confidential).
PUBLIC_MIN_AWARDS = 2


def _shares(award: Award | None, *, by_year: bool, min_awards: int | None) -> list[Any]:
    if min_awards is None:
        min_awards = PUBLIC_MIN_AWARDS if award is None else 1
    groups: dict[Any, dict[str, Any]] = {}
    for claim_id, award_id, period_start, source, country, tonnes, ratio in _declared(award):
        period = FinancialYear.for_date(period_start) if by_year else Quarter.for_date(period_start)
        group = groups.setdefault(
            period,
            {
                "claims": set(), "awards": set(),
                "oxide": dict.fromkeys(SOURCES, Decimal(0)),
                "magnet": dict.fromkeys(SOURCES, Decimal(0)),
                "countries": defaultdict(Decimal),
            },
        )  # fmt: skip
        group["claims"].add(claim_id)
        group["awards"].add(award_id)
        group["oxide"][source] += tonnes
        group["magnet"][source] += tonnes * ratio
        if country:
            group["countries"][country] += tonnes
    kind = YearShares if by_year else QuarterShares
    found = []
    for period in sorted(groups):
        group = groups[period]
        magnet = {s: v.quantize(T, rounding=ROUND_HALF_UP) for s, v in group["magnet"].items()}
        if sum(magnet.values(), Decimal(0)) <= 0 or len(group["awards"]) < min_awards:
            continue  # nothing that made a magnet, or one firm's own figures
        countries = sorted(group["countries"].items(), key=lambda item: (-item[1], item[0]))
        found.append(
            kind(
                label=period.label, start=period.start, end=period.end,
                claims=len(group["claims"]), awards=len(group["awards"]),
                oxide_tonnes={s: v.quantize(T) for s, v in group["oxide"].items()},
                magnet_tonnes=magnet, share_pct=shares_pct(group["magnet"]),
                imported_by_country={c: v.quantize(T) for c, v in countries},
            )
        )  # fmt: skip
    return found


def source_shares_by_quarter(
    *, award: Award | None = None, min_awards: int | None = None
) -> list[QuarterShares]:
    """The feedstock of verified claims per claim quarter, oldest first: a list of QuarterShares.

    With no award: the whole scheme, aggregates only (no firm or claim is named), and only the
    quarters with verified claims of at least `min_awards` awards (default PUBLIC_MIN_AWARDS, 2,
    so a public page never shows one firm's mix; an officials' page may pass 1). With an award:
    that award's own claims (min_awards default 1); the caller checks the user may see it
    (e.g. `selectors.award_for`). Quarters whose verified claims declared no oxide are left out.
    """
    return _shares(award, by_year=False, min_awards=min_awards)


def source_shares_by_year(
    *, award: Award | None = None, min_awards: int | None = None
) -> list[YearShares]:
    """As `source_shares_by_quarter`, per financial year: a list of YearShares."""
    return _shares(award, by_year=True, min_awards=min_awards)


__all__ = [
    "DEFAULT_TOLERANCE_PCT",
    "PUBLIC_MIN_AWARDS",
    "SOURCES",
    "DeclaredRow",
    "FeedstockCheck",
    "QuarterShares",
    "SourceShares",
    "YearShares",
    "check_of",
    "declared_rows",
    "shares_pct",
    "source_shares_by_quarter",
    "source_shares_by_year",
    "tolerance_pct",
]
