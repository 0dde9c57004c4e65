"""A real worker killed (SIGKILL) while storing a claim's lines leaves no part of the claim; a re-run stores it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from incentives.claims import services
from incentives.claims.models import Claim, ClaimLine, ClaimUpload
from repm_portal import jobs
from repm_portal.models import AuditEvent, Job
from tests.claims.sales import AFTER_Q1, Q1_START, csv_bytes, lines_for, uploaded
from tests.workers import start_worker, stop, wait_for

pytestmark = pytest.mark.integration

LINES = 3000


def _states() -> list:
    states = list(ClaimUpload.objects.values_list("status", "message"))
    return states + list(Job.objects.values_list("state", "phase", "progress", "last_error"))


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_storing_leaves_no_claim_and_a_rerun_stores_it(
    award, firm_user, media_root, settings
):
    queue = f"test-claims-{uuid.uuid4().hex[:8]}"
    settings.CLAIMS_TASK_QUEUE = queue  # where the upload's job is sent on commit
    # given a committed upload of 3,000 valid lines, its job sent
    received = services.receive_upload(
        actor=firm_user, award=award, period_start=Q1_START,
        upload=uploaded(csv_bytes(lines_for(Q1_START, LINES))), now=AFTER_Q1,
    )  # fmt: skip
    upload_id = received.upload.pk
    # and a worker that pauses between COPY and commit
    worker = start_worker(
        queue, media_root, REPM_CLAIMS_TEST_PAUSE_BEFORE_COMMIT="120", CLAIMS_TASK_QUEUE=queue
    )
    try:
        # when its job's progress says the lines are written and it waits to commit
        wait_for(
            lambda: Job.objects.filter(
                task=ClaimUpload.TASK,
                target=str(upload_id),
                phase=ClaimUpload.Phase.STORING,
                progress__gte=99,
            ).exists(),
            timeout=120,
            what="the worker to reach the end of storing",
            detail=_states,
        )
        # (nothing is visible from outside the worker's transaction)
        assert not ClaimLine.objects.exists() and not Claim.objects.exists()
        # and the worker is killed there
        worker.kill()
        worker.wait(timeout=20)
    finally:
        stop(worker)

    # then PostgreSQL rolls the transaction back: no claim, no line, no audit of acceptance
    def rolled_back():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%%'"
            )
            return cursor.fetchone()[0] == 0

    wait_for(rolled_back, timeout=30, what="the killed worker's transaction to end")
    assert not Claim.objects.exists()
    assert not ClaimLine.objects.exists()
    upload = ClaimUpload.objects.get(pk=upload_id)
    job = jobs.job_for(ClaimUpload.TASK, upload_id)
    assert (upload.status, job.state, job.phase) == (
        ClaimUpload.Status.RECEIVED,
        Job.State.RUNNING,
        ClaimUpload.Phase.STORING,
    )
    assert not AuditEvent.objects.filter(action="claim_upload.accepted").exists()

    # when the firm re-runs it once the check is seen as stalled (its job is restarted and
    # sent), on a healthy worker
    later = timezone.now() + services.stall_after() + dt.timedelta(minutes=1)
    services.rerun_upload(actor=firm_user, upload=upload, now=later)
    worker = start_worker(queue, media_root, CLAIMS_TASK_QUEUE=queue)
    try:
        outcome = wait_for(
            lambda: (
                ClaimUpload.objects.filter(pk=upload_id, status=ClaimUpload.Status.ACCEPTED)
                .values_list("status", flat=True)
                .first()
            ),
            timeout=120,
            what="the re-run to store the claim",
            detail=_states,
        )
    finally:
        stop(worker)

    # then the whole claim is stored, once
    assert outcome == ClaimUpload.Status.ACCEPTED
    claim = Claim.objects.get()
    assert claim.line_count == LINES == ClaimLine.objects.filter(claim=claim).count()
    upload.refresh_from_db()
    assert (upload.status, jobs.job_for(ClaimUpload.TASK, upload_id).attempts) == (
        ClaimUpload.Status.ACCEPTED,
        2,
    )
