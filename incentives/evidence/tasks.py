"""Celery task of the evidence bundles: thin, taking the run's id, calling the service."""

from __future__ import annotations

from celery import shared_task

from incentives.evidence import services
from incentives.evidence.models import BundleRun
from repm_portal import jobs


@shared_task(name=BundleRun.TASK, acks_late=True)
def build_bundle(run_id: int) -> int | None:
    """Build one evidence bundle as its Job, reporting progress; a second delivery does nothing."""
    run = jobs.run(
        build_bundle.name,
        run_id,
        lambda job: services.build_bundle(run_id, progress=job.progress, now=job.now),
    )
    return None if run is None else run.pk
