"""Celery tasks of oversight: thin, taking ids, each calling a service."""

from __future__ import annotations

from celery import shared_task

from incentives.oversight import services
from incentives.oversight.models import ExportRun
from repm_portal import jobs


@shared_task(name=ExportRun.TASK, acks_late=True)
def produce_export(run_id: int) -> int | None:
    """Produce one export run's file as its Job; a second delivery writes nothing more."""
    run = jobs.run(
        produce_export.name, run_id, lambda job: services.produce_export(run_id, progress=job)
    )
    return None if run is None else run.row_count
