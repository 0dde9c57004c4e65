"""SLI sanctions survive workers SIGKILLed at random moments: one letter and one entry per claim,
numbered without a gap, each the engine's figure on its stored input.

Twelve approved quarter claims (three awards, four quarters) have their sanction jobs sent to a
private queue. A real worker is started, killed (SIGKILL) a random while after it first takes a
job (seeded), and replaced, twenty times; so that every kill finds work to interrupt, a worker
is killed as soon as it finishes a job once the work left is no more than the kills to come
need. After each kill the sweeper runs as beat would, once the killed worker's jobs have been
silent for their stall time, and re-sends them. A last worker runs until everything is done. Whatever the moment of each kill (inside the issuing
transaction, while rendering, between jobs), the ledger and the letters must come out as if
nothing had happened.
"""

from __future__ import annotations

import random
import subprocess
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from incentives import ledger, sanctions
from incentives.claims.models import Claim
from incentives.models import EntryKind, LedgerEntry, Pool, SanctionLetter, SanctionRequest
from incentives.sli import figures
from incentives.sli.models import QUARTER_CLAIM_TYPE, SliComputation
from incentives.sli.replay import recompute
from repm_portal import jobs
from repm_portal.models import Job
from tests.claims.sales import sales_award
from tests.sli.money import Q1, Q2, Q3, Q4, after, approve, quarter_claim
from tests.workers import start_worker, stop, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SEED = 7280
KILLS = 20
# A killed worker's job is taken over once it has been silent this long (worker and sweeper).
STALL_SECONDS = 2.0
# How long after a worker first takes a job it is killed: half the time soon (where the issuing
# transaction of a fresh request runs, a few tenths of a second), else later (its first letter's
# rendering, which takes a fresh process a second or more, and the jobs after it).
SOON, LATER = (0.02, 0.4), (0.4, 2.5)
# Jobs left, beyond one per kill still to come, below which a worker is killed as soon as it
# finishes a job (a fast worker may finish several between two looks).
MARGIN = 4
# A worker that takes no job within this long is killed anyway (a kill "while idle").
IDLE_LIMIT = 30.0
TASKS = (sanctions.ISSUE_TASK, sanctions.RENDER_TASK)
NOW = after(Q4[1], 20)
UNFINISHED = (Job.State.QUEUED, Job.State.RUNNING, Job.State.RETRYING)


@dataclass(frozen=True)
class Kill:
    """What the killed worker was doing just before the signal."""

    after_seconds: float  # since it first took a job (or since it started, if it took none)
    took_work: bool
    open_transaction: bool  # a backend other than ours had a transaction open
    running: tuple[str, ...]  # the tasks of the jobs it had running

    @property
    def moment(self) -> str:
        if not self.took_work:
            return "idle"
        if self.open_transaction:
            return "mid-transaction"
        if sanctions.RENDER_TASK in self.running:
            return "rendering"
        return "between jobs" if not self.running else "in a job, outside a transaction"


@pytest.fixture
def private_queue(settings, media_for_both):
    """The sanction tasks sent to a queue of this test's own, with short stall and sweep times."""
    queue = f"test-sli-kill-{uuid.uuid4().hex[:8]}"
    settings.JOBS_TASKS = {**settings.JOBS_TASKS, **{task: {"queue": queue} for task in TASKS}}
    settings.JOBS_STALL_AFTER_SECONDS = STALL_SECONDS
    settings.JOBS_SWEEP_QUEUED_AFTER_SECONDS = 5.0
    settings.JOBS_RETRY_BACKOFF_SECONDS = 1.0
    return queue


def _worker(queue: str) -> subprocess.Popen:
    """A worker on the private queue (MEDIA_ROOT inherited), taking silent jobs over as quickly."""
    return start_worker(
        queue, JOBS_STALL_AFTER_SECONDS=str(STALL_SECONDS), JOBS_RETRY_BACKOFF_SECONDS="1"
    )


def _sanction_jobs():
    return Job.objects.filter(task__in=TASKS)


def _unfinished() -> bool:
    return _sanction_jobs().filter(state__in=UNFINISHED).exists() or (
        SanctionRequest.objects.filter(status=SanctionRequest.Status.REQUESTED).exists()
    )


def _at_kill(launched_at) -> tuple[bool, tuple[str, ...]]:
    """In one round trip: whether a backend other than ours has a transaction open, and the tasks
    of the jobs the worker launched at `launched_at` has running."""
    statement = (
        "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "  # noqa: S608 - a model's table
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend' "
        "AND xact_start IS NOT NULL), "
        f"(SELECT array_agg(task) FROM {Job._meta.db_table} "
        "WHERE state = %s AND started_at >= %s AND task = ANY(%s))"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [Job.State.RUNNING, launched_at, list(TASKS)])
        others, running = cursor.fetchone()
    return others > 0, tuple(running or ())


def _sweep_due() -> float:
    """time.monotonic() once every running job has been silent for its stall time."""
    beats = _sanction_jobs().filter(state=Job.State.RUNNING).values_list("heartbeat_at", flat=True)
    latest = max((beat for beat in beats if beat is not None), default=None)
    if latest is None:
        return time.monotonic()
    silent_for = (timezone.now() - latest).total_seconds()
    return time.monotonic() + max(0.0, STALL_SECONDS - silent_for) + 0.2


def _progress(launched_at) -> tuple[bool, int]:
    """Whether the worker launched at `launched_at` has taken a job yet, and how many jobs are done."""
    counts = _sanction_jobs().aggregate(
        taken=Count("pk", filter=Q(started_at__gte=launched_at)),
        done=Count("pk", filter=Q(state=Job.State.DONE)),
    )
    return counts["taken"] > 0, counts["done"]


def _run_until_killed(
    queue: str, rng: random.Random, *, sweep_at: float, jobs_in_all: int, kills_to_come: int
) -> Kill:
    """Start a worker, sweep once the stall time has passed, and kill it.

    It is killed a random while after it first takes a job, or, once the work left is no more
    than the kills still to come need (with a margin), as soon as it finishes a job: so every
    kill lands while work remains.
    """
    launched_at = timezone.now()
    started = time.monotonic()
    _, done_at_start = _progress(launched_at)
    worker = _worker(queue)
    swept, first_take, kill_at = False, None, None
    try:
        while True:
            moment = time.monotonic()
            if not swept and moment >= sweep_at:
                jobs.sweep()  # as beat would: re-send what the killed worker left running
                swept = True
            taken, done = _progress(launched_at)
            if taken and first_take is None:
                first_take = moment
                kill_at = moment + rng.uniform(*rng.choice((SOON, LATER)))
            if kill_at is not None and moment >= kill_at:
                break
            if done > done_at_start and jobs_in_all - done <= kills_to_come + MARGIN:
                break
            if first_take is None and moment - started > IDLE_LIMIT:
                break
            time.sleep(0.01)
        open_transaction, running = _at_kill(launched_at)
        worker.kill()
        worker.wait(timeout=20)
        return Kill(
            after_seconds=moment - (first_take or started),
            took_work=first_take is not None,
            open_transaction=open_transaction,
            running=running,
        )
    finally:
        stop(worker)


def _run_to_completion(queue: str) -> None:
    """A last worker, left to finish every sanction; the sweeper runs every stall time meanwhile."""
    worker = _worker(queue)
    sweep_at = _sweep_due()

    def finished() -> bool:
        nonlocal sweep_at
        if time.monotonic() >= sweep_at:
            jobs.sweep()
            sweep_at = time.monotonic() + STALL_SECONDS
        return not _unfinished()

    try:
        wait_for(
            finished, timeout=120, what="the last worker to finish every sanction",
            detail=lambda: list(_sanction_jobs().values_list("task", "target", "state")),
        )  # fmt: skip
    finally:
        stop(worker)


def test_sli_sanctions_survive_workers_killed_at_random_moments(rules, users, private_queue):
    began = time.monotonic()
    # given three commissioned awards with four approved quarter claims each, whose sanction
    # jobs were committed and sent to the private queue before any worker runs
    awards = [sales_award() for _ in range(3)]
    claims = [quarter_claim(award, period) for award in awards for period in (Q1, Q2, Q3, Q4)]
    for claim in claims:
        approve(claim, users["approver"], now=NOW)
    assert _sanction_jobs().filter(task=sanctions.ISSUE_TASK).count() == len(claims)

    # when worker after worker is SIGKILLed at a random moment, the sweeper running after each
    rng = random.Random(SEED)
    kills: list[Kill] = []
    sweep_at = time.monotonic()
    while len(kills) < KILLS and _unfinished():
        kills.append(
            _run_until_killed(
                private_queue, rng, sweep_at=sweep_at, jobs_in_all=2 * len(claims),
                kills_to_come=KILLS - len(kills) - 1,
            )
        )  # fmt: skip
        sweep_at = _sweep_due()
    # and a last worker is left to finish
    _run_to_completion(private_queue)

    moments = Counter(kill.moment for kill in kills)
    attempts = sorted(_sanction_jobs().values_list("attempts", flat=True), reverse=True)
    print(
        f"\n{len(kills)} workers killed (seed {SEED}): {dict(moments)}; "
        f"job attempts {attempts}; {time.monotonic() - began:.0f} s in all"
    )
    assert len(kills) >= KILLS, f"the work was done after {len(kills)} kills"

    # then each claim has exactly one letter, one SANCTION entry and one figure of record
    letters = list(SanctionLetter.objects.filter(claim_type=QUARTER_CLAIM_TYPE))
    for claim in claims:
        key = str(claim.pk)
        assert [letter.claim_id for letter in letters].count(key) == 1
        assert (
            LedgerEntry.objects.filter(
                kind=EntryKind.SANCTION, claim_type=QUARTER_CLAIM_TYPE, claim_id=key
            ).count()
            == 1
        )
        assert SliComputation.objects.filter(claim=claim, purpose="sanction").count() == 1
        assert Claim.objects.get(pk=claim.pk).status in (
            Claim.Status.SANCTIONED,
            Claim.Status.PAID,
            Claim.Status.NIL,
        )
    assert len(letters) == len(claims)
    # and the letters of each series are numbered 1..n without a gap, each rendered and issued
    for series in {letter.series_id for letter in letters}:
        serials = sorted(letter.serial for letter in letters if letter.series_id == series)
        assert serials == list(range(1, len(serials) + 1))
    assert {letter.status for letter in letters} == {SanctionLetter.Status.ISSUED}
    # and each letter's amount is the engine's figure on its stored input, which replays and
    # rebuilds from the database without a difference
    fresh = Decimal("0.00")
    for letter in letters:
        stored = SliComputation.objects.get(letter=letter)
        replayed = figures.replay(stored.inputs)
        assert replayed.release == letter.amount
        fresh += replayed.release
        report = recompute(letter.number)
        assert report.identical, [str(difference) for difference in report.differences]
    # and what was sanctioned adds up to the fresh figures, in the letters and in the ledger
    assert sum((letter.amount for letter in letters), start=Decimal("0.00")) == fresh
    assert ledger.sanctioned(Pool.SLI) == fresh
    # and no job is left queued, running or waiting to retry; none failed
    assert set(_sanction_jobs().values_list("state", flat=True)) == {Job.State.DONE}
    assert set(SanctionRequest.objects.values_list("status", flat=True)) == {
        SanctionRequest.Status.SANCTIONED
    }
