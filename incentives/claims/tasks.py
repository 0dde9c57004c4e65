"""Celery tasks of sales claims: ids in, the job run, a service called, nothing else."""

from __future__ import annotations

from celery import shared_task

from incentives.claims import services
from repm_portal import jobs


@shared_task(name=services.TASK, acks_late=True)
def process_upload(upload_id: int) -> str | None:
    """Check one upload under its job: a duplicate delivery runs nothing; a silent one is taken over."""

    def work(run: jobs.Run) -> str | None:
        upload = services.process_upload(upload_id=upload_id, now=run.now, progress=run.progress)
        return None if upload is None else upload.status

    def failed(reason: str) -> None:
        services.fail_upload(upload_id=upload_id, reason=reason)

    return jobs.run(services.TASK, upload_id, work, on_failure=failed)


@shared_task(name="incentives.claims.tasks.lapse_overdue_claims")
def lapse_overdue_claims() -> int:
    """Daily: every draft not submitted by its window's close lapses (each move audited)."""
    return len(services.lapse_overdue_claims())
