"""Demo of the scheme monitor: nothing to seed (it reads what the other demos made); says where to look."""

from __future__ import annotations

from incentives.claims import feedstock
from incentives.claims.models import Claim
from incentives.monitor.selectors import PUBLIC_MIN_BENEFICIARIES
from repm_portal.fiscal import FinancialYear


def seed() -> list[str]:
    ends = Claim.objects.filter(status__in=Claim.VERIFIED_STATUSES).values_list(
        "period_end", flat=True
    )
    years = sorted({FinancialYear.for_date(day).label for day in ends})
    shown = ", ".join(years) if years else "none yet"
    officials = len(feedstock.source_shares_by_quarter(min_awards=1))
    public = len(feedstock.source_shares_by_quarter(min_awards=PUBLIC_MIN_BENEFICIARIES))
    return [
        f"Scheme monitor: /monitor/ (staff) and /monitor/public/ (anyone); verified sales in {shown}",
        "  PDF summary per financial year: /monitor/summary/2030-31.pdf",
        f"  Magnets by NdPr oxide source: {officials} quarters for officials, {public} public "
        f"(quarters of {PUBLIC_MIN_BENEFICIARIES}+ beneficiaries)",
    ]
