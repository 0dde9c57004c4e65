"""The lifecycle of a sales upload, one pipeline: received, then accepted, rejected or failed; re-run if failed.

The state of its check (queued, running, retrying) is its job's, never its status.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from beneficiaries.models import User
from incentives.claims.models import ClaimUpload
from repm_portal import jobs, pipeline
from repm_portal.models import Job

Status = ClaimUpload.Status
TASK = ClaimUpload.TASK

PIPELINE: pipeline.Pipeline = {
    Status.RECEIVED: frozenset({Status.ACCEPTED, Status.REJECTED, Status.FAILED}),
    Status.ACCEPTED: frozenset({Status.SUPERSEDED}),
    Status.FAILED: frozenset({Status.RECEIVED}),  # re-run
}


def move(
    upload: ClaimUpload, to: str, *, actor: User | None, now: dt.datetime, **kwargs: Any
) -> None:
    """Move the (locked) upload along the pipeline; the audit row holds its real old status.

    Audited as `claim_upload.<to>` unless `action` names the move (a re-run is `claim_upload.rerun`).
    """
    kwargs.setdefault("action", f"claim_upload.{to}")
    pipeline.transition(
        upload, to, pipeline=PIPELINE, actor=actor, now=now,
        label=f"'{upload.original_name}'", **kwargs,
    )  # fmt: skip


def stall_after() -> dt.timedelta:
    """How long a check may go without word from its worker before it is taken to have died."""
    return jobs.stall_after(TASK)


def is_stalled(upload: ClaimUpload, *, now: dt.datetime) -> bool:
    """Received, and its job went silent (or failed, or was never written and the file is old)."""
    if upload.status != Status.RECEIVED:
        return False
    job = upload.job
    if job is None:  # received without a job (enqueue=False, or a job lost): judged by its age
        return upload.uploaded_at < now - stall_after()
    return job.state == Job.State.FAILED or jobs.is_stalled(job, now=now)


def may_rerun(upload: ClaimUpload, *, now: dt.datetime) -> bool:
    return upload.status == Status.FAILED or is_stalled(upload, now=now)


__all__ = [
    "PIPELINE",
    "TASK",
    "is_stalled",
    "may_rerun",
    "move",
    "stall_after",
]
