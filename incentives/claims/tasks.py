"""Celery tasks of sales claims: ids in, a service called, nothing else."""

from __future__ import annotations

from celery import shared_task

from incentives.claims import services


@shared_task(name="incentives.claims.tasks.process_upload", acks_late=True)
def process_upload(upload_id: int) -> str | None:
    """Read, check and store one upload; a redelivered message finds it done or takes it over."""
    upload = services.process_upload(upload_id=upload_id)
    return None if upload is None else upload.status


@shared_task(name="incentives.claims.tasks.requeue_stalled_uploads")
def requeue_stalled_uploads() -> int:
    """Sweep: uploads whose worker died (no progress report for STALL_AFTER) are checked again."""
    return services.requeue_stalled_uploads()
