"""What a claim would receive, shown before it is approved: nothing is posted, nothing is locked.

`preview(claim)` computes one claim as the ledger stands now (the pages call it). A quarter-close
preview run computes every verified claim of a quarter in claim order, each seeing what the ones
before it would take from the award's cap, the pool and the deductions, and keeps each figure
as an `SliComputation` of purpose preview.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.db import transaction

from beneficiaries.models import User
from incentives.claims.models import Claim
from incentives.sli import figures, selectors
from incentives.sli.models import PreviewRun, SliComputation
from repm_portal import audit, clock, jobs
from repm_portal.models import Job
from repm_portal.roles import Role, require_role

ZERO = Decimal("0.00")


def preview(claim: Claim) -> dict[str, Any]:
    """The claim's figure if it were sanctioned now: `sli_compute`'s output (working, then input)."""
    return figures.figure_of(selectors.period_input(claim)).as_dict()


PREVIEWERS = (Role.OFFICIAL, Role.APPROVER)


@transaction.atomic
def request_quarter_preview(
    *, period_end: dt.date, actor: User | None = None, now: dt.datetime | None = None
) -> PreviewRun:
    """Ask for a preview of the quarter ending `period_end`; its job runs once this commits.

    Asked again on the same day while nothing it reads has changed (the nightly beat, a second
    click), the run already asked for is returned; once a claim of the quarter is verified or
    changed, or the ledger has moved, a new run is made. `actor` None is the nightly beat.
    """
    if actor is not None:
        require_role(actor, *PREVIEWERS, action="run the quarter-close preview")
    now = clock.now(now)
    key = (
        f"sli-preview:{period_end.isoformat()}:{clock.today(now).isoformat()}:"
        f"{_fingerprint(period_end)}"
    )
    existing = _run_of_key(key)
    if existing is not None:
        return existing
    run = PreviewRun.objects.create(period_end=period_end, requested_by=actor, requested_at=now)
    jobs.enqueue_on_commit(PreviewRun.TASK, run.pk, key=key)
    audit.record(
        actor=actor, action="slipreview.requested", obj=run,
        new={"period_end": period_end, "key": key},
    )  # fmt: skip
    return run


def _fingerprint(period_end: dt.date) -> str:
    """What a run of the quarter reads: the ledger's last entry and the verified claims as they stand."""
    claims = selectors.verified_claims_of_quarter(period_end).values_list(
        "pk", "updated_at", "eligible_kg", "net_sales_value", "rule_set_id"
    )
    text = f"{selectors.ledger_mark()}|" + ";".join(
        f"{pk},{updated:%Y%m%dT%H%M%S.%f},{kg},{value},{rules}"
        for pk, updated, kg, value, rules in claims
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _run_of_key(key: str) -> PreviewRun | None:
    job = Job.objects.filter(key=key).first()
    return PreviewRun.objects.filter(pk=int(job.target)).first() if job is not None else None


def preview_verified_quarters(*, now: dt.datetime | None = None) -> list[PreviewRun]:
    """Nightly: a preview run for every quarter with claims waiting for approval."""
    return [
        request_quarter_preview(period_end=period_end, now=now)
        for period_end in selectors.quarters_with_verified_claims()
    ]


@transaction.atomic
def run_quarter_preview(run_id: int, *, now: dt.datetime | None = None) -> list[SliComputation]:
    """Compute every verified claim of the run's quarter, in claim order, posting nothing."""
    now = clock.now(now)
    run = PreviewRun.objects.get(pk=run_id)
    if run.computations.exists():
        return list(run.computations.all())  # a repeat delivery: the run is already computed
    mark = selectors.ledger_mark()
    claims = selectors.verified_claims_of_quarter(run.period_end)
    stored = []
    for claim, figure in selectors.figures_in_order(claims, as_of=mark):
        stored.append(
            figures.store(
                figure,
                purpose=SliComputation.Purpose.PREVIEW,
                award=claim.award,
                rule_set=claim.rule_set,
                ledger_mark=mark,
                computed_at=now,
                claim=claim,
                preview_run=run,
            )
        )
    return stored


__all__ = [
    "PREVIEWERS",
    "preview",
    "preview_verified_quarters",
    "request_quarter_preview",
    "run_quarter_preview",
]
