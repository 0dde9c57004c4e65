"""Scheduled checks of the scheme core."""

import logging

from celery import shared_task

from repm_portal import audit

logger = logging.getLogger(__name__)


@shared_task(name="repm_portal.tasks.verify_audit_chain")
def verify_audit_chain() -> dict:
    report = audit.verify_chain()
    if not report.intact:
        logger.error("Audit chain broken: %s", report.reason)
    return {
        "rows_checked": report.rows_checked,
        "intact": report.intact,
        "first_broken_id": report.first_broken_id,
        "reason": report.reason,
    }


@shared_task(name="repm_portal.tasks.sweep_jobs")
def sweep_jobs() -> dict[str, int]:
    """Re-send background jobs whose message was lost, whose worker died, or whose retry is due."""
    from repm_portal import jobs

    return jobs.sweep()
