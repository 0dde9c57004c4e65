"""Reads of the evidence bundles, scoped per user: the makers see every run; nobody else any."""

from __future__ import annotations

from django.db.models import QuerySet

from incentives.evidence.models import BundleRun
from incentives.evidence.services import BUNDLE_MAKERS
from repm_portal import jobs
from repm_portal.models import Job
from repm_portal.roles import AnyUser, has_role


def runs_visible_to(user: AnyUser) -> QuerySet[BundleRun]:
    if not has_role(user, *BUNDLE_MAKERS):
        return BundleRun.objects.none()
    return BundleRun.objects.select_related("requested_by")


def job_of(run: BundleRun) -> Job | None:
    return jobs.job_for(BundleRun.TASK, run.pk)


def years_with_letters() -> list[str]:
    """The financial years some sanction letter is dated in, latest first."""
    from incentives.models import SanctionLetter

    return sorted(
        set(SanctionLetter.objects.values_list("financial_year", flat=True)), reverse=True
    )


__all__ = ["job_of", "runs_visible_to", "years_with_letters"]
