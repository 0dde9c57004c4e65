"""The monitor's charts, each described once: drawn by Chart.js in the browser from `as_json()`, and
by matplotlib as SVG for the PDF (`svg()`), so the page and the summary cannot draw different data.

The data tables beside the charts hold the same figures (they are built from the same selectors).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from incentives.claims.feedstock import SOURCES, Source
from incentives.monitor.selectors import Monitor, PoolView
from repm_portal.money import CRORE

# The portal's palette (static/css/portal.css): navy, green, saffron, grey, red.
NAVY, GREEN, SAFFRON, GREY, RED, TEAL = (
    "#0b3d6e",
    "#1a7f37",
    "#e8772e",
    "#9aa5b1",
    "#b42318",
    "#0e7c86",
)
FONTS = ["Noto Sans", "DejaVu Sans"]


@dataclass(frozen=True)
class Series:
    label: str
    values: list[Decimal | None]
    kind: str = "bar"  # "bar" or "line"
    color: str = NAVY
    stack: str | None = None
    dashed: bool = False


@dataclass(frozen=True)
class ChartSpec:
    id: str
    title: str
    labels: list[str]
    unit: str
    series: list[Series] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.labels or all(v is None for s in self.series for v in s.values)

    def as_json(self) -> dict[str, Any]:
        """For `json_script`: exact decimal strings (None for a withheld figure)."""
        return {
            "id": self.id,
            "title": self.title,
            "unit": self.unit,
            "labels": self.labels,
            "series": [
                {
                    "label": s.label,
                    "kind": s.kind,
                    "color": s.color,
                    "stack": s.stack,
                    "dashed": s.dashed,
                    "values": [None if v is None else str(v) for v in s.values],
                }
                for s in self.series
            ],
        }


def _crore(amount: Decimal | None) -> Decimal | None:
    return None if amount is None else (amount / CRORE).quantize(Decimal("0.01"))


def capacity_chart(monitor: Monitor) -> ChartSpec:
    c = monitor.capacity
    labels = ["Awarded", "Under construction", "Awarded, no plant yet", "Commissioned"]
    return ChartSpec(
        id="capacity",
        title=f"Capacity against the {c.target_mtpa:,} MTPA target",
        labels=labels,
        unit="MTPA",
        series=[
            Series(
                "Capacity (MTPA)",
                [
                    Decimal(c.awarded),
                    Decimal(c.under_construction),
                    Decimal(c.not_started),
                    Decimal(c.commissioned),
                ],
                color=NAVY,
            ),
            Series(
                "Target (MTPA)",
                [Decimal(c.target_mtpa)] * len(labels),
                kind="line",
                color=SAFFRON,
                dashed=True,
            ),
        ],
    )


def sales_chart(monitor: Monitor) -> ChartSpec:
    quarters = monitor.sales.quarters
    return ChartSpec(
        id="sales",
        title="Verified sales of magnets per quarter against domestic demand",
        labels=[q.quarter.label for q in quarters],
        unit="tonnes",
        series=[
            Series("Verified sales (t)", [q.tonnes for q in quarters], color=GREEN),
            Series(
                "Domestic demand, the quarter's share (t)",
                [q.demand_tonnes for q in quarters],
                kind="line",
                color=SAFFRON,
                dashed=True,
            ),
        ],
    )


def pool_chart(pool: PoolView) -> ChartSpec:
    years = pool.years
    return ChartSpec(
        id=f"pool-{pool.pool.replace('_', '-')}",
        title=f"{pool.label}: committed, sanctioned and paid to date, by financial year",
        labels=[y.label for y in years],
        unit="Rs crore",
        series=[
            Series("Sanctioned to date", [_crore(y.sanctioned_to_date) for y in years], color=NAVY),
            Series("Paid to date", [_crore(y.paid_to_date) for y in years], color=GREEN),
            Series(
                "Committed (awards' caps)",
                [_crore(y.committed_to_date) for y in years],
                kind="line",
                color=TEAL,
            ),
            Series(
                "Pool limit",
                [_crore(pool.limit)] * len(years),
                kind="line",
                color=GREY,
                dashed=True,
            ),
        ],
    )


def service_chart(monitor: Monitor) -> ChartSpec:
    years = monitor.service.years
    return ChartSpec(
        id="service",
        title="Service levels met and missed, by financial year",
        labels=[y.label for y in years],
        unit="count",
        series=[
            Series(
                "Verification met",
                [Decimal(y.verification_met) for y in years],
                color=GREEN,
                stack="verification",
            ),
            Series(
                "Verification missed or overdue",
                [Decimal(y.verification_missed + y.verification_overdue) for y in years],
                color=RED,
                stack="verification",
            ),
            Series(
                "Payment met", [Decimal(y.payment_met) for y in years], color=NAVY, stack="payment"
            ),
            Series(
                "Payment missed or overdue",
                [Decimal(y.payment_missed + y.payment_overdue) for y in years],
                color=SAFFRON,
                stack="payment",
            ),
        ],
    )


# The sources in the scheme's order, each with its colour: the domestic ones in the portal's
# navy and green, imports in red (the share the scheme exists to bring down), recycled in teal.
SOURCE_COLORS = {
    Source.IREL: NAVY,
    Source.DOMESTIC: GREEN,
    Source.IMPORTED: RED,
    Source.RECYCLED: TEAL,
}


def feedstock_chart(monitor: Monitor) -> ChartSpec:
    """Share of the magnets made from each NdPr oxide source, per quarter, stacked to 100 %."""
    quarters = monitor.feedstock
    return ChartSpec(
        id="feedstock",
        title="Share of magnets made from each NdPr oxide source, per quarter",
        labels=[q.label for q in quarters],
        unit="% of magnets",
        series=[
            Series(
                str(Source(source).label),
                [q.share_pct[source] for q in quarters],
                color=SOURCE_COLORS[Source(source)],
                stack="sources",
            )
            for source in SOURCES
        ],
    )


def charts(monitor: Monitor) -> dict[str, ChartSpec]:
    found = {
        "capacity": capacity_chart(monitor),
        "sales": sales_chart(monitor),
        "service": service_chart(monitor),
        "feedstock": feedstock_chart(monitor),
    }
    for pool in monitor.pools:
        spec = pool_chart(pool)
        found[spec.id] = spec
    return found


# --- SVG ---------------------------------------------------------------------------------------


def _number(value: Decimal | None) -> float:
    # Drawing needs no more precision than a pixel; a withheld figure is a gap.
    return math.nan if value is None else float(value)


def svg(spec: ChartSpec, *, width: float = 6.8, height: float = 3.0) -> str:
    """The chart as an SVG document: each bar and line carries an id (`<chart>-bar-<s>-<i>`,
    `<chart>-line-<s>`), text stays text (in Noto Sans, as the PDF's body)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    settings: dict[Any, Any] = {
        "svg.fonttype": "none",
        "font.family": FONTS,
        "font.size": 8,
        "svg.hashsalt": spec.id,
    }
    with rc_context(settings):
        figure = Figure(figsize=(width, height))
        FigureCanvasSVG(figure)
        axes = figure.subplots()
        x = list(range(len(spec.labels)))
        stacks: list[str] = []
        for s in spec.series:
            if s.kind == "bar" and (s.stack or s.label) not in stacks:
                stacks.append(s.stack or s.label)
        band = 0.8 / max(1, len(stacks))
        bottoms: dict[str, list[float]] = {k: [0.0] * len(x) for k in stacks}
        for n, s in enumerate(spec.series):
            values = [_number(v) for v in s.values]
            if s.kind == "bar":
                key = s.stack or s.label
                offset = (stacks.index(key) - (len(stacks) - 1) / 2) * band
                bottom = bottoms[key]
                bars = axes.bar(
                    [i + offset for i in x],
                    values,
                    band * 0.95,
                    bottom=bottom,
                    color=s.color,
                    label=s.label,
                )
                for i, rect in enumerate(bars):
                    rect.set_gid(f"{spec.id}-bar-{n}-{i}")
                bottoms[key] = [
                    b + (0.0 if math.isnan(v) else v) for b, v in zip(bottom, values, strict=True)
                ]
            else:
                (line,) = axes.plot(
                    x,
                    values,
                    color=s.color,
                    linestyle="--" if s.dashed else "-",
                    marker="" if s.dashed else "o",
                    markersize=3,
                    label=s.label,
                )
                line.set_gid(f"{spec.id}-line-{n}")
        axes.set_xticks(
            x, spec.labels, rotation=30 if len(x) > 6 else 0, ha="right" if len(x) > 6 else "center"
        )
        axes.set_ylabel(spec.unit)
        axes.set_ylim(bottom=0)
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", color="#dde3ea", linewidth=0.5)
        axes.set_axisbelow(True)
        axes.legend(loc="best", fontsize=7, framealpha=0.85)
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
