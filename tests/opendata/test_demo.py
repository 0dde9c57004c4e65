"""The demo's tenders show their releases to the last payment, valid, and a second seed keeps none."""

from __future__ import annotations

import importlib
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from rest_framework.test import APIClient

from bidding import ocds as tender_ocds
from bidding.models import Tender
from incentives.models import Payment
from incentives.opendata import demo
from incentives.opendata.models import KeptRelease
from repm_portal.models import AuditEvent, CapacitySlab, RuleSet, Scheme
from tests.bidding import ocds_schema

pytestmark = pytest.mark.django_db
_loader = importlib.import_module("repm_portal.migrations.0003_load_repm_scheme")
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
MAIN = "MHI/REPM/GTE/2026/01"


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, tmp_path_factory):
    """`seed_demo` once, in a transaction of its own that is rolled back after the module's tests."""
    media = tmp_path_factory.mktemp("demo-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, CACHES=LOCMEM),
        transaction.atomic(),
    ):
        if not RuleSet.objects.filter(scheme__code="REPM", version=1).exists():
            _loader.load_scheme(Scheme, RuleSet, CapacitySlab)
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


def test_the_demo_tender_runs_from_tender_to_its_last_payment(seeded):
    main = Tender.objects.get(reference=MAIN)
    ocid = tender_ocds.ocid(main)
    assert f"/api/ocds/{ocid}/record/" in seeded
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


def test_seeding_again_keeps_nothing(seeded):
    count = KeptRelease.objects.count()
    assert count > 0
    lines = demo.seed()
    assert lines[0].startswith("OCDS: 0 release(s)") and KeptRelease.objects.count() == count
