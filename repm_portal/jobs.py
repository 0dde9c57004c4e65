"""Background work, one way: a durable `Job` row per unit, sent on commit, retried with backoff, swept.

A service decides work in its own transaction and calls `enqueue_on_commit(task, target)`: the
job row is written there (once per task and target, and once per business key), and the Celery
task named `task` is sent with `target` when the transaction commits. The task itself is thin:
it calls `run(task, target, work)`, which claims the job with a conditional update (so a
duplicate delivery runs nothing), calls `work`, and records the outcome: done; or, on an error,
another attempt after a backoff, then failed with the reason once the attempts are spent. `sweep()`
(beat) re-sends jobs whose message was lost, whose worker went silent, or whose retry is due.
Tasks are sent by name, so services never import their tasks.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Q

from repm_portal import clock
from repm_portal.models import Job

log = logging.getLogger(__name__)
T = TypeVar("T")
State = Job.State


class GiveUp(Exception):
    """Raised by work that cannot succeed by trying again: the job fails at once with this reason."""


def _option(task: str, name: str) -> Any:
    """A job setting for one task (settings.JOBS_TASKS[task][name]) or the default (settings.JOBS_<NAME>)."""
    per_task = settings.JOBS_TASKS.get(task, {})
    if name == "queue" and "queue_setting" in per_task:
        return getattr(settings, per_task["queue_setting"])
    return per_task.get(name, getattr(settings, f"JOBS_{name.upper()}"))


def stall_after(task: str) -> dt.timedelta:
    return dt.timedelta(seconds=_option(task, "stall_after_seconds"))


def backoff(task: str, attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (1, 2, ...): doubling, capped."""
    base = float(_option(task, "retry_backoff_seconds"))
    return min(base * 2 ** max(0, attempt - 1), float(settings.JOBS_RETRY_BACKOFF_MAX_SECONDS))


def send(task: str, target: str, *, countdown: float | None = None) -> None:
    """Send the Celery task now; a broker that is down is logged, and the sweeper sends it later."""
    from repm_portal.celery import app

    queue = _option(task, "queue")
    try:
        app.send_task(task, args=[_arg(target)], queue=queue, countdown=countdown)
    except Exception:  # the work is recorded; the sweeper re-sends it
        log.exception("Could not send %s(%s); the sweeper will retry", task, target)


def _arg(target: str) -> int | str:
    return int(target) if target.isdigit() else target


def enqueue_on_commit(task: str, target: int | str, *, key: str | None = None) -> Job:
    """Write the job for `task(target)` in the caller's transaction and send it once that commits.

    Enqueuing the same work again (same task and target, or same key) returns the first job
    and sends nothing more.
    """
    target = str(target)
    job = Job.objects.filter(Q(task=task, target=target) | Q(key=key or f"{task}:{target}")).first()
    if job is not None:
        return job
    job = Job.objects.create(
        key=key or f"{task}:{target}",
        task=task,
        target=target,
        max_attempts=_option(task, "max_attempts"),
        created_at=clock.now(),
    )
    transaction.on_commit(lambda: send(task, target))
    return job


def job_for(task: str, target: int | str) -> Job | None:
    return Job.objects.filter(task=task, target=str(target)).first()


def is_stalled(job: Job, *, now: dt.datetime | None = None) -> bool:
    """Queued or running with no word from a worker for the task's stall time.

    Job times are the process clock's; `now` lets a caller judge from a later moment.
    """
    if job.state not in (State.QUEUED, State.RUNNING):
        return False
    last = job.heartbeat_at or job.created_at
    return last < clock.now(now) - stall_after(job.task)


@transaction.atomic
def restart(task: str, target: int | str, *, now: dt.datetime | None = None) -> Job:
    """Queue again a job that failed or went silent, with a fresh set of attempts; sent on commit."""
    job = Job.objects.select_for_update().get(task=task, target=str(target))
    if not (job.state == State.FAILED or is_stalled(job, now=now)):
        raise ValueError(f"{job} is {job.get_state_display().lower()}; it cannot be restarted.")
    Job.objects.filter(pk=job.pk).update(
        state=State.QUEUED,
        phase="",
        progress=0,
        heartbeat_at=clock.now(),
        retry_at=None,
        finished_at=None,
        max_attempts=job.attempts + _option(task, "max_attempts"),
    )
    transaction.on_commit(lambda: send(task, job.target))
    job.refresh_from_db()
    return job


class Run:
    """What a job's work is handed: its target, its clock, and a way to report progress."""

    def __init__(self, job: Job, now: dt.datetime | None) -> None:
        self.job = job
        self.target = job.target
        self.now = now
        self._side: BaseDatabaseWrapper | None = None
        self._phase = ""
        self._last = 0.0

    def progress(self, phase: str, percent: int, *, force: bool = False) -> None:
        """Write the phase and percent (and a heartbeat) at once, even from inside a long transaction.

        Inside an open transaction the default connection cannot commit, so the report goes
        through a second connection of its own (autocommit). Reports are written at most every
        settings.JOBS_PROGRESS_EVERY_SECONDS, besides every change of phase.
        """
        moment = time.monotonic()
        every = settings.JOBS_PROGRESS_EVERY_SECONDS
        if not force and phase == self._phase and moment - self._last < every:
            return
        self._phase, self._last = phase, moment
        table = Job._meta.db_table
        statement = (
            f"UPDATE {table} SET phase = %s, progress = %s, heartbeat_at = %s "  # noqa: S608 - a model's table name
            "WHERE id = %s AND state = %s"
        )
        values = (phase, max(0, min(100, int(percent))), clock.now(), self.job.pk, State.RUNNING)
        if connection.in_atomic_block:
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            with self._side.cursor() as cursor:
                cursor.execute(statement, values)
        else:
            with connection.cursor() as cursor:
                cursor.execute(statement, values)

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


def _claim(task: str, target: str) -> Job | None:
    """Take the job for this worker: queued, due to retry, or running but silent for its stall time.

    A message with no job row behind it runs nothing: work is decided by writing its row.
    """
    now = clock.now()
    silent = now - stall_after(task)
    takeable = Job.objects.filter(task=task, target=target).filter(
        Q(state__in=[State.QUEUED, State.RETRYING])
        | Q(state=State.RUNNING, heartbeat_at__lt=silent)
    )
    if not takeable.update(
        state=State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        retry_at=None,
        finished_at=None,
        last_error="",
    ):
        return None
    return Job.objects.get(task=task, target=target)


def run(
    task: str,
    target: int | str,
    work: Callable[[Run], T],
    *,
    now: dt.datetime | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> T | None:
    """Run one job's work if this caller can take it; None if it is done or another worker has it.

    `now` is the work's own clock (a service's `now`), handed to it on the `Run`.

    An error is recorded: while attempts remain the job waits for its backoff and is sent
    again; then, or at once for `GiveUp`, it is failed with the reason. The error is not raised
    again: the job row holds it. `on_failure(reason)` is called once the job has failed for
    good, so the row it works on can record the outcome in its own lifecycle.
    """
    target = str(target)
    job = _claim(task, target)
    if job is None:
        if not Job.objects.filter(task=task, target=target).exists():
            log.warning("No job row for %s(%s): nothing to run", task, target)
        return None
    handle = Run(job, now)
    try:
        result = work(handle)
    except Exception as error:
        reason = f"{type(error).__name__}: {error}"[:2000]
        log.exception("Job %s(%s) failed on attempt %s", task, target, job.attempts)
        if _failed(job, reason, final=isinstance(error, GiveUp)) and on_failure is not None:
            on_failure(reason)
        return None
    finally:
        handle.close()
    Job.objects.filter(pk=job.pk, state=State.RUNNING).update(
        state=State.DONE, progress=100, finished_at=clock.now(), heartbeat_at=clock.now()
    )
    return result


def _failed(job: Job, reason: str, *, final: bool) -> bool:
    """Record a failed attempt; True when the job has now failed for good."""
    wall = clock.now()
    if final or job.attempts >= job.max_attempts:
        Job.objects.filter(pk=job.pk).update(
            state=State.FAILED, last_error=reason, finished_at=wall, retry_at=None
        )
        return True
    wait = backoff(job.task, job.attempts)
    Job.objects.filter(pk=job.pk).update(
        state=State.RETRYING, last_error=reason, retry_at=wall + dt.timedelta(seconds=wait)
    )
    send(job.task, job.target, countdown=wait)
    return False


def sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Re-send jobs whose message was lost, whose worker went silent, or whose retry is overdue.

    At most settings.JOBS_SWEEP_BATCH a run, oldest first; a job queued less than
    settings.JOBS_SWEEP_QUEUED_AFTER_SECONDS ago is left to its own message.
    """
    moment = clock.now(now)
    lost = moment - dt.timedelta(seconds=settings.JOBS_SWEEP_QUEUED_AFTER_SECONDS)
    candidates = (
        Job.objects.filter(
            Q(state=State.QUEUED, created_at__lte=lost, heartbeat_at__isnull=True)
            | Q(state=State.QUEUED, heartbeat_at__lte=lost)
            | Q(state=State.RUNNING)
            | Q(state=State.RETRYING, retry_at__lte=moment)
        )
        .order_by("created_at", "pk")
        .only("task", "target", "state", "heartbeat_at", "created_at", "retry_at")
    )
    counts = {"queued": 0, "running": 0, "retrying": 0}
    sent = 0
    for job in candidates.iterator(chunk_size=200):
        if sent >= settings.JOBS_SWEEP_BATCH:
            break
        if job.state == State.RUNNING and not is_stalled(job, now=moment):
            continue
        send(job.task, job.target)
        counts[job.state] += 1
        sent += 1
    return counts


__all__ = [
    "GiveUp",
    "Run",
    "backoff",
    "enqueue_on_commit",
    "is_stalled",
    "job_for",
    "restart",
    "run",
    "send",
    "stall_after",
    "sweep",
]
