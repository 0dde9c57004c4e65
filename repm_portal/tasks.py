"""Scheduled checks of the scheme core."""

import logging

from celery import shared_task

from repm_portal import anchoring, audit

logger = logging.getLogger(__name__)


@shared_task(name="repm_portal.tasks.verify_audit_chain")
def verify_audit_chain() -> dict:
    report = audit.verify_chain()
    anchors = anchoring.verify()
    if not report.intact:
        logger.error("Audit chain broken: %s", report.reason)
    for finding in anchors.findings:
        logger.error("Audit checkpoint contradicted: %s", finding)
    if anchors.findings:
        anchoring.mail_alert(anchors.findings)
    first_broken = report.first_broken_id
    if first_broken is None:
        first_broken = anchors.first_contradicted_row
    return {
        "rows_checked": report.rows_checked,
        "intact": report.intact and anchors.intact,
        "first_broken_id": first_broken,
        "reason": report.reason
        if not report.intact
        else "; ".join(anchors.findings) or report.reason,
        "checkpoints": anchors.checkpoints,
        "checkpoint_findings": anchors.findings,
    }


@shared_task(name="repm_portal.tasks.checkpoint_audit_chain")
def checkpoint_audit_chain(target: str | None = None) -> dict | None:
    """Sign and publish a checkpoint: daily from beat (no target), or for an event's job."""
    if target is None:
        return anchoring.make("daily")
    from repm_portal import jobs

    def work(run: jobs.Run) -> dict | None:
        try:
            return anchoring.make(run.target)
        except anchoring.CheckpointRefused as refused:
            raise jobs.GiveUp(str(refused)) from refused

    return jobs.run(anchoring.TASK, str(target), work)


@shared_task(name="repm_portal.tasks.sweep_jobs")
def sweep_jobs() -> dict[str, int]:
    """Re-send background jobs whose message was lost, whose worker died, or whose retry is due."""
    from repm_portal import jobs

    return jobs.sweep()
