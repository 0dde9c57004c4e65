"""The monitor's data tables: rendered beside each chart and exported as CSV, from one definition.

A table's first column heads its rows (`<th scope="row">`). Cells are plain values (Decimal, int,
date, str, None); the page formats them by the column's kind, the CSV writes them as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from incentives.claims.feedstock import SOURCES, Source
from incentives.monitor.selectors import PUBLIC_MIN_BENEFICIARIES, Monitor, PoolView
from repm_portal.money import format_crore


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"  # text, mtpa, tonnes, kg, money, pct, count, date


@dataclass(frozen=True)
class Table:
    slug: str
    caption: str
    columns: list[Column]
    rows: list[list[Any]]
    chart: str | None = None  # the id of the chart the table stands beside

    @property
    def header(self) -> list[str]:
        return [c.label for c in self.columns]

    def cells(self) -> list[list[tuple[Any, str]]]:
        return [list(zip(row, (c.kind for c in self.columns), strict=True)) for row in self.rows]


def capacity_summary(m: Monitor) -> Table:
    c = m.capacity
    return Table(
        "capacity",
        f"Capacity against the {c.target_mtpa:,} MTPA target, as of {m.as_of:%d %b %Y}",
        [
            Column("Stage"),
            Column("Capacity (MTPA)", "mtpa"),
            Column("Share of the target (%)", "pct"),
        ],
        [
            ["Target", c.target_mtpa, None],
            ["Awarded", c.awarded, c.awarded_pct],
            ["Under construction", c.under_construction, None],
            ["Awarded, no plant yet", c.not_started, None],
            ["Commissioned", c.commissioned, c.commissioned_pct],
        ],
        chart="capacity",
    )


def capacity_by_award(m: Monitor) -> Table:
    return Table(
        "capacity-by-award",
        "Capacity of each award and where its plant stands",
        [
            Column("Award"),
            Column("Beneficiary"),
            Column("Awarded (MTPA)", "mtpa"),
            Column("Stage"),
            Column("Gestation ends", "date"),
            Column("Commissioned on", "date"),
            Column("Commissioned (MTPA)", "mtpa"),
        ],
        [
            [
                a.label,
                a.bidder,
                a.awarded_mtpa,
                a.stage,
                a.gestation_ends_on,
                a.commissioned_on,
                a.commissioned_mtpa,
            ]
            for a in m.capacity.awards
        ],
    )


def sales_by_quarter(m: Monitor) -> Table:
    columns = [
        Column("Quarter"),
        Column("Verified sales (t)", "tonnes"),
        Column("Net sales value", "money"),
        Column("Domestic demand, the quarter's share (t)", "tonnes"),
        Column("Share of demand (%)", "pct"),
        Column("Beneficiaries", "count"),
    ]
    return Table(
        "sales",
        "Verified sales of magnets per quarter against domestic demand "
        f"(rule set v{m.sales.demand_rule_set}; withheld where fewer than 3 beneficiaries claimed)"
        if m.public
        else f"Verified sales of magnets per quarter against domestic demand (rule set v{m.sales.demand_rule_set})",
        columns,
        [
            [
                q.quarter.label,
                q.tonnes,
                q.value,
                q.demand_tonnes,
                q.share_of_demand_pct,
                q.beneficiaries,
            ]
            for q in m.sales.quarters
        ],
        chart="sales",
    )


def sales_by_award(m: Monitor) -> Table:
    return Table(
        "sales-by-award",
        "Verified sales of each award by financial year",
        [
            Column("Award"),
            Column("Beneficiary"),
            Column("Financial year"),
            Column("Eligible net kg", "kg"),
            Column("Net sales value", "money"),
        ],
        [[r.label, r.bidder, f"FY {r.financial_year}", r.kg, r.value] for r in m.sales.per_award],
    )


def pool_by_year(pool: PoolView) -> Table:
    slug = f"pool-{pool.pool.replace('_', '-')}"
    return Table(
        slug,
        f"{pool.label} pool (limit {format_crore(pool.limit)}): committed, sanctioned and paid by financial year",
        [
            Column("Financial year"),
            Column("Committed to date (awards' caps)", "money"),
            Column("Sanctioned in the year", "money"),
            Column("Paid in the year", "money"),
            Column("Sanctioned to date", "money"),
            Column("Paid to date", "money"),
        ],
        [
            [
                y.label,
                y.committed_to_date,
                y.sanctioned,
                y.paid,
                y.sanctioned_to_date,
                y.paid_to_date,
            ]
            for y in pool.years
        ],
        chart=slug,
    )


def pool_by_award(pool: PoolView) -> Table:
    return Table(
        f"pool-{pool.pool.replace('_', '-')}-by-award",
        f"{pool.label}: each award's commitment, sanctioned and paid to date",
        [
            Column("Award"),
            Column("Beneficiary"),
            Column("Committed (cap)", "money"),
            Column("Sanctioned", "money"),
            Column("Paid", "money"),
        ],
        [[a.label, a.bidder, a.committed, a.sanctioned, a.paid] for a in pool.awards],
    )


def service(m: Monitor) -> Table:
    s = m.service
    return Table(
        "service-levels",
        f"Service levels by financial year: verification within {s.verification_days} days of "
        f"submission, payment within {s.payment_days} days of the sanction letter",
        [
            Column("Financial year"),
            Column("Verification met", "count"),
            Column("Verification missed", "count"),
            Column("Verification waiting, in time", "count"),
            Column("Verification overdue", "count"),
            Column("Payment met", "count"),
            Column("Payment missed", "count"),
            Column("Payment waiting, in time", "count"),
            Column("Payment overdue", "count"),
        ],
        [
            [
                y.label,
                y.verification_met,
                y.verification_missed,
                y.verification_open,
                y.verification_overdue,
                y.payment_met,
                y.payment_missed,
                y.payment_open,
                y.payment_overdue,
            ]
            for y in s.years
        ],
        chart="service",
    )


def overdue_letters(m: Monitor) -> Table:
    return Table(
        "overdue-letters",
        "Sanction letters unpaid past the payment service level",
        [Column("Letter"), Column("Beneficiary"), Column("Days since the letter", "count")],
        [list(row) for row in m.service.overdue_letters],
    )


def guarantees(m: Monitor) -> Table:
    return Table(
        "guarantees",
        "Performance bank guarantees expiring in the next 90 days",
        [
            Column("Award"),
            Column("Beneficiary"),
            Column("Bank"),
            Column("Guarantee number"),
            Column("Amount", "money"),
            Column("Valid until", "date"),
            Column("Days left", "count"),
        ],
        [
            [
                g.label,
                g.bidder,
                g.bank_name,
                g.guarantee_number,
                g.amount,
                g.valid_until,
                g.days_left,
            ]
            for g in m.guarantees
        ],
    )


def guarantees_public(m: Monitor) -> Table:
    return Table(
        "guarantees",
        "Performance bank guarantees expiring in the next 90 days (count and total only)",
        [Column("Guarantees"), Column("Count", "count"), Column("Total amount", "money")],
        [["Expiring in 90 days", len(m.guarantees), sum((g.amount for g in m.guarantees), 0)]],
    )


def feedstock(m: Monitor) -> Table:
    columns = [Column("Quarter")]
    for source in SOURCES:
        name = str(Source(source).label)
        columns += [Column(f"{name} (t of magnet)", "tonnes"), Column(f"{name} (%)", "pct")]
    columns += [
        Column("Magnets, all sources (t)", "tonnes"),
        Column("NdPr oxide declared (t)", "tonnes"),
    ]
    caption = (
        "Share of magnets made from each NdPr oxide source per quarter: the oxide the verified "
        "sales claims declare, times their rule set's magnets per tonne of oxide"
    )
    if m.public:
        caption += (
            f"; quarters of fewer than {PUBLIC_MIN_BENEFICIARIES} beneficiaries are left out, "
            "as for the sales"
        )
    return Table(
        "feedstock",
        caption,
        columns,
        [
            [
                q.label,
                *(v for s in SOURCES for v in (q.magnet_tonnes[s], q.share_pct[s])),
                q.total_magnet_tonnes,
                q.total_oxide_tonnes,
            ]
            for q in m.feedstock
        ],
        chart="feedstock",
    )


def feedstock_imports(m: Monitor) -> Table:
    return Table(
        "feedstock-imports",
        "Imported NdPr oxide by country of origin per quarter (ISO 3166 country code)",
        [Column("Quarter"), Column("Country"), Column("Imported oxide (t)", "tonnes")],
        [[q.label, c, t] for q in m.feedstock for c, t in q.imported_by_country.items()],
    )


OFFICIAL: list[Callable[[Monitor], list[Table]]] = [
    lambda m: [capacity_summary(m), capacity_by_award(m)],
    lambda m: [sales_by_quarter(m), sales_by_award(m)],
    lambda m: [t for p in m.pools for t in (pool_by_year(p), pool_by_award(p))],
    lambda m: [service(m), overdue_letters(m)],
    lambda m: [guarantees(m)],
    lambda m: [feedstock(m), feedstock_imports(m)],
]
PUBLIC: list[Callable[[Monitor], list[Table]]] = [
    lambda m: [capacity_summary(m)],
    lambda m: [sales_by_quarter(m)],
    lambda m: [pool_by_year(p) for p in m.pools],
    lambda m: [service(m)],
    lambda m: [guarantees_public(m)],
    lambda m: [feedstock(m)],
]


def tables(m: Monitor) -> dict[str, Table]:
    """Every table of the page, by slug: the public set for the public monitor."""
    found: dict[str, Table] = {}
    for section in PUBLIC if m.public else OFFICIAL:
        for table in section(m):
            found[table.slug] = table
    return found
