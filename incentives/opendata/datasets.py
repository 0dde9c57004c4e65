"""Public datasets: per-quarter aggregates over all firms, described column by column.

What never appears here: an invoice line, a bank detail (account, IFSC, UTR), a quoted rate (not
even after the award: the OCDS record carries the awarded rates), or one firm's sales: a quarter's
sales are published only when at least MIN_FIRMS firms' verified claims make them up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from bidding.models import Award, Tender
from incentives.claims import selectors as claim_selectors
from incentives.claims.models import Claim
from incentives.gestation.models import Plant
from incentives.models import EntryKind, LedgerEntry, Pool
from repm_portal import clock
from repm_portal.fiscal import Quarter
from repm_portal.models import RuleSet
from repm_portal.money import to_money

ZERO = Decimal("0.00")
# Fewer firms than this in a quarter and its sales stay unpublished: one or two firms' figures
# could be read back from the total (the usual threshold rule of statistical disclosure control).
MIN_FIRMS = 3


@dataclass(frozen=True)
class Column:
    name: str
    description: str


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[dt.date], list[list[object]]]

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]


QUARTER_COLUMNS = (
    Column(
        "quarter",
        "The financial-year quarter (Q1 April-June ... Q4 January-March), e.g. Q2 FY 2028-29.",
    ),
    Column("quarter_start", "Its first day (YYYY-MM-DD)."),
    Column("quarter_end", "Its last day (YYYY-MM-DD)."),
)


def _quarters(first: dt.date | None, today: dt.date) -> list[Quarter]:
    if first is None or first > today:
        return []
    quarters, q = [], Quarter.for_date(first)
    last = Quarter.for_date(today)
    while q <= last:
        quarters.append(q)
        q = q.next()
    return quarters


def _quarter_cells(q: Quarter) -> list[object]:
    return [q.label, q.start.isoformat(), q.end.isoformat()]


def _local(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment)


# Capacity


def _capacity_rows(today: dt.date) -> list[list[object]]:
    awarded: dict[Quarter, int] = defaultdict(int)
    for at, mtpa in Award.objects.filter(tender__status=Tender.Status.AWARDED).values_list(
        "awarded_at", "allocated_mtpa"
    ):
        if _local(at) <= today:
            awarded[Quarter.for_date(_local(at))] += mtpa
    commissioned: dict[Quarter, int] = defaultdict(int)
    for on, done in Plant.objects.filter(commissioned_on__lte=today).values_list(
        "commissioned_on", "commissioned_mtpa"
    ):
        if on is not None and done is not None:  # the filter and a constraint see to it
            commissioned[Quarter.for_date(on)] += done
    rules = RuleSet.objects.order_by("-version").first()
    target = rules.target_capacity_mtpa if rules is not None else ""
    firsts = [q.start for q in (*awarded, *commissioned)]
    rows, total_awarded, total_commissioned = [], 0, 0
    for q in _quarters(min(firsts, default=None), today):
        total_awarded += awarded[q]
        total_commissioned += commissioned[q]
        rows.append(
            [
                *_quarter_cells(q),
                awarded[q],
                total_awarded,
                commissioned[q],
                total_commissioned,
                target,
            ]
        )
    return rows


CAPACITY = Dataset(
    slug="capacity-by-quarter",
    title="Capacity awarded and commissioned, by quarter",
    description="Integrated sintered NdFeB magnet capacity awarded under the scheme and commissioned "
    "(the commissioning certificate's capacity), summed over all beneficiaries.",
    columns=(
        *QUARTER_COLUMNS,
        Column(
            "capacity_awarded_mtpa", "Capacity awarded in the quarter (metric tonnes per annum)."
        ),
        Column("capacity_awarded_cumulative_mtpa", "Capacity awarded up to the quarter's end."),
        Column(
            "capacity_commissioned_mtpa",
            "Capacity commissioned in the quarter (commissioning date).",
        ),
        Column(
            "capacity_commissioned_cumulative_mtpa",
            "Capacity commissioned up to the quarter's end.",
        ),
        Column("target_mtpa", "The scheme's capacity target, from the rule set in force today."),
    ),
    rows=_capacity_rows,
)


# Sales (as verified in the firms' claims)


def _sales_rows(today: dt.date) -> list[list[object]]:
    firms: dict[Quarter, set[int]] = defaultdict(set)
    kg: dict[Quarter, Decimal] = defaultdict(Decimal)
    value: dict[Quarter, Decimal] = defaultdict(Decimal)
    claims = Claim.objects.filter(
        status__in=Claim.VERIFIED_STATUSES, period_end__lte=today
    ).select_related("award__bid", "current_upload")
    for claim in claims:
        q = Quarter.for_date(claim.period_end)
        eligible_kg, net_sales = claim_selectors.verified_totals(claim)
        firms[q].add(claim.award.bid.firm_id)
        kg[q] += eligible_kg
        value[q] += net_sales
    rows = []
    for q in _quarters(min((q.start for q in firms), default=None), today):
        shown = len(firms[q]) >= MIN_FIRMS
        rows.append(
            [
                *_quarter_cells(q),
                len(firms[q]),
                kg[q] if shown else "",
                to_money(value[q]) if shown else "",
            ]
        )
    return rows


SALES = Dataset(
    slug="sales-by-quarter",
    title="Magnet sales verified, by quarter",
    description="Net eligible sales of sintered NdFeB magnets made in the beneficiaries' integrated "
    "plants, as verified in their sales claims, summed over all firms. The portal records "
    "production through these verified sales (returns and credit notes netted). A quarter's "
    f"sales are left blank when fewer than {MIN_FIRMS} firms' claims make them up.",
    columns=(
        *QUARTER_COLUMNS,
        Column(
            "firms_reporting", "Firms whose verified claims fall in the quarter (by period end)."
        ),
        Column(
            "eligible_sales_kg", f"Net eligible kg sold, all firms (blank below {MIN_FIRMS} firms)."
        ),
        Column(
            "net_sales_value_rs",
            f"Net sales value in rupees, net of GST, all firms (blank below {MIN_FIRMS} firms).",
        ),
    ),
    rows=_sales_rows,
)


# Incentives sanctioned and paid (the ledger)


def _incentive_rows(today: dt.date) -> list[list[object]]:
    sums: dict[tuple[Quarter, str, str], Decimal] = defaultdict(lambda: ZERO)
    entries = LedgerEntry.objects.filter(
        account__in=[EntryKind.SANCTION, EntryKind.PAYMENT]
    ).values_list("posted_at", "pool", "account", "amount")
    firsts = []
    for posted_at, pool, account, amount in entries:
        day = _local(posted_at)
        if day > today:
            continue
        q = Quarter.for_date(day)
        firsts.append(q.start)
        sums[(q, pool, account)] += amount
    rows = []
    for q in _quarters(min(firsts, default=None), today):
        rows.append(
            [
                *_quarter_cells(q),
                *(
                    to_money(sums[(q, pool, account)])
                    for pool in (Pool.SLI, Pool.CAPITAL_SUBSIDY)
                    for account in (EntryKind.SANCTION, EntryKind.PAYMENT)
                ),
            ]
        )
    return rows


INCENTIVES = Dataset(
    slug="incentives-by-quarter",
    title="Incentives sanctioned and paid, by quarter",
    description="The sales-linked incentive (SLI) and capital subsidy sanctioned and paid in each "
    "quarter, from the scheme's ledger, summed over all beneficiaries. Sanctioned is net of "
    "reversing letters; paid counts payments recorded against sanction letters.",
    columns=(
        *QUARTER_COLUMNS,
        Column("sli_sanctioned_rs", "SLI sanctioned in the quarter, in rupees (net of reversals)."),
        Column("sli_paid_rs", "SLI paid in the quarter, in rupees."),
        Column(
            "capital_subsidy_sanctioned_rs", "Capital subsidy sanctioned in the quarter, in rupees."
        ),
        Column("capital_subsidy_paid_rs", "Capital subsidy paid in the quarter, in rupees."),
    ),
    rows=_incentive_rows,
)

DATASETS = {d.slug: d for d in (CAPACITY, SALES, INCENTIVES)}


def table(dataset: Dataset, *, today: dt.date | None = None) -> Iterator[list[object]]:
    """The header, then one row per quarter from the first with data to today's."""
    yield list(dataset.header)
    yield from dataset.rows(today or clock.today())
