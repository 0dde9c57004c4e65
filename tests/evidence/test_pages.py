"""The evidence bundle page: who may produce and download a bundle, and what asking for one writes."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from incentives.evidence import services, verify
from incentives.evidence.models import BundleRun
from repm_portal.models import AuditEvent, Job
from repm_portal.roles import Role

pytestmark = pytest.mark.django_db

MAKERS = {Role.AUDITOR, Role.OFFICIAL, Role.ADMIN}


@pytest.mark.parametrize("role", list(Role.values))
def test_only_auditors_officials_and_the_admin_see_the_page(client, users, role):
    client.force_login(users[role])
    response = client.get(reverse("evidence_bundles"))
    assert response.status_code == (200 if role in MAKERS else 403)
    if role in MAKERS:
        assert b"Produce the bundle" in response.content
        # and the staff navigation links to it
        assert reverse("evidence_bundles").encode() in response.content


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("evidence_bundles"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.parametrize("role", [Role.FIRM_USER, Role.VERIFIER, Role.APPROVER, Role.EVALUATOR])
def test_a_firm_or_other_staff_cannot_ask_for_a_bundle(client, users, role):
    client.force_login(users[role])
    response = client.post(reverse("evidence_bundles"), {"financial_year": "2027-28"})
    assert response.status_code == 403
    assert not BundleRun.objects.exists()
    assert not Job.objects.filter(task=BundleRun.TASK).exists()


def test_asking_for_a_bundle_writes_the_run_its_job_and_an_audit_row(client, users):
    client.force_login(users[Role.AUDITOR])
    response = client.post(
        reverse("evidence_bundles"), {"financial_year": "2027-28", "pool": "sli"}
    )
    assert response.status_code == 302
    run = BundleRun.objects.get()
    assert (run.financial_year, run.pool, run.requested_by) == (
        "2027-28",
        "sli",
        users[Role.AUDITOR],
    )
    job = Job.objects.get(task=BundleRun.TASK, target=str(run.pk))
    assert job.state == Job.State.QUEUED
    event = AuditEvent.objects.get(action="evidencebundle.requested")
    assert event.object_id == str(run.pk)
    assert event.new_values == {"financial_year": "2027-28", "pool": "sli"}
    # the page shows it waiting, with a progress bar polled by htmx
    page = client.get(reverse("evidence_bundles")).content.decode()
    assert f'hx-get="{reverse("evidence_progress", args=[run.pk])}"' in page
    assert "<progress" in page


def test_a_bad_year_is_refused_and_changes_nothing(client, users):
    client.force_login(users[Role.OFFICIAL])
    response = client.post(reverse("evidence_bundles"), {"financial_year": "2027-29"})
    assert response.status_code == 200
    assert (
        "&#x27;2027-29&#x27; is not a financial year such as 2030-31." in response.content.decode()
    )
    assert not BundleRun.objects.exists()
    assert not AuditEvent.objects.filter(action="evidencebundle.requested").exists()


def test_a_built_bundle_downloads_for_a_maker_only(client, users, year):
    run = services.request_bundle(actor=users[Role.OFFICIAL], financial_year="2027-28")
    services.build_bundle(run.pk)
    run.refresh_from_db()
    assert run.letter_count == 3
    assert AuditEvent.objects.filter(action="evidencebundle.built", object_id=str(run.pk)).exists()
    url = reverse("evidence_download", args=[run.pk])
    client.force_login(users[Role.FIRM_USER])
    assert client.get(url).status_code == 403
    assert client.get(reverse("evidence_progress", args=[run.pk])).status_code == 403
    client.force_login(users[Role.AUDITOR])
    response = client.get(url)
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == run.sha256 == response["X-Content-SHA256"]
    assert verify.findings(data) == []
    # building again changes nothing: the run keeps its first file
    assert services.build_bundle(run.pk).sha256 == run.sha256


def test_the_checker_imports_no_model_and_no_database_code():
    code = (
        "import sys, incentives.evidence.verify; "
        "bad = [m for m in sys.modules if m.startswith('django.db') or m.endswith('.models')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=settings.BASE_DIR, capture_output=True, text=True,
        env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
