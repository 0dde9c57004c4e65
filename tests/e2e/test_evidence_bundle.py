"""In Chromium, with a real Celery worker: an auditor produces the evidence bundle of FY 2027-28
from the staff navigation, watches it build, downloads it, and the download verifies offline."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from incentives.evidence.models import BundleRun
from tests.e2e.pages import field, login
from tests.evidence.bundles import seed_year
from tests.factories import PASSWORD

# The seeded year of tests/evidence: two SLI letters (one netting a penalty) and a capital letter.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("year"),
]


@pytest.fixture
def year(rules, users, media_for_both, private_cache):
    return seed_year(users)


@pytest.fixture
def bundle_queue(settings, media_for_both, worker):
    settings.JOBS_TASKS = {**settings.JOBS_TASKS, BundleRun.TASK: {"queue": worker}}
    return worker


def test_an_auditor_produces_downloads_and_verifies_the_bundle(
    live_server, page, users, bundle_queue, tmp_path
):
    login(page, live_server.url, users["auditor"].username, PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Evidence bundles").click()
    expect(page.get_by_role("heading", name="Evidence bundles", level=1)).to_be_visible()
    field(page, "Financial year").fill("2027-28")
    page.get_by_role("button", name="Produce the bundle").click()
    expect(page.get_by_text("was asked for")).to_be_visible()
    download_link = page.get_by_role("link", name="Download the bundle for FY 2027-28")
    expect(download_link).to_be_visible(timeout=120_000)
    with page.expect_download() as event:
        download_link.click()
    path = tmp_path / "downloaded.zip"
    event.value.save_as(path)
    run = BundleRun.objects.get()
    assert event.value.suggested_filename == f"repm-evidence-2027-28-{run.pk}.zip"
    out = StringIO()
    call_command("verify_bundle", str(path), stdout=out)
    assert out.getvalue().startswith("OK: ")
    assert "3 letters" in out.getvalue()
    assert "2 sli replayed" in out.getvalue()
