"""The bundle's job through a real Celery worker: asked for on the page, built, downloaded, verified."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incentives.evidence import verify
from incentives.evidence.models import BundleRun
from repm_portal.models import Job
from repm_portal.roles import Role
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bundle_queue(settings, media_for_both, worker):
    """The bundle task sent to the test's own worker, which shares this test's media folder."""
    settings.JOBS_TASKS = {**settings.JOBS_TASKS, BundleRun.TASK: {"queue": worker}}
    return worker


def test_the_worker_builds_the_bundle_the_page_asked_for(client, users, year, bundle_queue):
    client.force_login(users[Role.AUDITOR])
    assert (
        client.post(reverse("evidence_bundles"), {"financial_year": "2027-28"}).status_code == 302
    )
    run = BundleRun.objects.get()

    def job():
        return Job.objects.get(task=BundleRun.TASK, target=str(run.pk))

    wait_for(
        lambda: job().state in (Job.State.DONE, Job.State.FAILED),
        timeout=120, what="the bundle job", detail=lambda: vars(job()),
    )  # fmt: skip
    assert job().state == Job.State.DONE, job().last_error
    assert job().progress == 100
    run.refresh_from_db()
    assert run.is_built and run.letter_count == 3
    # the progress fragment now offers the download, and the download verifies
    fragment = client.get(reverse("evidence_progress", args=[run.pk])).content.decode()
    assert reverse("evidence_download", args=[run.pk]) in fragment
    data = b"".join(client.get(reverse("evidence_download", args=[run.pk])).streaming_content)
    report = verify.check(data)
    assert report.findings == []
    assert report.counts["sli_replayed"] == 2
