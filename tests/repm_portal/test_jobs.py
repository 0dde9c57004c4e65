"""The jobs kernel: one row per unit of work, run once, retried with backoff, then failed; swept when silent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from repm_portal import clock, jobs
from repm_portal.models import Job
from tests.oncommit import own

pytestmark = pytest.mark.django_db
TASK = "tests.jobs.example"


def test_enqueuing_the_same_work_twice_writes_one_job_and_sends_once(
    django_capture_on_commit_callbacks,
):
    # Given work decided twice in one transaction (same task and target)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        first = jobs.enqueue_on_commit(TASK, 7)
        second = jobs.enqueue_on_commit(TASK, 7)
        by_key = jobs.enqueue_on_commit("tests.jobs.other", 8, key=f"{TASK}:7")
    # Then one row, one message on commit
    assert first.pk == second.pk == by_key.pk
    assert Job.objects.count() == 1 and len(own(sent)) == 1
    assert (first.state, first.key, first.max_attempts) == (Job.State.QUEUED, f"{TASK}:7", 5)


def test_a_job_runs_once_however_often_it_is_delivered():
    jobs.enqueue_on_commit(TASK, 1)
    calls = []
    # When it is delivered three times
    results = [jobs.run(TASK, 1, lambda run: calls.append(run.target) or "ok") for _ in range(3)]
    # Then the work ran once and the job is done
    assert calls == ["1"] and results == ["ok", None, None]
    job = jobs.job_for(TASK, 1)
    assert (job.state, job.attempts, job.progress) == (Job.State.DONE, 1, 100)


def test_a_message_with_no_job_row_runs_nothing():
    assert jobs.run(TASK, 99, lambda run: pytest.fail("ran without a row")) is None
    assert not Job.objects.exists()


def test_a_failing_job_is_retried_with_backoff_then_failed_with_its_reason(settings):
    settings.JOBS_TASKS = {TASK: {"max_attempts": 3, "retry_backoff_seconds": 10}}
    jobs.enqueue_on_commit(TASK, 2)

    def flaky(run):
        raise RuntimeError("the printer is on fire")

    # When the first attempt fails, the job waits for its backoff (10 s), with the reason kept
    before = clock.now()
    assert jobs.run(TASK, 2, flaky) is None
    job = jobs.job_for(TASK, 2)
    assert job.state == Job.State.RETRYING and job.attempts == 1
    assert job.last_error == "RuntimeError: the printer is on fire"
    assert dt.timedelta(seconds=9) < job.retry_at - before < dt.timedelta(seconds=12)
    # and the second waits twice as long
    jobs.run(TASK, 2, flaky)
    job.refresh_from_db()
    assert job.state == Job.State.RETRYING and job.attempts == 2
    assert job.retry_at - before > dt.timedelta(seconds=19)
    # When the last attempt fails, it is failed for good, with the reason
    jobs.run(TASK, 2, flaky)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.retry_at) == (Job.State.FAILED, 3, None)
    assert "on fire" in job.last_error
    # and no further delivery runs it
    assert jobs.run(TASK, 2, lambda run: pytest.fail("ran a failed job")) is None


def test_a_retry_that_succeeds_finishes_the_job():
    jobs.enqueue_on_commit(TASK, 3)
    outcomes = iter([RuntimeError("once"), None])

    def work(run):
        error = next(outcomes)
        if error:
            raise error
        return "done"

    assert jobs.run(TASK, 3, work) is None
    assert jobs.run(TASK, 3, work) == "done"
    job = jobs.job_for(TASK, 3)
    assert (job.state, job.attempts, job.last_error) == (Job.State.DONE, 2, "")


def test_give_up_fails_at_once_and_tells_the_row():
    jobs.enqueue_on_commit(TASK, 4)
    told = []

    def hopeless(run):
        raise jobs.GiveUp("the claim no longer exists")

    jobs.run(TASK, 4, hopeless, on_failure=told.append)
    job = jobs.job_for(TASK, 4)
    assert (job.state, job.attempts) == (Job.State.FAILED, 1)
    assert "no longer exists" in job.last_error
    assert told == ["GiveUp: the claim no longer exists"]


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_at_once_even_from_inside_a_transaction():
    job = jobs.enqueue_on_commit(TASK, 5)
    seen = []

    def work(run):
        with transaction.atomic():
            run.progress("storing", 60, force=True)
            # another connection sees it while this transaction is still open
            other = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                with other.cursor() as cursor:
                    cursor.execute(
                        f"SELECT phase, progress FROM {Job._meta.db_table} WHERE id = %s",  # noqa: S608
                        [job.pk],
                    )
                    seen.append(cursor.fetchone())
            finally:
                other.close()

    jobs.run(TASK, 5, work)
    assert seen == [("storing", 60)]


def test_the_sweeper_resends_lost_stalled_and_due_work_only(settings):
    settings.JOBS_SWEEP_QUEUED_AFTER_SECONDS = 120
    settings.JOBS_STALL_AFTER_SECONDS = 600
    now = clock.now()
    old = now - dt.timedelta(hours=1)

    def job(target, state, **fields):
        return Job.objects.create(
            key=f"{TASK}:{target}", task=TASK, target=target, state=state, created_at=old, **fields
        )

    job("lost", Job.State.QUEUED)
    job("fresh", Job.State.QUEUED, heartbeat_at=now)
    job("stalled", Job.State.RUNNING, heartbeat_at=old)
    job("alive", Job.State.RUNNING, heartbeat_at=now)
    job("due", Job.State.RETRYING, retry_at=now - dt.timedelta(seconds=1))
    job("later", Job.State.RETRYING, retry_at=now + dt.timedelta(minutes=5))
    job("done", Job.State.DONE)
    job("failed", Job.State.FAILED)
    # When the sweeper runs
    counts = jobs.sweep(now=now)
    # Then only the lost, the stalled and the due are sent again
    assert counts == {"queued": 1, "running": 1, "retrying": 1}
    # and a stalled job can be taken by the next delivery
    assert jobs.run(TASK, "stalled", lambda run: "resumed") == "resumed"
    assert jobs.run(TASK, "alive", lambda run: pytest.fail("took a live job")) is None


def test_the_sweeper_takes_at_most_its_batch(settings):
    settings.JOBS_SWEEP_BATCH = 2
    old = clock.now() - dt.timedelta(hours=1)
    for n in range(5):
        Job.objects.create(key=f"k{n}", task=TASK, target=str(n), created_at=old)
    assert sum(jobs.sweep().values()) == 2


def test_a_failed_or_stalled_job_can_be_restarted_with_fresh_attempts(settings):
    settings.JOBS_TASKS = {TASK: {"max_attempts": 1}}
    jobs.enqueue_on_commit(TASK, 6)
    jobs.run(TASK, 6, lambda run: 1 / 0)
    job = jobs.restart(TASK, 6)
    assert (job.state, job.max_attempts) == (Job.State.QUEUED, 2)
    assert jobs.run(TASK, 6, lambda run: "second") == "second"
    with pytest.raises(ValueError, match="done"):
        jobs.restart(TASK, 6)


def test_the_clock_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        clock.now(dt.datetime(2029, 4, 1, 10, 0))  # noqa: DTZ001 - the point of the test
    with pytest.raises(TypeError):
        clock.now(dt.date(2029, 4, 1))
    aware = dt.datetime(2029, 4, 1, 10, 0, tzinfo=dt.UTC)
    assert clock.now(aware) is aware
    assert clock.now().tzinfo is not None
    assert clock.today(aware) == dt.date(2029, 4, 1)
