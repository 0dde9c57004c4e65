"""The demo in the forecast: its five awards and its SLI years, seen on 20 Jul 2031."""

from __future__ import annotations

import importlib
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from beneficiaries.models import User
from incentives import ledger
from incentives.models import Pool
from repm_portal.demo_clock import DEMO_AS_OF

pytestmark = pytest.mark.django_db
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_the_demo_years_and_awards_show_in_the_forecast(demo, client, time_machine):
    time_machine.move_to(DEMO_AS_OF)
    assert "/forecast/ at the defaults" in demo
    client.force_login(User.objects.get(username="official"))
    response = client.get(reverse("forecast"))
    assert response.status_code == 200
    html = response.content.decode()
    years = re.findall(r'<tr data-year="([^"]+)"', html)
    # the SLI years paid so far, the current one, and on to the end of the SLI term (Jul 2033)
    assert years == [f"FY {y}-{(y + 1) % 100:02d}" for y in range(2028, 2034)]
    assert len(re.findall(r'<tr data-award="', html)) == 5
    assert "exited: nothing projected" in html  # Vidarbha
    # the years to date hold what the ledger holds
    sanctioned = re.findall(r'data-figure="sli_sanctioned" data-value="([-0-9.]+)"', html)
    assert sum(Decimal(v) for v in sanctioned) == ledger.balances(pool=Pool.SLI).sanctioned
    assert 'data-pool="sli" data-exhausted="no"' in html
