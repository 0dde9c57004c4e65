"""Celery tasks of the sales-linked incentive: thin, taking ids, each calling a service."""

from __future__ import annotations

from celery import shared_task

from incentives.sli import preview, true_up
from incentives.sli.models import PreviewRun
from repm_portal import jobs


@shared_task(name=PreviewRun.TASK, acks_late=True)
def preview_quarter(run_id: int) -> int | None:
    """Compute one quarter-close preview run as its Job; a second delivery does nothing."""
    stored = jobs.run(preview_quarter.name, run_id, lambda run: preview.run_quarter_preview(run_id))
    return None if stored is None else len(stored)


@shared_task(name="incentives.sli.tasks.preview_verified_quarters")
def preview_verified_quarters() -> int:
    """Nightly: a preview run for every quarter with verified claims waiting for approval."""
    return len(preview.preview_verified_quarters())


@shared_task(name="incentives.sli.tasks.compute_due_true_ups")
def compute_due_true_ups() -> int:
    """Daily: the true-up of every award-year that is settled and has none yet."""
    return len(true_up.compute_due_true_ups())
