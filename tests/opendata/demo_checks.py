"""The demo's tenders show their releases to the last payment, valid, and a second seed keeps none."""

from __future__ import annotations

import importlib

import pytest
from rest_framework.test import APIClient

from bidding import ocds as tender_ocds
from bidding.models import Tender
from incentives.models import Payment
from incentives.opendata import demo as opendata_demo
from incentives.opendata.models import KeptRelease
from repm_portal.models import AuditEvent
from tests.bidding import ocds_schema

pytestmark = pytest.mark.django_db
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MAIN = "MHI/REPM/GTE/2026/01"


def test_the_demo_tender_runs_from_tender_to_its_last_payment(demo):
    main = Tender.objects.get(reference=MAIN)
    ocid = tender_ocds.ocid(main)
    assert f"/api/ocds/{ocid}/record/" in demo
    client = APIClient()
    releases = client.get(f"/api/ocds/{ocid}/releases/").json()
    record = client.get(f"/api/ocds/{ocid}/record/").json()
    assert ocds_schema.errors(releases) == []
    assert ocds_schema.record_errors(record) == []
    tags = [t for r in releases["releases"] for t in r["tag"]]
    for tag in ("tender", "tenderUpdate", "award", "contract", "implementation"):
        assert tag in tags, tag
    dates = [r["date"] for r in releases["releases"]]
    kept = {k.release_id: k for k in KeptRelease.objects.filter(tender=main)}
    shown = [
        (r["date"], r["tag"], list(
            AuditEvent.objects.filter(pk__in=kept[r["id"]].events).values_list("action", flat=True)
        ))
        for r in releases["releases"]
    ]  # fmt: skip
    assert dates == sorted(dates), shown
    compiled = record["records"][0]["compiledRelease"]
    paid = [
        t["value"]["amount"]
        for c in compiled["contracts"]
        for t in c.get("implementation", {}).get("transactions", [])
    ]
    last = Payment.objects.filter(letter__award__tender=main).order_by("-recorded_at").first()
    assert (
        last is not None and len(paid) == Payment.objects.filter(letter__award__tender=main).count()
    )
    # The last release is the one of the last payment recorded.
    assert releases["releases"][-1]["date"] >= tender_ocds._iso(last.recorded_at)[:19]


def test_seeding_again_keeps_nothing(demo):
    count = KeptRelease.objects.count()
    assert count > 0
    lines = opendata_demo.seed()
    assert lines[0].startswith("OCDS: 0 release(s)") and KeptRelease.objects.count() == count
