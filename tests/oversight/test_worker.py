"""An XLSX run asked for on commit is produced by a real Celery worker, with its progress and hash."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.db import transaction
from openpyxl import load_workbook

from incentives import ledger
from incentives.oversight import services
from incentives.oversight.models import ExportRun
from repm_portal.celery import app
from repm_portal.models import Job
from tests.workers import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def export_queue(media_for_both, worker):
    """Route the export task to the test's own worker for the duration of the test."""
    routes = app.conf.task_routes
    app.conf.task_routes = {ExportRun.TASK: {"queue": worker}}
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)
    yield worker
    app.conf.task_routes = routes
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


def test_the_worker_produces_the_xlsx_register_and_staff_download_it(
    client, users, book, export_queue
):
    # when an auditor asks for the register as XLSX (the task is sent once this commits)
    with transaction.atomic():
        run = services.request_export(
            actor=users["auditor"], kind="register", fmt="xlsx", params={"pool": "capital_subsidy"}
        )
        assert Job.objects.get(task=ExportRun.TASK, target=str(run.pk)).state == "queued"
    # then the worker writes the file and attaches it with its hash and row count
    run = wait_for(
        lambda: ExportRun.objects.filter(pk=run.pk, finished_at__isnull=False).first(),
        timeout=90, every=0.5, what="the worker to produce the export",
        detail=lambda: Job.objects.filter(task=ExportRun.TASK).values("state", "last_error").first(),
    )  # fmt: skip
    job = Job.objects.get(task=ExportRun.TASK, target=str(run.pk))
    assert (job.state, job.progress, job.phase, job.attempts) == ("done", 100, "writing rows", 1)
    with run.file.open("rb") as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest() == run.sha256
    rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
    blank = next(i for i, r in enumerate(rows) if all(v is None for v in r))
    statement = {r[0]: r[1] for r in rows[:blank]}
    assert statement["Produced by"] == "the_auditor (Auditor)"
    assert statement["Filters"] == "Pool: Capital subsidy"
    header, *table = rows[blank + 1 :]
    table = [dict(zip(header, r, strict=False)) for r in table]
    pool = ledger.balances(pool="capital_subsidy")
    assert run.row_count == len(table) == 2
    assert sum(r["ledger_sanctioned"] for r in table) == pool.sanctioned
    assert sum(r["paid"] for r in table) == pool.paid
    # and an official downloads the same file from the exports page afterwards
    client.force_login(users["official"])
    page = client.get("/oversight/").content.decode()
    assert f'href="/oversight/runs/{run.pk}/download/"' in page
    download = client.get(f"/oversight/runs/{run.pk}/download/")
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == run.sha256
