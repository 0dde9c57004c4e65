"""The demo's three SLI years appear in the monitor: sales in every quarter of them, the SLI pool
sanctioned and paid in each, the PDF summary of each; the public page withholds nothing it may show."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest

from incentives import ledger
from incentives.models import Pool
from incentives.monitor import selectors
from incentives.sli.demo import YEARS
from repm_portal.demo_clock import DEMO_AS_OF
from repm_portal.fiscal import FinancialYear

pytestmark = pytest.mark.django_db
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def _as_of() -> dt.date:
    return DEMO_AS_OF.date()


def test_the_demos_sli_years_are_in_the_monitor(demo):
    from beneficiaries.models import User

    official = User.objects.get(username="official")
    found = selectors.official_monitor(official, as_of=_as_of())
    years = {
        f"{y.start_year}-{(y.start_year + 1) % 100:02d}"
        for y in (FinancialYear(int(t[:4])) for t in YEARS)
    }
    sold = {
        f"{q.quarter.fy.start_year}-{(q.quarter.fy.start_year + 1) % 100:02d}"
        for q in found.sales.quarters
        if q.kg
    }
    assert years <= sold
    sli = next(p for p in found.pools if p.pool == Pool.SLI)
    for year in YEARS:
        row = next(r for r in sli.years if r.financial_year == FinancialYear(int(year[:4])))
        assert row.sanctioned > 0 and row.paid > 0, year
    assert sli.sanctioned == ledger.balances(pool=Pool.SLI).sanctioned
    assert found.capacity.awarded > 0 and found.capacity.commissioned > 0
    assert "Scheme monitor" in demo


def test_the_demos_public_monitor_publishes_the_years_quarters(demo):
    public = selectors.public_monitor(as_of=_as_of())
    published = [q for q in public.sales.quarters if not q.withheld and q.kg]
    assert {q.quarter.fy.start_year for q in published} >= {int(y[:4]) for y in YEARS}
