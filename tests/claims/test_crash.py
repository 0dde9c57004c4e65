"""A real worker killed (SIGKILL) while storing a claim's lines leaves no part of the claim; a re-run stores it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from incentives.claims import services
from incentives.claims.models import Claim, ClaimLine, ClaimUpload
from repm_portal import jobs
from repm_portal.models import AuditEvent, Job
from tests.claims.conftest import AFTER_Q1, Q1_START, csv_bytes, lines_for, uploaded

pytestmark = pytest.mark.integration

LINES = 3000


def _database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"], safe="")
    auth = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return f"postgresql://{auth}@{host}:{db['PORT']}/{db['NAME']}"


def start_worker(queue: str, media_root, **extra_env) -> subprocess.Popen:
    env = os.environ | {
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "repm_portal.settings.test",
        "MEDIA_ROOT": str(media_root),
        **extra_env,
    }
    if "REDIS_URL" not in env:
        env["REDIS_URL"] = settings.CELERY_BROKER_URL
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "repm_portal", "worker", "--pool", "solo",
         "--queues", queue, "--loglevel", "warning", "--without-gossip", "--without-mingle"],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.2)
    states = list(ClaimUpload.objects.values_list("status", "message"))
    states += list(Job.objects.values_list("state", "phase", "progress", "last_error"))
    raise AssertionError(f"timed out waiting for {what}; uploads: {states}")


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
