"""A real worker killed (SIGKILL) while storing a claim's lines leaves no part of the claim; a re-run stores it."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.utils import timezone

from incentives.claims import services, tasks
from incentives.claims.models import Claim, ClaimLine, ClaimUpload
from repm_portal.models import AuditEvent
from tests.claims.sales import AFTER_Q1, Q1_START, csv_bytes, lines_for, uploaded
from tests.workers import start_worker, stop, wait_for

pytestmark = pytest.mark.integration

LINES = 3000


def uploads() -> str:
    return (
        f"uploads: {list(ClaimUpload.objects.values_list('status', 'phase', 'percent', 'message'))}"
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_storing_leaves_no_claim_and_a_rerun_stores_it(
    award, firm_user, media_root
):
    # given a committed upload of 3,000 valid lines
    received = services.receive_upload(
        actor=firm_user, award=award, period_start=Q1_START,
        upload=uploaded(csv_bytes(lines_for(Q1_START, LINES))), now=AFTER_Q1, enqueue=False,
    )  # fmt: skip
    upload_id = received.upload.pk
    queue = f"test-claims-{uuid.uuid4().hex[:8]}"
    # and a worker that pauses between COPY and commit
    worker = start_worker(queue, media_root, **{services.PAUSE_ENV: "120"})
    try:
        tasks.process_upload.apply_async(args=[upload_id], queue=queue)
        # when its progress says the lines are written and it waits to commit
        wait_for(
            lambda: ClaimUpload.objects.filter(
                pk=upload_id, phase=ClaimUpload.Phase.STORING, percent__gte=99
            ).exists(),
            timeout=120,
            what="the worker to reach the end of storing",
            detail=uploads,
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

    wait_for(rolled_back, timeout=30, what="the killed worker's transaction to end", detail=uploads)
    assert not Claim.objects.exists()
    assert not ClaimLine.objects.exists()
    upload = ClaimUpload.objects.get(pk=upload_id)
    assert (upload.status, upload.phase) == (
        ClaimUpload.Status.PROCESSING,
        ClaimUpload.Phase.STORING,
    )
    assert not AuditEvent.objects.filter(action="claim_upload.accepted").exists()

    # when the firm re-runs it once the check is seen as stalled, on a healthy worker
    later = timezone.now() + services.STALL_AFTER + services.dt.timedelta(minutes=1)
    services.rerun_upload(actor=firm_user, upload=upload, now=later, enqueue=False)
    worker = start_worker(queue, media_root)
    try:
        outcome = tasks.process_upload.apply_async(args=[upload_id], queue=queue).get(timeout=120)
    finally:
        stop(worker)

    # then the whole claim is stored, once
    assert outcome == ClaimUpload.Status.ACCEPTED
    claim = Claim.objects.get()
    assert claim.line_count == LINES == ClaimLine.objects.filter(claim=claim).count()
    upload.refresh_from_db()
    assert (upload.status, upload.attempts) == (ClaimUpload.Status.ACCEPTED, 2)
