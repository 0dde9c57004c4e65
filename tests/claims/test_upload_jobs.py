"""A sales upload's check runs as a Job: retried, then failed with its reason and re-run; run once; swept when silent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from incentives.claims import selectors, services, tasks
from incentives.claims.models import Claim, ClaimUpload
from incentives.claims.services import processing
from incentives.claims.services.lifecycle import move
from repm_portal import clock, jobs
from repm_portal.models import AuditEvent, Job
from tests.claims.sales import (
    AFTER_Q1,
    Q1_START,
    csv_bytes,
    line,
    lines_for,
    submit,
    uploaded,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The jobs sent to Celery, as (task, target), instead of a broker."""
    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(
        "repm_portal.jobs.send",
        lambda task, target, countdown=None: messages.append((task, target)),
    )
    return messages


def receive(award, firm_user, *, count: int = 3) -> ClaimUpload:
    return services.receive_upload(
        actor=firm_user, award=award, period_start=Q1_START,
        upload=uploaded(csv_bytes(lines_for(Q1_START, count))), now=AFTER_Q1,
    ).upload  # fmt: skip


def job_of(upload: ClaimUpload) -> Job:
    return jobs.job_for(ClaimUpload.TASK, upload.pk)


def test_an_upload_whose_job_fails_for_good_is_failed_with_the_reason_and_can_be_rerun(
    award, firm_user, monkeypatch, sent
):
    # given a received upload whose check breaks on every attempt
    upload = receive(award, firm_user)
    assert job_of(upload).state == Job.State.QUEUED and upload.progress.status == "queued"

    open_stored = processing._open_stored

    def broken(*args, **kwargs):
        raise OSError("the file store is unreachable")

    monkeypatch.setattr(processing, "_open_stored", broken)
    # when the worker tries three times (the job's max_attempts for this task)
    for attempt in (1, 2):
        assert tasks.process_upload(upload.pk) is None
        upload.refresh_from_db()
        assert (upload.status, job_of(upload).state) == ("received", Job.State.RETRYING)
        assert job_of(upload).attempts == attempt
        assert ("incentives.claims.tasks.process_upload", str(upload.pk)) in sent
    assert tasks.process_upload(upload.pk) is None
    # then the job has failed and the upload could not be processed, with the reason
    upload = ClaimUpload.objects.get(pk=upload.pk)
    assert (job_of(upload).state, job_of(upload).attempts) == (Job.State.FAILED, 3)
    assert upload.status == ClaimUpload.Status.FAILED
    assert upload.message == "OSError: the file store is unreachable"
    failed = AuditEvent.objects.get(action="claim_upload.failed")
    assert failed.old_values == {"status": "received"} and failed.actor_id is None
    assert services.can_rerun(firm_user, upload)

    # when the firm re-runs it, once the file store is back
    monkeypatch.setattr(processing, "_open_stored", open_stored)
    rerun = services.rerun_upload(actor=firm_user, upload=upload)
    # then it is received again, its job queued with fresh attempts, and it is stored
    assert (rerun.status, rerun.message, rerun.progress.status) == ("received", "", "queued")
    assert (job_of(upload).state, job_of(upload).max_attempts) == (Job.State.QUEUED, 6)
    again = AuditEvent.objects.get(action="claim_upload.rerun")
    assert (again.old_values, again.new_values["status"]) == ({"status": "failed"}, "received")
    assert tasks.process_upload(upload.pk) == ClaimUpload.Status.ACCEPTED
    assert Claim.objects.get().line_count == 3


def test_a_duplicate_delivery_checks_the_upload_once(award, firm_user, sent):
    upload = receive(award, firm_user)
    # when the task is delivered twice
    outcomes = [tasks.process_upload(upload.pk), tasks.process_upload(upload.pk)]
    # then the second finds the job done and does nothing
    assert outcomes == [ClaimUpload.Status.ACCEPTED, None]
    job = job_of(upload)
    assert (job.state, job.attempts, job.progress) == (Job.State.DONE, 1, 100)
    assert AuditEvent.objects.filter(action="claim_upload.accepted").count() == 1
    assert Claim.objects.get().line_count == 3


def test_a_message_with_no_job_checks_nothing(award, firm_user):
    upload = services.receive_upload(
        actor=firm_user, award=award, period_start=Q1_START,
        upload=uploaded(csv_bytes(lines_for(Q1_START, 2))), now=AFTER_Q1, enqueue=False,
    ).upload  # fmt: skip
    assert tasks.process_upload(upload.pk) is None
    upload.refresh_from_db()
    assert upload.status == ClaimUpload.Status.RECEIVED and not Claim.objects.exists()


def test_the_sweeper_resends_a_stalled_uploads_job_and_the_next_worker_takes_it_over(
    award, firm_user, sent, settings
):
    # given an upload whose worker took it and went silent (killed) long ago
    upload = receive(award, firm_user)
    silent_since = clock.now() - dt.timedelta(seconds=settings.JOBS_STALL_AFTER_SECONDS + 60)
    Job.objects.filter(pk=job_of(upload).pk).update(
        state=Job.State.RUNNING, attempts=1, phase="storing", progress=99,
        started_at=silent_since, heartbeat_at=silent_since,
    )  # fmt: skip
    assert services.is_stalled(upload, now=clock.now()) and services.can_rerun(firm_user, upload)
    # when the sweeper runs
    counts = jobs.sweep()
    # then it sends the upload's job again, and the delivery stores it
    assert counts["running"] == 1 and sent == [(ClaimUpload.TASK, str(upload.pk))]
    assert tasks.process_upload(upload.pk) == ClaimUpload.Status.ACCEPTED
    assert job_of(upload).attempts == 2 and Claim.objects.get().line_count == 3


def test_pages_and_api_show_the_progress_of_the_uploads_job(
    client, api_client, award, firm_user, django_assert_num_queries
):
    upload = receive(award, firm_user)
    Job.objects.filter(pk=job_of(upload).pk).update(
        state=Job.State.RUNNING, attempts=1, phase="storing", progress=75,
        started_at=clock.now(), heartbeat_at=clock.now(),
    )  # fmt: skip
    # the API answers as it did before the job kept this state
    api_client.force_authenticate(firm_user)
    data = api_client.get(f"/api/claim-uploads/{upload.pk}/").json()
    assert (data["status"], data["phase"], data["percent"], data["attempts"]) == (
        "processing", "storing", 75, 1,
    )  # fmt: skip
    listed = api_client.get("/api/claim-uploads/").json()["results"]
    assert [(u["id"], u["status"], u["percent"]) for u in listed] == [(upload.pk, "processing", 75)]
    # the progress bar shows the job's phase and percent
    client.force_login(firm_user)
    bar = client.get(reverse("claim_upload_progress", args=[upload.pk])).content.decode()
    assert "Storing the lines" in bar and 'value="75"' in bar
    # and a list of uploads fetches their jobs in one query
    uploads = list(ClaimUpload.objects.all())
    with django_assert_num_queries(1):
        shown = [u.progress.status for u in selectors.with_jobs(uploads)]
    assert shown == ["processing"]


def test_the_lifecycle_refuses_a_move_its_pipeline_does_not_allow(award, firm_user):
    refused = submit(award, firm_user, csv_bytes([line(1, Q1_START, hsn_code="1")]))
    assert refused.status == ClaimUpload.Status.REJECTED
    with pytest.raises(
        ValidationError, match="is refused: errors to fix; it cannot become accepted"
    ):
        move(refused, ClaimUpload.Status.ACCEPTED, actor=firm_user, now=AFTER_Q1)
    with pytest.raises(ValidationError, match="only a failed or stalled check can be re-run"):
        services.rerun_upload(actor=firm_user, upload=refused, now=AFTER_Q1)
