"""Pages of the scheme monitor: the officials' monitor, the public one, a CSV per table and the PDF
summary of a financial year. The role checks live in the selectors; the public views read only
`public_monitor`, which holds no firm-confidential figure."""

from __future__ import annotations

import base64
import re

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify

from incentives.monitor import charts, selectors, tables
from incentives.monitor.selectors import Monitor
from repm_portal import clock
from repm_portal.exports import csv_rows
from repm_portal.fiscal import FinancialYear
from repm_portal.pdf import render_pdf
from repm_portal.roles import READ_ALL_ROLES, require_role

_FY = re.compile(r"^(\d{4})-(\d{2})$")


def _context(monitor: Monitor) -> dict:
    specs = charts.charts(monitor)
    found = tables.tables(monitor)
    return {
        "m": monitor,
        "min_beneficiaries": selectors.PUBLIC_MIN_BENEFICIARIES,
        "charts": {key: spec.as_json() for key, spec in specs.items()},
        "tables": {slug.replace("-", "_"): table for slug, table in found.items()},
        "summary_years": [
            f"{y.financial_year.start_year}-{(y.financial_year.start_year + 1) % 100:02d}"
            for y in (monitor.pools[0].years if monitor.pools else [])
        ],
        "pool_sections": [
            {
                "pool": pool,
                "chart": specs[key].as_json(),
                "table": found[key],
                "by_award": found.get(f"{key}-by-award"),
            }
            for pool in monitor.pools
            for key in [f"pool-{pool.pool.replace('_', '-')}"]
        ],
    }


@login_required
def monitor(request: HttpRequest) -> HttpResponse:
    """The scheme whole, for every staff role, with per-award figures."""
    found = selectors.official_monitor(request.user)
    return render(request, "monitor/monitor.html", _context(found))


def public(request: HttpRequest) -> HttpResponse:
    """The same monitor for anyone, aggregates only (see `selectors.public_monitor`)."""
    return render(request, "monitor/public.html", _context(selectors.public_monitor()))


def _csv(monitor: Monitor, slug: str, prefix: str, by: str) -> StreamingHttpResponse:
    table = tables.tables(monitor).get(slug)
    if table is None:
        raise Http404("No such table")
    produced = timezone.localtime(clock.now())
    note = [
        f"# {table.caption}. Figures as of {monitor.as_of:%d %b %Y}; produced "
        f"{produced:%d %b %Y %H:%M} IST by {by}; no filters."
    ]
    response = StreamingHttpResponse(
        csv_rows(table.header, [note + [""] * (len(table.header) - 1), *table.rows]),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{prefix}-{slugify(table.slug)}-{monitor.as_of:%Y-%m-%d}.csv"'
    )
    return response


@login_required
def table_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    return _csv(
        selectors.official_monitor(request.user), slug, "repm-monitor", request.user.get_username()
    )


def public_table_csv(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    return _csv(selectors.public_monitor(), slug, "repm-monitor-public", "the public monitor")


def _financial_year(text: str) -> FinancialYear:
    match = _FY.match(text)
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        raise Http404("A financial year is written as 2029-30")
    return FinancialYear(int(match[1]))


def _svg_uri(spec: charts.ChartSpec) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(charts.svg(spec).encode()).decode()


@login_required
def summary_pdf(request: HttpRequest, fy: str) -> HttpResponse:
    """The summary of one financial year as a PDF: totals and charts as of the year's end (or today,
    for the year running). Rendered on request, outside any transaction: a few hundred ms."""
    require_role(request.user, *READ_ALL_ROLES, action="download the monitor's summary")
    year = _financial_year(fy)
    today = clock.today()
    if year.start > today:
        raise Http404("That financial year has not begun")
    as_of = min(year.end, today)
    found = selectors.official_monitor(request.user, as_of=as_of)
    specs = charts.charts(found)
    svgs = {key: _svg_uri(spec) for key, spec in specs.items() if not spec.is_empty}
    context = _context(found) | {
        "year": year,
        "produced_at": clock.now(),
        "produced_by": request.user,
        "year_pools": [
            (p, next((y for y in p.years if y.financial_year == year), None)) for p in found.pools
        ],
        "year_quarters": [q for q in found.sales.quarters if q.quarter.fy == year],
        "year_feedstock": [q for q in found.feedstock if year.start <= q.start <= year.end],
        "year_service": next((y for y in found.service.years if y.financial_year == year), None),
        "svgs": svgs,
        "pool_svgs": [(p.label, svgs.get(f"pool-{p.pool.replace('_', '-')}")) for p in found.pools],
    }
    pdf = render_pdf("monitor/pdf/summary.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="repm-monitor-summary-{fy}.pdf"'
    return response
